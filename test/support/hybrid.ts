/**
 * A test file's two stores: a legacy PostgreSQL (PGlite) of its own and a MongoDB database named for the file, with
 * the indexes made before its tests and everything dropped and closed after them. Call at the top of the file,
 * before importing lib/ (the configuration is read once, at the first import).
 */
import { afterAll, beforeAll } from 'vitest';
import { startLegacyDb } from '#support/legacy-dev-db.js';

export async function hybridStores(name: string) {
  const legacy = await startLegacyDb();
  process.env.LEGACY_DATABASE_URL = legacy.url;
  process.env.MONGODB_DB = `ansari_${name}_${process.pid}`;
  beforeAll(async () => {
    const { getDb } = await import('#lib/db/mongo.js');
    await (await import('#lib/db/indexes.js')).ensureIndexes(await getDb());
  });
  afterAll(async () => {
    const { getDb, closeMongo } = await import('#lib/db/mongo.js');
    await (await getDb()).dropDatabase();
    await closeMongo();
    await (await import('#lib/db/pg.js')).closeLegacyPool();
    await legacy.stop();
  });
  return { legacy, query: (sql: string, params?: unknown[]) => legacy.db.query(sql, params) };
}
