/**
 * The MongoDB thread store's calls made by the legacy copy and the migration (packForMongo, writeChunks) and by
 * account erasure (eraseUserThreads, deleteUserChunks and their counts), against the test server, with a small
 * MAX_THREAD_DOC_BYTES so packing splits threads into chunks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '#lib/blocks/types.js';
import { newUser } from '#support/auth.js';
import type { ThreadDoc } from '#lib/threads/types.js';
import { bigMessage, OVERFLOW_LIMIT as LIMIT, smallThreadDocs } from '#test/support/overflow.js';

smallThreadDocs('store_ops');

let store: typeof import('#lib/threads/mongo-store.js');
let overflow: typeof import('#lib/threads/overflow.js');
beforeAll(async () => {
  store = await import('#lib/threads/mongo-store.js');
  overflow = await import('#lib/threads/overflow.js');
});

const t0 = new Date(Date.UTC(2026, 0, 1));
const threadDoc = (user: string, messages: Message[], extra: Partial<ThreadDoc> = {}): ThreadDoc => ({
  thread_id: crypto.randomUUID(),
  name: null,
  user_id: user,
  initial_source: 'web',
  created_at: t0,
  updated_at: new Date(Date.UTC(2026, 0, 2)),
  metadata: {},
  messages,
  ...extra,
});
/** A user message of exactly `bytes` BSON bytes. */
const sized = (id: string, bytes: number): Message => {
  const empty: Message = { id, role: 'user', content: [{ type: 'text', text: '' }], created_at: t0 };
  const text = 'x'.repeat(bytes - overflow.messageBytes([empty]));
  return { ...empty, content: [{ type: 'text', text }] };
};
const ids = (messages: Message[]) => messages.map((m) => m.id);

describe('packForMongo', () => {
  it('keeps a thread up to the threshold whole, with its size', () => {
    const messages = [sized('a', LIMIT / 2), sized('b', LIMIT / 2)];
    const doc = threadDoc('u', messages);
    expect(overflow.packForMongo(doc)).toStrictEqual({ doc: { ...doc, size_bytes: LIMIT, overflow_chunks: 0 }, chunks: [] });
  });

  it('moves the oldest messages of a longer thread into chunks of at most half the threshold, leaving at most half', () => {
    const messages = Array.from({ length: 10 }, (_, i) => bigMessage(i, 10)); // ~10 KiB each: 3 fit in half of 64 KiB
    const doc = threadDoc('u', messages, { origin: { store: 'legacy', by: 'migration', copied_at: new Date(Date.UTC(2026, 5, 1)) } });
    const { doc: packed, chunks } = overflow.packForMongo(doc);
    expect(chunks.map((c) => [c.seq, ids(c.messages)])).toEqual([
      [0, ['m000', 'm001', 'm002']],
      [1, ['m003', 'm004', 'm005']],
      [2, ['m006']],
    ]);
    for (const c of chunks) {
      expect(c).toStrictEqual({
        thread_id: doc.thread_id,
        user_id: 'u',
        seq: c.seq,
        messages: c.messages,
        size_bytes: overflow.messageBytes(c.messages),
        created_at: new Date(Date.UTC(2026, 5, 1)),
      });
    }
    expect(packed).toStrictEqual({
      ...doc,
      messages: messages.slice(7),
      size_bytes: overflow.messageBytes(messages.slice(7)),
      overflow_chunks: 3,
    });
  });

  it('fills a chunk up to exactly half, puts a message bigger than half alone, and dates chunks by updated_at without an origin', () => {
    const half = LIMIT / 2;
    const exact = threadDoc('u', [sized('a', half / 2), sized('b', half / 2), sized('c', half / 2), sized('d', half / 2 + 1)]);
    expect(overflow.packForMongo(exact).chunks.map((c) => ids(c.messages))).toEqual([['a', 'b'], ['c']]);
    expect(overflow.packForMongo(exact).doc.messages.map((m) => m.id)).toEqual(['d']);
    const huge = threadDoc('u', [sized('big', half + 100), sized('b', half), sized('c', 100)]);
    const packed = overflow.packForMongo(huge);
    expect(packed.chunks.map((c) => [ids(c.messages), c.size_bytes, c.created_at])).toEqual([
      [['big'], half + 100, huge.updated_at],
      [['b'], half, huge.updated_at],
    ]);
    expect(packed.doc).toMatchObject({ messages: [huge.messages[2]], size_bytes: 100, overflow_chunks: 2 });
  });
});

describe('writeChunks', () => {
  it('writes each chunk once: a second write of the same (thread, seq) leaves the first as it is', async () => {
    const doc = threadDoc(
      newUser(),
      Array.from({ length: 10 }, (_, i) => bigMessage(i, 10)),
    );
    const { chunks } = overflow.packForMongo(doc);
    await overflow.writeChunks([]);
    await overflow.writeChunks(chunks);
    await overflow.writeChunks(chunks.map((c) => ({ ...c, messages: [], size_bytes: 0 })));
    await Promise.all([overflow.writeChunks(chunks), overflow.writeChunks(chunks)]);
    const col = await overflow.chunksCollection();
    const stored = await col
      .find({ thread_id: doc.thread_id }, { projection: { _id: 0 } })
      .sort({ seq: 1 })
      .toArray();
    expect(stored).toEqual(chunks);
  });
});

describe('erasure', () => {
  async function seed(user: string, threads: number, chunksEach: number): Promise<string[]> {
    const made: string[] = [];
    for (let i = 0; i < threads; i++) {
      const doc = threadDoc(user, [bigMessage(1, 1)]);
      await store.mongoThreadStore.create(doc);
      const chunks = Array.from({ length: chunksEach }, (_, seq) => ({
        thread_id: doc.thread_id,
        user_id: user,
        seq,
        messages: [bigMessage(0, 1)],
        size_bytes: 1,
        created_at: t0,
      }));
      await overflow.writeChunks(chunks);
      made.push(doc.thread_id);
    }
    return made;
  }

  it('deletes up to `limit` of the user threads with their chunks, nobody else’s, and counts what is left', async () => {
    const [user, other] = [newUser(), newUser()];
    await seed(user, 3, 2);
    await seed(other, 1, 1);
    // An orphan chunk of the user (a legacy copy that wrote its chunks, then crashed before its thread document).
    await overflow.writeChunks([{ thread_id: crypto.randomUUID(), user_id: user, seq: 0, messages: [], size_bytes: 0, created_at: t0 }]);
    expect([await store.countUserThreads(user), await overflow.countUserChunks(user)]).toEqual([3, 7]);

    expect(await store.eraseUserThreads(user, 2)).toEqual({ threads: 2, chunks: 4 });
    expect([await store.countUserThreads(user), await overflow.countUserChunks(user)]).toEqual([1, 3]);
    expect(await store.eraseUserThreads(user, 2)).toEqual({ threads: 1, chunks: 2 });
    expect(await store.eraseUserThreads(user, 2)).toEqual({ threads: 0, chunks: 0 });
    expect(await overflow.deleteUserChunks(user)).toBe(1);
    expect([await store.countUserThreads(user), await overflow.countUserChunks(user)]).toEqual([0, 0]);

    expect([await store.countUserThreads(other), await overflow.countUserChunks(other)]).toEqual([1, 1]);
  });

  it('deletes only the named threads’ chunks of that user', async () => {
    const [user, other] = [newUser(), newUser()];
    const [a, b] = await seed(user, 2, 2);
    const [c] = await seed(other, 1, 1);
    expect(await overflow.deleteChunksOf(user, [a!, c!])).toBe(2);
    const left = await (await overflow.chunksCollection()).find({ thread_id: { $in: [a!, b!, c!] } }).toArray();
    expect(left.map((x) => x.thread_id).sort()).toEqual([b!, b!, c!].sort());
  });
});
