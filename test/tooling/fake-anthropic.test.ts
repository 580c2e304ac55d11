/** The fake Messages API server speaks the streaming protocol as the real SDK parses it. */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '#support/fake-anthropic.js';

// Any name works with the fake; a current one keeps the SDK's deprecation warning out of the output.
const MODEL = 'claude-sonnet-4-6';
const tools = [
  {
    name: 'search_quran',
    description: 'Search the Quran',
    input_schema: { type: 'object' as const, properties: { query: { type: 'string' } }, required: ['query'] },
  },
];

let fake: FakeAnthropic;
let client: Anthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  client = new Anthropic({ apiKey: 'test', baseURL: fake.url, maxRetries: 0, timeout: 10_000 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
});

/** Collects the raw SSE event types the SDK saw, plus the final message. */
async function streamAll(params: Omit<Anthropic.MessageCreateParamsStreaming, 'stream' | 'model' | 'max_tokens'>) {
  const stream = client.messages.stream({ model: MODEL, max_tokens: 1024, ...params });
  const events: Anthropic.MessageStreamEvent[] = [];
  for await (const ev of stream) events.push(ev);
  return { events, message: await stream.finalMessage() };
}

describe('fake Anthropic server driven by the real SDK', () => {
  it('streams a scripted text answer in several text_delta chunks', async () => {
    fake.enqueue({ blocks: [{ type: 'text', text: 'In the name of God, the Most Merciful.' }], usage: { input_tokens: 42 } });
    const deltas: string[] = [];
    const stream = client.messages.stream({
      model: MODEL,
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'Say the basmala' }],
    });
    stream.on('text', (t) => deltas.push(t));
    const message = await stream.finalMessage();

    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.join('')).toBe('In the name of God, the Most Merciful.');
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: MODEL,
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: 'In the name of God, the Most Merciful.' }],
      usage: { input_tokens: 42, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
    expect(message.id).toMatch(/^msg_/);

    const req = fake.lastRequest()!;
    expect(req).toMatchObject({ stream: true, status: 200, invalid: false, aborted: false, completed: true });
    // SDK 1.12 sends the apiKey as `authorization: Bearer`; the fake also accepts `x-api-key` (see the raw test).
    expect(req.headers.authorization).toBe('Bearer test');
    expect(req.body?.messages).toEqual([{ role: 'user', content: 'Say the basmala' }]);
  });

  it('sends the raw SSE event sequence of the real API (x-api-key accepted)', async () => {
    fake.enqueue({
      blocks: [
        { type: 'text', text: 'Hi there' },
        { type: 'tool_use', id: 'toolu_raw', name: 'search_quran', input: { query: 'x' } },
      ],
      chunkSize: 4,
    });
    const res = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: MODEL, max_tokens: 10, stream: true, tools, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const frames = (await res.text())
      .trim()
      .split('\n\n')
      .map((f) => {
        const [eventLine, dataLine] = f.split('\n');
        return { event: eventLine!.replace('event: ', ''), data: JSON.parse(dataLine!.replace('data: ', '')) };
      });
    // Each SSE event name matches the `type` in its data, as in the real API.
    for (const f of frames) expect(f.data.type).toBe(f.event);
    expect(frames.map((f) => (f.event === 'content_block_delta' ? f.data.delta.type : f.event))).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'text_delta',
      'text_delta',
      'content_block_stop',
      'content_block_start',
      'input_json_delta',
      'input_json_delta',
      'input_json_delta',
      'input_json_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(frames[0]!.data.message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: MODEL,
      content: [],
      stop_reason: null,
      usage: {
        input_tokens: expect.any(Number),
        output_tokens: expect.any(Number),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
    expect(frames[2]!.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    expect(frames[6]!.data).toEqual({
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'toolu_raw', name: 'search_quran', input: {} },
    });
    expect(frames[12]!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: expect.any(Number) },
    });
  });

  it('answers with the echo default when nothing is queued', async () => {
    const { message } = await streamAll({ messages: [{ role: 'user', content: [{ type: 'text', text: 'ping?' }] }] });
    expect(message.content).toEqual([{ type: 'text', text: 'Echo: ping?' }]);
  });

  it('uses respondWith when the queue is empty', async () => {
    fake.respondWith((body) => ({ blocks: [{ type: 'text', text: `${body.messages?.length} message(s)` }] }));
    const { message } = await streamAll({ messages: [{ role: 'user', content: 'a' }] });
    expect(message.content).toEqual([{ type: 'text', text: '1 message(s)' }]);
  });

  it('assembles a tool_use input from input_json_delta chunks', async () => {
    const input = { query: 'mercy of Allah', options: { limit: 10, langs: ['ar', 'en'] } };
    fake.enqueue({
      blocks: [
        { type: 'text', text: 'Let me search.' },
        { type: 'tool_use', id: 'toolu_test1', name: 'search_quran', input },
      ],
    });
    const { events, message } = await streamAll({ tools, messages: [{ role: 'user', content: 'mercy?' }] });

    const jsonDeltas = events.filter((e) => e.type === 'content_block_delta' && e.delta.type === 'input_json_delta');
    expect(jsonDeltas.length).toBeGreaterThan(2);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content[1]).toMatchObject({ type: 'tool_use', id: 'toolu_test1', name: 'search_quran', input });
  });

  it('delivers citations via citations_delta into finalMessage()', async () => {
    const citation = {
      type: 'char_location',
      cited_text: 'My mercy encompasses all things',
      document_index: 0,
      document_title: 'Quran 7:156',
      start_char_index: 0,
      end_char_index: 31,
      file_id: null,
    };
    fake.enqueue({
      blocks: [
        { type: 'text', text: 'The Quran says ' },
        { type: 'text', text: 'His mercy encompasses all things', citations: [citation] },
        { type: 'text', text: '.' },
      ],
    });
    const { events, message } = await streamAll({ messages: [{ role: 'user', content: 'mercy?' }] });

    const citationDeltas = events.filter((e) => e.type === 'content_block_delta' && e.delta.type === 'citations_delta');
    expect(citationDeltas).toHaveLength(1);
    const start = events.find((e) => e.type === 'content_block_start' && e.index === 1) as Anthropic.RawContentBlockStartEvent;
    expect(start.content_block).toEqual({ type: 'text', text: '', citations: [] });
    expect(message.content[1]).toEqual({ type: 'text', text: 'His mercy encompasses all things', citations: [citation] });
  });

  it('a round trip of the SDK output back into the history is accepted', async () => {
    fake.enqueue(
      { blocks: [{ type: 'tool_use', name: 'search_quran', input: { query: 'x' } }] },
      { blocks: [{ type: 'text', text: 'Done.' }] },
    );
    const first = await streamAll({ tools, messages: [{ role: 'user', content: 'q' }] });
    const toolUse = first.message.content[0] as Anthropic.ToolUseBlock;
    const second = await streamAll({
      tools,
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [{ type: 'tool_use', id: toolUse.id, name: toolUse.name, input: toolUse.input }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: 'result' }] },
      ],
    });
    expect(second.message.content).toEqual([{ type: 'text', text: 'Done.' }]);
    expect(fake.requests.map((r) => r.status)).toEqual([200, 200]);
  });

  it('answers 400 invalid_request_error for an invalid history, and records it', async () => {
    fake.enqueue({ blocks: [{ type: 'text', text: 'never sent' }] });
    const stream = client.messages.stream({
      model: MODEL,
      max_tokens: 1024,
      tools,
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_x', name: 'search_quran', input: null }] },
        { role: 'user', content: [{ type: 'text', text: '' }] },
      ],
    });
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const apiErr = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect(apiErr.status).toBe(400);
    expect(apiErr.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(apiErr.message).toContain('Input should be a valid dictionary');
    expect(apiErr.message).toContain('no tool_result in the next message');

    const req = fake.lastRequest()!;
    expect(req.invalid).toBe(true);
    expect(req.status).toBe(400);
    expect(req.violations.length).toBeGreaterThanOrEqual(3);
    expect(fake.pending()).toBe(1); // the rejected request did not consume the script
  });

  it('answers 401 without an API key', async () => {
    const res = await fetch(`${fake.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('accepts the key as authorization: Bearer and answers non-streamed requests with JSON', async () => {
    const bearer = new Anthropic({ authToken: 'tok', apiKey: null, baseURL: fake.url, maxRetries: 0 });
    fake.enqueue({
      blocks: [
        { type: 'text', text: 'plain' },
        { type: 'tool_use', name: 'search_quran', input: { query: 'y' } },
      ],
    });
    const message = await bearer.messages.create({ model: MODEL, max_tokens: 10, tools, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.content).toMatchObject([
      { type: 'text', text: 'plain', citations: null },
      { type: 'tool_use', name: 'search_quran', input: { query: 'y' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(fake.lastRequest()!.headers.authorization).toBe('Bearer tok');
    expect(fake.lastRequest()!.stream).toBe(false);
  });

  it('failBeforeStream gives an SDK error with the status', async () => {
    fake.enqueue({ blocks: [], failBeforeStream: { status: 529, type: 'overloaded_error', message: 'Overloaded' } });
    const err = await client.messages
      .stream({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'overloaded_error' } });
  });

  it('failAfterEvents gives a stream error after some text arrived', async () => {
    fake.enqueue({ blocks: [{ type: 'text', text: 'This answer will be cut short by an overload.' }], failAfterEvents: 6, chunkSize: 4 });
    const received: string[] = [];
    const stream = client.messages.stream({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    stream.on('text', (t) => received.push(t));
    const err = await stream.finalMessage().catch((e: unknown) => e);

    // message_start, ping, content_block_start, then 3 text deltas of 4 chars before the error event.
    expect(received.join('')).toBe('This answer ');
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
  });

  it('dropConnectionAfterEvents makes the SDK stream fail', async () => {
    fake.enqueue({ blocks: [{ type: 'text', text: 'Dropped halfway through.' }], dropConnectionAfterEvents: 4 });
    const received: string[] = [];
    const stream = client.messages.stream({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    stream.on('text', (t) => received.push(t));
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(received.join('')).toBe('Dropped ');
  });

  it('stallAfterEvents sends the first events, then nothing, holding the connection until the client leaves', async () => {
    fake.enqueue({ blocks: [{ type: 'text', text: 'Stalled halfway through.' }], stallAfterEvents: 4, chunkSize: 8 });
    const stream = client.messages.stream({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    const settled = stream.finalMessage().catch((e: unknown) => e);
    const first = await new Promise<string>((resolve) => stream.once('text', resolve));
    expect(first).toBe('Stalled ');
    // Nothing else arrives for a while (an absence can only be watched for), and the response is still open.
    let more = false;
    stream.on('text', () => (more = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.lastRequest()!.completed).toBe(false);
    stream.abort();
    expect(await settled).toBeInstanceOf(Anthropic.APIUserAbortError);
    expect(more).toBe(false);
    await expect.poll(() => fake.lastRequest()?.aborted, { timeout: 2000 }).toBe(true);
  });

  it('holdAfterEvents sends the first events, then waits for its promise before the rest', async () => {
    let release!: () => void;
    const until = new Promise<void>((resolve) => (release = resolve));
    fake.enqueue({ blocks: [{ type: 'text', text: 'Held halfway through.' }], chunkSize: 5, holdAfterEvents: { events: 4, until } });
    const received: string[] = [];
    const stream = client.messages.stream({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    const final = stream.finalMessage();
    const first = await new Promise<string>((resolve) => stream.once('text', resolve));
    stream.on('text', (t) => received.push(t));
    expect(first).toBe('Held ');
    expect(fake.lastRequest()!.completed).toBe(false);
    expect(received).toEqual([]);
    release();
    expect((await final).content).toMatchObject([{ type: 'text', text: 'Held halfway through.' }]);
    expect(received.join('')).toBe('halfway through.');
  });

  it('flushes events incrementally with chunkDelayMs', async () => {
    fake.enqueue({ blocks: [{ type: 'text', text: 'one two three four five six' }], chunkDelayMs: 30, chunkSize: 4 });
    const arrivals: number[] = [];
    const stream = client.messages.stream({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    stream.on('text', () => arrivals.push(Date.now()));
    await stream.finalMessage();
    expect(arrivals.length).toBeGreaterThan(5);
    // Spread over time rather than arriving in one burst at the end.
    expect(arrivals[arrivals.length - 1]! - arrivals[0]!).toBeGreaterThanOrEqual(100);
  });

  it('records aborted: true when the client goes away mid-stream', async () => {
    fake.enqueue({ blocks: [{ type: 'text', text: 'a long answer that the client will not wait for' }], chunkDelayMs: 20, chunkSize: 2 });
    const stream = client.messages.stream({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    const settled = stream.finalMessage().catch((e: unknown) => e); // the abort rejects it; keep that handled
    await new Promise<void>((resolve) => stream.once('text', () => resolve()));
    stream.abort();
    expect(await settled).toBeInstanceOf(Anthropic.APIUserAbortError);
    await expect.poll(() => fake.lastRequest()?.aborted, { timeout: 2000 }).toBe(true);
    expect(fake.lastRequest()!.completed).toBe(false);
  });
});
