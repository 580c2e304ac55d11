/**
 * The thread service the routes call. MongoDB is asked first; the legacy store (when wired) when MongoDB has no such
 * thread, so handlers never know where a thread lives. Appends always land in MongoDB: a legacy thread is copied
 * there first (one order, for every append).
 */
import type { Message } from '#lib/blocks/types.js';
import { isTransientDependencyError } from '#lib/db/faults.js';
import { NotFoundError } from '#lib/errors.js';
import { newId } from '#lib/ids.js';
import { logger, metrics } from '#lib/observability.js';
import { compareSummaries, decodeCursor, encodeCursor } from '#lib/threads/cursor.js';
import type { AppendOptions } from '#lib/threads/mongo-store.js';
import type { MessagePage, Source, ThreadRecord, ThreadStore, ThreadSummary } from '#lib/threads/types.js';
import { legacyLayer, primaryStore } from './wiring.js';

export const THREAD_NOT_FOUND = 'Thread not found';

const fallbackStore = async () => (await legacyLayer())?.threads;

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
  const fallback = await fallbackStore();
  const stores: ThreadStore[] = fallback ? [primaryStore, fallback] : [primaryStore];
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
  await primaryStore.create(doc);
  return { ...doc, storage: 'mongodb', has_more: false };
}

/** Finds the thread in the first store that has it; 404 when none does or it is another user's. */
export async function getThread(userId: string, threadId: string, page?: MessagePage): Promise<ThreadRecord> {
  const found = (await primaryStore.get(userId, threadId, page)) ?? (await (await fallbackStore())?.get(userId, threadId, page));
  if (!found) throw new NotFoundError(THREAD_NOT_FOUND);
  return found;
}

export async function renameThread(userId: string, threadId: string, name: string): Promise<ThreadSummary> {
  const renamed = (await primaryStore.rename(userId, threadId, name)) ?? (await (await fallbackStore())?.rename(userId, threadId, name));
  if (!renamed) throw new NotFoundError(THREAD_NOT_FOUND);
  return renamed;
}

/**
 * Deletes the thread from every store holding it: a legacy thread copied into MongoDB goes from both. The legacy
 * store goes first, so a migration copying the thread at the same moment either is deleted with the MongoDB
 * document or sees the SQL thread gone and removes its copy.
 */
export async function deleteThread(userId: string, threadId: string): Promise<void> {
  const fallback = await fallbackStore();
  const deletedLegacy = fallback ? await fallback.delete(userId, threadId) : false;
  const deleted = (await primaryStore.delete(userId, threadId)) || deletedLegacy;
  if (!deleted) throw new NotFoundError(THREAD_NOT_FOUND);
}

/** Copies the caller's legacy thread into MongoDB; null when there is none (or no legacy store). */
async function copyFromFallback(userId: string, threadId: string): Promise<ThreadRecord | null> {
  return (await (await fallbackStore())?.copyToMongo(userId, threadId)) ?? null;
}

/** The caller's thread as a MongoDB record, ready for appends (a legacy thread is copied first); 404 otherwise. */
export async function threadForAppend(userId: string, threadId: string): Promise<ThreadRecord> {
  const found = (await primaryStore.get(userId, threadId)) ?? (await copyFromFallback(userId, threadId));
  if (!found) throw new NotFoundError(THREAD_NOT_FOUND);
  return found;
}

/**
 * Appends messages to the caller's thread with one `$push` (a legacy thread is copied into MongoDB first, then
 * appended to); false when the caller has no such thread in any store. 409 while another reply holds the thread,
 * `opts.lease` (see the MongoDB store). With `opts.name`, an unnamed thread is named in the same command (the name
 * is cosmetic: the next user message names it if this one could not).
 */
export async function appendMessages(userId: string, threadId: string, messages: Message[], opts: AppendOptions = {}): Promise<boolean> {
  const at = messages[messages.length - 1]?.created_at ?? new Date();
  if (await primaryStore.appendMessages(userId, threadId, messages, at, opts)) return true;
  if (!(await copyFromFallback(userId, threadId))) return false;
  return primaryStore.appendMessages(userId, threadId, messages, at, opts);
}
