/**
 * Abuse limits through the real handlers: per-user rate limits on assistant turns and on all writes (atomic MongoDB
 * counters), and one reply at a time per thread (a lease taken by the user message, renewed, released at the end).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ThreadDoc } from '#lib/threads/types.js';
import { newUser, tokenFor } from '#support/auth.js';
import { startFakeAnthropic, type FakeAnthropic } from '#support/fake-anthropic.js';
import { call, callStreaming } from '#support/lambda.js';

const TURNS_PER_MINUTE = 20;
const WRITES_PER_MINUTE = 100;
const LEASE_MS = 5000;

let fake: FakeAnthropic;
let mod: {
  addMessage: unknown;
  createThread: unknown;
  threads: Awaited<ReturnType<(typeof import('#lib/threads/mongo-store.js'))['threadsCollection']>>;
  takeRateLimit: (typeof import('#lib/db/rate-limits.js'))['takeRateLimit'];
  counters: () => Promise<import('mongodb').Collection>;
  windowsOf: (typeof import('#lib/db/rate-limits.js'))['windowsOf'];
  repliesSettled: () => Promise<void>;
  closeMongo: () => Promise<void>;
};

beforeAll(async () => {
  fake = await startFakeAnthropic();
  Object.assign(process.env, {
    ANTHROPIC_BASE_URL: fake.url,
    ANTHROPIC_API_KEY: 'test-anthropic-key',
    ANTHROPIC_MAX_RETRIES: '0',
    RATE_LIMIT_TURNS_PER_MINUTE: String(TURNS_PER_MINUTE),
    RATE_LIMIT_WRITES_PER_MINUTE: String(WRITES_PER_MINUTE),
    REPLY_LEASE_MS: String(LEASE_MS),
  });
  const db = await import('#lib/db/mongo.js');
  await (await import('#lib/db/indexes.js')).ensureIndexes(await db.getDb());
  const limits = await import('#lib/db/rate-limits.js');
  mod = {
    addMessage: (await import('#functions/add-message.js')).handler,
    createThread: (await import('#functions/create-thread.js')).handler,
    threads: await (await import('#lib/threads/mongo-store.js')).threadsCollection(),
    takeRateLimit: limits.takeRateLimit,
    counters: async () => (await db.getDb()).collection('threads'),
    windowsOf: limits.windowsOf,
    repliesSettled: (await import('#lib/agent/reply.js')).repliesSettled,
    closeMongo: db.closeMongo,
  };
});
afterAll(async () => {
  await mod?.repliesSettled();
  await mod?.closeMongo();
  await fake?.close();
});
beforeEach(() => fake.reset());

/** Empty threads of one user, inserted directly (no writes counted). */
async function threadsOf(user: string, n: number, over: Partial<ThreadDoc> = {}): Promise<string[]> {
  const now = new Date();
  const docs: ThreadDoc[] = Array.from({ length: n }, () => ({
    thread_id: randomUUID(),
    name: 'a thread',
    user_id: user,
    initial_source: 'web',
    created_at: now,
    updated_at: now,
    metadata: {},
    messages: [],
    ...over,
  }));
  await mod.threads.insertMany(docs.map((d) => ({ ...d })));
  return docs.map((d) => d.thread_id);
}

const post = (token: string, threadId: string, body: unknown, onChunk?: (c: string) => void) =>
  callStreaming(mod.addMessage, { method: 'POST', token, pathParameters: { thread_id: threadId }, body }, onChunk);
const ask = (token: string, threadId: string, content = 'What is zakat?', onChunk?: (c: string) => void) =>
  post(token, threadId, { role: 'user', content }, onChunk);
/**
 * Runs a burst with the clock held in the middle of a minute window (only Date is faked; timers and I/O run for
 * real), so a burst that happens to cross a window boundary cannot split its counts between two windows.
 */
async function midWindow<T>(fn: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Math.floor(Date.now() / 60_000) * 60_000 + 90_000);
  try {
    return await fn();
  } finally {
    vi.useRealTimers();
  }
}

const messagesOf = async (threadId: string) => (await mod.threads.findOne({ thread_id: threadId }))!.messages;

describe('rate limits', () => {
  it(`lets exactly ${TURNS_PER_MINUTE} of 60 concurrent turns through; the rest are 429 with nothing stored and no model call`, async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const ids = await threadsOf(user, 60);
    const results = await midWindow(() => Promise.all(ids.map((id) => ask(token, id))));
    const ok = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    expect([ok.length, limited.length]).toEqual([TURNS_PER_MINUTE, 60 - TURNS_PER_MINUTE]);
    for (const r of limited) {
      expect(r.json).toEqual({ detail: `Too many assistant replies: at most ${TURNS_PER_MINUTE} per minute, please retry later` });
      const wait = Number(r.headers['retry-after']);
      expect(wait >= 1 && wait <= 60).toBe(true);
    }
    expect(fake.requests).toHaveLength(TURNS_PER_MINUTE);
    const counts = await Promise.all(ids.map(async (id) => (await messagesOf(id)).length));
    expect(counts.filter((c) => c === 2)).toHaveLength(TURNS_PER_MINUTE); // question + answer
    expect(counts.filter((c) => c === 0)).toHaveLength(60 - TURNS_PER_MINUTE);
    // Refused requests counted nothing: the window holds exactly what went through.
    const docs = await (await mod.counters()).find(mod.windowsOf(user)).toArray();
    const turns = docs.find((d) => String(d._id).startsWith(`limits:${user}:turns:`))!;
    const windows = Object.entries(turns).filter(([k]) => /^m\d+$/.test(k) || k === 'day');
    expect(windows.map(([, v]) => v)).toEqual([TURNS_PER_MINUTE, TURNS_PER_MINUTE]);
  }, 60_000);

  it(`counts every write together: ${WRITES_PER_MINUTE} of 150 concurrent creates land, the rest are 429`, async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const results = await midWindow(() =>
      Promise.all(Array.from({ length: 150 }, () => call(mod.createThread, { method: 'POST', token, body: {} }))),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(WRITES_PER_MINUTE);
    const limited = results.filter((r) => r.status === 429);
    expect(limited).toHaveLength(150 - WRITES_PER_MINUTE);
    expect(limited[0]!.json.detail).toBe(`Too many changes: at most ${WRITES_PER_MINUTE} per minute, please retry later`);
    expect(await mod.threads.countDocuments({ user_id: user })).toBe(WRITES_PER_MINUTE);
    // Another user is not affected.
    const other = await call(mod.createThread, { method: 'POST', token: await tokenFor(newUser()), body: {} });
    expect(other.status).toBe(201);
  }, 60_000);

  it(`counts a \`respond: false\` append in its own command: ${WRITES_PER_MINUTE} of 150 concurrent appends land, the rest are 429 with nothing stored`, async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const [id] = await threadsOf(user, 1);
    const results = await midWindow(() =>
      Promise.all(Array.from({ length: 150 }, (_, i) => post(token, id!, { role: 'user', content: `note ${i}`, respond: false }))),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(WRITES_PER_MINUTE);
    const limited = results.filter((r) => r.status === 429);
    expect(limited).toHaveLength(150 - WRITES_PER_MINUTE);
    expect(limited[0]!.json.detail).toBe(`Too many changes: at most ${WRITES_PER_MINUTE} per minute, please retry later`);
    // Exactly the admitted messages are stored, and the window counted exactly them.
    const stored = (await messagesOf(id!)).map((m) => m.content[0]);
    expect(stored).toHaveLength(WRITES_PER_MINUTE);
    const admitted = results.flatMap((r) => (r.status === 201 ? [r.json.content[0]] : []));
    expect(new Set(stored.map((b) => JSON.stringify(b)))).toEqual(new Set(admitted.map((b) => JSON.stringify(b))));
    const [writes] = await (await mod.counters()).find(mod.windowsOf(user)).toArray();
    expect(writes).toMatchObject({ day: WRITES_PER_MINUTE });
  }, 60_000);

  it('says when the refusing window ends (Retry-After) and starts afresh in the next window', async () => {
    const user = newUser();
    const minute = 60_000;
    const t0 = Math.floor(Date.now() / minute) * minute + 45_000; // 15 s before the window ends
    for (let i = 0; i < TURNS_PER_MINUTE; i++) await mod.takeRateLimit(user, 'turns', t0);
    const refused = await mod.takeRateLimit(user, 'turns', t0).catch((e: { status: number; headers: Record<string, string> }) => e);
    expect(refused).toMatchObject({ status: 429, headers: { 'Retry-After': '15' } });
    await expect(mod.takeRateLimit(user, 'turns', t0 + 15_000)).resolves.toBeUndefined();
  });
});

describe('one reply at a time per thread', () => {
  it('answers 10 concurrent replies on one thread with one 200 and nine 409s, storing one question and one answer', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const [id] = await threadsOf(user, 1);
    fake.respondWith(() => ({ blocks: [{ type: 'text', text: 'One answer.' }], chunkDelayMs: 20 }));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => ask(token, id!, `question ${i}`)));
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(r.json).toEqual({ detail: 'A reply is being written in this thread; try again when it has finished' });
    }
    const stored = await messagesOf(id!);
    expect(stored.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(fake.requests).toHaveLength(1);
  }, 60_000);

  it('refuses any other append while a reply runs (409, nothing stored), and takes appends again once it ends', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const [id] = await threadsOf(user, 1);
    fake.respondWith(() => ({
      blocks: [{ type: 'text', text: 'A slow answer, word by word, to be sure it is still running.' }],
      chunkDelayMs: 30,
    }));
    let during: Promise<{ status: number; json: unknown }> | undefined;
    const reply = await ask(token, id!, 'first', () => {
      during ??= post(token, id!, { role: 'user', content: 'an import', respond: false });
    });
    expect(reply.status).toBe(200);
    const blocked = await during!;
    expect(blocked).toMatchObject({
      status: 409,
      json: { detail: 'A reply is being written in this thread; try again when it has finished' },
    });
    expect((await messagesOf(id!)).map((m) => m.role)).toEqual(['user', 'assistant']);
    const after = await post(token, id!, { role: 'user', content: 'after the reply', respond: false });
    expect(after.status).toBe(201);
    expect((await mod.threads.findOne({ thread_id: id! }))!.reply).toBeUndefined();
  }, 60_000);

  it('frees the thread before the stream ends: a message sent on the last line is taken, not refused', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const [id] = await threadsOf(user, 1);
    fake.respondWith(() => ({ blocks: [{ type: 'text', text: 'The answer.' }] }));
    let leaseAtEnd: Promise<unknown> | undefined;
    let next: Promise<{ status: number }> | undefined;
    const reply = await callStreaming(
      mod.addMessage,
      {
        method: 'POST',
        token,
        pathParameters: { thread_id: id! },
        headers: { Accept: 'application/x-ndjson' },
        body: { role: 'user', content: 'first' },
      },
      (chunk) => {
        // The client learns the answer is complete here: the lease must already be gone.
        if (!chunk.includes('"type":"done"')) return;
        leaseAtEnd = mod.threads.findOne({ thread_id: id! }).then((d) => d?.reply);
        next = post(token, id!, { role: 'user', content: 'the next question', respond: false });
      },
    );
    expect(reply.status).toBe(200);
    expect(await leaseAtEnd).toBeUndefined();
    expect((await next!).status).toBe(201);
    expect((await messagesOf(id!)).map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  }, 60_000);

  it('does not stay locked after a crash: an expired lease lets appends through', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const [live] = await threadsOf(user, 1, { reply: { lease: 'crashed-turn', until: new Date(Date.now() + 60_000) } });
    const [expired] = await threadsOf(user, 1, { reply: { lease: 'crashed-turn', until: new Date(Date.now() - 1) } });
    expect((await post(token, live!, { role: 'user', content: 'x', respond: false })).status).toBe(409);
    expect((await post(token, expired!, { role: 'user', content: 'x', respond: false })).status).toBe(201);
    expect((await ask(token, expired!)).status).toBe(200);
  }, 60_000);

  it('renews the lease of a reply that outlasts it, so the thread stays its own until the end', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const [id] = await threadsOf(user, 1);
    // About 1.5 lease lengths of streaming: without renewal the lease would have run out.
    const words = Array.from({ length: 40 }, (_, i) => `w${i} `).join('');
    fake.respondWith(() => ({ blocks: [{ type: 'text', text: words }], chunkSize: 1, chunkDelayMs: (1.5 * LEASE_MS) / words.length }));
    let late: Promise<{ status: number }> | undefined;
    const started = Date.now();
    const reply = await ask(token, id!, 'long', () => {
      if (!late && Date.now() - started > LEASE_MS + 500) late = post(token, id!, { role: 'user', content: 'late', respond: false });
    });
    expect(reply.status).toBe(200);
    expect((await late!).status).toBe(409);
  }, 60_000);
});
