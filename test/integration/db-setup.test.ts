/**
 * The MongoDB side of lib/db/ against the test server: `ensureIndexes` (npm run db:setup) creates every index of the
 * contract, drops a retired one once its successor exists, drops a retired collection, and can run again; the
 * container's client is one cached connection until closed.
 */
import { afterAll, describe, expect, it } from 'vitest';

process.env.MONGODB_DB = `${process.env.MONGODB_DB}_db_setup`;
const { closeMongo, getDb, getMongoClient } = await import('#lib/db/mongo.js');
const { INDEXES, ensureIndexes } = await import('#lib/db/indexes.js');

afterAll(async () => {
  await (await getDb()).dropDatabase();
  await closeMongo();
});

const names = async (collection: string) =>
  (await (await getDb()).collection(collection).listIndexes().toArray()).map((i) => String(i.name)).sort();

describe('ensureIndexes', () => {
  it('creates every index of the contract, drops the retired list index, and runs again unchanged', async () => {
    const db = await getDb();
    await db.collection('threads').createIndex({ user_id: 1, updated_at: -1 }, { name: 'user_id_updated_at' });
    await db.collection('threads').createIndex({ name: 1 }, { name: 'kept' });
    // The collection the rate-limit windows lived in before they moved into threads.
    await db.collection('rate_limits').insertOne({ _id: 'turns:u:0' as never, user_id: 'u', day: 1 });
    const created = await ensureIndexes(db);
    expect((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name)).not.toContain('rate_limits');
    expect(created).toEqual(Object.fromEntries(Object.entries(INDEXES).map(([c, specs]) => [c, specs.map((s) => s.name)])));
    expect(await names('threads')).toEqual(['_id_', 'kept', 'limit_windows_ttl', 'thread_id_unique', 'user_threads_list']);
    for (const collection of Object.keys(INDEXES)) {
      expect(await names(collection)).toEqual(expect.arrayContaining(INDEXES[collection]!.map((s) => s.name)));
    }
    // The rate-limit windows expire by TTL; sparse, as threads lack the field (lib/db/rate-limits.ts).
    const ttl = (await db.collection('threads').listIndexes().toArray()).find((i) => i.name === 'limit_windows_ttl');
    expect(ttl).toMatchObject({ key: { limit_expires_at: 1 }, expireAfterSeconds: 0, sparse: true });
    await ensureIndexes(db);
    expect(await names('threads')).toEqual(['_id_', 'kept', 'limit_windows_ttl', 'thread_id_unique', 'user_threads_list']);
  });
});

describe('the MongoDB client', () => {
  it('is one cached client until closed, then a new one', async () => {
    const first = await getMongoClient();
    expect(await getMongoClient()).toBe(first);
    expect((await getDb()).databaseName).toBe(process.env.MONGODB_DB);
    await closeMongo();
    await closeMongo(); // closing twice is harmless
    const second = await getMongoClient();
    expect(second).not.toBe(first);
    expect(await (await getDb()).collection('threads').countDocuments({ thread_id: 'none' })).toBe(0);
  });
});
