/** Overflow chunks: a long thread's oldest messages move out of its document before it nears 16 MB. */
import { BSON, type Collection } from 'mongodb';
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
 */
export async function spillOldest(col: Collection<ThreadDoc>, userId: string, threadId: string, incomingBytes: number): Promise<void> {
  const doc = await withDbRetry('overflow.read', () =>
    col.findOne({ thread_id: threadId, user_id: userId }, { projection: { _id: 0, messages: 1, size_bytes: 1, overflow_chunks: 1 } }),
  );
  if (!doc) return;
  const seq = doc.overflow_chunks ?? 0;
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
      { $setOnInsert: { thread_id: threadId, user_id: userId, seq, messages: moving, size_bytes: moved, created_at: new Date() } },
      { upsert: true },
    ),
  );
  // Pull exactly what the stored chunk holds (after a crash it may be an earlier attempt's chunk), and take its
  // size off the counter with $inc: appends landing meanwhile have $inc'd it too.
  const stored = await withDbRetry('overflow.chunk.read', () =>
    chunks.findOne({ thread_id: threadId, seq }, { projection: { _id: 0, 'messages.id': 1, size_bytes: 1 } }),
  );
  const ids = (stored?.messages ?? []).map((m) => m.id);
  const res = await withDbRetry('overflow.pull', () =>
    col.updateOne(
      {
        thread_id: threadId,
        user_id: userId,
        $or: [{ overflow_chunks: seq }, ...(seq === 0 ? [{ overflow_chunks: { $exists: false } }] : [])],
      },
      { $pull: { messages: { id: { $in: ids } } }, $inc: { overflow_chunks: 1, size_bytes: -(stored?.size_bytes ?? 0) } },
    ),
  );
  if (res.matchedCount === 1) {
    metrics.addMetric('ThreadOverflowChunks', 'Count', 1);
    logger.info('moved old messages to an overflow chunk', { threadId, seq, messages: ids.length, bytes: stored?.size_bytes });
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

/** Chunk messages followed by the document's, each id once (a crash between chunk write and pull can leave both). */
export function joinMessages(chunked: Message[], inDoc: Message[]): Message[] {
  const seen = new Set<string>();
  const out: Message[] = [];
  for (const m of [...chunked, ...inDoc]) {
    if (seen.has(m.id)) continue;
    seen.add(m.id);
    out.push(m);
  }
  return out;
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
