/** The thread routes through the real handlers against MongoDB: auth, validation, ownership, list, get, rename, delete. */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as createThread } from '#functions/create-thread.js';
import { handler as deleteThread } from '#functions/delete-thread.js';
import { handler as getThread } from '#functions/get-thread.js';
import { handler as listThreads } from '#functions/list-threads.js';
import { handler as renameThread } from '#functions/rename-thread.js';
import { closeMongo, getDb } from '#lib/db/mongo.js';
import { ensureIndexes } from '#lib/db/indexes.js';
import { DEV_SECRET_KEY } from '#lib/dev-secret.js';
import { authenticate } from '#lib/http/auth.js';
import { threadsCollection } from '#lib/threads/mongo-store.js';
import type { ThreadDoc } from '#lib/threads/types.js';
import { newUser, tokenFor } from '#support/auth.js';
import { call, type CallOptions } from '#support/lambda.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const JSON_TYPE = 'application/json; charset=utf-8';

beforeAll(async () => {
  await ensureIndexes(await getDb());
});
afterAll(async () => {
  await closeMongo();
});

async function create(token: string, body?: unknown) {
  return call(createThread, { method: 'POST', path: '/api/v3/threads', token, body });
}

const threadPath = (id: string, suffix = '') => ({
  path: `/api/v3/threads/${id}${suffix}`,
  resource: `/api/v3/threads/{thread_id}${suffix}`,
  pathParameters: { thread_id: id },
});

async function countFor(userId: string): Promise<number> {
  return (await threadsCollection()).countDocuments({ user_id: userId });
}

/** Inserts a thread directly, for tests that need control over times and messages. */
async function insertThread(userId: string, over: Partial<ThreadDoc> = {}): Promise<ThreadDoc> {
  const now = new Date();
  const doc: ThreadDoc = {
    thread_id: randomUUID(),
    name: null,
    user_id: userId,
    initial_source: 'web',
    created_at: now,
    updated_at: now,
    metadata: {},
    messages: [],
    ...over,
  };
  await (await threadsCollection()).insertOne({ ...doc });
  return doc;
}

describe('POST /api/v3/threads', () => {
  it('creates an empty thread with no body and answers 201 with the whole thread', async () => {
    const user = newUser();
    const res = await create(await tokenFor(user));
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    expect(res.json).toEqual({
      thread_id: expect.stringMatching(UUID),
      thread_name: null,
      created_at: expect.stringMatching(ISO),
      updated_at: res.json.created_at,
      initial_source: 'web',
      storage: 'mongodb',
      metadata: {},
      messages: [],
    });
    const stored = await (await threadsCollection()).findOne({ thread_id: res.json.thread_id }, { projection: { _id: 0 } });
    expect(stored).toEqual({
      thread_id: res.json.thread_id,
      name: null,
      user_id: user,
      initial_source: 'web',
      created_at: new Date(res.json.created_at),
      updated_at: new Date(res.json.created_at),
      metadata: {},
      messages: [],
      size_bytes: 0,
      overflow_chunks: 0,
    });
  });

  it('accepts {} and a name, source and metadata', async () => {
    const token = await tokenFor(newUser());
    expect((await create(token, {})).status).toBe(201);
    const res = await create(token, { name: '  Fasting questions ', initial_source: 'ios', metadata: { client: 'app', v: 3 } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ thread_name: 'Fasting questions', initial_source: 'ios', metadata: { client: 'app', v: 3 } });
  });

  it('stores all of 40 concurrent creates', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => create(token, { name: `t${i}` })));
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(201));
    expect(new Set(results.map((r) => r.json.thread_id)).size).toBe(40);
    expect(await countFor(user)).toBe(40);
    const list = await call(listThreads, { token });
    expect(list.json).toHaveLength(40);
  });

  it.each([
    ['an unknown field', { name: 'x', extra: 1 }, /extra|Unrecognized/i],
    ['a non-string name', { name: 42 }, /name/],
    ['an operator object as name', { name: { $gt: '' } }, /name/],
    ['a blank name', { name: '   ' }, /name: must not be blank/],
    ['an unknown source', { initial_source: 'fax' }, /initial_source/],
    ['metadata with an operator key', { metadata: { $where: 'x' } }, /metadata/],
    ['metadata with a dotted key', { metadata: { 'a.b': 1 } }, /metadata/],
    ['metadata over 16 KiB', { metadata: { blob: 'x'.repeat(17 * 1024) } }, /16 KiB/],
    ['a JSON array body', [1, 2], /body/],
  ])('rejects %s with 400 and writes nothing', async (_label, body, detail) => {
    const user = newUser();
    const res = await create(await tokenFor(user), body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    expect(Object.keys(res.json)).toEqual(['detail']);
    expect(res.json.detail).toMatch(detail);
    expect(await countFor(user)).toBe(0);
  });

  it('rejects malformed JSON (400), a non-JSON body (415) and an oversized body (413), writing nothing', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const malformed = await create(token, '{"name": "x"');
    expect([malformed.status, malformed.json]).toEqual([400, { detail: 'Malformed JSON body' }]);
    const text = await call(createThread, { method: 'POST', token, body: 'name=x', headers: { 'Content-Type': 'text/plain' } });
    expect([text.status, text.json]).toEqual([415, { detail: 'Request body must be JSON (Content-Type: application/json)' }]);
    const big = await create(token, { name: 'x', metadata: { pad: 'y'.repeat(300 * 1024) } });
    expect([big.status, big.json]).toEqual([413, { detail: 'Request body is larger than 262144 bytes' }]);
    expect(await countFor(user)).toBe(0);
  });
});

describe('GET /api/v3/threads', () => {
  it('lists only the caller’s threads, newest first, without messages', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const base = Date.UTC(2026, 0, 1);
    const a = await insertThread(user, { name: 'old', updated_at: new Date(base), created_at: new Date(base) });
    const b = await insertThread(user, {
      name: 'new',
      updated_at: new Date(base + 2000),
      created_at: new Date(base),
      messages: [{ id: 'm1', role: 'user', content: [{ type: 'text', text: 'hi' }], created_at: new Date(base) }],
    });
    const c = await insertThread(user, {
      name: 'mid',
      initial_source: 'android',
      updated_at: new Date(base + 1000),
      created_at: new Date(base),
    });
    await insertThread(newUser(), { name: 'someone else' });
    const res = await call(listThreads, { token });
    expect(res.status).toBe(200);
    expect(res.headers['x-next-cursor']).toBeUndefined();
    expect(res.json).toEqual(
      [b, c, a].map((t) => ({
        thread_id: t.thread_id,
        thread_name: t.name,
        created_at: t.created_at.toISOString(),
        updated_at: t.updated_at.toISOString(),
        initial_source: t.initial_source,
        storage: 'mongodb',
      })),
    );
  });

  it('breaks updated_at ties by thread_id, descending', async () => {
    const user = newUser();
    const same = new Date(Date.UTC(2026, 1, 1));
    const base = randomUUID();
    const ids = ['1', '3', '2'].map((first) => first + base.slice(1));
    for (const id of ids) await insertThread(user, { thread_id: id, updated_at: same, created_at: same });
    const res = await call(listThreads, { token: await tokenFor(user) });
    expect(res.json.map((t: { thread_id: string }) => t.thread_id)).toEqual([...ids].sort().reverse());
  });

  it('pages with limit and X-Next-Cursor, seeing every thread exactly once, in order', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const base = Date.UTC(2026, 2, 1);
    // Seven threads, two sharing a timestamp, so a page boundary falls inside a tie.
    const times = [0, 1000, 1000, 2000, 3000, 4000, 5000];
    for (const [i, dt] of times.entries()) await insertThread(user, { name: `t${i}`, updated_at: new Date(base + dt) });
    const all = (await call(listThreads, { token })).json as { thread_id: string }[];
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await call(listThreads, { token, query: { limit: '3', ...(cursor ? { cursor } : {}) } });
      expect(res.status).toBe(200);
      expect(res.json.length).toBeLessThanOrEqual(3);
      seen.push(...res.json.map((t: { thread_id: string }) => t.thread_id));
      cursor = res.headers['x-next-cursor'];
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(all.map((t) => t.thread_id));
  });

  it('has no cursor when the last page is exactly full', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    await insertThread(user);
    await insertThread(user);
    const res = await call(listThreads, { token, query: { limit: '2' } });
    expect(res.json).toHaveLength(2);
    expect(res.headers['x-next-cursor']).toBeUndefined();
  });

  it.each([
    [{ limit: '0' }],
    [{ limit: '501' }],
    [{ limit: 'ten' }],
    [{ limit: '2.5' }],
    [{ cursor: 'not-a-cursor' }],
    [{ cursor: Buffer.from('{"u":{"$gt":""},"t":"x"}').toString('base64url') }],
  ])('rejects a bad query %j with 400', async (query) => {
    const res = await call(listThreads, { token: await tokenFor(newUser()), query });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ detail: expect.stringMatching(/^Invalid query: /) });
  });
});

describe('GET /api/v3/threads/{thread_id}', () => {
  const t0 = new Date(Date.UTC(2026, 3, 1, 10, 0, 0, 123));
  const messages = [
    { id: 'u1', role: 'user' as const, content: [{ type: 'text', text: 'What is zakat?' }], created_at: t0, user_id: 'x' },
    {
      id: 'a1',
      role: 'assistant' as const,
      content: [
        { type: 'text', text: 'Let me search.' },
        { type: 'tool_use', id: 'toolu_1', name: 'search_quran', input: { query: 'zakat' } },
      ],
      created_at: t0,
    },
    {
      id: 'r1',
      role: 'user' as const,
      content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'Please see the references below.' }] }],
      created_at: t0,
    },
    {
      id: 'a2',
      role: 'assistant' as const,
      content: [
        { type: 'text', text: 'Zakat is obligatory charity' },
        {
          type: 'text',
          text: '.',
          citations: [
            { type: 'char_location', cited_text: 'And establish prayer and give zakah', document_title: 'Quran 2:43', document_index: 0 },
          ],
        },
        { type: 'future_block', payload: 1 },
      ],
      created_at: t0,
      model: 'claude-sonnet-5-5',
      stop_reason: 'end_turn',
    },
  ];

  it('returns the thread with every block as stored (owner ids left out)', async () => {
    const user = newUser();
    const t = await insertThread(user, { name: 'Zakat', messages, updated_at: t0, created_at: t0 });
    const res = await call(getThread, { token: await tokenFor(user), ...threadPath(t.thread_id) });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      thread_id: t.thread_id,
      thread_name: 'Zakat',
      created_at: t0.toISOString(),
      updated_at: t0.toISOString(),
      initial_source: 'web',
      storage: 'mongodb',
      metadata: {},
      has_more: false,
      messages: messages.map(({ user_id: _u, ...m }) => ({ ...m, created_at: t0.toISOString() })),
    });
  });

  it('?format=text gives display text: one message per reply, citations as markers and an appendix', async () => {
    const user = newUser();
    const t = await insertThread(user, { messages });
    const res = await call(getThread, { token: await tokenFor(user), ...threadPath(t.thread_id), query: { format: 'text' } });
    expect(res.status).toBe(200);
    expect(res.json.messages).toEqual([
      { id: 'u1', role: 'user', content: 'What is zakat?', created_at: t0.toISOString() },
      {
        id: 'a2',
        role: 'assistant',
        content:
          'Let me search.\n\nZakat is obligatory charity. [1]\n\n**Citations**:\n[1] Quran 2:43:\nAnd establish prayer and give zakah',
        created_at: t0.toISOString(),
      },
    ]);
  });

  it('pages messages with limit and before, and says whether older ones exist', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const many = Array.from({ length: 7 }, (_, i) => ({
      id: `m${i}`,
      role: (i % 2 ? 'assistant' : 'user') as 'user' | 'assistant',
      content: [{ type: 'text', text: `msg ${i}` }],
      created_at: t0,
    }));
    const t = await insertThread(user, { messages: many });
    const ids = (r: { json: { messages: { id: string }[] } }) => r.json.messages.map((m) => m.id);
    const last = await call(getThread, { token, ...threadPath(t.thread_id), query: { limit: '3' } });
    expect([ids(last), last.json.has_more]).toEqual([['m4', 'm5', 'm6'], true]);
    const older = await call(getThread, { token, ...threadPath(t.thread_id), query: { limit: '3', before: 'm4' } });
    expect([ids(older), older.json.has_more]).toEqual([['m1', 'm2', 'm3'], true]);
    const first = await call(getThread, { token, ...threadPath(t.thread_id), query: { limit: '3', before: 'm1' } });
    expect([ids(first), first.json.has_more]).toEqual([['m0'], false]);
    const none = await call(getThread, { token, ...threadPath(t.thread_id), query: { before: 'm0' } });
    expect([ids(none), none.json.has_more]).toEqual([[], false]);
    const unknown = await call(getThread, { token, ...threadPath(t.thread_id), query: { before: 'nope' } });
    expect([unknown.status, unknown.json]).toEqual([404, { detail: 'Message not found' }]);
  });

  it('is 404 for an unknown thread and 400 for a non-UUID id', async () => {
    const token = await tokenFor(newUser());
    const missing = await call(getThread, { token, ...threadPath(randomUUID()) });
    expect([missing.status, missing.json]).toEqual([404, { detail: 'Thread not found' }]);
    for (const bad of ['abc', '1234', "'; DROP TABLE threads; --", '{"$gt":""}']) {
      const res = await call(getThread, { token, ...threadPath(bad) });
      expect([res.status, res.json]).toEqual([400, { detail: 'Invalid path: thread_id: must be a UUID' }]);
    }
  });

  it('accepts an upper-case UUID as the same thread', async () => {
    const user = newUser();
    const t = await insertThread(user);
    const res = await call(getThread, { token: await tokenFor(user), ...threadPath(t.thread_id.toUpperCase()) });
    expect([res.status, res.json.thread_id]).toEqual([200, t.thread_id]);
  });

  it.each([[{ format: 'html' }], [{ limit: '-1' }], [{ limit: '501' }]])('rejects a bad query %j with 400', async (query) => {
    const user = newUser();
    const t = await insertThread(user);
    const res = await call(getThread, { token: await tokenFor(user), ...threadPath(t.thread_id), query });
    expect(res.status).toBe(400);
  });
});

describe('POST /api/v3/threads/{thread_id}/name', () => {
  const rename = async (token: string, id: string, body: unknown) =>
    call(renameThread, { method: 'POST', token, ...threadPath(id, '/name'), body });

  it('renames, trimming, and answers with the summary', async () => {
    const user = newUser();
    const t = await insertThread(user, { name: 'before' });
    const res = await rename(await tokenFor(user), t.thread_id, { name: '  Hajj planning \n' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      thread_id: t.thread_id,
      thread_name: 'Hajj planning',
      created_at: t.created_at.toISOString(),
      updated_at: t.updated_at.toISOString(),
      initial_source: 'web',
      storage: 'mongodb',
    });
    expect((await (await threadsCollection()).findOne({ thread_id: t.thread_id }))!.name).toBe('Hajj planning');
  });

  it('cuts a long name to 100 characters without splitting a surrogate pair', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const t = await insertThread(user);
    // 99 letters then emoji: the 100th character is a whole pair, the 101st is dropped.
    const res = await rename(token, t.thread_id, { name: `${'a'.repeat(99)}😀😀tail` });
    expect(res.json.thread_name).toBe(`${'a'.repeat(99)}😀`);
    expect(Array.from(res.json.thread_name as string)).toHaveLength(100);
    const arabic = 'بسم الله الرحمن الرحيم '.repeat(10);
    const res2 = await rename(token, t.thread_id, { name: arabic });
    expect(res2.json.thread_name).toBe(Array.from(arabic.trim()).slice(0, 100).join('').trimEnd());
    const emojis = await rename(token, t.thread_id, { name: '👍🏽'.repeat(60) });
    const stored = emojis.json.thread_name as string;
    expect(Array.from(stored)).toHaveLength(100);
    expect(/[\uD800-\uDBFF]$/.test(stored)).toBe(false);
  });

  it.each([
    ['a blank name', { name: '   ' }],
    ['an empty name', { name: '' }],
    ['a missing name', {}],
    ['a number', { name: 7 }],
    ['null', { name: null }],
    ['an operator object', { name: { $gt: '' } }],
    ['a $set smuggle', { name: 'x', $set: { user_id: 'me' } }],
    ['an unknown field', { name: 'x', user_id: 'y' }],
  ])('rejects %s with 400 and changes nothing', async (_label, body) => {
    const user = newUser();
    const t = await insertThread(user, { name: 'kept' });
    const res = await rename(await tokenFor(user), t.thread_id, body);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ detail: expect.stringMatching(/^Invalid body: /) });
    expect(await (await threadsCollection()).findOne({ thread_id: t.thread_id }, { projection: { _id: 0 } })).toEqual(t);
  });

  it('rejects a missing, malformed, non-JSON or oversized body without writing', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const t = await insertThread(user, { name: 'kept' });
    const cases: [CallOptions, number][] = [
      [{}, 400],
      [{ body: '{name:' }, 400],
      [{ body: 'name=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, 415],
      [{ body: { name: 'n'.repeat(300 * 1024) } }, 413],
    ];
    for (const [opts, status] of cases) {
      const res = await call(renameThread, { method: 'POST', token, ...threadPath(t.thread_id, '/name'), ...opts });
      expect(res.status).toBe(status);
      expect(Object.keys(res.json)).toEqual(['detail']);
    }
    expect((await (await threadsCollection()).findOne({ thread_id: t.thread_id }))!.name).toBe('kept');
  });

  it('is 404 for an unknown thread', async () => {
    const res = await rename(await tokenFor(newUser()), randomUUID(), { name: 'x' });
    expect([res.status, res.json]).toEqual([404, { detail: 'Thread not found' }]);
  });
});

describe('DELETE /api/v3/threads/{thread_id}', () => {
  it('deletes with 204 and no body; afterwards the thread is 404', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const t = await insertThread(user);
    const res = await call(deleteThread, { method: 'DELETE', token, ...threadPath(t.thread_id) });
    expect([res.status, res.body]).toEqual([204, '']);
    expect(await countFor(user)).toBe(0);
    const again = await call(deleteThread, { method: 'DELETE', token, ...threadPath(t.thread_id) });
    expect([again.status, again.json]).toEqual([404, { detail: 'Thread not found' }]);
    const get = await call(getThread, { token, ...threadPath(t.thread_id) });
    expect(get.status).toBe(404);
  });
});

describe('ownership', () => {
  it('hides another user’s thread: 404 on get, rename and delete, absent from the list, unchanged', async () => {
    const owner = newUser();
    const t = await insertThread(owner, { name: 'private' });
    const intruder = await tokenFor(newUser());
    const get = await call(getThread, { token: intruder, ...threadPath(t.thread_id) });
    const ren = await call(renameThread, { method: 'POST', token: intruder, ...threadPath(t.thread_id, '/name'), body: { name: 'pwned' } });
    const del = await call(deleteThread, { method: 'DELETE', token: intruder, ...threadPath(t.thread_id) });
    for (const res of [get, ren, del]) expect([res.status, res.json]).toEqual([404, { detail: 'Thread not found' }]);
    const list = await call(listThreads, { token: intruder });
    expect(list.json).toEqual([]);
    expect(await (await threadsCollection()).findOne({ thread_id: t.thread_id }, { projection: { _id: 0 } })).toEqual(t);
  });
});

describe('authentication', () => {
  const secret = new TextEncoder().encode(DEV_SECRET_KEY);
  const sign = (payload: Record<string, unknown>, alg = 'HS256', key: Uint8Array = secret) =>
    new SignJWT(payload).setProtectedHeader({ alg }).sign(key);
  const exp = () => Math.floor(Date.now() / 1000) + 600;
  const user = randomUUID();
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

  const cases: [string, () => Promise<Record<string, string>>, string][] = [
    ['no Authorization header', async () => ({}), 'Not authenticated'],
    ['a Basic scheme', async () => ({ Authorization: 'Basic dXNlcjpwYXNz' }), 'Invalid authorization header format'],
    ['Bearer with no token', async () => ({ Authorization: 'Bearer ' }), 'Invalid authorization header format'],
    ['a garbage token', async () => ({ Authorization: 'Bearer not.a.jwt' }), 'Could not validate credentials'],
    [
      'a bad signature',
      async () => ({
        Authorization: `Bearer ${await sign({ user_id: user, type: 'access', exp: exp() }, 'HS256', new TextEncoder().encode('wrong-secret'))}`,
      }),
      'Could not validate credentials',
    ],
    [
      'alg none',
      async () => ({ Authorization: `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ user_id: user, type: 'access', exp: exp() })}.` }),
      'Could not validate credentials',
    ],
    [
      'alg HS512',
      async () => ({
        Authorization: `Bearer ${await sign({ user_id: user, type: 'access', exp: exp() }, 'HS512', new Uint8Array(64).fill(1))}`,
      }),
      'Could not validate credentials',
    ],
    ['an expired token', async () => ({ Authorization: `Bearer ${await tokenFor(user, { expiresIn: -60 })}` }), 'Token has expired'],
    [
      'a token without exp',
      async () => ({ Authorization: `Bearer ${await sign({ user_id: user, type: 'access' })}` }),
      'Could not validate credentials',
    ],
    ['a refresh token', async () => ({ Authorization: `Bearer ${await tokenFor(user, { type: 'refresh' })}` }), 'Invalid token type'],
    ['a reset token', async () => ({ Authorization: `Bearer ${await tokenFor(user, { type: 'reset' })}` }), 'Invalid token type'],
    [
      'a user_id that is not a UUID',
      async () => ({ Authorization: `Bearer ${await tokenFor(user, { userId: '507f1f77bcf86cd799439011' })}` }),
      'Invalid token identifier',
    ],
    [
      'a user_id operator object',
      async () => ({ Authorization: `Bearer ${await tokenFor(user, { userId: { $ne: null } })}` }),
      'Invalid token identifier',
    ],
  ];

  it('remembers the last 1,000 tokens it checked, the oldest out first', async () => {
    // A user of its own: a token is remembered by its text, and another test's token could be the same text.
    const me = newUser();
    const tokens = await Promise.all(Array.from({ length: 1_001 }, (_, i) => sign({ user_id: me, type: 'access', exp: exp() + i })));
    const checks = vi.spyOn(crypto.subtle, 'verify');
    try {
      for (const token of tokens.slice(0, 1_000)) expect(await authenticate(`Bearer ${token}`)).toBe(me);
      expect(checks).toHaveBeenCalledTimes(1_000);
      await authenticate(`Bearer ${tokens[0]}`); // still remembered: 1,000 held
      await authenticate(`Bearer ${tokens[1_000]}`); // the 1,001st: the oldest goes
      await authenticate(`Bearer ${tokens[999]}`); // still remembered
      expect(checks).toHaveBeenCalledTimes(1_001);
      await authenticate(`Bearer ${tokens[0]}`); // checked again
      expect(checks).toHaveBeenCalledTimes(1_002);
    } finally {
      checks.mockRestore();
    }
  });

  it('checks a token once per container, and still refuses it at its expiry', async () => {
    const expiry = exp();
    const token = await sign({ user_id: newUser(), type: 'access', exp: expiry });
    // jose checks the signature with Web Crypto: once for the first request, not for the next ones.
    const checks = vi.spyOn(crypto.subtle, 'verify');
    try {
      expect((await call(listThreads, { token })).status).toBe(200);
      expect((await call(listThreads, { token })).status).toBe(200);
      expect(checks).toHaveBeenCalledTimes(1);
    } finally {
      checks.mockRestore();
    }
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime((expiry - 1) * 1000);
      expect((await call(listThreads, { token })).status).toBe(200);
      vi.setSystemTime(expiry * 1000);
      const res = await call(listThreads, { token });
      expect([res.status, res.json]).toEqual([401, { detail: 'Token has expired' }]);
    } finally {
      vi.useRealTimers();
    }
  });

  it.each(cases)('rejects %s with 401, WWW-Authenticate: Bearer and a detail, writing nothing', async (_label, headers, detail) => {
    const before = await countFor(user);
    for (const [fn, opts] of [
      [listThreads, {}],
      [createThread, { method: 'POST', body: { name: 'x' } }],
      [getThread, threadPath(randomUUID())],
    ] as [unknown, CallOptions][]) {
      const res = await call(fn, { ...opts, headers: await headers() });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.json).toEqual({ detail });
    }
    expect(await countFor(user)).toBe(before);
  });

  it('authenticates before validating input (401, not 400, for a bad id without a token)', async () => {
    const res = await call(getThread, threadPath('not-a-uuid'));
    expect(res.status).toBe(401);
  });
});

describe('CORS', () => {
  it('answers an OPTIONS preflight without credentials', async () => {
    const res = await call(createThread, {
      method: 'OPTIONS',
      headers: { Origin: 'https://askansari.ai', 'Access-Control-Request-Method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'Authorization,Content-Type,Accept',
      'access-control-allow-methods': 'GET,POST,DELETE,OPTIONS',
    });
  });

  it('exposes the custom headers on normal and error responses', async () => {
    const ok = await call(listThreads, { token: await tokenFor(newUser()), headers: { Origin: 'https://askansari.ai' } });
    const err = await call(listThreads, { headers: { Origin: 'https://askansari.ai' } });
    for (const res of [ok, err]) {
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-expose-headers']).toContain('X-Next-Cursor');
    }
  });
});

describe('?format=text with paging', () => {
  it('counts replies, not stored messages, so a reply with tool rounds is never cut', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const t0 = new Date(Date.UTC(2026, 5, 1));
    const text = (id: string, role: 'user' | 'assistant', value: string) => ({
      id,
      role,
      content: [{ type: 'text', text: value }],
      created_at: t0,
    });
    const t = await insertThread(user, {
      messages: [
        text('q1', 'user', 'First?'),
        text('a1', 'assistant', 'First answer.'),
        text('q2', 'user', 'Second?'),
        {
          id: 'a2',
          role: 'assistant',
          content: [
            { type: 'text', text: 'Searching.' },
            { type: 'tool_use', id: 'toolu_p', name: 'search_quran', input: { query: 'x' } },
          ],
          created_at: t0,
        },
        { id: 'r2', role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_p', content: 'none' }], created_at: t0 },
        text('a3', 'assistant', 'Second answer.'),
      ],
    });
    const page = (query: Record<string, string>) =>
      call(getThread, { token, ...threadPath(t.thread_id), query: { format: 'text', ...query } });
    const last = await page({ limit: '1' });
    expect([last.json.messages, last.json.has_more]).toEqual([
      [{ id: 'a3', role: 'assistant', content: 'Searching.\n\nSecond answer.', created_at: t0.toISOString() }],
      true,
    ]);
    const older = await page({ limit: '2', before: 'a3' });
    expect([older.json.messages.map((m: { id: string }) => m.id), older.json.has_more]).toEqual([['a1', 'q2'], true]);
    const rest = await page({ before: 'a1' });
    expect([rest.json.messages.map((m: { id: string }) => m.id), rest.json.has_more]).toEqual([['q1'], false]);
    const unknown = await page({ before: 'r2' });
    expect(unknown.status).toBe(404);
  });
});

describe('retries after an ambiguous failure (the write landed, its answer was lost)', () => {
  /** The next `method` call on the threads collection runs for real, then fails as a dropped connection would. */
  async function loseNextAnswer(method: 'insertOne' | 'deleteOne') {
    const { Collection, MongoNetworkError } = await import('mongodb');
    const name = (await threadsCollection()).collectionName;
    const original = Collection.prototype[method] as (...args: unknown[]) => Promise<unknown>;
    let lost = 0;
    const spy = vi.spyOn(Collection.prototype, method).mockImplementation(async function (
      this: InstanceType<typeof Collection>,
      ...args: unknown[]
    ) {
      const result = await original.apply(this, args);
      if (this.collectionName !== name || lost > 0) return result;
      lost++;
      throw new MongoNetworkError('connection reset after the write');
    } as never);
    return { restore: () => spy.mockRestore(), lost: () => lost };
  }

  it('creates the thread once: the retry finds the insert landed and answers 201', async () => {
    const user = newUser();
    const fault = await loseNextAnswer('insertOne');
    try {
      const res = await create(await tokenFor(user), { name: 'landed' });
      expect(fault.lost()).toBe(1);
      expect([res.status, res.json.thread_name]).toEqual([201, 'landed']);
    } finally {
      fault.restore();
    }
    const stored = await (await threadsCollection()).find({ user_id: user }).toArray();
    expect(stored.map((t) => t.thread_id)).toEqual([expect.stringMatching(UUID)]);
  });

  it('deletes the thread once: the retry finds it gone and answers 204, not 404', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const { thread_id } = (await create(token, { name: 'deleted' })).json;
    const fault = await loseNextAnswer('deleteOne');
    let res;
    try {
      res = await call(deleteThread, { method: 'DELETE', token, ...threadPath(thread_id) });
      expect(fault.lost()).toBe(1);
    } finally {
      fault.restore();
    }
    expect(res.status).toBe(204);
    expect(await countFor(user)).toBe(0);
    // A delete that finds nothing on its first attempt is still a 404.
    expect((await call(deleteThread, { method: 'DELETE', token, ...threadPath(thread_id) })).status).toBe(404);
  });
});
