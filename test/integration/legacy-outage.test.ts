/**
 * The legacy PostgreSQL going away does not take the thread list down for everyone: MongoDB threads are still
 * listed (the legacy ones are hidden until it is back), while a route that needs the legacy store (a legacy thread,
 * the export of every thread) answers 503.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startLegacyDb } from '#support/legacy-dev-db.js';
import { newUser, tokenFor } from '#support/auth.js';
import { call, callStreaming } from '#support/lambda.js';

const legacy = await startLegacyDb();
process.env.LEGACY_DATABASE_URL = legacy.url;
process.env.MONGODB_DB = `ansari_legacy_outage_${process.pid}`;
process.env.MONGODB_TIMEOUT_MS = '1000';
process.env.DB_RETRY_BUDGET_MS = '1500';

const { handler: listThreads } = await import('#functions/list-threads.js');
const { handler: createThread } = await import('#functions/create-thread.js');
const { handler: getThread } = await import('#functions/get-thread.js');
const { handler: exportThreads } = await import('#functions/export-threads.js');
const { getDb, closeMongo } = await import('#lib/db/mongo.js');
const { closeLegacyPool } = await import('#lib/db/pg.js');
let stopped = false;

afterAll(async () => {
  await (await getDb()).dropDatabase();
  await closeMongo();
  await closeLegacyPool().catch(() => undefined);
  if (!stopped) await legacy.stop();
});

describe('legacy database outage', () => {
  it('lists MongoDB threads while the legacy store is down; a legacy-only read is a 503', async () => {
    const token = await tokenFor(newUser());
    const created = await call(createThread, { method: 'POST', token, body: { name: 'in MongoDB' } });
    expect(created.status).toBe(201);
    expect((await call(listThreads, { token })).json.map((t: { thread_name: string }) => t.thread_name)).toEqual(['in MongoDB']);

    await legacy.stop();
    stopped = true;
    const list = await call(listThreads, { token });
    expect(list.status).toBe(200);
    expect(list.json.map((t: { thread_name: string; storage: string }) => [t.thread_name, t.storage])).toEqual([['in MongoDB', 'mongodb']]);
    const legacyOnly = await call(getThread, { token, pathParameters: { thread_id: randomUUID() } });
    expect(legacyOnly.status).toBe(503);
    expect(legacyOnly.headers['retry-after']).toBe('5');
    // The export needs every thread: it refuses (503) rather than download the MongoDB ones as if they were all.
    const exported = await callStreaming(exportThreads, { token, path: '/api/v3/threads/export', resource: '/api/v3/threads/export' });
    expect(exported.status).toBe(503);
    expect(exported.headers['retry-after']).toBe('5');
  });
});
