/**
 * The legacy PostgreSQL thread store: the fallback the service consults when MongoDB has no such thread.
 *
 * It serves the same shapes as the MongoDB store (`storage: "legacy"`), messages converted to blocks by
 * convert/, and only ever shows the caller's own threads. Its list read returns the MongoDB copies of its rows
 * apart (copied on write or migrated), so the merged list never shows a thread twice. Every use that serves legacy
 * data is logged with the thread id and counted (`LegacyFallbacks`), so operators can see which legacy threads are
 * still in use, and when none are.
 */
import type { Message } from '#lib/blocks/types.js';
import { isDuplicateKey } from '#lib/db/faults.js';
import { withDbRetry } from '#lib/db/retry.js';
import { mongoThreadStore, threadsCollection } from '#lib/threads/mongo-store.js';
import { pageOf } from '#lib/threads/paging.js';
import { packForMongo, writeChunks } from '#lib/threads/overflow.js';
import type {
  FallbackListRead,
  FallbackThreadStore,
  LegacyBase,
  ListPage,
  MessagePage,
  ThreadRecord,
  ThreadSummary,
} from '#lib/threads/types.js';
import { legacyBase, legacyThreadDoc } from './copy.js';
import { isFullyMigrated } from './migrated-users.js';
import { convertLegacyMessages } from './convert/index.js';
import { recordLegacyFallback } from './observe.js';
import {
  deleteThreadRows,
  legacyDb,
  selectMessages,
  selectThread,
  selectThreads,
  updateThreadName,
  type LegacyThreadRow,
} from './queries.js';

const toSummary = (t: LegacyThreadRow): ThreadSummary => ({
  thread_id: t.thread_id,
  name: t.name,
  initial_source: t.initial_source,
  created_at: t.created_at,
  updated_at: t.updated_at,
  storage: 'legacy',
});

/** Which of these thread ids have a MongoDB document (of this owner when `userId` is given); by the unique thread_id. */
async function idsInMongo(threadIds: string[], userId?: string): Promise<Set<string>> {
  if (threadIds.length === 0) return new Set();
  const docs = await withDbRetry('legacy.dedupe', async () =>
    (await threadsCollection()).find({ thread_id: { $in: threadIds } }, { projection: { _id: 0, thread_id: 1, user_id: 1 } }).toArray(),
  );
  return new Set(docs.filter((d) => userId === undefined || d.user_id === userId).map((d) => d.thread_id));
}

/**
 * The MongoDB copies (summaries) of the caller's threads among these ids. Looked up by the unique thread_id alone
 * (a point lookup per id on any server) and kept only when they are the caller's.
 */
async function copiesInMongo(userId: string, threadIds: string[]): Promise<ThreadSummary[]> {
  if (threadIds.length === 0) return [];
  const docs = await withDbRetry('legacy.copies', async () =>
    (await threadsCollection())
      .find(
        { thread_id: { $in: threadIds } },
        { projection: { _id: 0, thread_id: 1, user_id: 1, name: 1, initial_source: 1, created_at: 1, updated_at: 1 } },
      )
      .toArray(),
  );
  return docs
    .filter((d) => d.user_id === userId)
    .map((d) => ({
      thread_id: d.thread_id,
      name: d.name ?? null,
      initial_source: d.initial_source,
      created_at: d.created_at,
      updated_at: d.updated_at,
      storage: 'mongodb',
    }));
}

/** A thread of the caller with every message, converted, and its merge base; null when absent or another user's. */
export async function readLegacyThread(
  userId: string,
  threadId: string,
): Promise<{ row: LegacyThreadRow; messages: Message[]; base: LegacyBase } | null> {
  const db = legacyDb();
  const row = await withDbRetry('legacy.thread', () => selectThread(db, userId, threadId));
  if (!row) return null;
  const rows = (await withDbRetry('legacy.messages', () => selectMessages(db, [threadId]))).get(threadId) ?? [];
  const messages = convertLegacyMessages(rows);
  return { row, messages, base: legacyBase(row, rows, messages) };
}

export const legacyThreadStore: FallbackThreadStore = {
  storage: 'legacy',

  /**
   * The caller's legacy rows after `page.after`, in list order (one SQL query, `limit` rows at most), split into
   * threads without a MongoDB copy and the copies of the others. The copies are looked up after the SQL read, so a
   * thread copied between the service's MongoDB read and this one is found here rather than lost.
   */
  async list(userId: string, page: ListPage & { limit: number }): Promise<FallbackListRead> {
    const rows = await withDbRetry('legacy.list', () => selectThreads(legacyDb(), { userId, after: page.after, limit: page.limit }));
    const copies = await copiesInMongo(
      userId,
      rows.map((r) => r.thread_id),
    );
    const copied = new Set(copies.map((c) => c.thread_id));
    const threads = rows.filter((r) => !copied.has(r.thread_id)).map(toSummary);
    if (threads.length > 0) recordLegacyFallback('list', { threadIds: threads.map((t) => t.thread_id) });
    const last = rows[page.limit - 1];
    return { threads, copies, ...(last ? { boundary: { updatedAt: last.updated_at, threadId: last.thread_id } } : {}) };
  },

  fullyMigrated: isFullyMigrated,

  async get(userId: string, threadId: string, page: MessagePage = {}): Promise<ThreadRecord | null> {
    const found = await readLegacyThread(userId, threadId);
    if (!found) return null;
    recordLegacyFallback('get', { threadId });
    const { items, has_more } = pageOf(found.messages, page);
    return { ...toSummary(found.row), metadata: {}, messages: items, has_more };
  },

  async rename(userId: string, threadId: string, name: string): Promise<ThreadSummary | null> {
    const row = await withDbRetry('legacy.rename', () => updateThreadName(legacyDb(), userId, threadId, name));
    if (!row) return null;
    recordLegacyFallback('rename', { threadId });
    return toSummary(row);
  },

  async delete(userId: string, threadId: string): Promise<boolean> {
    const deleted = await withDbRetry('legacy.delete', async (attempt) => {
      const db = legacyDb();
      if (await deleteThreadRows(db, userId, threadId)) return true;
      // A retry after an ambiguous failure may find nothing left: the first attempt deleted it.
      return attempt > 0 && (await selectThread(db, userId, threadId)) === null ? 'maybe' : false;
    });
    if (deleted === false) return false;
    // Deleting the SQL row of a copied thread is housekeeping (a rerun of the migration must not bring it back),
    // not a use of legacy data: only a thread that lived in SQL alone counts.
    if (!(await idsInMongo([threadId], userId)).has(threadId)) recordLegacyFallback('delete', { threadId });
    return true;
  },

  /**
   * Copies the caller's legacy thread into MongoDB under the same thread_id, before a message is appended there.
   * Insert-only: when a concurrent request (or the migration) inserted it first, the unique thread_id index
   * refuses this copy (duplicate key) and the existing MongoDB document is returned, so two racing requests make
   * one copy and both append to it. The SQL thread is left as it is (the migration never deletes SQL data either).
   */
  async copyToMongo(userId: string, threadId: string): Promise<ThreadRecord | null> {
    const found = await readLegacyThread(userId, threadId);
    if (!found) return null;
    const doc = legacyThreadDoc(found.row, found.messages, { by: 'write', sql: found.base });
    const packed = packForMongo(doc);
    await writeChunks(packed.chunks);
    const inserted = await withDbRetry('legacy.copy', async () => {
      try {
        await (await threadsCollection()).insertOne({ ...packed.doc });
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    });
    recordLegacyFallback('copy', { threadId, copied: inserted, messages: doc.messages.length });
    if (inserted) {
      return {
        thread_id: doc.thread_id,
        name: doc.name,
        initial_source: doc.initial_source,
        created_at: doc.created_at,
        updated_at: doc.updated_at,
        storage: 'mongodb',
        metadata: doc.metadata,
        messages: doc.messages,
        has_more: false,
      };
    }
    // Someone else's copy won the race: use it (the owner filter keeps another user's document out).
    return mongoThreadStore.get(userId, threadId);
  },
};
