/**
 * POST /api/v3/threads/{thread_id}: the real handler, the real Anthropic SDK against the fake Messages server,
 * the real search tools against the fake search APIs, MongoDB through the global test server.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '#lib/blocks/types.js';
import type { ThreadDoc } from '#lib/threads/types.js';
import { newUser, tokenFor } from '#support/auth.js';
import { startFakeAnthropic, type FakeAnthropic, type FakeCitation } from '#support/fake-anthropic.js';
import { QURAN_RESULTS, startFakeSearch, type FakeSearch } from '#support/fake-search.js';
import { call, callStreaming, type CallOptions } from '#support/lambda.js';
import { validateMessageHistory } from '#support/messages-validator.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const MODEL = 'claude-sonnet-5-5';

let fake: FakeAnthropic;
let search: FakeSearch;
let addMessage: unknown;
let getThread: unknown;
let threads: Awaited<ReturnType<(typeof import('#lib/threads/mongo-store.js'))['threadsCollection']>>;
let repliesSettled: () => Promise<void>;
let blocksText: typeof import('#lib/blocks/text.js');
let closeMongo: () => Promise<void>;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  search = await startFakeSearch();
  // Config is parsed once, at the first import of lib/config.ts: the environment must be complete before.
  Object.assign(process.env, {
    ANTHROPIC_BASE_URL: fake.url,
    ANTHROPIC_API_KEY: 'test-anthropic-key',
    ANTHROPIC_MAX_RETRIES: '1',
    ANTHROPIC_TIMEOUT_MS: '10000',
    ...Object.fromEntries(Object.entries(search.toolsConfig()).map(([k, v]) => [k, String(v)])),
  });
  ({ handler: addMessage } = await import('#functions/add-message.js'));
  ({ handler: getThread } = await import('#functions/get-thread.js'));
  ({ repliesSettled } = await import('#lib/agent/reply.js'));
  blocksText = await import('#lib/blocks/text.js');
  const db = await import('#lib/db/mongo.js');
  closeMongo = db.closeMongo;
  await (await import('#lib/db/indexes.js')).ensureIndexes(await db.getDb());
  threads = await (await import('#lib/threads/mongo-store.js')).threadsCollection();
});

afterAll(async () => {
  await repliesSettled?.();
  await closeMongo?.();
  await fake?.close();
  await search?.close();
});

beforeEach(() => {
  fake.reset();
  search.reset();
});

/** A fresh user with an empty thread, inserted directly. */
async function newThread(over: Partial<ThreadDoc> = {}) {
  const user = newUser();
  const token = await tokenFor(user);
  const now = new Date(Date.UTC(2026, 0, 1));
  const doc: ThreadDoc = {
    thread_id: randomUUID(),
    name: null,
    user_id: user,
    initial_source: 'web',
    created_at: now,
    updated_at: now,
    metadata: {},
    messages: [],
    ...over,
  };
  await threads.insertOne({ ...doc });
  return { user, token, threadId: doc.thread_id, created: now };
}

const route = (threadId: string): CallOptions => ({
  method: 'POST',
  path: `/api/v3/threads/${threadId}`,
  resource: '/api/v3/threads/{thread_id}',
  pathParameters: { thread_id: threadId },
});

/** What the frontend sends. */
const ask = (token: string, threadId: string, content: unknown, headers: Record<string, string> = { Accept: 'text/event-stream' }) =>
  callStreaming(addMessage, { ...route(threadId), token, headers, body: { content, role: 'user' } });

async function stored(threadId: string): Promise<ThreadDoc> {
  const doc = await threads.findOne({ thread_id: threadId }, { projection: { _id: 0 } });
  if (!doc) throw new Error('thread missing');
  return doc as ThreadDoc;
}

async function textView(token: string, threadId: string) {
  const res = await call(getThread, {
    path: `/api/v3/threads/${threadId}`,
    resource: '/api/v3/threads/{thread_id}',
    pathParameters: { thread_id: threadId },
    query: { format: 'text' },
    token,
  });
  expect(res.status).toBe(200);
  return res.json.messages as Array<{ id: string; role: string; content: string; created_at: string }>;
}

const quranCitation = (i: number): FakeCitation => ({
  type: 'char_location',
  cited_text: `English: ${QURAN_RESULTS[i]!.en_text}`,
  document_index: i,
  document_title: `Quran ${QURAN_RESULTS[i]!.id}`,
  start_char_index: 0,
  end_char_index: 40,
});

describe('POST /api/v3/threads/{thread_id} — a plain answer', () => {
  it('streams the answer as raw text, stores the user message and the reply, names the thread', async () => {
    const { user, token, threadId, created } = await newThread();
    const answer = 'Wa alaykum as-salam! Salam means peace. 🌙 How can I help you today?';
    fake.enqueue({ blocks: [{ type: 'text', text: answer }], usage: { input_tokens: 120, output_tokens: 18 }, chunkSize: 5 });

    const res = await ask(token, threadId, 'Assalamu alaykum, what does salam mean?');

    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({
      'content-type': TEXT_TYPE,
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-message-id': expect.stringMatching(UUID7),
      'x-reply-message-id': expect.stringMatching(UUID7),
    });
    expect(res.body).toBe(answer);
    expect(res.chunks.length).toBeGreaterThan(5); // written delta by delta, not at the end

    const doc = await stored(threadId);
    expect(doc.name).toBe('Assalamu alaykum, what does salam mean?');
    expect(doc.updated_at.getTime()).toBeGreaterThan(created.getTime());
    expect(doc.messages).toEqual([
      {
        id: res.headers['x-message-id'],
        role: 'user',
        content: [{ type: 'text', text: 'Assalamu alaykum, what does salam mean?' }],
        created_at: expect.any(Date),
        user_id: user,
      },
      {
        id: res.headers['x-reply-message-id'],
        role: 'assistant',
        content: [{ type: 'text', text: answer }],
        created_at: expect.any(Date),
        user_id: user,
        model: MODEL,
        usage: { input_tokens: 120, output_tokens: 18, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        stop_reason: 'end_turn',
      },
    ]);

    // The request: stored blocks, the system prompt and the last block cached, no sampling parameters.
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.violations).toEqual([]);
    expect(req.body).toMatchObject({
      model: MODEL,
      max_tokens: 4096,
      stream: true,
      system: [{ type: 'text', text: expect.stringContaining('Ansari'), cache_control: { type: 'ephemeral' } }],
      messages: [
        {
          role: 'user',
          content: [{ type: 'text', text: 'Assalamu alaykum, what does salam mean?', cache_control: { type: 'ephemeral' } }],
        },
      ],
    });
    expect(req.body).not.toHaveProperty('temperature');
    expect(req.headers['anthropic-beta']).toBeUndefined();
    expect(req.body?.tools?.map((t) => t.name)).toEqual(['search_quran', 'search_hadith', 'search_mawsuah', 'search_tafsir_encyc']);
  });

  it('gives the stored reply the same display text in ?format=text as the streamed body', async () => {
    const { token, threadId } = await newThread();
    fake.enqueue({ blocks: [{ type: 'text', text: 'Fasting in Ramadan is one of the five pillars.' }] });
    const res = await ask(token, threadId, 'Is fasting a pillar?');
    expect(await textView(token, threadId)).toEqual([
      { id: res.headers['x-message-id'], role: 'user', content: 'Is fasting a pillar?', created_at: expect.stringMatching(ISO) },
      { id: res.headers['x-reply-message-id'], role: 'assistant', content: res.body, created_at: expect.stringMatching(ISO) },
    ]);
  });

  it('keeps an existing thread name', async () => {
    const { token, threadId } = await newThread({ name: 'My questions' });
    fake.enqueue({ blocks: [{ type: 'text', text: 'Yes.' }] });
    await ask(token, threadId, 'A question');
    expect((await stored(threadId)).name).toBe('My questions');
  });

  it('names the thread from the first user message, cut to 100 characters', async () => {
    const { token, threadId } = await newThread();
    fake.enqueue({ blocks: [{ type: 'text', text: 'Answer.' }] });
    await ask(token, threadId, `  ${'ز'.repeat(60)} ${'b'.repeat(80)}  `);
    expect((await stored(threadId)).name).toBe(`${'ز'.repeat(60)} ${'b'.repeat(39)}`);
  });
});

describe('turn metrics', () => {
  it('publishes one EMF record per turn with every metric under its outcome dimension', async () => {
    const { observed } = await import('#test/support/observed.js');
    const { token, threadId } = await newThread();
    fake.enqueue({ blocks: [{ type: 'text', text: 'Measured.' }], usage: { input_tokens: 12, output_tokens: 3 } });
    const { emf } = await observed(async () => {
      expect((await ask(token, threadId, 'Count me')).status).toBe(200);
      await repliesSettled();
    });
    const turn = emf.filter((r) => 'ModelInputTokens' in r);
    expect(turn).toHaveLength(1);
    const [record] = turn;
    const [directive] = record._aws.CloudWatchMetrics;
    expect(directive.Dimensions).toEqual([['service', 'outcome']]);
    expect(directive.Metrics.map((m: { Name: string }) => m.Name).sort()).toEqual([
      'ModelCacheReadTokens',
      'ModelCacheWriteTokens',
      'ModelInputTokens',
      'ModelOutputTokens',
      'Rounds',
      'StreamDuration',
      'ToolCalls',
      'ToolErrors',
    ]);
    expect(record).toMatchObject({ outcome: 'complete', ModelInputTokens: 12, ModelOutputTokens: 3, Rounds: 1, ToolCalls: 0 });
  });
});

describe('a tool round trip', () => {
  it('streams the preface, runs the tool against the search API, answers with citations, stores every message', async () => {
    const { user, token, threadId } = await newThread();
    const preface = 'Let me search the Quran for verses about patience.';
    fake.enqueue(
      {
        blocks: [
          { type: 'text', text: preface },
          { type: 'tool_use', id: 'toolu_patience1', name: 'search_quran', input: { query: 'patience in hardship' } },
        ],
        chunkSize: 3, // the tool input arrives in many input_json_delta pieces
      },
      {
        blocks: [
          { type: 'text', text: 'The Quran pairs patience with prayer', citations: [quranCitation(0)] },
          { type: 'text', text: ', and promises ease after hardship', citations: [quranCitation(2)], citationsAfterText: true },
          { type: 'text', text: '. Allah knows best.' },
        ],
      },
    );

    const res = await ask(token, threadId, 'What does the Quran say about patience?');

    const c0 = quranCitation(0);
    const c2 = quranCitation(2);
    const expectedBody =
      `${preface}\n\nThe Quran pairs patience with prayer [1], and promises ease after hardship [2]. Allah knows best.` +
      `\n\n**Citations**:\n[1] ${c0.document_title}:\n${c0.cited_text}\n\n[2] ${c2.document_title}:\n${c2.cited_text}`;
    expect(res.status).toBe(200);
    expect(res.body).toBe(expectedBody);

    // The tool ran against the (fake) Kalimat API with the assembled input.
    expect(search.requests).toHaveLength(1);
    expect(search.requests[0]).toMatchObject({ api: 'quran', searchText: 'patience in hardship' });

    const doc = await stored(threadId);
    const [question, toolCall, toolResults, answer] = doc.messages as Message[];
    expect(doc.messages).toHaveLength(4);
    expect(question).toMatchObject({ id: res.headers['x-message-id'], role: 'user' });
    expect(toolCall).toEqual({
      id: expect.stringMatching(UUID7),
      role: 'assistant',
      content: [
        { type: 'text', text: preface },
        { type: 'tool_use', id: 'toolu_patience1', name: 'search_quran', input: { query: 'patience in hardship' } },
      ],
      created_at: expect.any(Date),
      user_id: user,
      model: MODEL,
      usage: expect.objectContaining({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) }),
      stop_reason: 'tool_use',
    });
    expect(toolResults).toMatchObject({ role: 'user', user_id: user });
    expect(toolResults!.content).toEqual([
      {
        type: 'tool_result',
        tool_use_id: 'toolu_patience1',
        content: [
          { type: 'text', text: 'Please see the references below.' },
          ...QURAN_RESULTS.map((r) => ({
            type: 'document',
            source: { type: 'text', media_type: 'text/plain', data: `Arabic: ${r.text}\n\nEnglish: ${r.en_text}` },
            title: `Quran ${r.id}`,
            context: 'Retrieved from the Holy Quran',
            citations: { enabled: true },
          })),
        ],
      },
    ]);
    expect(answer).toEqual({
      id: res.headers['x-reply-message-id'],
      role: 'assistant',
      content: [
        { type: 'text', text: 'The Quran pairs patience with prayer', citations: [c0] },
        { type: 'text', text: ', and promises ease after hardship', citations: [c2] },
        { type: 'text', text: '. Allah knows best.' },
      ],
      created_at: expect.any(Date),
      user_id: user,
      model: MODEL,
      usage: expect.any(Object),
      stop_reason: 'end_turn',
    });
    // Distinct ids (the reply's was chosen before streaming, to be sent as a header).
    expect(new Set(doc.messages.map((m) => m.id)).size).toBe(4);

    // Round two sent the tool_use answered by its tool_result (documents nested), and was accepted.
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests.map((r) => r.violations)).toEqual([[], []]);
    const second = fake.requests[1]!.body!.messages!;
    expect(second.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(second[2]!.content).toEqual([{ ...toolResults!.content[0], cache_control: { type: 'ephemeral' } }]);

    // The whole streamed body is the stored reply's display text, as GET ?format=text renders it.
    const view = await textView(token, threadId);
    expect(view).toEqual([
      expect.objectContaining({ role: 'user', content: 'What does the Quran say about patience?' }),
      { id: res.headers['x-reply-message-id'], role: 'assistant', content: res.body, created_at: expect.stringMatching(ISO) },
    ]);
    expect(blocksText.renderReply([toolCall!, answer!])).toBe(res.body);
  });

  it('replays the stored history, tools and documents included, and the API accepts it', async () => {
    const { token, threadId } = await newThread();
    fake.enqueue(
      { blocks: [{ type: 'tool_use', id: 'toolu_first', name: 'search_hadith', input: { query: 'intentions' } }] },
      {
        blocks: [
          {
            type: 'text',
            text: 'Deeds are by intentions',
            citations: [
              {
                type: 'char_location',
                cited_text: 'x',
                document_index: 0,
                document_title: 'Bukhari',
                start_char_index: 0,
                end_char_index: 1,
              },
            ],
          },
        ],
      },
      { blocks: [{ type: 'text', text: 'You are welcome.' }] },
    );
    await ask(token, threadId, 'What is the hadith about intentions?');
    const follow = await ask(token, threadId, 'Thank you!');

    expect(follow.body).toBe('You are welcome.');
    expect(fake.requests).toHaveLength(3);
    expect(fake.requests.every((r) => r.violations.length === 0 && r.status === 200)).toBe(true);
    const replay = fake.requests[2]!.body!.messages!;
    expect(replay.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(replay[1]!.content).toEqual([{ type: 'tool_use', id: 'toolu_first', name: 'search_hadith', input: { query: 'intentions' } }]);
    expect((replay[2]!.content as Array<Record<string, unknown>>)[0]).toMatchObject({ type: 'tool_result', tool_use_id: 'toolu_first' });
    // Only {role, content}; no stored fields (ids, dates, usage) reach the API.
    for (const m of replay) expect(Object.keys(m).sort()).toEqual(['content', 'role']);
    expect(validateMessageHistory(replay)).toEqual([]);
    expect((await stored(threadId)).messages).toHaveLength(6);
  });

  it('runs the calls of one round concurrently and feeds every result back', async () => {
    const { token, threadId } = await newThread();
    search.setMode({ kind: 'delay', ms: 150 });
    fake.enqueue(
      {
        blocks: [
          { type: 'tool_use', id: 'toolu_a', name: 'search_quran', input: { query: 'mercy' } },
          { type: 'tool_use', id: 'toolu_b', name: 'search_hadith', input: { query: 'mercy' } },
          { type: 'tool_use', id: 'toolu_c', name: 'search_mawsuah', input: { query: 'رحمة' } },
        ],
      },
      { blocks: [{ type: 'text', text: 'Mercy is central.' }] },
    );
    const res = await ask(token, threadId, 'Mercy?');
    expect(res.body).toBe('Mercy is central.');
    expect(search.stats.maxInFlight).toBe(3);
    const results = (await stored(threadId)).messages[2]!.content;
    expect(results.map((b) => [b.type, b.tool_use_id])).toEqual([
      ['tool_result', 'toolu_a'],
      ['tool_result', 'toolu_b'],
      ['tool_result', 'toolu_c'],
    ]);
  });

  it('turns a failing search into an is_error result and still answers', async () => {
    const { token, threadId } = await newThread();
    search.setMode({ kind: 'fail', status: 500 });
    fake.enqueue(
      { blocks: [{ type: 'tool_use', id: 'toolu_x', name: 'search_quran', input: { query: 'zakat' } }] },
      { blocks: [{ type: 'text', text: 'The search failed, but in general zakat is 2.5%.' }] },
    );
    const res = await ask(token, threadId, 'Zakat rate?');
    expect(res.body).toBe('The search failed, but in general zakat is 2.5%.');
    expect((await stored(threadId)).messages[2]!.content).toEqual([
      { type: 'tool_result', tool_use_id: 'toolu_x', content: 'The search service returned HTTP 500.', is_error: true },
    ]);
  });

  it('stops offering tools after 10 rounds and counts earlier calls against the limits', async () => {
    const { token, threadId } = await newThread();
    fake.respondWith((body) =>
      body.tool_choice && (body.tool_choice as { type: string }).type === 'none'
        ? { blocks: [{ type: 'text', text: 'Here is what I found.' }] }
        : { blocks: [{ type: 'tool_use', name: 'search_quran', input: { query: 'again' } }] },
    );
    const res = await ask(token, threadId, 'Search forever');
    expect(res.body).toBe('Here is what I found.');
    expect(fake.requests).toHaveLength(10);
    expect(fake.requests.every((r) => r.violations.length === 0)).toBe(true);
    expect(fake.requests[9]!.body!.tool_choice).toEqual({ type: 'none' });
    // Three same-tool calls in a row at most: the rest were refused without reaching the search API.
    expect(search.requests).toHaveLength(3);
    const doc = await stored(threadId);
    expect(doc.messages).toHaveLength(1 + 9 * 2 + 1);
    expect(doc.messages[doc.messages.length - 1]!.id).toBe(res.headers['x-reply-message-id']);
  });
});

describe('failures', () => {
  it('answers 503 JSON when the model fails before the first byte; only the user message is stored', async () => {
    const { token, threadId } = await newThread();
    const overloaded = { failBeforeStream: { status: 529, type: 'overloaded_error', message: 'Overloaded' }, blocks: [] };
    fake.enqueue(overloaded, overloaded); // the first attempt and the one retry
    const res = await ask(token, threadId, 'Hello?');
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    expect(res.json).toEqual({ detail: 'The assistant is busy right now, please retry in a moment' });
    expect(fake.requests).toHaveLength(2);
    const doc = await stored(threadId);
    expect(doc.messages).toEqual([expect.objectContaining({ role: 'user', content: [{ type: 'text', text: 'Hello?' }] })]);
  });

  it('answers 502 JSON when the model rejects the request before the stream', async () => {
    const { token, threadId } = await newThread();
    fake.enqueue({ failBeforeStream: { status: 400, type: 'invalid_request_error', message: 'bad' }, blocks: [] });
    const res = await ask(token, threadId, 'Hello?');
    expect([res.status, res.json]).toEqual([502, { detail: 'The assistant failed to answer, please retry' }]);
    expect((await stored(threadId)).messages).toHaveLength(1);
  });

  it('answers 503 when the stream fails before its first event', async () => {
    const { token, threadId } = await newThread();
    fake.enqueue({ blocks: [{ type: 'text', text: 'never sent' }], failAfterEvents: 0 });
    const res = await ask(token, threadId, 'Hello?');
    expect([res.status, res.json]).toEqual([503, { detail: 'The assistant is busy right now, please retry in a moment' }]);
    expect((await stored(threadId)).messages).toHaveLength(1);
  });

  it('answers 503 when the stream fails after it started but before any text', async () => {
    const { token, threadId } = await newThread();
    fake.enqueue({ blocks: [{ type: 'text', text: 'never sent' }], failAfterEvents: 3 }); // message_start, ping, block start
    const res = await ask(token, threadId, 'Hello?');
    expect([res.status, res.json]).toEqual([503, { detail: 'The assistant is busy right now, please retry in a moment' }]);
    expect((await stored(threadId)).messages).toEqual([expect.objectContaining({ role: 'user' })]);
  });

  it('once a tool round has begun the reply, a later failure is an interrupted reply', async () => {
    const { token, threadId } = await newThread();
    fake.enqueue(
      { blocks: [{ type: 'tool_use', id: 'toolu_r1', name: 'search_quran', input: { query: 'q' } }] },
      { failBeforeStream: { status: 500, type: 'api_error', message: 'boom' }, blocks: [] },
      { failBeforeStream: { status: 500, type: 'api_error', message: 'boom' }, blocks: [] },
    );
    const res = await ask(token, threadId, 'Q');
    expect(res.status).toBe(200);
    expect(res.body).toBe(blocksText.INTERRUPTED_NOTICE);
    const doc = await stored(threadId);
    expect(doc.messages.map((m) => [m.role, m.content.map((b) => b.type), m.interrupted ?? false])).toEqual([
      ['user', ['text'], false],
      ['assistant', ['tool_use'], false],
      ['user', ['tool_result'], false],
      ['assistant', [], true],
    ]);
    expect(doc.messages[3]!.id).toBe(res.headers['x-reply-message-id']);
    expect((await textView(token, threadId))[1]!.content).toBe(res.body);
  });

  it('stores a mid-stream failure as an interrupted partial answer and ends the body with the notice', async () => {
    const { token, threadId } = await newThread();
    fake.enqueue({
      blocks: [{ type: 'text', text: 'The five pillars are the testimony of faith, prayer, charity' }],
      chunkSize: 10,
      failAfterEvents: 6, // message_start, ping, content_block_start, 3 text deltas, then an `error` event
    });
    const res = await ask(token, threadId, 'Name the pillars');
    const partial = 'The five pillars are the testi';
    expect(res.status).toBe(200);
    expect(res.body).toBe(partial + blocksText.INTERRUPTED_NOTICE);
    const doc = await stored(threadId);
    expect(doc.messages[1]).toEqual({
      id: res.headers['x-reply-message-id'],
      role: 'assistant',
      content: [{ type: 'text', text: partial }],
      created_at: expect.any(Date),
      user_id: expect.any(String),
      model: MODEL,
      stop_reason: null,
      interrupted: true,
    });
    expect((await textView(token, threadId))[1]!.content).toBe(res.body);
  });

  it('keeps the markers and citations of a block cut short, and the earlier rounds', async () => {
    const { token, threadId } = await newThread();
    fake.enqueue(
      {
        blocks: [
          { type: 'text', text: 'Searching.' },
          { type: 'tool_use', id: 'toolu_q', name: 'search_quran', input: { query: 'ease' } },
        ],
      },
      {
        blocks: [{ type: 'text', text: 'With hardship comes ease, as the verse says', citations: [quranCitation(2)] }],
        chunkSize: 6,
        dropConnectionAfterEvents: 6,
      }, // start, ping, block start, citation, 2 deltas
    );
    const res = await ask(token, threadId, 'Ease?');
    const c2 = quranCitation(2);
    expect(res.body).toBe(
      `Searching.\n\nWith hardshi [1]\n\n**Citations**:\n[1] ${c2.document_title}:\n${c2.cited_text}${blocksText.INTERRUPTED_NOTICE}`,
    );
    const doc = await stored(threadId);
    expect(doc.messages).toHaveLength(4);
    expect(doc.messages[3]).toMatchObject({
      id: res.headers['x-reply-message-id'],
      interrupted: true,
      content: [{ type: 'text', text: 'With hardshi', citations: [c2] }],
    });
    expect((await textView(token, threadId))[1]!.content).toBe(res.body);

    // The interrupted thread can be continued: the partial goes back as text and the API accepts it.
    fake.enqueue({ blocks: [{ type: 'text', text: 'Continuing.' }] });
    const next = await ask(token, threadId, 'Go on');
    expect(next.body).toBe('Continuing.');
    expect(fake.lastRequest()!.violations).toEqual([]);
  });

  it('stops generating when the client goes away and stores the partial answer', async () => {
    const { token, threadId } = await newThread();
    const long = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    fake.enqueue({ blocks: [{ type: 'text', text: long }], chunkSize: 8, chunkDelayMs: 5 });
    let chunks = 0;
    const res = await callStreaming(
      addMessage,
      { ...route(threadId), token, headers: { Accept: 'text/event-stream' }, body: { content: 'Tell me a long story', role: 'user' } },
      (_chunk, stream) => {
        if (++chunks === 3) stream.destroy(new Error('client went away'));
      },
    );
    // No repliesSettled() here: the invocation itself lasts until the partial is stored (Lambda may freeze after).
    const reply0 = (await stored(threadId)).messages[1];
    expect(reply0).toMatchObject({ role: 'assistant', interrupted: true });
    await vi.waitFor(() => expect(fake.requests[0]!.aborted).toBe(true));
    expect(fake.requests[0]!.completed).toBe(false);

    const reply = (await stored(threadId)).messages[1]!;
    expect(reply).toMatchObject({ id: res.headers['x-reply-message-id'], role: 'assistant', interrupted: true });
    const partial = reply.content[0]!.text as string;
    expect(partial.startsWith(res.body)).toBe(true);
    expect(long.startsWith(partial)).toBe(true);
    expect(partial.length).toBeLessThan(long.length);
  });
});

describe('Accept: application/x-ndjson', () => {
  it('streams one JSON event per line: the stored messages, text deltas, tool calls and results, done', async () => {
    const { token, threadId } = await newThread();
    fake.enqueue(
      {
        blocks: [
          { type: 'text', text: 'Searching.' },
          { type: 'tool_use', id: 'toolu_nd', name: 'search_quran', input: { query: 'light' } },
        ],
      },
      { blocks: [{ type: 'text', text: 'Allah is the light', citations: [quranCitation(0)] }] },
    );
    const res = await ask(token, threadId, 'Light?', { Accept: 'application/x-ndjson' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.body.endsWith('\n')).toBe(true);
    const events = res.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);

    const doc = await stored(threadId);
    const view = (m: Message) => JSON.parse(JSON.stringify((({ user_id: _u, ...rest }) => rest)(m)));
    const texts = (from: number, to: number) =>
      events
        .slice(from, to)
        .filter((e) => e.type === 'text')
        .map((e) => e.text)
        .join('');
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('message');
    expect(types[types.length - 1]).toBe('done');
    expect(types.filter((t) => t === 'message')).toHaveLength(4);
    expect(events.filter((e) => e.type === 'message').map((e) => e.message)).toEqual(doc.messages.map(view));
    expect(events.find((e) => e.type === 'tool_use')).toEqual({
      type: 'tool_use',
      id: 'toolu_nd',
      name: 'search_quran',
      input: { query: 'light' },
    });
    expect(events.find((e) => e.type === 'tool_result')).toEqual({ type: 'tool_result', ...doc.messages[2]!.content[0] });
    const secondMessageAt = types.indexOf('message', 1);
    expect(texts(0, secondMessageAt)).toBe('Searching.');
    expect(texts(secondMessageAt, events.length)).toBe('Allah is the light');
    expect(events.some((e) => e.type === 'error')).toBe(false);
    expect(res.headers['x-reply-message-id']).toBe(events[events.length - 2]!.message.id);
  });

  it('reports a mid-stream failure as an error event after the stored partial message', async () => {
    const { token, threadId } = await newThread();
    fake.enqueue({ blocks: [{ type: 'text', text: 'Partial answer that breaks' }], chunkSize: 4, failAfterEvents: 5 });
    const res = await ask(token, threadId, 'Q', { Accept: 'application/x-ndjson' });
    const events = res.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);
    expect(events.slice(-3)).toEqual([
      {
        type: 'message',
        message: expect.objectContaining({ role: 'assistant', interrupted: true, content: [{ type: 'text', text: 'Partial ' }] }),
      },
      { type: 'error', detail: 'The assistant failed in the middle of the answer.' },
      { type: 'done' },
    ]);
  });
});

describe('respond: false', () => {
  it('stores the message with $push, bumps updated_at and answers 201 with it', async () => {
    const { user, token, threadId, created } = await newThread();
    const res = await callStreaming(addMessage, {
      ...route(threadId),
      token,
      body: { role: 'user', content: 'Imported question', respond: false },
    });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    expect(res.json).toEqual({
      id: expect.stringMatching(UUID7),
      role: 'user',
      content: [{ type: 'text', text: 'Imported question' }],
      created_at: expect.stringMatching(ISO),
    });
    const doc = await stored(threadId);
    expect(doc.messages).toEqual([{ ...res.json, created_at: new Date(res.json.created_at), user_id: user }]);
    expect(doc.updated_at).toEqual(new Date(res.json.created_at));
    expect(doc.updated_at.getTime()).toBeGreaterThan(created.getTime());
    expect(doc.name).toBe('Imported question');
    expect(fake.requests).toHaveLength(0);
  });

  it('accepts an assistant message with blocks of any type, stored as they are', async () => {
    const { token, threadId } = await newThread({ name: 'n' });
    const content = [
      { type: 'text', text: 'Answer', citations: [{ type: 'char_location', cited_text: 'c', document_index: 0 }] },
      { type: 'tool_use', id: 'toolu_imp', name: 'search_quran', input: { query: 'q' } },
      { type: 'future_block', payload: { nested: [1, 2] } },
    ];
    const res = await callStreaming(addMessage, { ...route(threadId), token, body: { role: 'assistant', content, respond: false } });
    expect(res.status).toBe(201);
    expect(res.json.content).toEqual(content);
    expect((await stored(threadId)).messages[0]!.content).toEqual(content);
  });

  it('keeps all of 60 concurrent appends to one thread', async () => {
    const { token, threadId } = await newThread();
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        callStreaming(addMessage, { ...route(threadId), token, body: { role: 'user', content: `m${i}`, respond: false } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(60).fill(201));
    const doc = await stored(threadId);
    expect(doc.messages).toHaveLength(60);
    expect(new Set(doc.messages.map((m) => m.content[0]!.text)).size).toBe(60);
    expect(new Set(doc.messages.map((m) => m.id))).toEqual(new Set(results.map((r) => r.json.id)));
  });
});

describe('refusals write nothing', () => {
  it('404s another user’s thread and an unknown thread, whatever respond is', async () => {
    const owner = await newThread();
    const intruder = await tokenFor(newUser());
    for (const respond of [true, false]) {
      const res = await callStreaming(addMessage, {
        ...route(owner.threadId),
        token: intruder,
        body: { role: 'user', content: 'hi', respond },
      });
      expect([res.status, res.json]).toEqual([404, { detail: 'Thread not found' }]);
    }
    const unknown = await callStreaming(addMessage, { ...route(randomUUID()), token: owner.token, body: { role: 'user', content: 'hi' } });
    expect([unknown.status, unknown.json]).toEqual([404, { detail: 'Thread not found' }]);
    const doc = await stored(owner.threadId);
    expect([doc.messages, doc.name, doc.updated_at]).toEqual([[], null, owner.created]);
    expect(fake.requests).toHaveLength(0);
  });

  it('401s without a token', async () => {
    const { threadId } = await newThread();
    const res = await callStreaming(addMessage, { ...route(threadId), body: { role: 'user', content: 'hi' } });
    expect(res.status).toBe(401);
    expect((await stored(threadId)).messages).toEqual([]);
  });

  it.each([
    ['empty content', { role: 'user', content: '' }, /content: must not be empty/],
    ['whitespace content', { role: 'user', content: ' \n\t ' }, /content: must not be empty/],
    ['no content', { role: 'user' }, /content/],
    ['no role', { content: 'hi' }, /role/],
    ['a bad role', { role: 'system', content: 'hi' }, /role/],
    ['an assistant message to respond to', { role: 'assistant', content: 'hi' }, /role: must be "user"/],
    ['an unknown field', { role: 'user', content: 'hi', thread_id: 'x' }, /thread_id|Unrecognized/i],
    ['a non-boolean respond', { role: 'user', content: 'hi', respond: 'yes' }, /respond/],
    ['an operator object as content', { role: 'user', content: { $gt: '' } }, /content: must be a string or a list/],
    [
      'an operator key in a block',
      { role: 'user', content: [{ type: 'text', text: 'hi', $set: { name: 'x' } }], respond: false },
      /content: keys must not/,
    ],
    [
      'a dotted key deep in a block',
      { role: 'user', content: [{ type: 'image', source: { 'a.b': 1 } }], respond: false },
      /content: keys must not/,
    ],
    ['a block without a type', { role: 'user', content: [{ text: 'hi' }] }, /content\.0: must be a content block/],
    ['an empty block list', { role: 'user', content: [] }, /content: must not be empty/],
    ['a blank text block', { role: 'user', content: [{ type: 'text', text: '  ' }] }, /content\.0\.text/],
    [
      'a tool_use block in a question',
      { role: 'user', content: [{ type: 'tool_use', id: 't', name: 'n', input: {} }] },
      /content\.0\.type/,
    ],
    ['a JSON array body', [1], /body/],
  ])('400s %s', async (_label, body, detail) => {
    const { token, threadId, created } = await newThread();
    const res = await callStreaming(addMessage, { ...route(threadId), token, body });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    expect(Object.keys(res.json)).toEqual(['detail']);
    expect(res.json.detail).toMatch(detail);
    const doc = await stored(threadId);
    expect([doc.messages, doc.name, doc.updated_at]).toEqual([[], null, created]);
    expect(fake.requests).toHaveLength(0);
  });

  it('413s an oversized body, 415s a non-JSON body, 400s malformed JSON', async () => {
    const { token, threadId, created } = await newThread();
    const big = await callStreaming(addMessage, { ...route(threadId), token, body: { role: 'user', content: 'x'.repeat(300 * 1024) } });
    expect([big.status, big.json]).toEqual([413, { detail: 'Request body is larger than 262144 bytes' }]);
    const text = await callStreaming(addMessage, { ...route(threadId), token, body: 'hi', headers: { 'Content-Type': 'text/plain' } });
    expect(text.status).toBe(415);
    const malformed = await callStreaming(addMessage, { ...route(threadId), token, body: '{"role": "user", "content": ' });
    expect([malformed.status, malformed.json]).toEqual([400, { detail: 'Malformed JSON body' }]);
    const doc = await stored(threadId);
    expect([doc.messages, doc.updated_at]).toEqual([[], created]);
  });
});

describe('the thread deleted during a turn', () => {
  it('stops the turn, ends the stream with the notice and writes nothing more', async () => {
    const { token, threadId } = await newThread();
    // The search answers only once the thread is gone: the tool result is then stored into a deleted thread.
    let gone!: () => void;
    search.setMode({ kind: 'gate', until: new Promise<void>((resolve) => (gone = resolve)) });
    fake.enqueue(
      {
        blocks: [
          { type: 'text', text: 'Searching.' },
          { type: 'tool_use', id: 'toolu_del', name: 'search_quran', input: { query: 'q' } },
        ],
      },
      { blocks: [{ type: 'text', text: 'never asked for' }] },
    );
    let deleted: Promise<unknown> | undefined;
    const res = await callStreaming(addMessage, { ...route(threadId), token, body: { role: 'user', content: 'Q' } }, () => {
      deleted ??= threads.deleteOne({ thread_id: threadId }).then(gone);
    });
    await deleted;
    expect(res.status).toBe(200);
    expect(res.body).toBe(`Searching.${blocksText.INTERRUPTED_NOTICE}`);
    expect(fake.requests).toHaveLength(1);
    expect(await threads.countDocuments({ thread_id: threadId })).toBe(0);
  });
});
