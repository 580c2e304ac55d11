/**
 * The MongoDB thread store's calls made by the legacy copy and the migration (packForMongo, writeChunks) and by
 * account erasure (eraseUserThreads, deleteUserChunks and their counts), against the test server, with a small
 * MAX_THREAD_DOC_BYTES so packing splits threads into chunks.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Message } from '#lib/blocks/types.js';
import { ConflictError, NotFoundError } from '#lib/errors.js';
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

describe('packForMongo at its edges', () => {
  it('closes a chunk once exactly half the threshold is left, even when the next message would fit in it', () => {
    const half = LIMIT / 2;
    // a fills chunk 0 alone; b leaves exactly half behind (c would still fit beside it), so the document keeps c and d.
    const doc = threadDoc('u', [sized('a', half), sized('b', half / 2), sized('c', 100), sized('d', half - 100)]);
    const packed = overflow.packForMongo(doc);
    expect(packed.chunks.map((c) => ids(c.messages))).toEqual([['a'], ['b']]);
    expect(packed.doc).toMatchObject({ messages: doc.messages.slice(2), size_bytes: half, overflow_chunks: 2 });
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

  it('takes a duplicate key from a racing upsert as written, and throws any other failure', async () => {
    const { Collection, MongoServerError } = await import('mongodb');
    const doc = threadDoc(
      newUser(),
      Array.from({ length: 10 }, (_, i) => bigMessage(i, 10)),
    );
    const { chunks } = overflow.packForMongo(doc);
    const refuse = (err: Error) => vi.spyOn(Collection.prototype, 'updateOne').mockRejectedValueOnce(err);
    const dup = refuse(new MongoServerError({ message: 'E11000 duplicate key', code: 11000 }));
    await overflow.writeChunks(chunks.slice(0, 1));
    dup.mockRestore();
    const other = new MongoServerError({ message: 'not allowed', code: 13 });
    const failing = refuse(other);
    await expect(overflow.writeChunks(chunks.slice(1))).rejects.toBe(other);
    failing.mockRestore();
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

const msgAt = (id: string, role: 'user' | 'assistant', s: number): Message => ({
  id,
  role,
  content: [{ type: 'text', text: id }],
  created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, s)),
});
async function newThread(user: string, messages: Message[] = [], extra: Partial<ThreadDoc> = {}): Promise<ThreadDoc> {
  const doc = threadDoc(user, messages, extra);
  await store.mongoThreadStore.create(doc);
  return doc;
}
const storedDoc = async (id: string) => (await store.threadsCollection()).findOne({ thread_id: id }, { projection: { _id: 0 } });

describe('appends', () => {
  it('hold a reply lease: only its holder appends until it is released or runs out, and renewing needs the lease', async () => {
    const user = newUser();
    const { thread_id: id } = await newThread(user);
    const s = store.mongoThreadStore;
    const until = new Date(Date.now() + 60_000);
    expect(await s.appendMessages(user, id, [msgAt('q1', 'user', 1)], t0, { lease: { id: 'L1', until } })).toBe(true);
    expect((await storedDoc(id))!.reply).toEqual({ lease: 'L1', until });
    const busy = new ConflictError(store.REPLY_IN_PROGRESS);
    await expect(s.appendMessages(user, id, [msgAt('q2', 'user', 2)], t0)).rejects.toEqual(busy);
    await expect(s.appendMessages(user, id, [msgAt('q2', 'user', 2)], t0, { lease: { id: 'L2' } })).rejects.toEqual(busy);
    expect(await s.appendMessages(user, id, [msgAt('a1', 'assistant', 3)], t0, { lease: { id: 'L1' } })).toBe(true);

    const later = new Date(Date.now() + 120_000);
    expect(await s.renewReplyLease(id, 'L2', later)).toBe(false);
    expect(await s.renewReplyLease(id, 'L1', later)).toBe(true);
    expect((await storedDoc(id))!.reply).toEqual({ lease: 'L1', until: later });
    await s.releaseReplyLease(id, 'L2');
    await expect(s.appendMessages(user, id, [msgAt('q2', 'user', 4)], t0)).rejects.toEqual(busy);
    await s.releaseReplyLease(id, 'L1');
    expect((await storedDoc(id))!.reply).toBeUndefined();
    expect(await s.appendMessages(user, id, [msgAt('q2', 'user', 4)], t0)).toBe(true);

    // A lease that ran out no longer holds the thread.
    expect(await s.appendMessages(user, id, [msgAt('q3', 'user', 5)], t0, { lease: { id: 'L3', until: new Date(Date.now() - 1) } })).toBe(
      true,
    );
    expect(await s.appendMessages(user, id, [msgAt('q4', 'user', 6)], t0)).toBe(true);
    expect((await storedDoc(id))!.messages.map((m) => m.id)).toEqual(['q1', 'a1', 'q2', 'q3', 'q4']);
  });

  it('of nothing succeed at once; to a thread that is not the caller’s, are false and write nothing', async () => {
    const [user, other] = [newUser(), newUser()];
    const { thread_id: id } = await newThread(user);
    expect(await store.mongoThreadStore.appendMessages(other, id, [], t0)).toBe(true);
    expect(await store.mongoThreadStore.appendMessages(other, id, [msgAt('q1', 'user', 1)], t0, { name: 'theirs' })).toBe(false);
    expect(await store.mongoThreadStore.appendMessages(user, crypto.randomUUID(), [msgAt('q1', 'user', 1)], t0)).toBe(false);
    expect(await storedDoc(id)).toMatchObject({ messages: [], name: null });
  });

  it('move updated_at forward only, and a retried append names the thread without storing the message twice', async () => {
    const user = newUser();
    const { thread_id: id } = await newThread(user);
    const s = store.mongoThreadStore;
    const [early, late] = [new Date(Date.UTC(2026, 1, 1)), new Date(Date.UTC(2026, 2, 1))];
    expect(await s.appendMessages(user, id, [msgAt('q1', 'user', 1)], late)).toBe(true);
    expect(await s.appendMessages(user, id, [msgAt('a1', 'assistant', 2)], early)).toBe(true);
    expect((await storedDoc(id))!.updated_at).toEqual(late);
    expect(await s.appendMessages(user, id, [msgAt('q1', 'user', 1)], late, { name: 'named on retry' })).toBe(true);
    expect(await storedDoc(id)).toMatchObject({ name: 'named on retry', messages: [{ id: 'q1' }, { id: 'a1' }] });
    expect(await s.appendMessages(user, id, [msgAt('q1', 'user', 1)], late, { name: 'not again' })).toBe(true);
    expect((await storedDoc(id))!.name).toBe('named on retry');
  });

  it('fail after their rounds, rather than loop, when spilling cannot make room', async () => {
    const user = newUser();
    const { thread_id: id } = await newThread(user);
    // A size counter far above what the document holds: nothing left to move out, no room made.
    await (await store.threadsCollection()).updateOne({ thread_id: id }, { $set: { size_bytes: 10 * LIMIT } });
    await expect(store.mongoThreadStore.appendMessages(user, id, [msgAt('q1', 'user', 1)], t0)).rejects.toThrow(
      'could not make room in the thread document',
    );
  });
});

describe('reads', () => {
  const six = () => [1, 2, 3, 4, 5, 6].map((i) => msgAt(`m${i}`, i % 2 ? 'user' : 'assistant', i));

  it('return the metadata and the page asked for, whole, latest, before an id, and in an overflowed thread', async () => {
    const user = newUser();
    const metadata = { app: 'ios', n: 1 };
    const { thread_id: id } = await newThread(user, six(), { metadata });
    const get = (page?: { limit?: number; before?: string }) => store.mongoThreadStore.get(user, id, page);
    const shape = (r: Awaited<ReturnType<typeof get>>) => [r!.metadata, ids(r!.messages), r!.has_more];
    expect(shape(await get())).toEqual([metadata, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'], false]);
    expect(shape(await get({ limit: 6 }))).toEqual([metadata, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'], false]);
    expect(shape(await get({ limit: 5 }))).toEqual([metadata, ['m2', 'm3', 'm4', 'm5', 'm6'], true]);
    expect(shape(await get({ before: 'm5', limit: 2 }))).toEqual([metadata, ['m3', 'm4'], true]);
    expect(shape(await get({ before: 'm3' }))).toEqual([metadata, ['m1', 'm2'], false]);
    await expect(get({ before: 'm9', limit: 2 })).rejects.toEqual(new NotFoundError('Message not found'));
    expect(await store.mongoThreadStore.get(newUser(), id)).toBeNull();

    await overflow.spillOldest(await store.threadsCollection(), user, id, LIMIT);
    expect((await storedDoc(id))!.overflow_chunks).toBe(1);
    expect(shape(await get())).toEqual([metadata, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'], false]);
    expect(shape(await get({ before: 'm5', limit: 2 }))).toEqual([metadata, ['m3', 'm4'], true]);
  });

  it('joins chunks in their order, and give null when an overflowed thread goes between its two reads', async () => {
    const user = newUser();
    const { thread_id: id } = await newThread(user, [msgAt('m5', 'user', 5)]);
    await (await store.threadsCollection()).updateOne({ thread_id: id }, { $set: { overflow_chunks: 2 } });
    const chunk = (seq: number, messages: Message[]) => ({ thread_id: id, user_id: user, seq, messages, size_bytes: 1, created_at: t0 });
    await overflow.writeChunks([chunk(1, [msgAt('m3', 'user', 3), msgAt('m4', 'assistant', 4)]), chunk(0, [msgAt('m1', 'user', 1)])]);
    expect(ids((await store.mongoThreadStore.get(user, id))!.messages)).toEqual(['m1', 'm3', 'm4', 'm5']);

    const { Collection } = await import('mongodb');
    const original = Collection.prototype.findOne as (...args: unknown[]) => Promise<unknown>;
    const spy = vi.spyOn(Collection.prototype, 'findOne').mockImplementation(async function (
      this: InstanceType<typeof Collection>,
      ...args: unknown[]
    ) {
      if (this.collectionName === store.THREADS) await this.deleteOne({ thread_id: id });
      return original.apply(this, args);
    } as never);
    try {
      expect(await store.mongoThreadStore.get(user, id, { before: 'm5' })).toBeNull();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('the list', () => {
  it('gives up to `limit` summaries after the cursor, newest first, ties by thread_id', async () => {
    const user = newUser();
    const at = (d: number) => new Date(Date.UTC(2026, 4, d));
    const made = [await newThread(user, [], { updated_at: at(3) }), await newThread(user, [], { updated_at: at(2) })];
    const tied = [await newThread(user, [], { updated_at: at(1) }), await newThread(user, [], { updated_at: at(1) })];
    const order = [...made, ...tied.sort((a, b) => (a.thread_id < b.thread_id ? 1 : -1))].map((d) => d.thread_id);
    const list = async (page: { limit?: number; after?: { updatedAt: Date; threadId: string } }) =>
      (await store.mongoThreadStore.list(user, page)).map((s) => s.thread_id);
    expect(await list({})).toEqual(order);
    expect(await list({ limit: 2 })).toEqual(order.slice(0, 2));
    expect(await list({ limit: 2, after: { updatedAt: at(2), threadId: order[1]! } })).toEqual(order.slice(2));
    expect(await list({ limit: 5, after: { updatedAt: at(1), threadId: order[2]! } })).toEqual(order.slice(3));
  });
});

describe('creates and deletes', () => {
  it('refuse a second thread with a taken id, also when it is found on a retry (another user holds it)', async () => {
    const [user, other] = [newUser(), newUser()];
    const doc = await newThread(user);
    await expect(store.mongoThreadStore.create(doc)).rejects.toMatchObject({ code: 11000 });
    const { Collection, MongoNetworkError } = await import('mongodb');
    const originalInsert = Collection.prototype.insertOne as (...args: unknown[]) => Promise<unknown>;
    let failed = 0;
    const spy = vi.spyOn(Collection.prototype, 'insertOne').mockImplementation(async function (
      this: InstanceType<typeof Collection>,
      ...args: unknown[]
    ) {
      // The first attempt fails before writing anything; the retry then meets the other user's thread.
      if (failed++ === 0) throw new MongoNetworkError('connection reset before the write');
      return originalInsert.apply(this, args);
    } as never);
    try {
      await expect(store.mongoThreadStore.create({ ...doc, user_id: other })).rejects.toMatchObject({ code: 11000 });
      expect(failed).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(await store.countUserThreads(other)).toBe(0);
  });

  it('delete a thread with its chunks only, and answer false for a thread that is not there', async () => {
    const [user, other] = [newUser(), newUser()];
    const doc = threadDoc(
      user,
      Array.from({ length: 10 }, (_, i) => bigMessage(i, 10)),
    );
    const packed = overflow.packForMongo(doc);
    await overflow.writeChunks(packed.chunks);
    await store.mongoThreadStore.create(packed.doc);
    const kept = overflow.packForMongo(threadDoc(other, doc.messages));
    await overflow.writeChunks(kept.chunks);
    await store.mongoThreadStore.create(kept.doc);

    expect(await store.mongoThreadStore.delete(user, crypto.randomUUID())).toBe(false);
    expect(await store.mongoThreadStore.delete(other, doc.thread_id)).toBe(false);
    expect(await store.mongoThreadStore.delete(user, doc.thread_id)).toBe(true);
    expect([await store.countUserThreads(user), await overflow.countUserChunks(user)]).toEqual([0, 0]);
    expect([await store.countUserThreads(other), await overflow.countUserChunks(other)]).toEqual([1, 3]);
  });
});

describe('spilling old messages to a chunk', () => {
  const four = () => ['a', 'b', 'c', 'd'].map((id) => sized(id, 10_000));
  const chunkOf = async (id: string) => (await overflow.chunksCollection()).findOne({ thread_id: id, seq: 0 }, { projection: { _id: 0 } });
  const spill = async (user: string, id: string, incoming: number) =>
    overflow.spillOldest(await store.threadsCollection(), user, id, incoming);

  it('moves the oldest messages until the rest and the incoming bytes fit in half the threshold, and counts it', async () => {
    const { metrics } = await import('#lib/observability.js');
    const counted = vi.spyOn(metrics, 'addMetric');
    try {
      const user = newUser();
      // 40,000 bytes; half the threshold is 32,768: with 2,768 incoming, moving one message leaves exactly 30,000.
      const one = await newThread(user, four());
      await spill(user, one.thread_id, 2_768);
      expect(await chunkOf(one.thread_id)).toMatchObject({ seq: 0, messages: one.messages.slice(0, 1), size_bytes: 10_000, edit_seq: 0 });
      expect(await storedDoc(one.thread_id)).toMatchObject({ messages: one.messages.slice(1), size_bytes: 30_000, overflow_chunks: 1 });
      expect(counted).toHaveBeenCalledWith('ThreadOverflowChunks', 'Count', 1);
      const two = await newThread(user, four());
      await spill(user, two.thread_id, 7_768);
      expect(ids((await chunkOf(two.thread_id))!.messages)).toEqual(['a', 'b']);
      expect(await storedDoc(two.thread_id)).toMatchObject({ size_bytes: 20_000, overflow_chunks: 1 });
    } finally {
      counted.mockRestore();
    }
  });

  it('does nothing for a thread that is not there or already small enough', async () => {
    const user = newUser();
    const small = await newThread(user, four().slice(0, 3)); // 30,000 bytes: within half the threshold
    await spill(newUser(), small.thread_id, 0);
    await spill(user, small.thread_id, 0);
    expect(await chunkOf(small.thread_id)).toBeNull();
    expect(await storedDoc(small.thread_id)).toMatchObject({ messages: small.messages, size_bytes: 30_000, overflow_chunks: 0 });
  });

  it('moves messages of a document written before its counters existed', async () => {
    const user = newUser();
    const doc = threadDoc(user, four());
    await (await store.threadsCollection()).insertOne({ ...doc });
    await spill(user, doc.thread_id, 2_768);
    expect(ids((await chunkOf(doc.thread_id))!.messages)).toEqual(['a']);
    expect(await storedDoc(doc.thread_id)).toMatchObject({ messages: doc.messages.slice(1), overflow_chunks: 1 });
  });

  it.each([
    ['without an edit_seq (written before edits were counted)', {}],
    ['from an older read', { edit_seq: 0 }],
  ])('brings an interrupted spill’s chunk %s up to the edited copies before pulling them', async (_what, rev) => {
    const user = newUser();
    const doc = await newThread(user, four());
    const col = await store.threadsCollection();
    const edited = { ...doc.messages[0]!, feedback: { class: 'thumbsup' } };
    await col.updateOne({ thread_id: doc.thread_id }, { $set: { 'messages.0': edited, edit_seq: 1 } });
    const stale = {
      thread_id: doc.thread_id,
      user_id: user,
      seq: 0,
      messages: [doc.messages[0]!],
      size_bytes: 10_000,
      created_at: t0,
      ...rev,
    };
    await overflow.writeChunks([stale]);
    await spill(user, doc.thread_id, 2_768);
    const bytes = overflow.messageBytes([edited]);
    expect(await chunkOf(doc.thread_id)).toMatchObject({ messages: [edited], size_bytes: bytes, edit_seq: 1 });
    expect(await storedDoc(doc.thread_id)).toMatchObject({
      messages: doc.messages.slice(1),
      size_bytes: 40_000 - bytes,
      overflow_chunks: 1,
    });
  });

  it.each([
    ['a chunk from a newer read', () => ({ edit_seq: 5, messages: [sized('a', 10_000)] })],
    ['a chunk whose messages another spill already pulled', () => ({ messages: [sized('z', 10_000)] })],
    ['a chunk some of whose messages another spill already pulled', () => ({ messages: [sized('a', 10_000), sized('z', 10_000)] })],
  ])('leaves the thread as it is when it meets %s', async (_what, makeChunk) => {
    const chunk = makeChunk();
    const user = newUser();
    const doc = await newThread(user, four());
    await (await store.threadsCollection()).updateOne({ thread_id: doc.thread_id }, { $set: { edit_seq: 1 } });
    await overflow.writeChunks([{ thread_id: doc.thread_id, user_id: user, seq: 0, size_bytes: 10_000, created_at: t0, ...chunk }]);
    await spill(user, doc.thread_id, 2_768);
    expect(await storedDoc(doc.thread_id)).toMatchObject({ messages: doc.messages, size_bytes: 40_000, overflow_chunks: 0 });
    expect(await chunkOf(doc.thread_id)).toMatchObject(chunk);
  });
});

describe('feedback in place', () => {
  const counted = async (id: string) => {
    const doc = (await storedDoc(id))!;
    const chunk = await (await overflow.chunksCollection()).findOne({ thread_id: id, seq: 0 });
    return {
      doc: [doc.size_bytes, overflow.messageBytes(doc.messages)],
      chunk: chunk && [chunk.size_bytes, overflow.messageBytes(chunk.messages)],
    };
  };

  it('keeps the first created_at (the earliest write), returns what it stored, and keeps the size counters exact', async () => {
    const user = newUser();
    const doc = await newThread(user, [
      sized('q', 10_000),
      { ...sized('a', 10_000), role: 'assistant' },
      { ...sized('b', 100), role: 'assistant' },
    ]);
    const [t1, t2, t3] = [new Date(Date.UTC(2026, 3, 2)), new Date(Date.UTC(2026, 3, 1)), new Date(Date.UTC(2026, 3, 3))];
    const set = (id: string, at: Date, comment: string | null = null) =>
      store.setMessageFeedback(user, doc.thread_id, id, { class: 'thumbsdown', comment }, at);
    const stored = async (id: string) => (await storedDoc(doc.thread_id))!.messages.find((m) => m.id === id)!.feedback;

    expect(await set('b', t1)).toEqual({ class: 'thumbsdown', comment: null, created_at: t1, updated_at: t1 });
    expect(await set('b', t2, 'earlier clock')).toEqual({ class: 'thumbsdown', comment: 'earlier clock', created_at: t2, updated_at: t2 });
    expect(await stored('b')).toEqual({ class: 'thumbsdown', comment: 'earlier clock', created_at: t2, updated_at: t2 });
    expect(await set('b', t3)).toEqual({ class: 'thumbsdown', comment: null, created_at: t2, updated_at: t3 });
    const exact = async () => {
      const c = await counted(doc.thread_id);
      expect(c.doc[0]).toBe(c.doc[1]);
      if (c.chunk) expect(c.chunk[0]).toBe(c.chunk[1]);
    };
    await exact();

    // In a chunk: the oldest assistant message moved out, its feedback written there.
    await overflow.spillOldest(await store.threadsCollection(), user, doc.thread_id, 2_768 + 20_000);
    expect(ids((await (await overflow.chunksCollection()).findOne({ thread_id: doc.thread_id }))!.messages)).toEqual(['q', 'a']);
    expect(await set('a', t1, 'in a chunk')).toMatchObject({ comment: 'in a chunk', created_at: t1 });
    await exact();
    expect(await store.removeMessageFeedback(user, doc.thread_id, 'a')).toEqual({
      removed: { class: 'thumbsdown', comment: 'in a chunk', created_at: t1, updated_at: t1 },
    });
    expect(await store.removeMessageFeedback(user, doc.thread_id, 'b')).toMatchObject({ removed: { created_at: t2 } });
    expect(await store.removeMessageFeedback(user, doc.thread_id, 'b')).toEqual({ removed: undefined });
    await exact();
    expect(await store.removeMessageFeedback(user, doc.thread_id, 'q')).toBeNull();
  });
});
