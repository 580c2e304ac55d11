/** Overflow chunks: a long thread's oldest messages move out of its document before it nears 16 MB. */
import { BSON, type Collection, type Document, type Filter, type UpdateFilter } from 'mongodb';
import type { Message } from '#lib/blocks/types.js';
import { config } from '#lib/config.js';
import { getDb } from '#lib/db/mongo.js';
import { isDuplicateKey } from '#lib/db/faults.js';
import { withDbRetry } from '#lib/db/retry.js';
import { logger, metrics } from '#lib/observability.js';
import type { ThreadDoc } from './types.js';

/**
 * MongoDB documents stop at 16 MB; a long thread with many tool documents can get there. Each thread document
 * keeps a running `size_bytes` of its messages, and an append that would take it past MAX_THREAD_DOC_BYTES first
 * moves the oldest messages into `thread_message_chunks` (one document per chunk, numbered by `seq`). Reads put
 * chunks and the document back together, so clients see one continuous thread.
 */
export const CHUNKS = 'thread_message_chunks';

export interface ChunkDoc {
  thread_id: string;
  user_id: string;
  seq: number;
  messages: Message[];
  size_bytes: number;
  created_at: Date;
  /** The thread's `edit_seq` when these copies were read from it (see spillOldest). */
  edit_seq?: number;
}

export async function chunksCollection(): Promise<Collection<ChunkDoc>> {
  return (await getDb()).collection<ChunkDoc>(CHUNKS);
}

export const messageBytes = (messages: Message[]): number =>
  messages.reduce((sum, m) => sum + BSON.calculateObjectSize(m as unknown as BSON.Document), 0);

/** The threshold a thread document's messages may not cross (well under MongoDB's 16 MB). */
export const maxDocBytes = (): number => config.MAX_THREAD_DOC_BYTES;

/**
 * Moves the oldest messages of a thread into a new chunk so that `incomingBytes` more fit, leaving the document
 * at about half the threshold. Safe to repeat after a crash (the chunk is an upsert by (thread_id, seq), and only
 * the ids actually stored in the chunk are pulled) and against a concurrent spill (guarded by the chunk count).
 *
 * Messages can also be edited in place (feedback), which bumps the document's `edit_seq`. A chunk records the
 * `edit_seq` of the read its copies came from, and the pull only applies while the document is still at that
 * `edit_seq`: an edit landing between this read and the pull makes the pull miss (the caller spills again from a
 * fresh read) instead of dropping the edited copy. A chunk written from an older read (an interrupted attempt, a
 * racing spill) is brought up to this read first; its `edit_seq` only moves forward, so a late, older attempt
 * can never put stale copies back.
 */
export async function spillOldest(col: Collection<ThreadDoc>, userId: string, threadId: string, incomingBytes: number): Promise<void> {
  const doc = await withDbRetry('overflow.read', () =>
    col.findOne(
      { thread_id: threadId, user_id: userId },
      { projection: { _id: 0, messages: 1, size_bytes: 1, overflow_chunks: 1, edit_seq: 1 } },
    ),
  );
  if (!doc) return;
  const seq = doc.overflow_chunks ?? 0;
  const rev = doc.edit_seq ?? 0;
  const target = Math.max(0, Math.floor(maxDocBytes() / 2) - incomingBytes);
  const current = messageBytes(doc.messages);
  const moving: Message[] = [];
  let moved = 0;
  for (const m of doc.messages) {
    if (current - moved <= target) break;
    moving.push(m);
    moved += messageBytes([m]);
  }
  if (moving.length === 0) return;
  const chunks = await chunksCollection();
  await withDbRetry('overflow.chunk', () =>
    chunks.updateOne(
      { thread_id: threadId, seq },
      {
        $setOnInsert: {
          thread_id: threadId,
          user_id: userId,
          seq,
          messages: moving,
          size_bytes: moved,
          created_at: new Date(),
          edit_seq: rev,
        },
      },
      { upsert: true },
    ),
  );
  // Pull exactly what the stored chunk holds (after a crash it may be an earlier attempt's chunk), and take its
  // size off the counter with $inc: appends landing meanwhile have $inc'd it too.
  const stored = await withDbRetry('overflow.chunk.read', () =>
    chunks.findOne({ thread_id: threadId, seq }, { projection: { _id: 0, 'messages.id': 1, size_bytes: 1, edit_seq: 1 } }),
  );
  if (!stored) return;
  const ids = stored.messages.map((m) => m.id);
  let bytes = stored.size_bytes;
  const storedRev = stored.edit_seq ?? -1;
  if (storedRev > rev) return; // written from a newer read than this one: spill again from a fresh read
  if (storedRev < rev) {
    const byId = new Map(doc.messages.map((m) => [m.id, m]));
    const fresh = ids.map((id) => byId.get(id));
    if (fresh.some((m) => m === undefined)) return; // another spill already pulled them
    const copies = fresh as Message[];
    bytes = messageBytes(copies);
    const res = await withDbRetry('overflow.chunk.refresh', () =>
      chunks.updateOne(
        { thread_id: threadId, seq, $or: [{ edit_seq: { $lt: rev } }, { edit_seq: { $exists: false } }] },
        { $set: { messages: copies, size_bytes: bytes, edit_seq: rev } },
      ),
    );
    if (res.matchedCount !== 1) return;
  }
  const res = await withDbRetry('overflow.pull', () =>
    col.updateOne(
      {
        thread_id: threadId,
        user_id: userId,
        $and: [
          { $or: [{ overflow_chunks: seq }, ...(seq === 0 ? [{ overflow_chunks: { $exists: false } }] : [])] },
          { $or: [{ edit_seq: rev }, ...(rev === 0 ? [{ edit_seq: { $exists: false } }] : [])] },
        ],
      },
      { $pull: { messages: { id: { $in: ids } } }, $inc: { overflow_chunks: 1, size_bytes: -bytes } },
    ),
  );
  if (res.matchedCount === 1) {
    metrics.addMetric('ThreadOverflowChunks', 'Count', 1);
    logger.info('moved old messages to an overflow chunk', { threadId, seq, messages: ids.length, bytes });
  }
}

/** All chunked messages of a thread, oldest first. */
export async function chunkedMessages(userId: string, threadId: string): Promise<Message[]> {
  const chunks = await chunksCollection();
  const docs = await withDbRetry('overflow.load', () =>
    chunks
      .find({ thread_id: threadId, user_id: userId }, { projection: { _id: 0, messages: 1 } })
      .sort({ seq: 1 })
      .toArray(),
  );
  return docs.flatMap((d) => d.messages);
}

/**
 * Chunk messages followed by the document's, each id once (a crash between chunk write and pull can leave both).
 * A message in both places keeps its place but takes the document's copy: edits (feedback) land there while it is
 * still in the document, and the chunk's copy is brought up to date before the pull (spillOldest).
 */
export function joinMessages(chunked: Message[], inDoc: Message[]): Message[] {
  const docCopies = new Map(inDoc.map((m) => [m.id, m]));
  const seen = new Set<string>();
  const out: Message[] = [];
  for (const m of [...chunked, ...inDoc]) {
    if (seen.has(m.id)) continue;
    seen.add(m.id);
    out.push(docCopies.get(m.id) ?? m);
  }
  return out;
}

/** An in-place edit of one message: its update (paths under `path`) and its effect on the message's BSON size. */
export interface MessageEdit {
  update(path: string): UpdateFilter<Document>;
  /** Bytes the edit may add at most: added with the edit itself, so the size counter is never short. */
  maxGrowth: number;
  /** The exact change of the message's size, from the message as it was. */
  growth(before: Message): number;
}

interface Edited {
  before: Message;
  /** An earlier attempt may have applied the edit already: `before` may show it. */
  retried: boolean;
}

/**
 * One atomic update of an assistant message, matched by id in one document of `col` (a thread or a chunk; the
 * owner is in `owner`), through an array filter: never a read-modify-write of the messages array. The message
 * as it was before, or null when no such assistant message is there.
 */
async function editOne(
  col: Collection<Document>,
  owner: Filter<Document>,
  messageId: string,
  update: UpdateFilter<Document>,
  label: string,
): Promise<Edited | null> {
  let retried = false;
  const doc = await withDbRetry(label, (attempt) => {
    retried = attempt > 0;
    return col.findOneAndUpdate({ ...owner, messages: { $elemMatch: { id: messageId, role: 'assistant' } } }, update, {
      arrayFilters: [{ 'm.id': messageId, 'm.role': 'assistant' }],
      projection: { _id: 0, messages: { $elemMatch: { id: messageId } } },
      returnDocument: 'before',
    });
  });
  const before = (doc?.messages as Message[] | undefined)?.[0];
  return before ? { before, retried } : null;
}

/**
 * The edit added `maxGrowth` to the size counter; take back what it did not use. Once, without retries: a retry
 * after an ambiguous failure could take it back twice, while a counter left a little high only brings the next
 * spill slightly earlier.
 */
async function settleSize(col: Collection<Document>, filter: Filter<Document>, edit: MessageEdit, edited: Edited): Promise<void> {
  const excess = edited.retried ? 0 : edit.maxGrowth - edit.growth(edited.before);
  if (excess <= 0) return;
  try {
    await col.updateOne(filter, { $inc: { size_bytes: -excess } });
  } catch (err) {
    logger.warn('size counter left high after a message edit', { operation: 'overflow.size', error: (err as Error).name });
  }
}

/**
 * Applies `edit` to the caller's assistant message `messageId` where it lives: the thread document while it is
 * there (the authoritative copy, see joinMessages; the edit bumps `edit_seq`, see spillOldest), else the overflow
 * chunk it moved to. The message as it was before, or null when the thread has no such assistant message.
 */
export async function editStoredMessage(
  threads: Collection<ThreadDoc>,
  userId: string,
  threadId: string,
  messageId: string,
  edit: MessageEdit,
): Promise<Message | null> {
  const owner = { thread_id: threadId, user_id: userId };
  const docs = threads as unknown as Collection<Document>;
  const inDoc = await editOne(
    docs,
    owner,
    messageId,
    { ...edit.update('messages.$[m]'), $inc: { size_bytes: edit.maxGrowth, edit_seq: 1 } },
    'threads.message.edit',
  );
  if (inDoc) {
    await settleSize(docs, owner, edit, inDoc);
    return inDoc.before;
  }
  // Not in the document: an older message in a chunk (spilled, possibly a moment ago), or none at all. Chunks are
  // never spilled again, so an edit here is final.
  const chunks = (await chunksCollection()) as unknown as Collection<Document>;
  const inChunk = await editOne(
    chunks,
    owner,
    messageId,
    { ...edit.update('messages.$[m]'), $inc: { size_bytes: edit.maxGrowth } },
    'overflow.message.edit',
  );
  if (!inChunk) return null;
  await settleSize(chunks, { ...owner, 'messages.id': messageId }, edit, inChunk);
  return inChunk.before;
}

export async function deleteChunks(userId: string, threadId: string): Promise<void> {
  const chunks = await chunksCollection();
  await withDbRetry('overflow.delete', () => chunks.deleteMany({ thread_id: threadId, user_id: userId }));
}

/** Deletes the overflow chunks of these threads of the user (erasure); how many went. */
export async function deleteChunksOf(userId: string, threadIds: string[]): Promise<number> {
  const chunks = await chunksCollection();
  const res = await withDbRetry('erase.chunks', () => chunks.deleteMany({ thread_id: { $in: threadIds }, user_id: userId }));
  return res.deletedCount;
}

/**
 * Deletes every chunk the user owns (the last step of erasure): also chunks left without their thread, as a copy
 * from the legacy store writes its chunks before the thread document and a crash between the two leaves them.
 */
export async function deleteUserChunks(userId: string): Promise<number> {
  const chunks = await chunksCollection();
  return (await withDbRetry('erase.chunks.all', () => chunks.deleteMany({ user_id: userId }))).deletedCount;
}

/** How many chunks the user owns (a dry run of erasure). */
export async function countUserChunks(userId: string): Promise<number> {
  return withDbRetry('erase.chunks.count', async () => (await chunksCollection()).countDocuments({ user_id: userId }));
}

/** A legacy thread ready for MongoDB: the thread document and, for a very long thread, its overflow chunks. */
export interface MongoCopy {
  doc: ThreadDoc;
  chunks: ChunkDoc[];
}

/**
 * Lays a thread out as the MongoDB store keeps it (spillOldest above): `size_bytes` set, and when the
 * messages exceed MAX_THREAD_DOC_BYTES the oldest ones go into numbered chunks (each at most half the threshold)
 * so the document keeps at most half of it, as a spill would leave it. Deterministic: two copies of one thread
 * put the same messages in the same chunks.
 */
export function packForMongo(doc: ThreadDoc): MongoCopy {
  const limit = maxDocBytes();
  const half = Math.floor(limit / 2);
  const sizes = doc.messages.map((m) => messageBytes([m]));
  let total = sizes.reduce((a, b) => a + b, 0);
  if (total <= limit) return { doc: { ...doc, size_bytes: total, overflow_chunks: 0 }, chunks: [] };
  const chunks: ChunkDoc[] = [];
  let i = 0;
  while (total > half && i < doc.messages.length) {
    const start = i;
    let bytes = 0;
    while (i < doc.messages.length && total - bytes > half && (bytes === 0 || bytes + sizes[i]! <= half)) bytes += sizes[i++]!;
    chunks.push({
      thread_id: doc.thread_id,
      user_id: doc.user_id,
      seq: chunks.length,
      messages: doc.messages.slice(start, i),
      size_bytes: bytes,
      created_at: doc.origin?.copied_at ?? doc.updated_at,
    });
    total -= bytes;
  }
  return { doc: { ...doc, messages: doc.messages.slice(i), size_bytes: total, overflow_chunks: chunks.length }, chunks };
}

/** Writes overflow chunks before their thread document (idempotent: an existing chunk is left as it is). */
export async function writeChunks(chunks: ChunkDoc[]): Promise<void> {
  if (chunks.length === 0) return;
  const col = await withDbRetry('legacy.chunks', () => chunksCollection());
  for (const c of chunks) {
    await withDbRetry('legacy.chunks', async () => {
      try {
        await col.updateOne({ thread_id: c.thread_id, seq: c.seq }, { $setOnInsert: { ...c } }, { upsert: true });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // two upserts racing on the unique (thread_id, seq): one inserted it
      }
    });
  }
}
