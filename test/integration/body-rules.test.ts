/** Input the drill found slipping through: deep nesting, lone surrogates, non-decimal counts, bodies in base64. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as addMessage } from '#functions/add-message.js';
import { handler as createThread } from '#functions/create-thread.js';
import { handler as getThread } from '#functions/get-thread.js';
import { handler as listThreads } from '#functions/list-threads.js';
import { ensureIndexes } from '#lib/db/indexes.js';
import { closeMongo, getDb } from '#lib/db/mongo.js';
import { MAX_JSON_DEPTH } from '#lib/http/body.js';
import { threadsCollection } from '#lib/threads/mongo-store.js';
import { newUser, tokenFor } from '#support/auth.js';
import { call, callStreaming } from '#support/lambda.js';

beforeAll(async () => {
  await ensureIndexes(await getDb());
});
afterAll(async () => {
  await closeMongo();
});

const create = (token: string, body: unknown, extra: Record<string, unknown> = {}) =>
  call(createThread, { method: 'POST', path: '/api/v3/threads', token, body, ...extra });
const stored = async (userId: string) => (await threadsCollection()).countDocuments({ user_id: userId });
/** `{"metadata": {"a": {"a": ... {} }}}` with `levels` nested objects in all (the body itself counted). */
const nested = (levels: number) => `{"metadata":${'{"a":'.repeat(levels - 2)}{}${'}'.repeat(levels - 2)}}`;

describe('nesting', () => {
  it('refuses a body nested 4,112 levels deep with a clear 400, writing nothing', async () => {
    const user = newUser();
    const res = await create(await tokenFor(user), nested(4112));
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ detail: `Invalid body: nested deeper than ${MAX_JSON_DEPTH} levels` });
    expect(await stored(user)).toBe(0);
  });

  it('draws the line at exactly the limit, brackets inside strings not counted', async () => {
    const token = await tokenFor(newUser());
    expect((await create(token, nested(MAX_JSON_DEPTH + 1))).json.detail).toMatch(/nested deeper/);
    // At the limit the depth rule passes (the metadata rules then speak for themselves).
    expect((await create(token, nested(MAX_JSON_DEPTH))).json.detail).not.toMatch(/nested deeper/);
    const brackets = await create(token, { name: '['.repeat(200) + '{'.repeat(200) });
    expect(brackets.status).toBe(201);
  });
});

describe('ill-formed Unicode', () => {
  it('refuses a lone surrogate in a string value, naming the field, and writes nothing', async () => {
    const user = newUser();
    const res = await create(await tokenFor(user), '{"name":"a\\ud800b"}');
    expect(res.status).toBe(400);
    expect(res.json.detail).toBe('Invalid body: name: contains an unpaired surrogate (ill-formed Unicode)');
    expect(await stored(user)).toBe(0);
  });

  it('names nested fields and keys, in message content too', async () => {
    const token = await tokenFor(newUser());
    expect((await create(token, '{"metadata":{"k":["ok","\\udc00"]}}')).json.detail).toMatch(/^Invalid body: metadata\.k\.1: /);
    expect((await create(token, '{"metadata":{"x\\ud800":1}}')).json.detail).toMatch(/^Invalid body: metadata\.x\ud800: /u);
    const thread = (await create(token, {})).json;
    const res = await callStreaming(addMessage, {
      method: 'POST',
      token,
      pathParameters: { thread_id: thread.thread_id },
      body: '{"role":"user","respond":false,"content":[{"type":"text","text":"\\ud83d"}]}',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).detail).toMatch(/^Invalid body: content\.0\.text: contains an unpaired surrogate/);
    const got = await call(getThread, { token, pathParameters: { thread_id: thread.thread_id } });
    expect(got.json.messages).toEqual([]);
  });

  it('keeps well-formed pairs (emoji, supplementary characters) exactly', async () => {
    const token = await tokenFor(newUser());
    const name = 'du‘a 🤲 𝔸';
    const res = await create(token, { name });
    expect(res.status).toBe(201);
    const got = await call(getThread, { token, pathParameters: { thread_id: res.json.thread_id } });
    expect(got.json.thread_name).toBe(name);
  });
});

describe('base64-encoded bodies (API Gateway binary media)', () => {
  it('reads a base64 JSON body like a plain one', async () => {
    const res = await create(await tokenFor(newUser()), Buffer.from('{"name":"from base64"}').toString('base64'), {
      isBase64Encoded: true,
      headers: { 'Content-Type': 'application/json' },
    });
    expect([res.status, res.json.thread_name]).toEqual([201, 'from base64']);
  });

  it('refuses bytes that are not UTF-8 with a 400, writing nothing', async () => {
    const user = newUser();
    const bytes = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const res = await create(await tokenFor(user), bytes.toString('base64'), {
      isBase64Encoded: true,
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ detail: 'Request body is not valid UTF-8' });
    expect(await stored(user)).toBe(0);
  });
});

describe('numeric query values', () => {
  it.each(['0x10', '1e1', '+5', ' 5', '5.0', '0b1', ''])('refuses limit=%j: decimal digits only', async (limit) => {
    const res = await call(listThreads, { token: await tokenFor(newUser()), query: { limit } });
    expect(res.status).toBe(400);
    expect(res.json.detail).toMatch(/^Invalid query: limit: /);
  });

  it('accepts a plain decimal limit, leading zeros included', async () => {
    const token = await tokenFor(newUser());
    for (let i = 0; i < 3; i++) await create(token, {});
    const res = await call(listThreads, { token, query: { limit: '02' } });
    expect([res.status, res.json.length, typeof res.headers['x-next-cursor']]).toEqual([200, 2, 'string']);
  });
});

describe('the 256 KiB body limit, in bytes', () => {
  const LIMIT = 256 * 1024;
  const prefix = '{"role":"user","respond":false,"content":[{"type":"text","text":"';
  const suffix = '"}]}';
  /** A respond:false message body of exactly `bytes` UTF-8 bytes, its text made of `unit` (then ASCII to fill). */
  const bodyOf = (bytes: number, unit: string) => {
    const room = bytes - Buffer.byteLength(prefix + suffix);
    const units = Math.floor(room / Buffer.byteLength(unit));
    const body = prefix + unit.repeat(units) + 'x'.repeat(room - units * Buffer.byteLength(unit)) + suffix;
    expect(Buffer.byteLength(body)).toBe(bytes);
    return body;
  };
  const post = async (body: string) => {
    const user = newUser();
    const token = await tokenFor(user);
    const thread = (await create(token, {})).json;
    const res = await callStreaming(addMessage, { method: 'POST', token, pathParameters: { thread_id: thread.thread_id }, body });
    const got = await call(getThread, { token, pathParameters: { thread_id: thread.thread_id } });
    return { status: res.status, json: res.json, stored: got.json.messages.length };
  };

  // 'x' is one byte a character; 'ب' two bytes in one UTF-16 unit; '🌙' four bytes in two UTF-16 units: a limit counted
  // in characters or UTF-16 units instead of bytes lets the multibyte bodies through.
  it.each([
    ['ASCII', 'x'],
    ['Arabic (2 bytes a character)', 'ب'],
    ['emoji (4 bytes, 2 UTF-16 units)', '🌙'],
  ])('takes exactly 262,144 bytes and refuses 262,145 (%s), storing nothing then', async (_name, unit) => {
    expect(await post(bodyOf(LIMIT, unit))).toMatchObject({ status: 201, stored: 1 });
    expect(await post(bodyOf(LIMIT + 1, unit))).toEqual({
      status: 413,
      json: { detail: 'Request body is larger than 262144 bytes' },
      stored: 0,
    });
  });

  it('counts the decoded bytes of a base64 body', async () => {
    const token = await tokenFor(newUser());
    const thread = (await create(token, {})).json;
    const send = (body: string) =>
      callStreaming(addMessage, {
        method: 'POST',
        token,
        pathParameters: { thread_id: thread.thread_id },
        body: Buffer.from(body).toString('base64'),
        isBase64Encoded: true,
        headers: { 'Content-Type': 'application/json' },
      });
    expect((await send(bodyOf(LIMIT, 'ب'))).status).toBe(201);
    expect((await send(bodyOf(LIMIT + 1, 'ب'))).status).toBe(413);
  });
});

describe('content limits of a message', () => {
  const post = async (content: unknown) => {
    const user = newUser();
    const token = await tokenFor(user);
    const thread = (await create(token, {})).json;
    const res = await callStreaming(addMessage, {
      method: 'POST',
      token,
      pathParameters: { thread_id: thread.thread_id },
      body: { role: 'user', respond: false, content },
    });
    const got = await call(getThread, { token, pathParameters: { thread_id: thread.thread_id } });
    return { status: res.status, detail: res.json?.detail, stored: got.json.messages.length };
  };

  it('takes a string of 200,000 characters and refuses 200,001, storing nothing', async () => {
    expect(await post('x'.repeat(200_000))).toMatchObject({ status: 201, stored: 1 });
    const over = await post('x'.repeat(200_001));
    expect([over.status, over.stored]).toEqual([400, 0]);
    expect(over.detail).toMatch(/^Invalid body: content: /);
  });

  it('takes 100 blocks and refuses 101, storing nothing', async () => {
    const blocks = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'text', text: `block ${i}` }));
    expect(await post(blocks(100))).toMatchObject({ status: 201, stored: 1 });
    const over = await post(blocks(101));
    expect([over.status, over.stored]).toEqual([400, 0]);
    expect(over.detail).toMatch(/^Invalid body: content: /);
  });
});
