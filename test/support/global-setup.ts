/**
 * Starts the databases once for the whole run: MONGODB_URI when set, else a real mongod through
 * mongodb-memory-server when a binary can be had, else mongo-java-server (see scripts/support/mongo-server.ts).
 * Workers inherit the environment set here.
 */
import { MongoClient } from 'mongodb';
import { startMongoServer } from '#support/mongo-server.js';

export default async function setup(): Promise<() => Promise<void>> {
  const mongo = await startMongoServer({ log: (m) => console.log(`[test] ${m}`) });
  process.env.MONGODB_URI = mongo.uri;
  process.env.MONGODB_DB = process.env.MONGODB_DB ?? `ansari_test_${process.pid}`;
  return async () => {
    if (mongo.kind === 'external') {
      const client = await MongoClient.connect(mongo.uri);
      await client.db(process.env.MONGODB_DB).dropDatabase();
      await client.close();
    }
    await mongo.stop();
  };
}
