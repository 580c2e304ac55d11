/** The MongoDB indexes of every collection, created idempotently by `npm run db:setup`. */
import type { Db, IndexDescription } from 'mongodb';

/** The threads collection: the threads, and the rate-limit windows that count writes to them (lib/db/rate-limits.ts). */
export const THREADS = 'threads';
/** How the `_id` of a rate-limit window in it starts (`limits:<user>:<kind>:<day>`). */
export const WINDOW_PREFIX = 'limits:';
/** The string `_id`s that start with `prefix`, a prefix ending in `:`: up to the same with `;` (which follows `:`). */
export const idsStartingWith = (prefix: string) => ({ $gte: prefix, $lt: `${prefix.slice(0, -1)};` });
/** The `_id`s of the rate-limit windows. */
export const WINDOW_IDS = idsStartingWith(WINDOW_PREFIX);

/**
 * The indexes of the contract. createIndexes is idempotent: run by `npm run db:setup` at deploy time,
 * never on a request path.
 */
export const INDEXES: Record<string, IndexDescription[]> = {
  threads: [
    { key: { thread_id: 1 }, name: 'thread_id_unique', unique: true },
    // The list (lib/threads/mongo-store.ts): its filter (user_id, and a cursor's updated_at/thread_id), its whole sort
    // (updated_at, thread_id breaking ties) and every field it returns (name, initial_source, created_at) are keys,
    // so a real mongod answers it from the index alone (a covered query: 0 documents examined).
    {
      key: { user_id: 1, updated_at: -1, thread_id: -1, name: 1, initial_source: 1, created_at: 1 },
      name: 'user_threads_list',
    },
    // Rate-limit windows (lib/db/rate-limits.ts) are removed after their day by TTL. Sparse: threads lack the field.
    { key: { limit_expires_at: 1 }, name: 'limit_windows_ttl', expireAfterSeconds: 0, sparse: true },
  ],
  // Overflow chunks of long threads, read in order (lib/threads/overflow.ts).
  thread_message_chunks: [
    { key: { thread_id: 1, seq: 1 }, name: 'thread_id_seq_unique', unique: true },
    // By user for erasure (lib/services/account.ts), which also sweeps chunks left without their thread.
    { key: { user_id: 1 }, name: 'user_id' },
  ],
  shared_threads: [
    { key: { share_id: 1 }, name: 'share_id_unique', unique: true },
    { key: { thread_id: 1 }, name: 'thread_id' },
    // By owner for erasure (lib/services/account.ts).
    { key: { user_id: 1 }, name: 'user_id' },
    // TTL: MongoDB removes a share once expires_at has passed (reads also check it, as TTL runs lazily).
    { key: { expires_at: 1 }, name: 'expires_at_ttl', expireAfterSeconds: 0 },
  ],
};

/** Indexes an earlier release created that a current one makes redundant: dropped once their successor exists. */
const RETIRED: Record<string, string[]> = {
  // Superseded by user_threads_list, whose first keys are the same (it serves every query this one served).
  threads: ['user_id_updated_at'],
};

/**
 * Collections an earlier release wrote that no current code reads: dropped. `rate_limits` held the rate-limit windows
 * before they moved into `threads` (counters of the day; its users' allowances start afresh once).
 */
const RETIRED_COLLECTIONS = ['rate_limits'];

export async function ensureIndexes(db: Db): Promise<Record<string, string[]>> {
  const present = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const name of RETIRED_COLLECTIONS) if (present.has(name)) await db.dropCollection(name);
  const created: Record<string, string[]> = {};
  for (const [collection, specs] of Object.entries(INDEXES)) {
    created[collection] = await db.collection(collection).createIndexes(specs);
  }
  for (const [collection, names] of Object.entries(RETIRED)) {
    const existing = new Set((await db.collection(collection).listIndexes().toArray()).map((i) => String(i.name)));
    for (const name of names) if (existing.has(name)) await db.collection(collection).dropIndex(name);
  }
  return created;
}
