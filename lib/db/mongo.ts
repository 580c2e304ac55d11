/** The container's MongoDB client: one cached connect promise, cleared on failure. */
import { MongoClient, type Db } from 'mongodb';
import { config } from '#lib/config.js';
import { secret } from '#lib/secrets.js';

let clientPromise: Promise<MongoClient> | undefined;
let clientUri: string | undefined;

/**
 * The container's MongoDB client. The connect promise is cached at module scope so warm invocations reuse
 * the pool, and cleared on failure so the next request after an outage connects afresh. When the URI secret
 * has been rotated (new credentials), the next call connects with the new one and closes the old pool.
 */
export function getMongoClient(): Promise<MongoClient> {
  const uri = secret('MONGODB_URI')!;
  if (clientPromise && clientUri !== uri) {
    const old = clientPromise;
    clientPromise = undefined;
    void old.then((c) => c.close()).catch(() => undefined);
  }
  clientUri = uri;
  clientPromise ??= MongoClient.connect(uri, {
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
