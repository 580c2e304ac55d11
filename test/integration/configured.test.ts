/**
 * Settings that change behaviour only when configured, with the environment set before the first import (config is
 * parsed once per container): a CORS_ORIGINS list, SHARE_DEFAULT_EXPIRES_DAYS, ANTHROPIC_TEMPERATURE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, tokenFor } from '#support/auth.js';
import { startFakeAnthropic, type FakeAnthropic } from '#support/fake-anthropic.js';
import { call, callStreaming } from '#support/lambda.js';

const DAY = 86_400_000;
const ALLOWED = ['https://ansari.chat', 'https://beta.ansari.chat'];

let fake: FakeAnthropic;
let handlers: { list: unknown; create: unknown; share: unknown; addMessage: unknown };
let closeMongo: () => Promise<void>;
let repliesSettled: () => Promise<void>;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  Object.assign(process.env, {
    CORS_ORIGINS: ` ${ALLOWED[0]}, ${ALLOWED[1]} ,`,
    SHARE_DEFAULT_EXPIRES_DAYS: '3',
    ANTHROPIC_TEMPERATURE: '0.3',
    ANTHROPIC_BASE_URL: fake.url,
    ANTHROPIC_API_KEY: 'test-anthropic-key',
    ANTHROPIC_MAX_RETRIES: '0',
  });
  handlers = {
    list: (await import('#functions/list-threads.js')).handler,
    create: (await import('#functions/create-thread.js')).handler,
    share: (await import('#functions/share-thread.js')).handler,
    addMessage: (await import('#functions/add-message.js')).handler,
  };
  ({ repliesSettled } = await import('#lib/agent/reply.js'));
  const db = await import('#lib/db/mongo.js');
  closeMongo = db.closeMongo;
  await (await import('#lib/db/indexes.js')).ensureIndexes(await db.getDb());
});
afterAll(async () => {
  await repliesSettled?.();
  await closeMongo?.();
  await fake?.close();
});

describe('CORS_ORIGINS', () => {
  it('answers each listed origin with itself (Vary: Origin), on preflights, answers and errors', async () => {
    const token = await tokenFor(newUser());
    for (const origin of ALLOWED) {
      const preflight = await call(handlers.create, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
      });
      const ok = await call(handlers.list, { token, headers: { Origin: origin } });
      const refused = await call(handlers.list, { headers: { Origin: origin } });
      expect([preflight.status, ok.status, refused.status]).toEqual([204, 200, 401]);
      for (const res of [preflight, ok, refused]) {
        expect(res.headers['access-control-allow-origin']).toBe(origin);
        expect(res.headers.vary).toMatch(/Origin/);
      }
    }
  });

  it('never allows an origin that is not listed, nor answers with the wildcard', async () => {
    for (const origin of ['https://evil.example', 'https://ansari.chat.evil.example', 'null']) {
      const res = await call(handlers.list, { token: await tokenFor(newUser()), headers: { Origin: origin } });
      expect(res.status).toBe(200);
      expect([origin, '*']).not.toContain(res.headers['access-control-allow-origin']);
    }
  });
});

describe('SHARE_DEFAULT_EXPIRES_DAYS', () => {
  it('gives a share without expires_in_days that many days; an explicit expires_in_days wins', async () => {
    const token = await tokenFor(newUser());
    const thread = (await call(handlers.create, { method: 'POST', token, body: { name: 'shared' } })).json;
    const share = (body?: unknown) => call(handlers.share, { method: 'POST', token, pathParameters: { id: thread.thread_id }, body });
    const lifetime = (json: { created_at: string; expires_at: string | null }) =>
      json.expires_at === null ? null : new Date(json.expires_at).getTime() - new Date(json.created_at).getTime();
    const byDefault = await share();
    expect(byDefault.status).toBe(201);
    expect(lifetime(byDefault.json)).toBe(3 * DAY);
    expect(lifetime((await share({})).json)).toBe(3 * DAY);
    expect(lifetime((await share({ expires_in_days: 30 })).json)).toBe(30 * DAY);
  });
});

describe('ANTHROPIC_TEMPERATURE', () => {
  it('is sent with every model request when configured', async () => {
    const token = await tokenFor(newUser());
    const thread = (await call(handlers.create, { method: 'POST', token, body: {} })).json;
    fake.enqueue({ blocks: [{ type: 'text', text: 'Sabr is patience.' }] });
    const res = await callStreaming(handlers.addMessage, {
      method: 'POST',
      token,
      pathParameters: { thread_id: thread.thread_id },
      body: { role: 'user', content: 'What is sabr?' },
    });
    await repliesSettled();
    expect([res.status, res.body]).toEqual([200, 'Sabr is patience.']);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.body?.temperature).toBe(0.3);
  });
});
