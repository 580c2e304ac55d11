import { isTransientDependencyError } from '#lib/db/faults.js';
import { NotFoundError } from '#lib/errors.js';
import { logger, metrics } from '#lib/observability.js';
import { newId } from '#lib/ids.js';
import { legacyEnabled } from '#lib/legacy/pool.js';
import { legacyThreadStore } from '#lib/legacy/store.js';
import { mongoThreadStore } from './mongo-store.js';
import { compareSummaries, decodeCursor, encodeCursor } from './cursor.js';
import type { MessagePage, Source, ThreadRecord, ThreadStore, ThreadSummary } from './types.js';

/**
 * Thread operations the routes call. MongoDB is asked first; the legacy PostgreSQL store (when
 * LEGACY_DATABASE_URL is set) is consulted when MongoDB has no such thread, so handlers never know where a thread
 * lives. Wired here, not by a side-effect import, so every separately bundled function gets the same stores.
 */
const stores: ThreadStore[] = legacyEnabled() ? [mongoThreadStore, legacyThreadStore] : [mongoThreadStore];

export const THREAD_NOT_FOUND = 'Thread not found';

export interface ThreadListPage {
  items: ThreadSummary[];
  nextCursor?: string;
}

/**
 * The caller's threads from every store, merged in one order (newest first), one keyset page at a time.
 * Each store returns up to limit+1 threads after the cursor in the same order (the legacy store leaves out the
 * threads that have a MongoDB copy, reading on until it has enough), so the first `limit` of the merge are exactly
 * the next page and one more tells whether another page exists.
 */
export async function listThreads(userId: string, opts: { limit?: number; cursor?: string }): Promise<ThreadListPage> {
  const after = opts.cursor ? decodeCursor(opts.cursor) : undefined;
  const fetch = opts.limit === undefined ? undefined : opts.limit + 1;
  const perStore = await Promise.all(
    stores.map((s, i) =>
      s.list(userId, { limit: fetch, after }).catch((err: unknown) => {
        // MongoDB is the primary store: its failure is the request's. A legacy outage only hides legacy threads.
        if (i === 0 || !isTransientDependencyError(err)) throw err;
        logger.warn('legacy store unavailable, listing MongoDB threads only', { error: (err as Error).message });
        metrics.addMetric('LegacyUnavailable', 'Count', 1);
        return [];
      }),
    ),
  );
  const seen = new Set<string>();
  const merged: ThreadSummary[] = [];
  // Stores are in priority order: should a thread be copied between the two reads, its MongoDB copy wins.
  for (const list of perStore) {
    for (const t of list) {
      if (!seen.has(t.thread_id)) {
        seen.add(t.thread_id);
        merged.push(t);
      }
    }
  }
  merged.sort((a, b) =>
    compareSummaries({ updatedAt: a.updated_at, threadId: a.thread_id }, { updatedAt: b.updated_at, threadId: b.thread_id }),
  );
  if (opts.limit === undefined || merged.length <= opts.limit) return { items: merged };
  const items = merged.slice(0, opts.limit);
  const last = items[items.length - 1]!;
  return { items, nextCursor: encodeCursor({ updatedAt: last.updated_at, threadId: last.thread_id }) };
}

export async function createThread(
  userId: string,
  input: { name?: string; initial_source: Source; metadata: Record<string, unknown> },
): Promise<ThreadRecord> {
  const now = new Date();
  const doc = {
    thread_id: newId(),
    name: input.name ?? null,
    user_id: userId,
    initial_source: input.initial_source,
    created_at: now,
    updated_at: now,
    metadata: input.metadata,
    messages: [],
  };
  await mongoThreadStore.create(doc);
  return { ...doc, storage: 'mongodb', has_more: false };
}

/** Finds the thread in the first store that has it; 404 when none does or it is another user's. */
export async function getThread(userId: string, threadId: string, page?: MessagePage): Promise<ThreadRecord> {
  for (const store of stores) {
    const found = await store.get(userId, threadId, page);
    if (found) return found;
  }
  throw new NotFoundError(THREAD_NOT_FOUND);
}

export async function renameThread(userId: string, threadId: string, name: string): Promise<ThreadSummary> {
  for (const store of stores) {
    const renamed = await store.rename(userId, threadId, name);
    if (renamed) return renamed;
  }
  throw new NotFoundError(THREAD_NOT_FOUND);
}

/**
 * Deletes the thread from every store holding it: a legacy thread copied into MongoDB goes from both. The legacy
 * stores go first, so a migration copying the thread at the same moment either is deleted with the MongoDB
 * document or sees the SQL thread gone and removes its copy (lib/legacy/migrate.ts).
 */
export async function deleteThread(userId: string, threadId: string): Promise<void> {
  let deleted = false;
  for (const store of stores.slice(1)) deleted = (await store.delete(userId, threadId)) || deleted;
  deleted = (await mongoThreadStore.delete(userId, threadId)) || deleted;
  if (!deleted) throw new NotFoundError(THREAD_NOT_FOUND);
}

/**
 * The caller's thread as a MongoDB document, ready for `$push` appends: 404 when absent or another user's.
 * A legacy thread is first copied into MongoDB under the same thread_id (see lib/legacy/), so appends always
 * land in MongoDB.
 */
export async function requireMongoThread(userId: string, threadId: string): Promise<ThreadRecord> {
  const found = await mongoThreadStore.get(userId, threadId);
  if (found) return found;
  for (const store of stores.slice(1)) {
    const copied = await store.copyToMongo?.(userId, threadId);
    if (copied) return copied;
  }
  throw new NotFoundError(THREAD_NOT_FOUND);
}
