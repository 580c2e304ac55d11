/**
 * A reply cut short by time: the model stream falling silent (the idle timeout, ANTHROPIC_TIMEOUT_MS) and the Lambda
 * deadline (the invocation's time left, less a margin to store what there is). Real handler, real SDK, the fake model.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ThreadDoc } from '#lib/threads/types.js';
import { newUser, tokenFor } from '#support/auth.js';
import { startFakeAnthropic, type FakeAnthropic } from '#support/fake-anthropic.js';
import { callStreaming } from '#support/lambda.js';

const IDLE_MS = 1_000;

let fake: FakeAnthropic;
let addMessage: unknown;
let threads: Awaited<ReturnType<(typeof import('#lib/threads/mongo-store.js'))['threadsCollection']>>;
let repliesSettled: () => Promise<void>;
let closeMongo: () => Promise<void>;
let INTERRUPTED_NOTICE: string;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  Object.assign(process.env, {
    ANTHROPIC_BASE_URL: fake.url,
    ANTHROPIC_API_KEY: 'test-anthropic-key',
    ANTHROPIC_MAX_RETRIES: '0',
    ANTHROPIC_TIMEOUT_MS: String(IDLE_MS),
  });
  ({ handler: addMessage } = await import('#functions/add-message.js'));
  ({ repliesSettled } = await import('#lib/agent/reply.js'));
  ({ INTERRUPTED_NOTICE } = await import('#lib/blocks/text.js'));
  const db = await import('#lib/db/mongo.js');
  closeMongo = db.closeMongo;
  await (await import('#lib/db/indexes.js')).ensureIndexes(await db.getDb());
  threads = await (await import('#lib/threads/mongo-store.js')).threadsCollection();
});
afterAll(async () => {
  await repliesSettled?.();
  await closeMongo?.();
  await fake?.close();
});
beforeEach(() => fake.reset());

async function newThread() {
  const user = newUser();
  const now = new Date(Date.UTC(2026, 0, 1));
  const doc: ThreadDoc = {
    thread_id: randomUUID(),
    name: 'stops',
    user_id: user,
    initial_source: 'web',
    created_at: now,
    updated_at: now,
    metadata: {},
    messages: [],
  };
  await threads.insertOne({ ...doc });
  return { token: await tokenFor(user), threadId: doc.thread_id };
}

const ask = (token: string, threadId: string, opts: { ndjson?: boolean; remainingMs?: number } = {}) =>
  callStreaming(addMessage, {
    method: 'POST',
    token,
    pathParameters: { thread_id: threadId },
    headers: { Accept: opts.ndjson ? 'application/x-ndjson' : 'text/plain' },
    body: { role: 'user', content: 'What is sabr?' },
    ...(opts.remainingMs ? { remainingMs: opts.remainingMs } : {}),
  });

const lines = (body: string) =>
  body
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const storedMessages = async (threadId: string) => (await threads.findOne({ thread_id: threadId }))!.messages;

/** An answer of `events` text deltas of 4 characters, one every `delayMs`. */
const slowAnswer = (deltas: number, delayMs: number) => ({
  blocks: [{ type: 'text' as const, text: Array.from({ length: deltas }, (_, i) => String(i % 10).repeat(4)).join('') }],
  chunkSize: 4,
  chunkDelayMs: delayMs,
});

describe('the model stream falls silent', () => {
  it(`cuts the reply ${IDLE_MS} ms after the last event, stores the partial answer and says why`, async () => {
    const { token, threadId } = await newThread();
    // message_start, ping, content_block_start and two deltas of 8 characters, then nothing.
    fake.enqueue({ blocks: [{ type: 'text', text: 'Patience is half of faith, and never' }], chunkSize: 8, stallAfterEvents: 5 });
    const res = await ask(token, threadId, { ndjson: true });
    await repliesSettled();
    expect(res.status).toBe(200);
    const events = lines(res.body);
    expect(events.filter((e) => e.type === 'text').map((e) => e.text)).toEqual(['Patience', ' is half']);
    expect(events.slice(-2)).toEqual([{ type: 'error', detail: 'The assistant stopped responding.' }, { type: 'done' }]);
    const [, reply] = await storedMessages(threadId);
    expect(reply).toMatchObject({ role: 'assistant', content: [{ type: 'text', text: 'Patience is half' }], interrupted: true });
    // The silent connection was given up, not left open.
    await expect.poll(() => fake.lastRequest()?.aborted).toBe(true);
  }, 20_000);

  it('lets a slow but steady stream finish: every event restarts the silence timer', async () => {
    const { token, threadId } = await newThread();
    fake.enqueue(slowAnswer(10, IDLE_MS * 0.3)); // 3 idle periods in all, never one without an event
    const res = await ask(token, threadId);
    await repliesSettled();
    expect([res.status, res.body]).toEqual([200, slowAnswer(10, 0).blocks[0]!.text]);
    const [, reply] = await storedMessages(threadId);
    expect(reply!.interrupted).toBeUndefined();
  }, 20_000);

  it('answers 502 when the stream falls silent before any text, storing only the question', async () => {
    const { token, threadId } = await newThread();
    fake.enqueue({ blocks: [{ type: 'text', text: 'never sent' }], stallAfterEvents: 1 });
    const res = await ask(token, threadId);
    await repliesSettled();
    expect([res.status, res.json]).toEqual([502, { detail: 'The assistant failed to answer, please retry' }]);
    await expect.poll(() => fake.lastRequest()?.aborted).toBe(true);
    expect((await storedMessages(threadId)).map((m) => m.role)).toEqual(['user']);
  }, 20_000);
});

describe('the Lambda deadline', () => {
  // The turn stops 5 s before the function's timeout (at least 1 s after it starts) to store what there is.
  it.each([
    ['6 s left: cut 1 s in (the margin is taken off)', 6_000],
    ['3 s left: cut 1 s in (never sooner)', 3_000],
  ])(
    '%s',
    async (_name, remainingMs) => {
      const { token, threadId } = await newThread();
      // About 3 s of answer in 30 deltas; without the margin (or the floor) it would finish or be cut much later.
      fake.enqueue(slowAnswer(30, 100));
      const res = await ask(token, threadId, { remainingMs });
      await repliesSettled();
      expect(res.status).toBe(200);
      expect(res.body.endsWith(INTERRUPTED_NOTICE)).toBe(true);
      const partial = res.body.slice(0, -INTERRUPTED_NOTICE.length);
      expect(partial.length).toBeGreaterThan(0);
      expect(partial.length).toBeLessThan(60); // of 120 characters: cut near 1 s, not near 3 s
      const [, reply] = await storedMessages(threadId);
      expect(reply).toMatchObject({ content: [{ type: 'text', text: partial }], interrupted: true });
    },
    20_000,
  );

  it('says why in NDJSON', async () => {
    const { token, threadId } = await newThread();
    fake.enqueue(slowAnswer(30, 100));
    const res = await ask(token, threadId, { ndjson: true, remainingMs: 6_000 });
    await repliesSettled();
    expect(lines(res.body).slice(-2)).toEqual([{ type: 'error', detail: 'The answer took too long and was cut short.' }, { type: 'done' }]);
  }, 20_000);

  it('answers 504 when the model has not begun by the deadline, storing only the question', async () => {
    const { token, threadId } = await newThread();
    fake.enqueue({ blocks: [{ type: 'text', text: 'never sent' }], stallAfterEvents: 0 });
    const res = await ask(token, threadId, { remainingMs: 6_000 });
    await repliesSettled();
    expect([res.status, res.json]).toEqual([504, { detail: 'The assistant did not answer in time, please retry' }]);
    expect((await storedMessages(threadId)).map((m) => m.role)).toEqual(['user']);
  }, 20_000);
});
