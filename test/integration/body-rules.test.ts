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
