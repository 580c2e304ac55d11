/**
 * The cold-start floor of `npm run bench` (scripts/bench-cold.ts): the mongodb driver alone, bundled with the same
 * esbuild settings as the functions, connecting and running the same commands as each route's first request (the
 * per-user rate-limit counters of writes and turns, and a reply's lease, included: they are the route's database work,
 * counted by the warm bench; what the cold table measures is the code a function loads and runs around them).
 * A function can not start faster than this; the bench prints each function's time beside it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MongoClient, type AnyBulkWriteOperation, type Db } from 'mongodb';

export interface FloorSpec {
  uri: string;
  db: string;
  route: string;
  userId: string;
  threadId: string;
  shareId: string;
  /** An assistant message of the thread (feedback). */
  messageId: string;
  /** The stub model's base URL (the streamed reply's floor asks it for the answer as the route does). */
  modelUrl: string;
  /** docs/openapi.json, which the openApi function serves (the one route without a database). */
  document: string;
}

interface FloorMessage {
  id: string;
  role: string;
  content: unknown;
  created_at: Date;
}
interface FloorThread {
  thread_id: string;
  user_id: string;
  name: string | null;
  initial_source: string;
  created_at: Date;
  updated_at: Date;
  metadata: object;
  messages: FloorMessage[];
  size_bytes: number;
  overflow_chunks: number;
  reply?: { lease: string; until: Date };
}

const LIST = { _id: 0, thread_id: 1, name: 1, initial_source: 1, created_at: 1, updated_at: 1 };
/** Routes that count the caller's write before their work (an append counts it in its own command instead). */
const WRITES = new Set([
  'createThread',
  'renameThread',
  'deleteThread',
  'shareThread',
  'setFeedback',
  'deleteFeedback',
  'revokeShare',
  'eraseThreads',
]);

/**
 * The rate-limit window's statement (lib/db/rate-limits.ts): one conditional upsert counting the request in its day
 * and minute, in the threads collection. An append sends it ahead of its own statements, in the same command.
 */
export function countStatement(kind: 'writes' | 'turns', userId: string) {
  const now = Date.now();
  const day = now - (now % 86_400_000);
  const minute = `m${Math.floor((now - day) / 60_000)}`;
  const id = `limits:${userId}:${kind}:${day}`;
  return {
    updateOne: {
      filter: { _id: id, [minute]: { $not: { $gte: 1_000_000 } }, day: { $not: { $gte: 1_000_000 } } },
      update: {
        $inc: { day: 1, [minute]: 1 },
        $setOnInsert: { thread_id: id, limit_user: userId, limit_expires_at: new Date(day + 86_460_000) },
      },
      upsert: true,
    },
  };
}

/** The rate-limit window's command for a route that counts before its work. The warm bench's bare writes send it too. */
export async function countRequest(db: Db, kind: 'writes' | 'turns', userId: string): Promise<void> {
  const { filter, update } = countStatement(kind, userId).updateOne;
  await db.collection<{ _id: string }>('threads').updateOne(filter, update, { upsert: true });
}

/** Connects and sends the route's commands; answers with the number of bytes a JSON response would carry. */
export async function run(spec: FloorSpec): Promise<{ status: number; bytes: number }> {
  // The document route uses no database: its floor loads the driver (as the function does) and serves the same file.
  if (spec.route === 'openApi')
    return { status: 200, bytes: Buffer.byteLength(JSON.stringify(JSON.parse(readFileSync(spec.document, 'utf8')))) };
  const client = await MongoClient.connect(spec.uri);
  const db = client.db(spec.db);
  const threads = db.collection<FloorThread>('threads');
  const owned = { thread_id: spec.threadId, user_id: spec.userId };
  const now = new Date();
  // A share counts while it has no expiry or has not reached it (listing and revoking alike).
  const unexpired = { $or: [{ expires_at: null }, { expires_at: { $gt: now } }] };
  const message: FloorMessage = { id: randomUUID(), role: 'user', content: [{ type: 'text', text: 'What is zakat?' }], created_at: now };
  let answer: unknown;
  if (WRITES.has(spec.route)) await countRequest(db, 'writes', spec.userId);
  switch (spec.route) {
    case 'listThreads':
      answer = await threads.find({ user_id: spec.userId }, { projection: LIST }).sort({ updated_at: -1, thread_id: -1 }).toArray();
      break;
    case 'getThread':
    case 'shareThread':
      answer = await threads.findOne(owned, { projection: { _id: 0 } });
      if (spec.route === 'shareThread') {
        const share = { share_id: randomUUID(), thread_id: spec.threadId, snapshot: answer, created_at: now, expires_at: null };
        await db.collection('shared_threads').insertOne(share);
      }
      break;
    case 'createThread': {
      const doc: FloorThread = {
        thread_id: randomUUID(),
        name: null,
        user_id: spec.userId,
        initial_source: 'web',
        created_at: now,
        updated_at: now,
        metadata: {},
        messages: [],
        size_bytes: 0,
        overflow_chunks: 0,
      };
      await threads.insertOne({ ...doc });
      answer = doc;
      break;
    }
    case 'renameThread':
      answer = await threads.findOneAndUpdate(owned, { $set: { name: 'Renamed' } }, { projection: LIST, returnDocument: 'after' });
      break;
    case 'deleteThread':
      await db.collection('thread_message_chunks').deleteMany(owned);
      answer = await threads.deleteOne(owned);
      break;
    case 'getShare':
      answer = await db
        .collection('shared_threads')
        .findOne({ share_id: spec.shareId }, { projection: { _id: 0, user_id: 0, thread_id: 0 } });
      break;
    case 'addMessage':
      // One ordered update: the write's count, the append, then the naming of an unnamed thread.
      answer = await threads.bulkWrite(
        [
          countStatement('writes', spec.userId),
          {
            updateOne: {
              filter: { ...owned, 'messages.id': { $ne: message.id } },
              update: { $push: { messages: { $each: [message] } }, $set: { updated_at: now }, $inc: { size_bytes: 100 } },
            },
          },
          { updateOne: { filter: { ...owned, 'messages.id': message.id, name: null }, update: { $set: { name: 'What is zakat?' } } } },
        ] as AnyBulkWriteOperation<FloorThread>[],
        { ordered: true },
      );
      break;
    case 'addMessageReply': {
      // The reply's work: read the thread, count the write and the turn and store the question taking the thread's
      // reply lease (one ordered update), stream the model's answer, store the answer, release the lease.
      const thread = await threads.findOne(owned, { projection: { _id: 0 } });
      const lease = randomUUID();
      await threads.bulkWrite(
        [
          countStatement('writes', spec.userId),
          countStatement('turns', spec.userId),
          {
            updateOne: {
              filter: { ...owned, 'messages.id': { $ne: message.id } },
              update: { $push: { messages: message }, $set: { updated_at: now, reply: { lease, until: new Date(Date.now() + 60_000) } } },
            },
          },
        ] as AnyBulkWriteOperation<FloorThread>[],
        { ordered: true },
      );
      const res = await fetch(`${spec.modelUrl}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'bench', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({
          model: 'bench',
          max_tokens: 1024,
          stream: true,
          messages: [...(thread?.messages ?? []), message].map((m) => ({ role: m.role, content: m.content })),
        }),
      });
      const text = await res.text();
      const reply: FloorMessage = { id: randomUUID(), role: 'assistant', content: [{ type: 'text', text }], created_at: new Date() };
      await threads.updateOne(
        { ...owned, 'messages.id': { $ne: reply.id } },
        { $push: { messages: reply }, $set: { updated_at: new Date() } },
      );
      await threads.updateOne({ thread_id: spec.threadId, 'reply.lease': lease }, { $unset: { reply: '' } });
      answer = text;
      break;
    }
    case 'setFeedback':
    case 'deleteFeedback': {
      // The feedback update on the assistant message (and, on removal, giving back the removed feedback's bytes).
      const update =
        spec.route === 'setFeedback'
          ? {
              $set: {
                'messages.$[m].feedback.class': 'thumbsup',
                'messages.$[m].feedback.comment': null,
                'messages.$[m].feedback.updated_at': now,
              },
              $min: { 'messages.$[m].feedback.created_at': now },
              $inc: { size_bytes: 84, edit_seq: 1 },
            }
          : { $unset: { 'messages.$[m].feedback': '' }, $inc: { size_bytes: 0, edit_seq: 1 } };
      const before = await db
        .collection('threads')
        .findOneAndUpdate({ ...owned, messages: { $elemMatch: { id: spec.messageId, role: 'assistant' } } }, update, {
          arrayFilters: [{ 'm.id': spec.messageId, 'm.role': 'assistant' }],
          projection: { _id: 0, messages: { $elemMatch: { id: spec.messageId } } },
          returnDocument: 'before',
        });
      if (spec.route === 'deleteFeedback' && before?.messages?.[0]?.feedback) await threads.updateOne(owned, { $inc: { size_bytes: -84 } });
      answer = before;
      break;
    }
    case 'listShares':
      answer = await db
        .collection('shared_threads')
        .find(
          { thread_id: spec.threadId, user_id: spec.userId, ...unexpired },
          { projection: { _id: 0, share_id: 1, created_at: 1, expires_at: 1 } },
        )
        .toArray();
      break;
    case 'exportThreads': {
      // The list, then each thread whole, one JSON line each.
      const list = await threads.find({ user_id: spec.userId }, { projection: LIST, limit: 101, batchSize: 102 }).toArray();
      const lines: string[] = [];
      for (const t of list)
        lines.push(JSON.stringify(await threads.findOne({ thread_id: t.thread_id, user_id: spec.userId }, { projection: { _id: 0 } })));
      answer = lines.join('\n');
      break;
    }
    case 'revokeShare':
      answer = await db.collection('shared_threads').deleteMany({
        share_id: spec.shareId,
        user_id: spec.userId,
        ...unexpired,
      });
      break;
    case 'eraseThreads': {
      // A person's data, found and removed: shares, threads (in pages), overflow chunks, counters, migration marks.
      const shares = db.collection('shared_threads');
      await shares.find({ user_id: spec.userId }, { projection: { _id: 0, share_id: 1 } }).toArray();
      await shares.deleteMany({ user_id: spec.userId });
      await threads.find({ user_id: spec.userId }, { projection: { _id: 0, thread_id: 1 }, limit: 250 }).toArray();
      await db.collection('thread_message_chunks').deleteMany({ user_id: spec.userId });
      await db
        .collection<{ _id: string }>('threads')
        .deleteMany({ _id: { $gte: `limits:${spec.userId}:`, $lt: `limits:${spec.userId};` } });
      answer = await db.collection<{ _id: string }>('legacy_migrated_users').deleteOne({ _id: spec.userId });
      break;
    }
    default:
      throw new Error(`no floor for ${spec.route}`);
  }
  return { status: 200, bytes: Buffer.byteLength(JSON.stringify(answer ?? null)) };
}
