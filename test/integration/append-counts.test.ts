/**
 * An append that carries its rate-limit counts (lib/db/rate-limits.ts, lib/threads/mongo-store.ts): the counts and
 * the append are the ordered statements of one update command, so a full window stops the append. Here: the server
 * behaviour that relies on, a race to open a window, a legacy thread (whose first attempt finds no MongoDB copy), and
 * a reply turn counted as a write and a turn.
 */
import { Collection, MongoBulkWriteError, MongoNetworkError, type AnyBulkWriteOperation, type Document } from 'mongodb';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { insertLegacyRows } from '#scripts/legacy/seed-data.js';
import { cloneSeedThreads } from '#scripts/legacy/synthetic.js';
import { realisticThread } from '#support/bench-data.js';
import { hybridStores } from '#test/support/hybrid.js';
import { newUser, tokenFor } from '#support/auth.js';
import { startFakeAnthropic } from '#support/fake-anthropic.js';
import { callStreaming } from '#support/lambda.js';

const { query } = await hybridStores('append_counts');
const fake = await startFakeAnthropic();
Object.assign(process.env, {
  ANTHROPIC_BASE_URL: fake.url,
  ANTHROPIC_API_KEY: 'test-anthropic-key',
  ANTHROPIC_MAX_RETRIES: '0',
  RATE_LIMIT_WRITES_PER_MINUTE: '5',
  RATE_LIMIT_WRITES_PER_DAY: '0',
  RATE_LIMIT_TURNS_PER_MINUTE: '1',
  RATE_LIMIT_TURNS_PER_DAY: '0',
});

const { handler: addMessage } = await import('#functions/add-message.js');
const { getDb } = await import('#lib/db/mongo.js');
const { refusedAt, windowsOf } = await import('#lib/db/rate-limits.js');
const { repliesSettled } = await import('#lib/agent/reply.js');

afterAll(async () => {
  await repliesSettled();
  await fake.close();
});

const threads = async () => (await getDb()).collection('threads');
const post = async (user: string, threadId: string, body: Record<string, unknown>) =>
  callStreaming(addMessage, { method: 'POST', token: await tokenFor(user), pathParameters: { thread_id: threadId }, body });
const note = (content: string) => ({ role: 'user', content, respond: false });
/** The user's windows by kind: what each counted today. */
const counted = async (user: string) =>
  Object.fromEntries((await (await threads()).find(windowsOf(user)).toArray()).map((d) => [String(d._id).split(':')[2], d.day as number]));

/** An empty thread of the user's (a realistic one of no exchanges), inserted directly: no write counted. */
async function newThread(user: string): Promise<string> {
  const thread = realisticThread(user, 0, 0);
  await (await threads()).insertOne(thread);
  return thread.thread_id;
}

/** The driver's own bulkWrite, for a test that replaces one call of it. */
const real = Collection.prototype.bulkWrite as (this: Collection, ...args: unknown[]) => Promise<unknown>;

/** Adds a note with the next bulkWrite replaced by `once`: answered 201 after one more call (the append's retry). */
async function postThroughOnce(
  user: string,
  threadId: string,
  text: string,
  once: (this: Collection, ...args: unknown[]) => Promise<unknown>,
) {
  const spy = vi.spyOn(Collection.prototype, 'bulkWrite').mockImplementationOnce(once as never);
  try {
    expect((await post(user, threadId, note(text))).status).toBe(201);
    expect(spy).toHaveBeenCalledTimes(2);
  } finally {
    spy.mockRestore();
  }
}

describe('an append carrying its rate-limit count', () => {
  it('runs on a server that stops an ordered update at its first failed statement, as MongoDB does', async () => {
    const col = (await getDb()).collection<{ _id: string; n: number }>(`ordered_${process.pid}`);
    await col.insertMany([
      { _id: 'taken', n: 0 },
      { _id: 'next', n: 0 },
    ]);
    const ops: AnyBulkWriteOperation<{ _id: string; n: number }>[] = [
      { updateOne: { filter: { _id: 'next' }, update: { $inc: { n: 1 } } } },
      { updateOne: { filter: { _id: 'taken', n: { $gt: 5 } }, update: { $inc: { n: 1 } }, upsert: true } },
      { updateOne: { filter: { _id: 'next' }, update: { $inc: { n: 10 } } } },
    ];
    const failed = await col.bulkWrite(ops, { ordered: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(MongoBulkWriteError);
    expect((failed as MongoBulkWriteError).writeErrors).toMatchObject([{ index: 1, code: 11000 }]);
    // The statement before the failure ran; the one after it did not.
    expect(await col.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'next', n: 1 },
      { _id: 'taken', n: 0 },
    ]);
  });

  it('tells a refused count from any other failure of the command', async () => {
    const col = (await getDb()).collection<{ _id: string; n: number }>(`refusals_${process.pid}`);
    await col.insertMany([
      { _id: 'a', n: 0 },
      { _id: 'b', n: 'text' as never },
    ]);
    const failure = (ops: AnyBulkWriteOperation<{ _id: string; n: number }>[]) =>
      col.bulkWrite(ops, { ordered: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
    const full = { updateOne: { filter: { _id: 'a', n: { $gt: 5 } }, update: { $inc: { n: 1 } }, upsert: true } };
    const fine = { updateOne: { filter: { _id: 'a' }, update: { $inc: { n: 1 } } } };
    const atFirst = await failure([full, fine]);
    const atSecond = await failure([fine, full]);
    // A duplicate key among the counts: its index. After them (the write's own statement): not a refusal.
    expect([refusedAt(atFirst, 1), refusedAt(atFirst, 2)]).toEqual([0, 0]);
    expect([refusedAt(atSecond, 1), refusedAt(atSecond, 2)]).toEqual([-1, 1]);
    // Another error among the counts ($inc of a string), a failure that is not a bulk write's, or none.
    const mismatch = await failure([{ updateOne: { filter: { _id: 'b' }, update: { $inc: { n: 1 } } } }, fine]);
    expect(mismatch).toBeInstanceOf(MongoBulkWriteError);
    expect(refusedAt(mismatch, 2)).toBe(-1);
    const single = await col.updateOne(full.updateOne.filter, full.updateOne.update, { upsert: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(single).toMatchObject({ code: 11000 });
    expect([refusedAt(single, 1), refusedAt(new Error('x'), 1), refusedAt(undefined, 1)]).toEqual([-1, -1, -1]);
  });

  it('counts again, and stores once, when another request opened the window between its match and its insert', async () => {
    const user = newUser();
    const id = await newThread(user);
    // The race, reproduced on the server: another request's upsert opens the window, and this one's first statement
    // then finds no match and collides with it on _id (made unmatchable here, as the open window was invisible to it).
    await postThroughOnce(user, id, 'raced', async function (this: Collection, ...args: unknown[]) {
      const [ops, options] = args as [AnyBulkWriteOperation<Document>[], object];
      const first = ops[0] as { updateOne: { filter: Document; update: Document; upsert: boolean } };
      await this.updateOne(first.updateOne.filter, first.updateOne.update, { upsert: true });
      const invisible = { updateOne: { ...first.updateOne, filter: { ...first.updateOne.filter, opened_by_another: true } } };
      return real.call(this, [invisible, ...ops.slice(1)], options);
    });
    const doc = await (await threads()).findOne({ thread_id: id });
    expect(doc!.messages.map((m: { content: { text: string }[] }) => m.content[0]!.text)).toEqual(['raced']);
    // The other request's count and this one's.
    expect(await counted(user)).toEqual({ writes: 2 });
  });

  it('answers 201 when its command is sent again after a lost answer and its own count filled the window', async () => {
    const user = newUser();
    const id = await newThread(user);
    for (let i = 0; i < 4; i++) expect((await post(user, id, note(`n${i}`))).status).toBe(201);
    // The fifth: the command lands (its count fills the window) but its answer is lost, so it is sent again.
    await postThroughOnce(user, id, 'landed once', async function (this: Collection, ...args: unknown[]) {
      await real.apply(this, args);
      throw new MongoNetworkError('connection reset');
    });
    const texts = (await (await threads()).findOne({ thread_id: id }))!.messages.map(
      (m: { content: { text: string }[] }) => m.content[0]!.text,
    );
    expect(texts).toEqual(['n0', 'n1', 'n2', 'n3', 'landed once']);
    expect(await counted(user)).toEqual({ writes: 5 });
    // The window is full for anyone else: refused, nothing stored.
    expect((await post(user, id, note('refused'))).status).toBe(429);
  });

  it('counts an append to a legacy thread once, though its first attempt found no MongoDB copy', async () => {
    const user = newUser();
    const rows = cloneSeedThreads(user);
    await insertLegacyRows(query, rows);
    const res = await post(user, rows.ids.claude, note('to a legacy thread'));
    expect(res.status).toBe(201);
    expect(await counted(user)).toEqual({ writes: 1 });
    const doc = await (await threads()).findOne({ thread_id: rows.ids.claude });
    expect(doc!.messages.at(-1).id).toBe(res.json.id);
  });

  it('stops at a full window: 429, nothing stored, the window not counted further', async () => {
    const user = newUser();
    const id = await newThread(user);
    for (let i = 0; i < 5; i++) expect((await post(user, id, note(`n${i}`))).status).toBe(201);
    const refused = await post(user, id, note('one too many'));
    expect(refused.status).toBe(429);
    expect(refused.json).toEqual({ detail: 'Too many changes: at most 5 per minute, please retry later' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await (await threads()).findOne({ thread_id: id }))!.messages).toHaveLength(5);
    expect(await counted(user)).toEqual({ writes: 5 });
  });

  it('counts a reply turn as a write and a turn; a refused turn stores nothing and calls no model', async () => {
    const user = newUser();
    const id = await newThread(user);
    const first = await post(user, id, { role: 'user', content: 'What is zakat?' });
    expect(first.status).toBe(200);
    await repliesSettled();
    const second = await post(user, id, { role: 'user', content: 'And sadaqa?' });
    expect(second.status).toBe(429);
    expect(second.json.detail).toBe('Too many assistant replies: at most 1 per minute, please retry later');
    expect(fake.requests).toHaveLength(1);
    expect((await (await threads()).findOne({ thread_id: id }))!.messages).toHaveLength(2);
    // The write is counted ahead of the turn, so the refused turn still counts as a change (as every refused change).
    expect(await counted(user)).toEqual({ writes: 2, turns: 1 });
  });
});
