/**
 * Feedback on long threads whose oldest messages moved to overflow chunks (small MAX_THREAD_DOC_BYTES, as in
 * overflow.test.ts): written where the message lives, kept when a spill moves the message while feedback lands,
 * and the size counter stays exact.
 */
import type { Collection } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ThreadDoc } from '#lib/threads/types.js';
import { newUser, tokenFor } from '#support/auth.js';
import { call } from '#support/lambda.js';
import { bigMessage, smallThreadDocs } from '#test/support/overflow.js';

smallThreadDocs('feedback_overflow');

let mod: {
  store: typeof import('#lib/threads/mongo-store.js');
  overflow: typeof import('#lib/threads/overflow.js');
  service: typeof import('#lib/services/threads.js');
  getThread: unknown;
  setFeedback: unknown;
  deleteFeedback: unknown;
};

beforeAll(async () => {
  mod = {
    store: await import('#lib/threads/mongo-store.js'),
    overflow: await import('#lib/threads/overflow.js'),
    service: await import('#lib/services/threads.js'),
    getThread: (await import('#functions/get-thread.js')).handler,
    setFeedback: (await import('#functions/set-feedback.js')).handler,
    deleteFeedback: (await import('#functions/delete-feedback.js')).handler,
  };
});

async function threadWith(user: string, count: number, kb: number): Promise<string> {
  const t = await mod.service.createThread(user, { initial_source: 'web', metadata: {} });
  for (let i = 0; i < count; i++) {
    expect(await mod.store.mongoThreadStore.appendMessages(user, t.thread_id, [bigMessage(i, kb)], new Date())).toBe(true);
  }
  return t.thread_id;
}

const feedbackCall = (method: 'POST' | 'DELETE', token: string, threadId: string, messageId: string, body?: unknown) =>
  call(method === 'POST' ? mod.setFeedback : mod.deleteFeedback, {
    method,
    token,
    resource: '/api/v3/threads/{thread_id}/messages/{message_id}/feedback',
    pathParameters: { thread_id: threadId, message_id: messageId },
    body,
  });
const rate = (token: string, threadId: string, messageId: string, cls = 'thumbsup', comment?: string) =>
  feedbackCall('POST', token, threadId, messageId, { class: cls, ...(comment === undefined ? {} : { comment }) });

const threadDoc = async (id: string) => (await (await mod.store.threadsCollection()).findOne({ thread_id: id }))!;
const chunkDocs = async (id: string) => (await mod.overflow.chunksCollection()).find({ thread_id: id }).sort({ seq: 1 }).toArray();
/** The thread as every read sees it: chunks and document joined. */
const visible = async (user: string, id: string) => (await mod.service.getThread(user, id)).messages;
const feedbackOf = async (user: string, id: string, messageId: string) =>
  (await visible(user, id)).find((m) => m.id === messageId)?.feedback;

describe('feedback on messages in overflow chunks', () => {
  it('is stored in the chunk that holds the message, shown by GET, and removed from it', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const id = await threadWith(user, 40, 6);
    const chunksBefore = await chunkDocs(id);
    expect(chunksBefore[0]!.messages.map((m) => m.id)).toContain('m001');
    const docBefore = await threadDoc(id);
    const res = await rate(token, id, 'm001', 'thumbsdown', 'incomplete');
    expect(res.status).toBe(200);
    const chunks = await chunkDocs(id);
    expect(chunks[0]!.messages.find((m) => m.id === 'm001')!.feedback).toEqual({
      class: 'thumbsdown',
      comment: 'incomplete',
      created_at: new Date(res.json.created_at),
      updated_at: new Date(res.json.updated_at),
    });
    expect(chunks[0]!.size_bytes).toBe(mod.overflow.messageBytes(chunks[0]!.messages));
    // Only that message changed; the document's messages did not.
    expect(chunks.flatMap((c) => c.messages).map(({ feedback: _f, ...m }) => m)).toEqual(chunksBefore.flatMap((c) => c.messages));
    expect((await threadDoc(id)).messages).toEqual(docBefore.messages);
    const got = await call(mod.getThread, { token, pathParameters: { thread_id: id }, query: { limit: '100' } });
    expect(got.json.messages.find((m: { id: string }) => m.id === 'm001').feedback).toEqual(res.json);
    const text = await call(mod.getThread, { token, pathParameters: { thread_id: id }, query: { format: 'text' } });
    expect(text.json.messages.find((m: { id: string }) => m.id === 'm001').feedback).toEqual(res.json);

    expect((await feedbackCall('DELETE', token, id, 'm001')).status).toBe(204);
    expect(await feedbackOf(user, id, 'm001')).toBeUndefined();
    expect((await chunkDocs(id)).flatMap((c) => c.messages)).toEqual(chunksBefore.flatMap((c) => c.messages));
  });

  it('is a 400 on a user message and a 404 on an unknown one in an overflowed thread, writing nothing', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const id = await threadWith(user, 40, 6);
    const [doc, chunks] = [await threadDoc(id), await chunkDocs(id)];
    expect((await rate(token, id, 'm000')).status).toBe(400);
    expect((await rate(token, id, 'm999')).status).toBe(404);
    expect((await rate(await tokenFor(newUser()), id, 'm001')).status).toBe(404);
    expect(await threadDoc(id)).toEqual(doc);
    expect(await chunkDocs(id)).toEqual(chunks);
  });

  it('is shown, and then moved with the message, when an interrupted spill left a copy in a chunk too', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const id = await threadWith(user, 40, 6);
    const doc = await threadDoc(id);
    const seq = doc.overflow_chunks!;
    expect(seq).toBeGreaterThan(0);
    // A spill wrote chunk `seq` with the document's two oldest messages and stopped before pulling them.
    const copies = doc.messages.slice(0, 2);
    const rated = copies.find((m) => m.role === 'assistant')!.id;
    await (
      await mod.overflow.chunksCollection()
    ).insertOne({
      thread_id: id,
      user_id: user,
      seq,
      messages: copies,
      size_bytes: mod.overflow.messageBytes(copies),
      created_at: new Date(),
    });
    const res = await rate(token, id, rated, 'redflag', 'offensive');
    expect(res.status).toBe(200);
    // Reads take the document's copy of a message held in both places.
    expect(await feedbackOf(user, id, rated)).toMatchObject({ class: 'redflag', comment: 'offensive' });
    const got = await call(mod.getThread, { token, pathParameters: { thread_id: id } });
    expect(got.json.messages.find((m: { id: string }) => m.id === rated).feedback).toEqual(res.json);
    // The next spill reuses that chunk, brings its copies up to date, and pulls them.
    for (let i = 40; i < 44; i++) await mod.store.mongoThreadStore.appendMessages(user, id, [bigMessage(i, 6)], new Date());
    const chunk = (await chunkDocs(id)).find((c) => c.seq === seq)!;
    expect(chunk.messages.find((m) => m.id === rated)!.feedback).toMatchObject({ class: 'redflag' });
    const after = await threadDoc(id);
    expect(after.messages.map((m) => m.id)).not.toContain(rated);
    expect(after.size_bytes).toBe(mod.overflow.messageBytes(after.messages));
    expect(await feedbackOf(user, id, rated)).toMatchObject({ class: 'redflag', comment: 'offensive' });
  });
});

describe('feedback racing a spill', () => {
  /**
   * The threads collection, with `during` run right after the spill's first read of the document (the moment a
   * spill has copied the messages it will move, before it writes the chunk and pulls them).
   */
  function afterFirstRead(col: Collection<ThreadDoc>, during: () => Promise<unknown>): Collection<ThreadDoc> {
    let done = false;
    return new Proxy(col, {
      get(target, prop) {
        if (prop === 'findOne') {
          return async (...args: Parameters<Collection<ThreadDoc>['findOne']>) => {
            const found = await target.findOne(...args);
            if (!done) {
              done = true;
              await during();
            }
            return found;
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  it('keeps feedback written between a spill’s read and its pull (the spill retries from a fresh read)', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const id = await threadWith(user, 10, 6);
    const col = await mod.store.threadsCollection();
    let written: { status: number; json: Record<string, unknown> } | undefined;
    await mod.overflow.spillOldest(
      afterFirstRead(col, async () => {
        written = await rate(token, id, 'm001', 'thumbsdown', 'landed mid-spill');
      }),
      user,
      id,
      6 * 1024,
    );
    expect(written!.status).toBe(200);
    // Whatever that spill did, every read shows the feedback.
    expect(await feedbackOf(user, id, 'm001')).toEqual({
      class: 'thumbsdown',
      comment: 'landed mid-spill',
      created_at: new Date(written!.json.created_at as string),
      updated_at: new Date(written!.json.updated_at as string),
    });
    // The next spill moves the message with its feedback.
    for (let i = 10; i < 14; i++) await mod.store.mongoThreadStore.appendMessages(user, id, [bigMessage(i, 6)], new Date());
    const chunks = await chunkDocs(id);
    expect(chunks[0]!.messages.find((m) => m.id === 'm001')!.feedback).toMatchObject({ comment: 'landed mid-spill' });
    const doc = await threadDoc(id);
    expect(doc.messages.map((m) => m.id)).not.toContain('m001');
    expect(doc.size_bytes).toBe(mod.overflow.messageBytes(doc.messages));
    expect((await visible(user, id)).map((m) => m.id)).toEqual(Array.from({ length: 14 }, (_, i) => bigMessage(i, 1).id));
  });

  it('brings a chunk left by an earlier, interrupted attempt up to date before pulling (feedback landed since)', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const id = await threadWith(user, 10, 6);
    const doc = await threadDoc(id);
    // An attempt copied the two oldest messages into chunk 0 and stopped; then feedback landed in the document.
    const stale = doc.messages.slice(0, 2);
    await (
      await mod.overflow.chunksCollection()
    ).insertOne({
      thread_id: id,
      user_id: user,
      seq: 0,
      messages: stale,
      size_bytes: mod.overflow.messageBytes(stale),
      created_at: new Date(),
    });
    await (await mod.store.threadsCollection()).updateOne({ thread_id: id }, { $set: { overflow_chunks: 0 } });
    await (await mod.overflow.chunksCollection()).updateOne({ thread_id: id, seq: 0 }, { $unset: { 'messages.1.feedback': '' } });
    expect((await rate(token, id, 'm001', 'redflag', 'offensive')).status).toBe(200);
    await (await mod.overflow.chunksCollection()).updateOne({ thread_id: id, seq: 0 }, { $set: { messages: stale } });
    for (let i = 10; i < 14; i++) await mod.store.mongoThreadStore.appendMessages(user, id, [bigMessage(i, 6)], new Date());
    expect((await chunkDocs(id))[0]!.messages.find((m) => m.id === 'm001')!.feedback).toMatchObject({ class: 'redflag' });
    expect(await feedbackOf(user, id, 'm001')).toMatchObject({ class: 'redflag', comment: 'offensive' });
    const after = await threadDoc(id);
    expect(after.size_bytes).toBe(mod.overflow.messageBytes(after.messages));
  });

  it('loses neither feedback nor messages when feedback on old messages races appends that spill', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const id = await threadWith(user, 10, 6);
    const ops: Promise<unknown>[] = [];
    const rated: string[] = [];
    for (let i = 10; i < 30; i++) {
      ops.push(mod.store.mongoThreadStore.appendMessages(user, id, [bigMessage(i, 6)], new Date()));
      const target = bigMessage(2 * ((i - 10) % 5) + 1, 1).id; // m001, m003, ... m009: the ones that move
      if (!rated.includes(target)) rated.push(target);
      ops.push(rate(token, id, target, 'thumbsup', `round ${i}`));
    }
    const results = await Promise.all(ops);
    expect(results.filter((r) => typeof r === 'object' && (r as { status: number }).status !== 200)).toEqual([]);
    const all = await visible(user, id);
    // Concurrent appends land in any order.
    expect(all.slice(0, 10).map((m) => m.id)).toEqual(Array.from({ length: 10 }, (_, i) => bigMessage(i, 1).id));
    expect(all.map((m) => m.id).sort()).toEqual(Array.from({ length: 30 }, (_, i) => bigMessage(i, 1).id));
    for (const messageId of rated) {
      expect(all.find((m) => m.id === messageId)!.feedback).toMatchObject({ class: 'thumbsup', comment: expect.stringMatching(/^round /) });
    }
    expect((await chunkDocs(id)).length).toBeGreaterThan(0);
    const doc = await threadDoc(id);
    expect(doc.size_bytes).toBe(mod.overflow.messageBytes(doc.messages));
  });
});
