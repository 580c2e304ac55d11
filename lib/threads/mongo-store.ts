/** The MongoDB thread store: one document per thread, messages embedded, every filter scoped to the owner. */
import { BSON, type AnyBulkWriteOperation, type Collection, type Document, type Filter } from 'mongodb';
import type { Message } from '#lib/blocks/types.js';
import { THREADS } from '#lib/db/indexes.js';
import { getDb } from '#lib/db/mongo.js';
import { refusedAt, type LimitCount } from '#lib/db/rate-limits.js';
import { withDbRetry } from '#lib/db/retry.js';
import { ConflictError, NotFoundError } from '#lib/errors.js';
import { isObj } from '#lib/json.js';
import { pageBounds } from './paging.js';
import {
  chunkedMessages,
  deleteChunks,
  deleteChunksOf,
  editStoredMessage,
  joinMessages,
  maxDocBytes,
  messageBytes,
  spillOldest,
} from './overflow.js';
import type { Feedback, FeedbackClass, ListPage, MessagePage, ThreadDoc, ThreadRecord, ThreadStore, ThreadSummary } from './types.js';

export { THREADS };

/**
 * How an append may run: under a reply's lease (taking it when `lease.until` is set), naming an unnamed thread, and
 * counting the request against the caller's rate limits (`counts`, lib/db/rate-limits.ts) in the same command.
 */
export interface AppendOptions {
  lease?: ReplyLease;
  name?: string;
  counts?: LimitCount[];
}

export const REPLY_IN_PROGRESS = 'A reply is being written in this thread; try again when it has finished';

/** A reply's hold on its thread: its id, and (when taking it) until when. */
export interface ReplyLease {
  id: string;
  until?: Date;
}

/** The thread has no live reply lease, or the given one holds it. */
const mayWrite = (now: Date, leaseId?: string): Filter<ThreadDoc> => ({
  $or: [{ 'reply.until': { $exists: false } }, { 'reply.until': { $lte: now } }, ...(leaseId ? [{ 'reply.lease': leaseId }] : [])],
});

/**
 * What the list returns and nothing else. Every field here, the filter's (user_id, and updated_at/thread_id of a
 * cursor) and the sort's are keys of the `user_threads_list` index (lib/db/indexes.ts), so a real mongod answers the
 * list from the index alone (a covered query: no thread document, with its messages, is read from storage).
 */
export const SUMMARY_PROJECTION = { _id: 0, thread_id: 1, name: 1, initial_source: 1, created_at: 1, updated_at: 1 } as const;
/** First batch of an unlimited list: summaries are ~200 bytes, so this stays well inside a 16 MB reply. */
const LIST_BATCH = 50_000;
/** Newest first, thread_id breaking ties: the order of the list index's keys after user_id. */
export const LIST_SORT = { updated_at: -1, thread_id: -1 } as const;

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

type PagedDoc = ThreadDoc & { start: number; end: number };

/**
 * One page of a thread's messages in one aggregation: the server finds the page's end (the `before` id's position,
 * -1 when absent, or the message count), and returns only the messages in [end - limit, end) with the summary fields.
 */
function pagePipeline(filter: Filter<ThreadDoc>, page: MessagePage): Document[] {
  const ids = { $ifNull: ['$messages.id', []] };
  const end = page.before === undefined ? { $size: ids } : { $indexOfArray: [ids, { $literal: page.before }] };
  const start = page.limit === undefined ? { $literal: 0 } : { $max: [0, { $subtract: ['$end', page.limit] }] };
  const keep = { ...SUMMARY_PROJECTION, metadata: 1, overflow_chunks: 1 };
  return [
    { $match: filter },
    { $limit: 1 },
    { $project: { ...keep, messages: 1, end } },
    { $project: { ...keep, messages: 1, end: 1, start } },
    // $slice needs a positive count: an empty page asks for 1 and keeps none (end - start is 0).
    {
      $project: {
        ...keep,
        end: 1,
        start: 1,
        messages: { $slice: [{ $ifNull: ['$messages', []] }, '$start', { $max: [1, { $subtract: ['$end', '$start'] }] }] },
      },
    },
  ];
}

/** The thread store on MongoDB: one document per thread, messages embedded, every filter scoped to the owner. */
export const mongoThreadStore: ThreadStore & {
  create(doc: ThreadDoc): Promise<void>;
  appendMessages(userId: string, threadId: string, messages: Message[], at: Date, opts?: AppendOptions): Promise<boolean>;
  renewReplyLease(threadId: string, leaseId: string, until: Date): Promise<boolean>;
  releaseReplyLease(threadId: string, leaseId: string): Promise<void>;
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
      // One round trip: the whole answer in the first batch (the server's default first batch is 101 documents).
      let cursor = (await threadsCollection())
        .find(filter, { projection: SUMMARY_PROJECTION })
        .sort(LIST_SORT)
        .batchSize(page.limit ?? LIST_BATCH);
      if (page.limit !== undefined) cursor = cursor.limit(page.limit);
      return (await cursor.toArray()) as unknown as ThreadDoc[];
    });
    return docs.map(toSummary);
  },

  async get(userId: string, threadId: string, page: MessagePage = {}): Promise<ThreadRecord | null> {
    const col = await withDbRetry('threads.connect', () => threadsCollection());
    const filter = { thread_id: threadId, user_id: userId };
    const paged = page.limit !== undefined || page.before !== undefined;
    // One round trip in each case: the whole document, or (paged) only the requested slice, cut by the server.
    const latest = page.before === undefined && page.limit !== undefined ? page.limit : undefined;
    const doc =
      latest !== undefined
        ? // The latest page: one more than asked tells whether older messages exist.
          await withDbRetry('threads.get.latest', () =>
            col.findOne(filter, {
              projection: { ...SUMMARY_PROJECTION, metadata: 1, overflow_chunks: 1, messages: { $slice: -(latest + 1) } },
            }),
          )
        : paged
          ? await withDbRetry(
              'threads.get.page',
              async () => (await col.aggregate<PagedDoc>(pagePipeline(filter, page)).toArray())[0] ?? null,
            )
          : await withDbRetry('threads.get', () => col.findOne(filter, { projection: { _id: 0 } }));
    if (!doc) return null;
    if ((doc.overflow_chunks ?? 0) > 0) {
      // An overflowed thread's older messages live in chunks: read it whole, join and slice in memory.
      const whole = paged ? await withDbRetry('threads.get', () => col.findOne(filter, { projection: { _id: 0 } })) : doc;
      if (!whole) return null;
      const all = joinMessages(await chunkedMessages(userId, threadId), whole.messages ?? []);
      const [start, end] = pageBounds(
        all.map((m) => m.id),
        page,
      );
      return { ...toSummary(whole), metadata: whole.metadata ?? {}, messages: all.slice(start, end), has_more: start > 0 };
    }
    if (!paged) return { ...toSummary(doc), metadata: doc.metadata ?? {}, messages: doc.messages ?? [], has_more: false };
    if (latest !== undefined) {
      const messages = doc.messages ?? [];
      return { ...toSummary(doc), metadata: doc.metadata ?? {}, messages: messages.slice(-latest), has_more: messages.length > latest };
    }
    const { start, end } = doc as PagedDoc;
    if (end < 0) throw new NotFoundError('Message not found');
    return { ...toSummary(doc), metadata: doc.metadata ?? {}, messages: (doc.messages ?? []).slice(0, end - start), has_more: start > 0 };
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
   * While a reply holds the thread's lease, only that reply appends (`lease.id`); anyone else gets a 409.
   * `lease.until` takes the lease in the same update (the user message that starts a reply). With `name`, an
   * unnamed thread is named in the same command (one round trip; a named thread is left as it is).
   */
  async appendMessages(userId: string, threadId: string, messages: Message[], at: Date, opts: AppendOptions = {}): Promise<boolean> {
    const { lease, name } = opts;
    const first = messages[0];
    if (!first) return true;
    const bytes = messageBytes(messages);
    const room = Math.max(0, maxDocBytes() - bytes);
    const col = await withDbRetry('threads.connect', () => threadsCollection());
    const owned = { thread_id: threadId, user_id: userId };
    // Runs after the append in the same ordered command, and only where the message now is: so together they match
    // at least once exactly when the message is stored (appended now, or by an earlier attempt of a retry).
    const naming = name ? [{ updateOne: { filter: { ...owned, 'messages.id': first.id, name: null }, update: { $set: { name } } } }] : [];
    // Rate-limit counts still to take: ahead of the append in its command, so a refused count stops it (ordered).
    let counts = opts.counts ?? [];
    /** Whether the message is in the thread already (an earlier attempt stored it); names the thread then. */
    const stored = async () => {
      const found = await withDbRetry('threads.append.check', () =>
        col.countDocuments({ ...owned, 'messages.id': first.id }, { limit: 1 }),
      );
      if (found > 0 && name) await this.nameIfUnset(userId, threadId, name);
      return found > 0;
    };
    // Concurrent appenders may take the room one spill made; each round makes more, so this ends quickly.
    for (let attempt = 0; attempt < 25; attempt++) {
      const append = {
        updateOne: {
          filter: {
            ...owned,
            'messages.id': { $ne: first.id },
            $and: [{ $or: [{ size_bytes: { $lte: room } }, { size_bytes: { $exists: false } }] }, mayWrite(new Date(), lease?.id)],
          },
          update: {
            $push: { messages: { $each: messages } },
            $max: { updated_at: at },
            ...(lease?.until ? { $set: { reply: { lease: lease.id, until: lease.until } } } : {}),
            $inc: { size_bytes: bytes },
          },
        },
      };
      const ops = [...counts.map((c) => c.statement), append, ...naming];
      let matched: number;
      try {
        // One statement goes as a plain update: the driver's bulk machinery is code a cold start would load for nothing.
        matched = await withDbRetry('threads.append', async () => {
          if (ops.length === 1) return (await col.updateOne(append.updateOne.filter, append.updateOne.update)).matchedCount;
          const result = await col.bulkWrite(ops as AnyBulkWriteOperation<ThreadDoc>[], { ordered: true });
          // Each count matched its window or opened it (an upsert): what is left matched the append and its naming.
          return result.matchedCount + result.upsertedCount - counts.length;
        });
      } catch (err) {
        const index = refusedAt(err, counts.length);
        if (index < 0) throw err;
        const refused = await counts[index]!.refusal();
        // A command retried after a lost answer (withDbRetry) whose first attempt landed: its own count filled the
        // window, and the message is stored. Anything else refused stores nothing.
        if (refused) {
          if (await stored()) return true;
          throw refused;
        }
        // Two first requests of a day raced to open a window: the counts before it are taken, count it again.
        counts = counts.slice(index);
        continue;
      }
      counts = [];
      if (matched > 0) return true;
      // Not applied: already there (a retried append), thread gone or not owned, a reply writing, or no room.
      if (await stored()) return true;
      if (!(await this.exists(userId, threadId))) return false;
      const busy = await withDbRetry('threads.append.lease', () =>
        col.countDocuments({ thread_id: threadId, user_id: userId, $nor: [mayWrite(new Date(), lease?.id)] }, { limit: 1 }),
      );
      if (busy > 0) throw new ConflictError(REPLY_IN_PROGRESS);
      await spillOldest(col, userId, threadId, bytes);
    }
    throw new Error('could not make room in the thread document');
  },

  /** Keeps a running reply's lease alive; false when it is no longer the holder (expired and taken, thread gone). */
  async renewReplyLease(threadId: string, leaseId: string, until: Date): Promise<boolean> {
    const res = await withDbRetry('threads.lease.renew', async () =>
      (await threadsCollection()).updateOne({ thread_id: threadId, 'reply.lease': leaseId }, { $set: { 'reply.until': until } }),
    );
    return res.matchedCount === 1;
  },

  /** Ends a reply's lease (once its last message is stored): the thread takes appends again. */
  async releaseReplyLease(threadId: string, leaseId: string): Promise<void> {
    await withDbRetry('threads.lease.release', async () =>
      (await threadsCollection()).updateOne({ thread_id: threadId, 'reply.lease': leaseId }, { $unset: { reply: '' } }),
    );
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

// Feedback: written in place on the message, wherever it lives (document or overflow chunk), one atomic update each.

/** BSON bytes a `feedback` field adds to a message. */
const feedbackBytes = (feedback: unknown): number =>
  feedback === undefined ? 0 : BSON.calculateObjectSize({ feedback }) - BSON.calculateObjectSize({});

/**
 * Sets the feedback of the caller's assistant message: class and comment replaced, `updated_at` moved,
 * `created_at` kept from the first time (`$min`: the earliest write's time stays). One `$set`/`$min` on the
 * matched message. The stored feedback, or null when the caller's MongoDB thread has no such assistant message.
 */
export async function setMessageFeedback(
  userId: string,
  threadId: string,
  messageId: string,
  input: { class: FeedbackClass; comment: string | null },
  at: Date,
): Promise<Feedback | null> {
  const set = { class: input.class, comment: input.comment, updated_at: at };
  // What the update leaves in the message, from the message as it was.
  const after = (before: Message): Record<string, unknown> => {
    const old = isObj(before.feedback) ? before.feedback : {};
    const first = old.created_at instanceof Date && old.created_at.getTime() < at.getTime() ? old.created_at : at;
    return { ...old, ...set, created_at: first };
  };
  const before = await editStoredMessage(await threadsCollection(), userId, threadId, messageId, {
    update: (path) => ({
      $set: { [`${path}.feedback.class`]: set.class, [`${path}.feedback.comment`]: set.comment, [`${path}.feedback.updated_at`]: at },
      $min: { [`${path}.feedback.created_at`]: at },
    }),
    maxGrowth: feedbackBytes({ ...set, created_at: at }),
    growth: (b) => feedbackBytes(after(b)) - feedbackBytes(b.feedback),
  });
  if (!before) return null;
  const stored = after(before);
  return { class: input.class, comment: input.comment, created_at: stored.created_at as Date, updated_at: at };
}

/**
 * Removes the feedback of the caller's assistant message (one `$unset`). `{removed}` is what it held (undefined
 * when it had none); null when the caller's MongoDB thread has no such assistant message.
 */
export async function removeMessageFeedback(
  userId: string,
  threadId: string,
  messageId: string,
): Promise<{ removed: Record<string, unknown> | undefined } | null> {
  const before = await editStoredMessage(await threadsCollection(), userId, threadId, messageId, {
    update: (path) => ({ $unset: { [`${path}.feedback`]: '' } }),
    maxGrowth: 0,
    growth: (b) => -feedbackBytes(b.feedback),
  });
  if (!before) return null;
  return { removed: isObj(before.feedback) ? before.feedback : undefined };
}

/**
 * Erasure (lib/services/account.ts): deletes up to `limit` of the user's threads with their overflow chunks (chunks
 * first, as `delete` does). Returns what went; fewer threads than `limit` means the user had no more. A lease
 * (`reply`) lives in its thread document and goes with it.
 */
export async function eraseUserThreads(userId: string, limit: number): Promise<{ threads: number; chunks: number }> {
  const col = await withDbRetry('threads.connect', () => threadsCollection());
  const ids = await withDbRetry('erase.threads.ids', async () =>
    (
      await col
        .find({ user_id: userId }, { projection: { _id: 0, thread_id: 1 } })
        .limit(limit)
        .toArray()
    ).map((d) => d.thread_id),
  );
  if (ids.length === 0) return { threads: 0, chunks: 0 };
  const chunks = await deleteChunksOf(userId, ids);
  // A retried deleteMany counts only what is left: an attempt cut off after it ran may undercount, never overcount.
  const res = await withDbRetry('erase.threads', () => col.deleteMany({ user_id: userId, thread_id: { $in: ids } }));
  return { threads: res.deletedCount, chunks };
}

/** How many threads the user has in MongoDB (a dry run of erasure). */
export async function countUserThreads(userId: string): Promise<number> {
  return withDbRetry('erase.threads.count', async () => (await threadsCollection()).countDocuments({ user_id: userId }));
}
