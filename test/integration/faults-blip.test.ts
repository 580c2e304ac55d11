/**
 * A short database blip (the server stops and comes back while a request is in flight) is ridden out by the
 * request's retries, within its time budget. Its own mongo-java-server; see faults.test.ts for the outage case.
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
  process.env.DB_RETRY_BUDGET_MS = '25000';
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

describe('MongoDB blip', () => {
  it('rides out a short blip by retrying within the request', async () => {
    const token = await tokenFor(newUser());
    expect((await call(handlers.list, { token })).status).toBe(200);
    await server.stop();
    const restarting = new Promise<void>((resolve, reject) => {
      setTimeout(() => server.restart!().then(resolve, reject), 200);
    });
    const res = await call(handlers.create, { method: 'POST', token, body: { name: 'through the blip' } });
    await restarting;
    expect(res.status).toBe(201);
    const list = await call(handlers.list, { token });
    expect(list.json.map((t: { thread_name: string }) => t.thread_name)).toEqual(['through the blip']);
  }, 120_000);
});
