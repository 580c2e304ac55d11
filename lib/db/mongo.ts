/** The container's MongoDB client: one cached connect promise, cleared on failure. */
import { MongoClient, type Db } from 'mongodb';
import { config } from '#lib/config.js';

let clientPromise: Promise<MongoClient> | undefined;

/**
 * The container's MongoDB client. The connect promise is cached at module scope so warm invocations reuse
 * the pool, and cleared on failure so the next request after an outage connects afresh.
 */
export function getMongoClient(): Promise<MongoClient> {
  clientPromise ??= MongoClient.connect(config.MONGODB_URI, {
    appName: 'ansari-threads',
    maxPoolSize: config.MONGODB_MAX_POOL_SIZE,
    minPoolSize: 0,
    maxIdleTimeMS: 60_000,
    serverSelectionTimeoutMS: config.MONGODB_TIMEOUT_MS,
    connectTimeoutMS: config.MONGODB_TIMEOUT_MS,
    socketTimeoutMS: config.MONGODB_TIMEOUT_MS * 2,
    waitQueueTimeoutMS: config.MONGODB_TIMEOUT_MS,
    retryReads: true,
    retryWrites: true,
  }).catch((err: unknown) => {
    clientPromise = undefined;
    throw err;
  });
  return clientPromise;
}

export async function getDb(): Promise<Db> {
  return (await getMongoClient()).db(config.MONGODB_DB);
}

/** Closes the cached client (scripts and tests only; Lambda containers keep it). */
export async function closeMongo(): Promise<void> {
  const pending = clientPromise;
  clientPromise = undefined;
  if (pending) await (await pending.catch(() => undefined))?.close();
}
