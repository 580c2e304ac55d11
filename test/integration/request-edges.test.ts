/** The edges of the body rules (lib/http/body.ts) and of the Authorization header (lib/http/auth.ts), through the handlers. */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as addMessage } from '#functions/add-message.js';
import { handler as createThread } from '#functions/create-thread.js';
import { handler as listThreads } from '#functions/list-threads.js';
import { ensureIndexes } from '#lib/db/indexes.js';
import { closeMongo, getDb } from '#lib/db/mongo.js';
import { DEV_SECRET_KEY } from '#lib/dev-secret.js';
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

const create = (token: string, body: unknown, headers: Record<string, string> = {}) =>
  call(createThread, { method: 'POST', path: '/api/v3/threads', token, body, headers });
const stored = async (userId: string) => (await threadsCollection()).countDocuments({ user_id: userId });

describe('media types', () => {
  it.each([
    'application/json',
    'APPLICATION/JSON',
    'application/json; charset=utf-8',
    'application/json ;charset=utf-8',
    'application/vnd.api+json',
  ])('takes %j', async (type) => {
    expect((await create(await tokenFor(newUser()), '{"name":"typed"}', { 'Content-Type': type })).status).toBe(201);
  });

  it.each(['text/json', 'application/jsonp', 'application/json-patch', 'xapplication/json', 'application/+json', 'text/plain'])(
    'refuses %j with 415, writing nothing',
    async (type) => {
      const user = newUser();
      const res = await create(await tokenFor(user), '{"name":"typed"}', { 'Content-Type': type });
      expect([res.status, res.json]).toEqual([415, { detail: 'Request body must be JSON (Content-Type: application/json)' }]);
      expect(await stored(user)).toBe(0);
    },
  );

  it('refuses a body without a Content-Type', async () => {
    const res = await call(createThread, { method: 'POST', token: await tokenFor(newUser()), body: '{}', headers: { 'Content-Type': '' } });
    expect(res.status).toBe(415);
  });

  it('treats an empty body as none, whatever its Content-Type, and an event without a body field likewise', async () => {
    const token = await tokenFor(newUser());
    expect((await call(createThread, { method: 'POST', token, body: '', headers: { 'Content-Type': '' } })).status).toBe(201);
    const noBodyField = (e: any, c: unknown) => (createThread as any)({ ...e, body: undefined }, c);
    expect((await call(noBodyField, { method: 'POST', token })).status).toBe(201);
  });

  it('treats a body of white space as no body', async () => {
    const res = await create(await tokenFor(newUser()), ' \n\t ');
    expect([res.status, res.json.thread_name]).toEqual([201, null]);
  });
});

describe('the nesting scan', () => {
  it('skips escaped quotes inside strings: brackets after \\" are still text', async () => {
    const name = '"' + '['.repeat(MAX_JSON_DEPTH + 5);
    const res = await create(await tokenFor(newUser()), JSON.stringify({ name: name.slice(0, 90) }));
    expect([res.status, res.json.thread_name]).toEqual([201, name.slice(0, 90)]);
  });

  it('counts arrays as objects: a list nested one level too deep is refused', async () => {
    const token = await tokenFor(newUser());
    const lists = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect((await create(token, lists(MAX_JSON_DEPTH + 1))).json.detail).toBe(`Invalid body: nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect((await create(token, lists(MAX_JSON_DEPTH))).json.detail).not.toMatch(/nested deeper/);
    const siblings = `{"name":"x","extra":[${Array.from({ length: MAX_JSON_DEPTH + 10 }, () => '[]').join(',')}]}`;
    expect((await create(token, siblings)).json.detail).not.toMatch(/nested deeper/);
  });

  it('counts depth, not the number of arrays and objects: many siblings pass', async () => {
    const token = await tokenFor(newUser());
    const thread = (await create(token, {})).json;
    const content = Array.from({ length: MAX_JSON_DEPTH + 10 }, (_, i) => ({ type: 'text', text: `part ${i}` }));
    const res = await callStreaming(addMessage, {
      method: 'POST',
      token,
      pathParameters: { thread_id: thread.thread_id },
      body: { role: 'user', respond: false, content },
    });
    expect(res.status).toBe(201);
  });
});

describe('lone surrogates at the top of the body', () => {
  it('names the body itself when it is a string, and the index when it is a list', async () => {
    const token = await tokenFor(newUser());
    expect((await create(token, '"\\ud800"')).json.detail).toBe(
      'Invalid body: (body): contains an unpaired surrogate (ill-formed Unicode)',
    );
    expect((await create(token, '["ok","\\udfff"]')).json.detail).toBe(
      'Invalid body: 1: contains an unpaired surrogate (ill-formed Unicode)',
    );
    expect((await create(token, '{"\\ud800":1}')).json.detail).toMatch(/^Invalid body: \ud800: contains an unpaired surrogate/u);
  });
});

describe('base64 bodies', () => {
  it('refuses more than 262,144 decoded bytes with 413 before decoding them, even when they are not UTF-8', async () => {
    const user = newUser();
    const bytes = Buffer.alloc(256 * 1024 + 1, 0xff);
    const res = await call(createThread, {
      method: 'POST',
      token: await tokenFor(user),
      body: bytes.toString('base64'),
      isBase64Encoded: true,
      headers: { 'Content-Type': 'application/json' },
    });
    expect([res.status, res.json]).toEqual([413, { detail: 'Request body is larger than 262144 bytes' }]);
    expect(await stored(user)).toBe(0);
  });
});

describe('the Authorization header', () => {
  const list = (authorization: string) => call(listThreads, { headers: { Authorization: authorization } });

  it('takes the scheme in any case, several spaces after it and white space after the token', async () => {
    const token = await tokenFor(newUser());
    for (const header of [`bearer ${token}`, `BEARER ${token}`, `Bearer   ${token}`, `Bearer ${token}  `]) {
      expect((await list(header)).status).toBe(200);
    }
  });

  it('refuses anything around the scheme and token', async () => {
    const token = await tokenFor(newUser());
    for (const header of [
      `xBearer ${token}`,
      `Bearer${token}`,
      `Bearer ${token} extra`,
      `Bearer ${token.slice(0, 20)} ${token.slice(20)}`,
      `Token ${token}`,
    ]) {
      const res = await list(header);
      expect([res.status, res.json]).toEqual([401, { detail: 'Invalid authorization header format' }]);
    }
  });

  it('takes a valid token of 8,192 characters and refuses one of 8,193 unread', async () => {
    const user = newUser();
    const key = new TextEncoder().encode(DEV_SECRET_KEY);
    const exp = Math.floor(Date.now() / 1000) + 600;
    const sized = async (chars: number) => {
      for (let pad = 0; pad < chars; pad++) {
        const token = await new SignJWT({ user_id: user, type: 'access', pad: 'p'.repeat(pad) })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime(exp)
          .sign(key);
        if (token.length === chars) return token;
        if (token.length > chars) pad += Math.max(0, Math.floor((chars - token.length) * 0.75) - 2);
      }
      throw new Error(`no token of ${chars} characters`);
    };
    const at = await sized(8192);
    const over = await sized(8193);
    expect((await list(`Bearer ${at}`)).status).toBe(200);
    expect(await list(`Bearer ${over}`)).toMatchObject({ status: 401, json: { detail: 'Could not validate credentials' } });
  });

  it('refuses a user id that is not a string, even one that reads as a UUID', async () => {
    const user = newUser();
    const res = await call(listThreads, { token: await tokenFor(user, { userId: [user] }) });
    expect([res.status, res.json]).toEqual([401, { detail: 'Invalid token identifier' }]);
  });

  it('reads the user id in lower case: an upper-case id in the token is the same user', async () => {
    const user = newUser();
    const upper = await tokenFor(user, { userId: user.toUpperCase() });
    const created = await create(upper, { name: 'mine' });
    expect(created.status).toBe(201);
    const listed = await call(listThreads, { token: await tokenFor(user) });
    expect(listed.json.map((t: { thread_id: string }) => t.thread_id)).toEqual([created.json.thread_id]);
  });
});
