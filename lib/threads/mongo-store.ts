/** The MongoDB thread store: one document per thread, messages embedded, every filter scoped to the owner. */
import type { Collection, Filter } from 'mongodb';
import type { Message } from '#lib/blocks/types.js';
import { getDb } from '#lib/db/mongo.js';
import { withDbRetry } from '#lib/db/retry.js';
import { pageBounds } from './paging.js';
import { chunkedMessages, deleteChunks, joinMessages, maxDocBytes, messageBytes, spillOldest } from './overflow.js';
import type { ListPage, MessagePage, ThreadDoc, ThreadRecord, ThreadStore, ThreadSummary } from './types.js';

export const THREADS = 'threads';

/** Everything but the messages: listing never reads message bodies from disk into the response. */
const SUMMARY_PROJECTION = { _id: 0, thread_id: 1, name: 1, initial_source: 1, created_at: 1, updated_at: 1 } as const;

export async function threadsCollection(): Promise<Collection<ThreadDoc>> {
  return (await getDb()).collection<ThreadDoc>(THREADS);
}

const toSummary = (d: Pick<ThreadDoc, 'thread_id' | 'name' | 'initial_source' | 'created_at' | 'updated_at'>): ThreadSummary => ({
  thread_id: d.thread_id,
  name: d.name ?? null,
  initial_source: d.initial_source,
  created_at: d.created_at,
  updated_at: d.updated_at,
  storage: 'mongodb',
});

/** The thread store on MongoDB: one document per thread, messages embedded, every filter scoped to the owner. */
export const mongoThreadStore: ThreadStore & {
  create(doc: ThreadDoc): Promise<void>;
  appendMessages(userId: string, threadId: string, messages: Message[], at: Date): Promise<boolean>;
  nameIfUnset(userId: string, threadId: string, name: string): Promise<void>;
  exists(userId: string, threadId: string): Promise<boolean>;
} = {
  storage: 'mongodb',

  async list(userId: string, page: ListPage): Promise<ThreadSummary[]> {
    const filter: Filter<ThreadDoc> = { user_id: userId };
    if (page.after) {
      const { updatedAt, threadId } = page.after;
      filter.$or = [{ updated_at: { $lt: updatedAt } }, { updated_at: updatedAt, thread_id: { $lt: threadId } }];
    }
    const docs = await withDbRetry('threads.list', async () => {
      let cursor = (await threadsCollection()).find(filter, { projection: SUMMARY_PROJECTION }).sort({ updated_at: -1, thread_id: -1 });
      if (page.limit !== undefined) cursor = cursor.limit(page.limit);
      return (await cursor.toArray()) as unknown as ThreadDoc[];
    });
    return docs.map(toSummary);
  },

  async get(userId: string, threadId: string, page: MessagePage = {}): Promise<ThreadRecord | null> {
    const col = await withDbRetry('threads.connect', () => threadsCollection());
    const filter = { thread_id: threadId, user_id: userId };
    const paged = page.limit !== undefined || page.before !== undefined;
    const probe = paged
      ? await withDbRetry('threads.get.ids', () => col.findOne(filter, { projection: { _id: 0, 'messages.id': 1, overflow_chunks: 1 } }))
      : await withDbRetry('threads.get', () => col.findOne(filter, { projection: { _id: 0 } }));
    if (!probe) return null;
    const overflowed = (probe.overflow_chunks ?? 0) > 0;
    if (!paged || overflowed) {
      // Whole thread (or an overflowed one, whose older messages live in chunks): join and slice in memory.
      const doc = paged ? await withDbRetry('threads.get', () => col.findOne(filter, { projection: { _id: 0 } })) : probe;
      if (!doc) return null;
      const all = overflowed ? joinMessages(await chunkedMessages(userId, threadId), doc.messages ?? []) : (doc.messages ?? []);
      const [start, end] = pageBounds(
        all.map((m) => m.id),
        page,
      );
      return { ...toSummary(doc), metadata: doc.metadata ?? {}, messages: all.slice(start, end), has_more: start > 0 };
    }
    // Paging a single document: the ids are read first (small), then only the requested slice of messages.
    const [start, end] = pageBounds(
      (probe.messages ?? []).map((m) => m.id),
      page,
    );
    const count = end - start;
    const doc = await withDbRetry('threads.get.page', () =>
      col.findOne(filter, { projection: { ...SUMMARY_PROJECTION, metadata: 1, messages: { $slice: [start, Math.max(count, 1)] } } }),
    );
    if (!doc) return null;
    return {
      ...toSummary(doc),
      metadata: doc.metadata ?? {},
      messages: count > 0 ? (doc.messages ?? []).slice(0, count) : [],
      has_more: start > 0,
    };
  },

  async rename(userId: string, threadId: string, name: string): Promise<ThreadSummary | null> {
    const doc = await withDbRetry('threads.rename', async () =>
      (await threadsCollection()).findOneAndUpdate(
        { thread_id: threadId, user_id: userId },
        { $set: { name } },
        { projection: SUMMARY_PROJECTION, returnDocument: 'after' },
      ),
    );
    return doc ? toSummary(doc) : null;
  },

  async delete(userId: string, threadId: string): Promise<boolean> {
    await deleteChunks(userId, threadId);
    return withDbRetry('threads.delete', async (attempt) => {
      const col = await threadsCollection();
      const r = await col.deleteOne({ thread_id: threadId, user_id: userId });
      if (r.deletedCount === 1) return true;
      // A retry after an ambiguous failure may find the thread gone: the first attempt deleted it.
      return attempt > 0 && (await col.countDocuments({ thread_id: threadId }, { limit: 1 })) === 0;
    });
  },

  async create(doc: ThreadDoc): Promise<void> {
    await withDbRetry('threads.create', async (attempt) => {
      const col = await threadsCollection();
      try {
        const res = await col.insertOne({ ...doc, size_bytes: messageBytes(doc.messages), overflow_chunks: 0 });
        if (!res.acknowledged) throw new Error('thread insert not acknowledged');
      } catch (err) {
        // A retry of an insert that did land hits the unique thread_id: that is success.
        const landed = attempt > 0 && (await col.countDocuments({ thread_id: doc.thread_id, user_id: doc.user_id }, { limit: 1 })) > 0;
        if (!landed) throw err;
      }
    });
  },

  /**
   * Appends atomically with `$push` (never read-modify-write); false when the thread is absent or not owned.
   * The filter skips a thread already holding the first message, so a retried append never duplicates, and a
   * thread whose document would cross the size threshold, whose oldest messages are then moved to a chunk first.
   * `updated_at` only moves forward (an append of older messages, as a migration rerun makes, never moves it back).
   */
  async appendMessages(userId: string, threadId: string, messages: Message[], at: Date): Promise<boolean> {
    const first = messages[0];
    if (!first) return true;
    const bytes = messageBytes(messages);
    const room = Math.max(0, maxDocBytes() - bytes);
    const col = await withDbRetry('threads.connect', () => threadsCollection());
    // Concurrent appenders may take the room one spill made; each round makes more, so this ends quickly.
    for (let attempt = 0; attempt < 25; attempt++) {
      const res = await withDbRetry('threads.append', () =>
        col.updateOne(
          {
            thread_id: threadId,
            user_id: userId,
            'messages.id': { $ne: first.id },
            $or: [{ size_bytes: { $lte: room } }, { size_bytes: { $exists: false } }],
          },
          { $push: { messages: { $each: messages } }, $max: { updated_at: at }, $inc: { size_bytes: bytes } },
        ),
      );
      if (res.matchedCount === 1) return true;
      // Not applied: already there (a retried append), thread gone or not owned, or no room.
      const already = await withDbRetry('threads.append.check', () =>
        col.countDocuments({ thread_id: threadId, user_id: userId, 'messages.id': first.id }, { limit: 1 }),
      );
      if (already > 0) return true;
      if (!(await this.exists(userId, threadId))) return false;
      await spillOldest(col, userId, threadId, bytes);
    }
    throw new Error('could not make room in the thread document');
  },

  /** Names the thread only if it has no name yet (one atomic conditional update). */
  async nameIfUnset(userId: string, threadId: string, name: string): Promise<void> {
    await withDbRetry('threads.name', async () =>
      (await threadsCollection()).updateOne({ thread_id: threadId, user_id: userId, name: null }, { $set: { name } }),
    );
  },

  async exists(userId: string, threadId: string): Promise<boolean> {
    return withDbRetry(
      'threads.exists',
      async () => (await (await threadsCollection()).countDocuments({ thread_id: threadId, user_id: userId }, { limit: 1 })) > 0,
    );
  },
};
