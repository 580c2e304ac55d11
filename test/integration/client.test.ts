/**
 * The typed client (client/) against the real local server (`npm start`'s server on a free port, MongoDB, the real
 * Anthropic SDK against the fake Messages server): every route, both stream formats, a mid-stream failure, errors,
 * the refresh hook, the whole-body fallback, and display messages equal to `?format=text`.
 */
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiError, createClient, toDisplayMessages, type ApiClient, type ReplyEvent } from '#client/index.js';
import { INTERRUPTED_NOTICE } from '#lib/blocks/text.js';
import { newUser, tokenFor } from '#support/auth.js';
import { startFakeAnthropic, type FakeAnthropic } from '#support/fake-anthropic.js';
import { startFakeSearch, type FakeSearch } from '#support/fake-search.js';

let fake: FakeAnthropic;
let search: FakeSearch;
let server: http.Server;
let baseUrl = '';
let cleanup: () => Promise<void>;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  search = await startFakeSearch();
  // Config is parsed at the first import of lib/: the environment must be complete before the server loads a handler.
  Object.assign(process.env, {
    ANTHROPIC_BASE_URL: fake.url,
    ANTHROPIC_API_KEY: 'test-anthropic-key',
    ANTHROPIC_MAX_RETRIES: '0',
    ...Object.fromEntries(Object.entries(search.toolsConfig()).map(([k, v]) => [k, String(v)])),
  });
  const { createDevServer, listen } = await import('#scripts/dev-server.js');
  server = await createDevServer({ stage: 'test' });
  await listen(server, 0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { repliesSettled } = await import('#lib/agent/reply.js');
  const { closeMongo } = await import('#lib/db/mongo.js');
  cleanup = async () => {
    await repliesSettled();
    await closeMongo();
  };
});
afterAll(async () => {
  server?.close();
  await cleanup?.();
  await fake?.close();
  await search?.close();
});
beforeEach(() => {
  fake.reset();
  search.reset();
});

/** A client for a fresh user. */
async function clientFor(over: Partial<Parameters<typeof createClient>[0]> = {}): Promise<ApiClient> {
  const token = await tokenFor(newUser());
  return createClient({ baseUrl, getToken: () => token, ...over });
}

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

describe('the typed client against the local server', () => {
  it('creates, lists (with pages), reads, renames and deletes threads', async () => {
    const api = await clientFor();
    const first = await api.createThread({ name: '  Zakat  ' });
    expect(first).toMatchObject({ thread_name: 'Zakat', storage: 'mongodb', messages: [], metadata: {} });
    const second = await api.createThread();
    const page1 = await api.listThreads({ limit: 1 });
    expect(page1.threads.map((t) => t.thread_id)).toEqual([second.thread_id]);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = await api.listThreads({ limit: 1, cursor: page1.nextCursor! });
    expect([page2.threads.map((t) => t.thread_id), page2.nextCursor]).toEqual([[first.thread_id], undefined]);
    expect((await api.renameThread(first.thread_id, 'Fasting')).thread_name).toBe('Fasting');
    expect(await api.getThread(first.thread_id)).toMatchObject({ thread_name: 'Fasting', messages: [], has_more: false });
    await api.deleteThread(first.thread_id);
    const gone = await api.getThread(first.thread_id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ApiError);
    expect(gone).toMatchObject({ status: 404, detail: 'Thread not found', retryAfter: undefined });
  });

  it('streams a reply as text chunks with the message ids, equal to the stored reply in ?format=text', async () => {
    const api = await clientFor();
    const { thread_id } = await api.createThread();
    fake.enqueue({ blocks: [{ type: 'text', text: 'Zakat is the obligatory annual alms.' }], chunkSize: 4, chunkDelayMs: 5 });
    const reply = await api.sendMessage(thread_id, 'What is zakat?');
    const chunks = await collect(reply);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join('')).toBe('Zakat is the obligatory annual alms.');
    const text = await api.getThread(thread_id, { format: 'text' });
    expect(text.messages.map((m) => [m.id, m.role, m.content])).toEqual([
      [reply.messageId, 'user', 'What is zakat?'],
      [reply.replyMessageId, 'assistant', chunks.join('')],
    ]);
  });

  it('streams NDJSON events: text, the stored messages, done', async () => {
    const api = await clientFor();
    const { thread_id } = await api.createThread();
    fake.enqueue({ blocks: [{ type: 'text', text: 'Five daily prayers.' }] });
    const reply = await api.sendMessage(thread_id, 'How many prayers?', { format: 'ndjson' });
    const events: ReplyEvent[] = await collect(reply);
    expect(events.at(-1)).toEqual({ type: 'done' });
    const stored = events.flatMap((e) => (e.type === 'message' ? [e.message] : []));
    expect(stored.map((m) => [m.id, m.role])).toEqual([
      [reply.messageId, 'user'],
      [reply.replyMessageId, 'assistant'],
    ]);
    expect(
      events
        .filter((e) => e.type === 'text')
        .map((e) => e.text)
        .join(''),
    ).toBe('Five daily prayers.');
  });

  it('reports a mid-stream failure: the notice in text, an error event in NDJSON, the partial answer stored', async () => {
    const api = await clientFor();
    const { thread_id } = await api.createThread();
    fake.enqueue({ blocks: [{ type: 'text', text: 'The five pillars are the testimony of faith' }], chunkSize: 10, failAfterEvents: 5 });
    const text = await (await api.sendMessage(thread_id, 'Name the pillars')).text();
    expect(text).toBe(`The five pillars are${INTERRUPTED_NOTICE}`);
    fake.enqueue({ blocks: [{ type: 'text', text: 'Partial answer that breaks' }], chunkSize: 4, failAfterEvents: 5 });
    const events = await collect(await api.sendMessage(thread_id, 'Again', { format: 'ndjson' }));
    expect(events.slice(-2)).toEqual([{ type: 'error', detail: expect.any(String) }, { type: 'done' }]);
    const thread = await api.getThread(thread_id);
    expect(thread.messages.filter((m) => m.interrupted)).toHaveLength(2);
  });

  it('gives toDisplayMessages exactly what ?format=text gives, feedback included', async () => {
    const api = await clientFor();
    const { thread_id } = await api.createThread();
    fake.enqueue(
      { blocks: [{ type: 'tool_use', id: 'toolu_c1', name: 'search_quran', input: { query: 'zakat' } }] },
      { blocks: [{ type: 'text', text: 'It is due yearly.', citations: [] }] },
    );
    const reply = await api.sendMessage(thread_id, 'When is zakat due?');
    await reply.text();
    await api.addMessage(thread_id, { role: 'user', content: [{ type: 'text', text: 'Thanks' }] });
    await api.setFeedback(thread_id, reply.replyMessageId, { class: 'thumbsup', comment: 'clear' });
    const blocks = await api.getThread(thread_id);
    const text = await api.getThread(thread_id, { format: 'text' });
    expect(toDisplayMessages(blocks.messages)).toEqual(text.messages);
    expect(text.messages).toHaveLength(3);
  });

  it('stores a message without a reply, and sets and removes feedback', async () => {
    const api = await clientFor();
    const { thread_id } = await api.createThread();
    const user = await api.addMessage(thread_id, { role: 'user', content: 'Imported question' });
    const answer = await api.addMessage(thread_id, { role: 'assistant', content: [{ type: 'text', text: 'Imported answer' }] });
    expect(user).toMatchObject({ role: 'user', content: [{ type: 'text', text: 'Imported question' }] });
    const feedback = await api.setFeedback(thread_id, answer.id, { class: 'redflag' });
    expect(feedback).toMatchObject({ class: 'redflag', comment: null });
    await api.deleteFeedback(thread_id, answer.id);
    expect((await api.getThread(thread_id)).messages[1]!.feedback).toBeUndefined();
    const onUser = await api.setFeedback(thread_id, user.id, { class: 'thumbsup' }).catch((e: unknown) => e);
    expect(onUser).toMatchObject({ status: 400, detail: 'Feedback is for assistant messages' });
  });

  it('shares a thread, lists and reads the share without a token, and revokes it', async () => {
    const api = await clientFor();
    const { thread_id } = await api.createThread({ name: 'Shared' });
    await api.addMessage(thread_id, { role: 'user', content: 'Question' });
    const share = await api.shareThread(thread_id, { expires_in_days: 7 });
    expect(share).toMatchObject({ status: 'success', thread_id });
    expect((await api.listShares(thread_id)).map((s) => s.share_id)).toEqual([share.share_id]);
    // The public read sends no token: a client whose token is broken still opens the link.
    const anonymous = createClient({ baseUrl: `${baseUrl}/api/v3`, getToken: () => 'not-a-token' });
    expect(await anonymous.getShare(share.share_id)).toMatchObject({ share_id: share.share_id, thread_name: 'Shared' });
    expect((await anonymous.getShare(share.share_id, { format: 'text' })).messages).toEqual([
      expect.objectContaining({ role: 'user', content: 'Question' }),
    ]);
    await api.revokeShare(share.share_id);
    expect(await anonymous.getShare(share.share_id).catch((e: unknown) => e)).toMatchObject({ status: 404, detail: 'Share not found' });
  });

  it('exports every thread (NDJSON objects or Markdown text) and erases them all', async () => {
    const api = await clientFor();
    const first = await api.createThread({ name: 'First' });
    await api.addMessage(first.thread_id, { role: 'user', content: 'What is zakat?' });
    const second = await api.createThread({ name: 'Second' });
    const exported = await collect(await api.exportThreads());
    expect(exported.map((t) => t.thread_id).sort()).toEqual([first.thread_id, second.thread_id].sort());
    expect(exported.find((t) => t.thread_id === first.thread_id)).toEqual(await api.getThread(first.thread_id));
    const markdown = (await collect(await api.exportThreads({ format: 'markdown' }))).join('');
    expect(markdown).toContain('What is zakat?');
    let erased = await api.eraseThreads();
    while (!erased.complete) erased = await api.eraseThreads();
    expect(erased.deleted.threads).toBe(2);
    expect((await api.listThreads()).threads).toEqual([]);
  });

  it('reads the OpenAPI document', async () => {
    const api = createClient({ baseUrl });
    expect(await api.getOpenApi()).toMatchObject({ openapi: '3.1.0' });
  });
});

describe('errors', () => {
  it('throws ApiError with the status, the detail and Retry-After', async () => {
    const api = await clientFor();
    expect(await api.getThread('not-a-uuid').catch((e: unknown) => e)).toMatchObject({
      name: 'ApiError',
      status: 400,
      detail: expect.stringContaining('thread_id'),
    });
    const { thread_id } = await api.createThread();
    fake.enqueue({ blocks: [{ type: 'text', text: 'never sent' }], failAfterEvents: 0 });
    const busy = await api.sendMessage(thread_id, 'Hello?').catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(ApiError);
    expect(busy).toMatchObject({ status: 503, detail: 'The assistant is busy right now, please retry in a moment', retryAfter: 5 });
  });
});

describe('the token hooks', () => {
  it('refreshes once on a 401 and retries with the new token', async () => {
    const user = newUser();
    let token = await tokenFor(user, { expiresIn: -60 });
    let refreshes = 0;
    const api = createClient({
      baseUrl,
      getToken: () => token,
      onUnauthorized: async () => {
        refreshes++;
        token = await tokenFor(user);
        return true;
      },
    });
    const created = await api.createThread({ name: 'After refresh' });
    expect(refreshes).toBe(1);
    expect((await api.listThreads()).threads.map((t) => t.thread_id)).toEqual([created.thread_id]);
    expect(refreshes).toBe(1);
  });

  it('throws the 401 when the refresh fails or the retry is refused again (no loop)', async () => {
    const expired = await tokenFor(newUser(), { expiresIn: -60 });
    let calls = 0;
    const refused = createClient({ baseUrl, getToken: () => expired, onUnauthorized: () => (calls++, false) });
    expect(await refused.listThreads().catch((e: unknown) => e)).toMatchObject({ status: 401, detail: 'Token has expired' });
    const stubborn = createClient({ baseUrl, getToken: () => expired, onUnauthorized: () => (calls++, true) });
    expect(await stubborn.listThreads().catch((e: unknown) => e)).toMatchObject({ status: 401 });
    expect(calls).toBe(2);
  });
});

describe('a platform without response streams', () => {
  it('reads the whole body instead, in both formats', async () => {
    const token = await tokenFor(newUser());
    // A fetch whose responses have no `body` stream (as on platforms without ReadableStream).
    const noStreams: typeof fetch = async (...args) => {
      const res = await fetch(...args);
      const whole = new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
      Object.defineProperty(whole, 'body', { value: null });
      return whole;
    };
    const api = createClient({ baseUrl, getToken: () => token, fetch: noStreams });
    const { thread_id } = await api.createThread();
    fake.enqueue({ blocks: [{ type: 'text', text: 'One whole answer.' }], chunkSize: 3 });
    const chunks = await collect(await api.sendMessage(thread_id, 'Q1'));
    expect(chunks).toEqual(['One whole answer.']);
    fake.enqueue({ blocks: [{ type: 'text', text: 'Another.' }] });
    const events = await collect(await api.sendMessage(thread_id, 'Q2', { format: 'ndjson' }));
    expect(events.at(-1)).toEqual({ type: 'done' });
  });
});
