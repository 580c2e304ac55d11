/** Feedback on messages through the real handlers: store, replace, delete, views, ownership, bad input, races, logs. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Message } from '#lib/blocks/types.js';
import { handler as deleteFeedback } from '#functions/delete-feedback.js';
import { handler as getShare } from '#functions/get-share.js';
import { handler as getThread } from '#functions/get-thread.js';
import { handler as setFeedback } from '#functions/set-feedback.js';
import { handler as shareThread } from '#functions/share-thread.js';
import { ensureIndexes } from '#lib/db/indexes.js';
import { closeMongo, getDb } from '#lib/db/mongo.js';
import { logger, metrics } from '#lib/observability.js';
import { mongoThreadStore, threadsCollection } from '#lib/threads/mongo-store.js';
import { messageBytes } from '#lib/threads/overflow.js';
import type { ThreadDoc } from '#lib/threads/types.js';
import { newUser, tokenFor } from '#support/auth.js';
import { call, type CallOptions } from '#support/lambda.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const t0 = new Date(Date.UTC(2026, 4, 1, 8, 0, 0, 0));

beforeAll(async () => {
  await ensureIndexes(await getDb());
});
afterAll(async () => {
  await closeMongo();
});

/** A question, a tool round and the final answer (the text view shows it as one reply with the id a2), then more. */
const conversation = (): Message[] => [
  { id: 'u1', role: 'user', content: [{ type: 'text', text: 'Is witr obligatory?' }], created_at: t0 },
  {
    id: 'a1',
    role: 'assistant',
    content: [
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'toolu_1', name: 'search_hadith', input: { query: 'witr' } },
    ],
    created_at: t0,
  },
  {
    id: 'r1',
    role: 'user',
    content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'Please see the references below.' }],
    created_at: t0,
  },
  { id: 'a2', role: 'assistant', content: [{ type: 'text', text: 'Most scholars hold it is a stressed sunnah.' }], created_at: t0 },
  { id: 'u2', role: 'user', content: [{ type: 'text', text: 'Thanks' }], created_at: t0 },
  { id: 'a3', role: 'assistant', content: [{ type: 'text', text: 'You are welcome.' }], created_at: t0 },
];

async function insertThread(userId: string, messages: Message[] = conversation()): Promise<string> {
  const doc: ThreadDoc = {
    thread_id: randomUUID(),
    name: 'Witr',
    user_id: userId,
    initial_source: 'web',
    created_at: t0,
    updated_at: t0,
    metadata: {},
    messages,
    size_bytes: messageBytes(messages),
    overflow_chunks: 0,
  };
  await (await threadsCollection()).insertOne({ ...doc });
  return doc.thread_id;
}

const feedbackPath = (threadId: string, messageId: string): CallOptions => ({
  path: `/api/v3/threads/${threadId}/messages/${messageId}/feedback`,
  resource: '/api/v3/threads/{thread_id}/messages/{message_id}/feedback',
  pathParameters: { thread_id: threadId, message_id: messageId },
});
const post = (token: string, threadId: string, messageId: string, body?: unknown, headers?: Record<string, string>) =>
  call(setFeedback, { method: 'POST', token, ...feedbackPath(threadId, messageId), body, ...(headers ? { headers } : {}) });
const del = (token: string, threadId: string, messageId: string) =>
  call(deleteFeedback, { method: 'DELETE', token, ...feedbackPath(threadId, messageId) });
const get = (token: string, threadId: string, query?: Record<string, string>) =>
  call(getThread, { token, path: `/api/v3/threads/${threadId}`, pathParameters: { thread_id: threadId }, ...(query ? { query } : {}) });

const stored = async (threadId: string) => (await threadsCollection()).findOne({ thread_id: threadId }, { projection: { _id: 0 } });
const storedMessage = async (threadId: string, id: string) => (await stored(threadId))!.messages.find((m) => m.id === id)!;

describe('POST /api/v3/threads/{thread_id}/messages/{message_id}/feedback', () => {
  it('stores the feedback in the message (comment trimmed) and answers 200 with it', async () => {
    const user = newUser();
    const id = await insertThread(user);
    const before = await stored(id);
    const res = await post(await tokenFor(user), id, 'a2', { class: 'thumbsup', comment: '  correct, complete  ' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      class: 'thumbsup',
      comment: 'correct, complete',
      created_at: expect.stringMatching(ISO),
      updated_at: res.json.created_at,
    });
    const doc = (await stored(id))!;
    expect(doc.messages.find((m) => m.id === 'a2')!.feedback).toEqual({
      class: 'thumbsup',
      comment: 'correct, complete',
      created_at: new Date(res.json.created_at),
      updated_at: new Date(res.json.created_at),
    });
    // Nothing else changed: other messages, the thread's place in the list, and the size counter is exact.
    expect(doc.messages.map(({ feedback: _f, ...m }) => m)).toEqual(before!.messages);
    expect(doc.updated_at).toEqual(t0);
    expect(doc.size_bytes).toBe(messageBytes(doc.messages));
  });

  it('shows the feedback in GET /threads/{id}, block and text views, on the reply id the text view gives', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const id = await insertThread(user);
    const text = await get(token, id, { format: 'text' });
    const replyId = text.json.messages[1].id;
    expect(replyId).toBe('a2');
    const { json: feedback } = await post(token, id, replyId, { class: 'redflag', comment: 'offensive' });
    const blocks = await get(token, id);
    expect(blocks.json.messages.find((m: { id: string }) => m.id === 'a2').feedback).toEqual(feedback);
    expect(blocks.json.messages.filter((m: { feedback?: unknown }) => m.feedback)).toHaveLength(1);
    const again = await get(token, id, { format: 'text' });
    expect(again.json.messages).toEqual([
      { id: 'u1', role: 'user', content: 'Is witr obligatory?', created_at: t0.toISOString() },
      {
        id: 'a2',
        role: 'assistant',
        content: 'Let me check.\n\nMost scholars hold it is a stressed sunnah.',
        created_at: t0.toISOString(),
        feedback,
      },
      { id: 'u2', role: 'user', content: 'Thanks', created_at: t0.toISOString() },
      { id: 'a3', role: 'assistant', content: 'You are welcome.', created_at: t0.toISOString() },
    ]);
  });

  it('replaces class and comment on a second call: updated_at moves, created_at stays the first time', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const id = await insertThread(user);
    const first = await post(token, id, 'a3', { class: 'thumbsup', comment: '' });
    expect(first.json.comment).toBeNull();
    await new Promise((r) => setTimeout(r, 5));
    const second = await post(token, id, 'a3', { class: 'thumbsdown', comment: 'incorrect - the hadith is weak' });
    expect(second.status).toBe(200);
    expect(second.json).toEqual({
      class: 'thumbsdown',
      comment: 'incorrect - the hadith is weak',
      created_at: first.json.created_at,
      updated_at: expect.stringMatching(ISO),
    });
    expect(new Date(second.json.updated_at).getTime()).toBeGreaterThan(new Date(first.json.created_at).getTime());
    await new Promise((r) => setTimeout(r, 5));
    const third = await post(token, id, 'a3', { class: 'thumbsdown' });
    expect(third.json).toMatchObject({ class: 'thumbsdown', comment: null, created_at: first.json.created_at });
    const m = await storedMessage(id, 'a3');
    expect(m.feedback).toEqual({
      class: 'thumbsdown',
      comment: null,
      created_at: new Date(first.json.created_at),
      updated_at: new Date(third.json.updated_at),
    });
    const doc = (await stored(id))!;
    expect(doc.size_bytes).toBe(messageBytes(doc.messages));
  });

  it('accepts a comment of 2,000 characters (counted after trimming, surrogate pairs as one) and a null comment', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const id = await insertThread(user);
    const long = '🌙'.repeat(2_000);
    const res = await post(token, id, 'a2', { class: 'thumbsup', comment: `   ${long}\n` });
    expect([res.status, res.json.comment]).toEqual([200, long]);
    const nul = await post(token, id, 'a3', { class: 'thumbsdown', comment: null });
    expect([nul.status, nul.json.comment]).toEqual([200, null]);
  });

  it('is a 400 on a user message (a question, a tool result), and nothing is written', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const id = await insertThread(user);
    const before = await stored(id);
    for (const messageId of ['u1', 'r1']) {
      const res = await post(token, id, messageId, { class: 'thumbsup' });
      expect([res.status, res.json]).toEqual([400, { detail: 'Feedback is for assistant messages' }]);
      const gone = await del(token, id, messageId);
      expect([gone.status, gone.json]).toEqual([400, { detail: 'Feedback is for assistant messages' }]);
    }
    expect(await stored(id)).toEqual(before);
  });

  it('is a 404 for another user’s thread, an unknown thread and an unknown message; nothing changes', async () => {
    const owner = newUser();
    const id = await insertThread(owner);
    const before = await stored(id);
    const stranger = await tokenFor(newUser());
    const own = await tokenFor(owner);
    for (const [token, threadId, messageId, detail] of [
      [stranger, id, 'a2', 'Thread not found'],
      [own, randomUUID(), 'a2', 'Thread not found'],
      [own, id, 'nope', 'Message not found'],
      // The app's own client-side ids (32 alphanumerics) match nothing.
      [own, id, 'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE', 'Message not found'],
    ] as const) {
      const res = await post(token, threadId, messageId, { class: 'thumbsdown' });
      expect([res.status, res.json]).toEqual([404, { detail }]);
      const gone = await del(token, threadId, messageId);
      expect([gone.status, gone.json]).toEqual([404, { detail }]);
    }
    expect(await stored(id)).toEqual(before);
  });

  it.each([
    ['an unknown class', { class: 'thumbs_up' }],
    ['no class', { comment: 'x' }],
    ['an unknown field', { class: 'thumbsup', comment: 'x', message_id: 'a2' }],
    ['an operator object for the class', { class: { $ne: null } }],
    ['an operator object for the comment', { class: 'thumbsup', comment: { $set: { messages: [] } } }],
    ['a number comment', { class: 'thumbsup', comment: 5 }],
    ['a comment over 2,000 characters', { class: 'thumbsup', comment: 'x'.repeat(2_001) }],
    ['an array', [{ class: 'thumbsup' }]],
    ['no body', undefined],
  ])('is a 400 for %s, and nothing is written', async (_what, body) => {
    const user = newUser();
    const id = await insertThread(user);
    const before = await stored(id);
    const res = await post(await tokenFor(user), id, 'a2', body);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ detail: expect.stringMatching(/^Invalid body: /) });
    expect(await stored(id)).toEqual(before);
  });

  it('answers 400 for malformed JSON or ids, 415 for a body that is not JSON, 413 for a huge one, 401 without a token', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const id = await insertThread(user);
    const before = await stored(id);
    const malformed = await post(token, id, 'a2', '{"class": "thumbsup"');
    expect([malformed.status, malformed.json]).toEqual([400, { detail: 'Malformed JSON body' }]);
    const form = await post(token, id, 'a2', 'class=thumbsup', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    const huge = await post(token, id, 'a2', { class: 'thumbsup', comment: 'x'.repeat(300 * 1024) });
    expect(huge.status).toBe(413);
    for (const [threadId, messageId] of [
      ['not-a-uuid', 'a2'],
      [id, '{"$gt":""}'],
      [id, 'a'.repeat(129)],
      [id, 'a2/../u1'],
    ]) {
      const res = await post(token, threadId!, messageId!, { class: 'thumbsup' });
      expect(res.status).toBe(400);
      expect(res.json.detail).toMatch(/^Invalid path: /);
    }
    const anon = await call(setFeedback, { method: 'POST', ...feedbackPath(id, 'a2'), body: { class: 'thumbsup' } });
    expect([anon.status, anon.headers['www-authenticate']]).toEqual([401, 'Bearer']);
    const anonDelete = await call(deleteFeedback, { method: 'DELETE', ...feedbackPath(id, 'a2') });
    expect(anonDelete.status).toBe(401);
    expect(await stored(id)).toEqual(before);
  });

  it('answers CORS preflights', async () => {
    const res = await call(setFeedback, {
      method: 'OPTIONS',
      ...feedbackPath(randomUUID(), 'a2'),
      headers: { Origin: 'https://askansari.ai', 'Access-Control-Request-Method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-methods']).toContain('DELETE');
  });
});

describe('DELETE /api/v3/threads/{thread_id}/messages/{message_id}/feedback', () => {
  it('removes the feedback (204), is 204 again when there is none, and leaves the rest alone', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const id = await insertThread(user);
    await post(token, id, 'a2', { class: 'thumbsup', comment: 'good' });
    const kept = await post(token, id, 'a3', { class: 'thumbsdown' });
    const res = await del(token, id, 'a2');
    expect([res.status, res.body]).toEqual([204, '']);
    const doc = (await stored(id))!;
    expect(doc.messages.find((m) => m.id === 'a2')).toEqual(conversation()[3]);
    expect(doc.messages.find((m) => m.id === 'a3')!.feedback).toEqual({
      class: 'thumbsdown',
      comment: null,
      created_at: new Date(kept.json.created_at),
      updated_at: new Date(kept.json.updated_at),
    });
    expect(doc.size_bytes).toBe(messageBytes(doc.messages));
    expect((await del(token, id, 'a2')).status).toBe(204);
    expect((await get(token, id)).json.messages.find((m: { id: string }) => m.id === 'a2').feedback).toBeUndefined();
  });
});

describe('feedback under concurrency', () => {
  it('stores 20 concurrent feedback writes on 20 different messages of one thread', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const messages: Message[] = Array.from({ length: 40 }, (_, i) => ({
      id: `m${i}`,
      role: i % 2 ? 'assistant' : 'user',
      content: [{ type: 'text', text: `message ${i}` }],
      created_at: t0,
    }));
    const id = await insertThread(user, messages);
    const rated = messages.filter((m) => m.role === 'assistant');
    const classes = ['thumbsup', 'thumbsdown', 'redflag'] as const;
    const results = await Promise.all(rated.map((m, i) => post(token, id, m.id, { class: classes[i % 3], comment: `note ${i}` })));
    expect(results.map((r) => r.status)).toEqual(rated.map(() => 200));
    const doc = (await stored(id))!;
    rated.forEach((m, i) => {
      expect(doc.messages.find((x) => x.id === m.id)!.feedback).toMatchObject({ class: classes[i % 3], comment: `note ${i}` });
    });
    expect(doc.messages.filter((m) => m.feedback)).toHaveLength(20);
    expect(doc.messages.map((m) => m.id)).toEqual(messages.map((m) => m.id));
    expect(doc.size_bytes).toBe(messageBytes(doc.messages));
  });

  it('loses neither the feedback nor the messages when feedback races appends', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const id = await insertThread(user);
    const appended: Message[] = Array.from({ length: 10 }, (_, i) => ({
      id: randomUUID(),
      role: 'user',
      content: [{ type: 'text', text: `more ${i}` }],
      created_at: new Date(),
    }));
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      ops.push(mongoThreadStore.appendMessages(user, id, [appended[i]!], new Date()));
      ops.push(post(token, id, i % 2 ? 'a2' : 'a3', { class: i % 2 ? 'thumbsup' : 'redflag', comment: `round ${i}` }));
    }
    ops.push(post(token, id, 'a1', { class: 'thumbsdown' }));
    const results = await Promise.all(ops);
    expect(results.filter((r) => typeof r === 'object' && (r as { status: number }).status !== 200)).toEqual([]);
    const doc = (await stored(id))!;
    expect(doc.messages.slice(0, 6).map((m) => m.id)).toEqual(['u1', 'a1', 'r1', 'a2', 'u2', 'a3']);
    expect(new Set(doc.messages.slice(6).map((m) => m.id))).toEqual(new Set(appended.map((m) => m.id)));
    expect(doc.messages.find((m) => m.id === 'a1')!.feedback).toMatchObject({ class: 'thumbsdown' });
    expect(doc.messages.find((m) => m.id === 'a2')!.feedback).toMatchObject({ class: 'thumbsup' });
    expect(doc.messages.find((m) => m.id === 'a3')!.feedback).toMatchObject({ class: 'redflag' });
    expect(doc.size_bytes).toBe(messageBytes(doc.messages));
  });
});

describe('feedback stays private', () => {
  it('is never in a share snapshot, made before or after the feedback', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const id = await insertThread(user);
    await post(token, id, 'a2', { class: 'thumbsdown', comment: 'secret remark' });
    const shared = await call(shareThread, { method: 'POST', token, resource: '/api/v3/share/{id}', pathParameters: { id } });
    expect(shared.status).toBe(201);
    for (const format of ['json', 'text']) {
      const read = await call(getShare, { pathParameters: { id: shared.json.share_id }, query: { format } });
      expect(read.status).toBe(200);
      expect(read.body).not.toContain('feedback');
      expect(read.body).not.toContain('secret remark');
    }
  });

  it('logs each write with thread id, message id and class, never the comment, and counts it by class', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const id = await insertThread(user);
    const info = vi.spyOn(logger, 'info');
    const recorded: [string, string][] = [];
    const single = vi.spyOn(metrics, 'singleMetric').mockImplementation(() => {
      const dims: Record<string, string> = {};
      return {
        addDimension: (k: string, v: string) => {
          dims[k] = v;
        },
        addMetric: (name: string) => {
          recorded.push([name, dims.class!]);
        },
      } as unknown as ReturnType<typeof metrics.singleMetric>;
    });
    try {
      await post(token, id, 'a2', { class: 'thumbsup', comment: 'very private words' });
      await post(token, id, 'a3', { class: 'redflag' });
      await del(token, id, 'a2');
      await del(token, id, 'a2'); // nothing left to remove: no record
      await post(token, id, 'u1', { class: 'thumbsup' }); // refused: no record
      const lines = info.mock.calls.filter(([msg]) => msg === 'feedback').map(([, fields]) => fields);
      expect(lines).toEqual([
        { action: 'set', threadId: id, messageId: 'a2', class: 'thumbsup', hasComment: true },
        { action: 'set', threadId: id, messageId: 'a3', class: 'redflag', hasComment: false },
        { action: 'remove', threadId: id, messageId: 'a2', class: 'thumbsup', hasComment: true },
      ]);
      expect(JSON.stringify(info.mock.calls)).not.toContain('very private words');
      expect(recorded).toEqual([
        ['Feedback', 'thumbsup'],
        ['Feedback', 'redflag'],
        ['FeedbackRemoved', 'thumbsup'],
      ]);
    } finally {
      info.mockRestore();
      single.mockRestore();
    }
  });
});
