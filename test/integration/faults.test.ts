/**
 * Database faults on one warm container: a MongoDB server that stops mid-run gives 503 with Retry-After (never a
 * 500 or a hang), a short blip is ridden out by retries, and the next request after recovery works.
 * This file runs its own mongo-java-server (persisted to a file, so data survives the restart).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMongoServer, type MongoServerHandle } from '../../scripts/lib/mongo-server.js';
import { newUser, tokenFor } from '../support/auth.js';
import { call } from '../support/lambda.js';

let server: MongoServerHandle;
let dir: string;
let handlers: { list: unknown; create: unknown; get: unknown };
let closeMongo: () => Promise<void>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ansari-faults-'));
  server = await startMongoServer({ ignoreUri: true, allowMongod: false, persistFile: path.join(dir, 'mongo') });
  // Short timeouts so the outage is detected quickly; the retry budget still allows a few attempts.
  process.env.MONGODB_URI = server.uri;
  process.env.MONGODB_TIMEOUT_MS = '800';
  process.env.DB_RETRY_BUDGET_MS = '9000';
  handlers = {
    list: (await import('../../functions/list-threads.js')).handler,
    create: (await import('../../functions/create-thread.js')).handler,
    get: (await import('../../functions/get-thread.js')).handler,
  };
  closeMongo = (await import('../../lib/db/mongo.js')).closeMongo;
});

afterAll(async () => {
  await closeMongo?.();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('MongoDB outage', () => {
  it('answers 503 with Retry-After while the database is down, and recovers on the same container', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const created = await call(handlers.create, { method: 'POST', token, body: { name: 'before the outage' } });
    expect(created.status).toBe(201);

    await server.stop();
    for (const res of [
      await call(handlers.list, { token }),
      await call(handlers.create, { method: 'POST', token, body: { name: 'during' } }),
    ]) {
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json).toEqual({ detail: 'Database temporarily unavailable, please retry' });
    }

    await server.restart!();
    const after = await call(handlers.list, { token });
    expect(after.status).toBe(200);
    expect(after.json.map((t: { thread_name: string }) => t.thread_name)).toEqual(['before the outage']);
    const got = await call(handlers.get, { token, pathParameters: { thread_id: created.json.thread_id } });
    expect([got.status, got.json.thread_name]).toEqual([200, 'before the outage']);
  }, 120_000);

});
