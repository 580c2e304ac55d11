/**
 * Threads that outgrow one document: with a small MAX_THREAD_DOC_BYTES (the test server does not enforce
 * MongoDB's 16 MB limit, so our own threshold is what is tested), appends move the oldest messages into
 * overflow chunks and every read still sees one continuous thread.
 */
import { BSON } from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '#lib/blocks/types.js';
import { newUser, tokenFor } from '#support/auth.js';
import { call } from '#support/lambda.js';
import { bigMessage, OVERFLOW_LIMIT as LIMIT, smallThreadDocs } from '#test/support/overflow.js';

smallThreadDocs('overflow');

let mod: {
  store: typeof import('#lib/threads/mongo-store.js');
  overflow: typeof import('#lib/threads/overflow.js');
  service: typeof import('#lib/services/threads.js');
  getThread: unknown;
  deleteThread: unknown;
  shareThread: unknown;
  getShare: unknown;
};

beforeAll(async () => {
  mod = {
    store: await import('#lib/threads/mongo-store.js'),
    overflow: await import('#lib/threads/overflow.js'),
    service: await import('#lib/services/threads.js'),
    getThread: (await import('#functions/get-thread.js')).handler,
    deleteThread: (await import('#functions/delete-thread.js')).handler,
    shareThread: (await import('#functions/share-thread.js')).handler,
    getShare: (await import('#functions/get-share.js')).handler,
  };
});

async function threadWith(user: string, count: number, kb: number): Promise<{ id: string; sent: Message[] }> {
  const t = await mod.service.createThread(user, { initial_source: 'web', metadata: {} });
  const sent: Message[] = [];
  for (let i = 0; i < count; i++) {
    const m = bigMessage(i, kb);
    expect(await mod.store.mongoThreadStore.appendMessages(user, t.thread_id, [m], new Date())).toBe(true);
    sent.push(m);
  }
  return { id: t.thread_id, sent };
}

describe('thread document size', () => {
  it('keeps the document under the threshold by moving old messages to chunks', async () => {
    const user = newUser();
    const { id, sent } = await threadWith(user, 40, 6); // ~240 KiB of messages, threshold 64 KiB
    const doc = await (await mod.store.threadsCollection()).findOne({ thread_id: id });
    const docBytes = BSON.calculateObjectSize(doc!);
    expect(docBytes).toBeLessThan(LIMIT + 4096);
    expect(doc!.size_bytes).toBe(mod.overflow.messageBytes(doc!.messages));
    expect(doc!.overflow_chunks).toBeGreaterThan(1);
    const chunks = await (await mod.overflow.chunksCollection()).find({ thread_id: id }).sort({ seq: 1 }).toArray();
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    const stored = [...chunks.flatMap((c) => c.messages), ...doc!.messages].map((m) => m.id);
    expect(stored).toEqual(sent.map((m) => m.id));
  });

  it('serves one continuous thread through get-thread, with paging across chunks', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const { id, sent } = await threadWith(user, 30, 6);
    const path = { pathParameters: { thread_id: id } };
    const whole = await call(mod.getThread, { token, ...path });
    expect(whole.status).toBe(200);
    expect(whole.json.messages.map((m: Message) => m.id)).toEqual(sent.map((m) => m.id));
    expect(whole.json.messages[0].content).toEqual(sent[0]!.content);
    const ids: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await call(mod.getThread, { token, ...path, query: { limit: '7', ...(before ? { before } : {}) } });
      const pageIds = page.json.messages.map((m: Message) => m.id);
      ids.unshift(...pageIds);
      if (!page.json.has_more) break;
      before = pageIds[0];
    }
    expect(ids).toEqual(sent.map((m) => m.id));
  });

  it('does not duplicate a message when a spill was interrupted after writing its chunk', async () => {
    const user = newUser();
    const { id, sent } = await threadWith(user, 8, 6);
    // Simulate a crash: a chunk holding the two oldest messages exists, but they were never pulled from the thread.
    const doc = await (await mod.store.threadsCollection()).findOne({ thread_id: id });
    const seq = doc!.overflow_chunks ?? 0;
    await (
      await mod.overflow.chunksCollection()
    ).insertOne({
      thread_id: id,
      user_id: user,
      seq,
      messages: doc!.messages.slice(0, 2),
      size_bytes: mod.overflow.messageBytes(doc!.messages.slice(0, 2)),
      created_at: new Date(),
    });
    const record = await mod.service.getThread(user, id);
    expect(record.messages.map((m) => m.id)).toEqual(sent.map((m) => m.id));
    // The next spills reuse that chunk and pull exactly its messages: in storage (not only as read), every message
    // is held once, in order, in chunks numbered without a gap.
    for (let i = 8; i < 20; i++) await mod.store.mongoThreadStore.appendMessages(user, id, [bigMessage(i, 6)], new Date());
    const all = [...sent, ...Array.from({ length: 12 }, (_, k) => bigMessage(k + 8, 1))].map((m) => m.id);
    const after = await mod.service.getThread(user, id);
    expect(after.messages.map((m) => m.id)).toEqual(all);
    const chunks = await (await mod.overflow.chunksCollection()).find({ thread_id: id }).sort({ seq: 1 }).toArray();
    const doc2 = await (await mod.store.threadsCollection()).findOne({ thread_id: id });
    expect(chunks.length).toBeGreaterThan(seq + 1);
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    expect(chunks[seq]!.messages.map((m: Message) => m.id)).toEqual(sent.slice(0, 2).map((m) => m.id));
    expect([...chunks.flatMap((c) => c.messages), ...doc2!.messages].map((m) => m.id)).toEqual(all);
  });

  it('keeps every message when appends race with spills', async () => {
    const user = newUser();
    const t = await mod.service.createThread(user, { initial_source: 'web', metadata: {} });
    const msgs = Array.from({ length: 30 }, (_, i) => bigMessage(i, 5));
    const results = await Promise.all(msgs.map((m) => mod.store.mongoThreadStore.appendMessages(user, t.thread_id, [m], new Date())));
    expect(results.every(Boolean)).toBe(true);
    const record = await mod.service.getThread(user, t.thread_id);
    expect(record.messages.map((m) => m.id).sort()).toEqual(msgs.map((m) => m.id).sort());
  });

  it('deletes the chunks with the thread, and a share snapshot holds the whole thread', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const { id, sent } = await threadWith(user, 16, 4);
    const shared = await call(mod.shareThread, { method: 'POST', token, pathParameters: { id } });
    expect(shared.status).toBe(201);
    const del = await call(mod.deleteThread, { method: 'DELETE', token, pathParameters: { thread_id: id } });
    expect(del.status).toBe(204);
    expect(await (await mod.overflow.chunksCollection()).countDocuments({ thread_id: id })).toBe(0);
    const read = await call(mod.getShare, { pathParameters: { id: shared.json.share_id } });
    expect(read.json.messages.map((m: Message) => m.id)).toEqual(sent.map((m) => m.id));
  });
});
