/**
 * For the database fault tests: each test file runs its own mongo-java-server (persisted to a file, so data
 * survives a restart) that it may stop and start, with short timeouts and the given retry budget. Registers the
 * vitest hooks; read `fault.server` and `fault.handlers` inside tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startMongoServer, type MongoServerHandle } from '#support/mongo-server.js';

export interface FaultSetup {
  server: MongoServerHandle;
  handlers: { list: unknown; create: unknown; get: unknown };
}

export function useFaultServer(retryBudgetMs: number): FaultSetup {
  const fault = {} as FaultSetup;
  let dir = '';
  let closeMongo: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ansari-faults-'));
    fault.server = await startMongoServer({ ignoreUri: true, allowMongod: false, persistFile: path.join(dir, 'mongo') });
    // Short timeouts so an outage is noticed quickly; config is read at the first import below.
    process.env.MONGODB_URI = fault.server.uri;
    process.env.MONGODB_TIMEOUT_MS = '800';
    process.env.DB_RETRY_BUDGET_MS = String(retryBudgetMs);
    fault.handlers = {
      list: (await import('#functions/list-threads.js')).handler,
      create: (await import('#functions/create-thread.js')).handler,
      get: (await import('#functions/get-thread.js')).handler,
    };
    closeMongo = (await import('#lib/db/mongo.js')).closeMongo;
  });
  afterAll(async () => {
    await closeMongo?.();
    await fault.server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return fault;
}
