/**
 * The one middleware composition (lib/http/middleware.ts) itself: the documented request log line and EMF metrics,
 * error responses, result shapes, the streaming glue, which requests count against the write limit, and no cut-off
 * of its own at the deadline. Real handlers where one shows it, else small routes built with withHttp for the test.
 * The write limit is set low and EMF output on (before lib/ is first imported: both are read once per file).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { MongoNetworkError } from 'mongodb';
import * as z from 'zod/mini';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUser, tokenFor } from '#support/auth.js';
import { call, callStreaming, type CallOptions } from '#support/lambda.js';

const WRITES_PER_MINUTE = 4;
process.env.RATE_LIMIT_WRITES_PER_MINUTE = String(WRITES_PER_MINUTE);
process.env.MONGODB_DB = `ansari_middleware_${process.pid}`;
// The request metrics are published by the module's Metrics, which reads this once, when it is made.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';

const { withHttp, withStreamingHttp } = await import('#lib/http/middleware.js');
const { ServiceUnavailableError } = await import('#lib/errors.js');
const { logger, userRef } = await import('#lib/observability.js');
const { closeMongo, getDb } = await import('#lib/db/mongo.js');
const { handler: createThread } = await import('#functions/create-thread.js');
const { handler: getThread } = await import('#functions/get-thread.js');
const { handler: listThreads } = await import('#functions/list-threads.js');
const { handler: shareThread } = await import('#functions/share-thread.js');
const { handler: revokeShare } = await import('#functions/revoke-share.js');

// EMF records outside `captured` are not looked at: kept out of the test output.
const stdoutWrite = process.stdout.write;
beforeAll(async () => {
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    String(chunk).includes('"_aws"')
      ? true
      : (stdoutWrite as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest)) as typeof process.stdout.write;
  await (await import('#lib/db/indexes.js')).ensureIndexes(await getDb());
});
afterAll(async () => {
  process.stdout.write = stdoutWrite;
  await (await getDb()).dropDatabase();
  await closeMongo();
});

const doc = { operationId: 'test', summary: 'a route made for this test', tags: [], responses: {} };
/** Calls a test-made route (no entry in docs/openapi.json, so no contract check: the wrapper carries no spec). */
const callRoute = (handler: unknown, opts: CallOptions = {}) => call((e: unknown, c: unknown) => (handler as any)(e, c), opts);
const streamRoute = (handler: unknown, opts: CallOptions = {}) =>
  callStreaming((e: unknown, s: unknown, c: unknown) => (handler as any)(e, s, c), opts);

type Line = Record<string, any>;

/** Runs `fn` with INFO logs and EMF output on, and returns the JSON lines written (log lines and EMF records apart). */
async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; logs: Line[]; emf: Line[] }> {
  const lines: Line[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  const grab = ((chunk: string | Uint8Array) => {
    for (const l of String(chunk).split('\n')) if (l.startsWith('{')) lines.push(JSON.parse(l));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = grab;
  process.stderr.write = grab;
  logger.setLogLevel('INFO');
  try {
    const result = await fn();
    return { result, logs: lines.filter((l) => !l._aws), emf: lines.filter((l) => l._aws) };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    logger.setLogLevel('ERROR');
  }
}

/** The request's EMF record: its metric names, dimensions and values. */
const requestRecord = (emf: Line[]) => {
  const records = emf.filter((r) => 'Requests' in r);
  expect(records).toHaveLength(1);
  const record = records[0]!;
  const [directive] = record._aws.CloudWatchMetrics;
  return { record, names: directive.Metrics.map((m: { Name: string }) => m.Name).sort(), dimensions: directive.Dimensions.flat() };
};

describe('the request log line and metrics (README: Logs and metrics)', () => {
  it('logs route, status, latencyMs, requestId, threadId and the user hash, and counts Requests and Latency by route', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const thread = (await call(createThread, { method: 'POST', token, body: {} })).json;
    const { result, logs, emf } = await captured(() => call(getThread, { token, pathParameters: { thread_id: thread.thread_id } }));
    expect(result.status).toBe(200);
    const lines = logs.filter((l) => l.message === 'request');
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatchObject({
      level: 'INFO',
      route: 'GET /threads/{thread_id}',
      status: 200,
      threadId: thread.thread_id,
      user: userRef(user),
    });
    expect(line.requestId).toEqual(expect.any(String));
    expect(line.requestId).toBe(line.function_request_id);
    expect(line.latencyMs).toBeGreaterThanOrEqual(0);
    expect(line.latencyMs).toBeLessThan(60_000);
    expect(JSON.stringify(logs)).not.toContain(user);

    const { record, names, dimensions } = requestRecord(emf);
    expect(names).toEqual(['Latency', 'Requests']);
    expect(dimensions).toContain('route');
    expect(record).toMatchObject({ route: 'GET /threads/{thread_id}', Requests: 1, Latency: line.latencyMs });
  });

  it('measures latency from the request’s arrival to its answer', async () => {
    const slow = withHttp({ route: 'GET /slow', auth: false, database: false, doc }, async () => {
      await sleep(120);
      return { status: 200, body: {} };
    });
    const { logs, emf } = await captured(() => callRoute(slow));
    const line = logs.find((l) => l.message === 'request')!;
    expect(line.latencyMs).toBeGreaterThanOrEqual(110);
    expect(line.latencyMs).toBeLessThan(60_000);
    expect(requestRecord(emf).record.Latency).toBe(line.latencyMs);
  });

  it('counts a 4xx as Errors4xx, logs no user for an anonymous caller and no threadId on a route without one', async () => {
    const { result, logs, emf } = await captured(() => call(listThreads, {}));
    expect(result.status).toBe(401);
    const line = logs.find((l) => l.message === 'request')!;
    expect(line).toMatchObject({ level: 'INFO', route: 'GET /threads', status: 401 });
    expect(line).not.toHaveProperty('user');
    expect(line).not.toHaveProperty('threadId');
    const { record, names } = requestRecord(emf);
    expect(names).toEqual(['Errors4xx', 'Latency', 'Requests']);
    expect(record.Errors4xx).toBe(1);
  });

  it('counts a 400 as Errors4xx too', async () => {
    const { result, emf } = await captured(async () =>
      call(getThread, { token: await tokenFor(newUser()), pathParameters: { thread_id: 'x' } }),
    );
    expect(result.status).toBe(400);
    expect(requestRecord(emf).record.Errors4xx).toBe(1);
  });

  it('logs the thread of a route whose path names it otherwise, and never a share id', async () => {
    const token = await tokenFor(newUser());
    const thread = (await call(createThread, { method: 'POST', token, body: {} })).json;
    const shared = await captured(() => call(shareThread, { method: 'POST', token, pathParameters: { id: thread.thread_id } }));
    expect(shared.result.status).toBe(201);
    expect(shared.logs.find((l) => l.message === 'request')).toMatchObject({ route: 'POST /share/{id}', threadId: thread.thread_id });
    const shareId = shared.result.json.share_id;
    const revoked = await captured(() => call(revokeShare, { method: 'DELETE', token, pathParameters: { id: shareId } }));
    expect(revoked.result.status).toBe(204);
    const line = revoked.logs.find((l) => l.message === 'request')!;
    expect(line).toMatchObject({ route: 'DELETE /share/{id}', status: 204 });
    expect(line).not.toHaveProperty('threadId');
    expect(JSON.stringify(revoked.logs)).not.toContain(shareId);
  });

  it('drops the request’s keys once it is answered: a later line carries no route or request id', async () => {
    const { logs } = await captured(async () => {
      await call(listThreads, { token: await tokenFor(newUser()) });
      logger.info('after the request');
    });
    const after = logs.find((l) => l.message === 'after the request')!;
    expect(after).not.toHaveProperty('route');
    expect(after).not.toHaveProperty('requestId');
  });
});

describe('errors become responses in one place', () => {
  it('answers an unexpected error with a bare 500, logging it with its stack and counting Errors5xx', async () => {
    const failing = withHttp({ route: 'GET /fails', auth: false, database: false, doc }, async () => {
      throw new TypeError('secret internals');
    });
    const { result, logs, emf } = await captured(() => callRoute(failing));
    expect(result).toMatchObject({ status: 500, json: { detail: 'Internal server error' } });
    expect(result.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    expect(result.body).not.toContain('secret internals');
    const line = logs.find((l) => l.message === 'request failed')!;
    expect(line).toMatchObject({ level: 'ERROR', route: 'GET /fails', status: 500 });
    expect(line.error).toMatchObject({ name: 'TypeError', message: 'secret internals' });
    expect(line.error.stack).toContain('secret internals');
    expect(logs.filter((l) => l.message === 'request')).toEqual([]);
    const { record, names } = requestRecord(emf);
    expect(names).toEqual(['Errors5xx', 'Latency', 'Requests']);
    expect(record.Errors5xx).toBe(1);
  });

  it('keeps a named error’s status, message and headers, and logs it summarised (name and message, no stack)', async () => {
    const busy = withHttp({ route: 'GET /busy', auth: false, database: false, doc }, async () => {
      throw new ServiceUnavailableError('Try again shortly', 7);
    });
    const { result, logs } = await captured(() => callRoute(busy));
    expect(result).toMatchObject({ status: 503, json: { detail: 'Try again shortly' } });
    expect(result.headers).toMatchObject({
      'retry-after': '7',
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
    expect(logs.find((l) => l.message === 'request failed')!.error).toEqual({
      name: 'ServiceUnavailableError',
      message: 'Try again shortly',
    });
  });

  it('maps a database outage to 503 with Retry-After, logging the driver’s error summarised', async () => {
    const down = withHttp({ route: 'GET /down', auth: false, database: false, doc }, async () => {
      throw new MongoNetworkError('connection refused');
    });
    const { result, logs } = await captured(() => callRoute(down));
    expect(result).toMatchObject({ status: 503, json: { detail: 'Database temporarily unavailable, please retry' } });
    expect(result.headers['retry-after']).toBe('5');
    expect(logs.find((l) => l.message === 'request failed')!.error).toEqual({ name: 'MongoNetworkError', message: 'connection refused' });
  });

  it('reports invalid input in at most three parts, each named by its field (dotted) or else by its place', async () => {
    const strict = withHttp(
      {
        route: 'POST /strict',
        auth: false,
        database: false,
        doc,
        query: z.object({ n: z.string() }),
        body: z.object({ a: z.object({ b: z.string() }), c: z.string(), d: z.string(), e: z.string() }),
      },
      async () => ({ status: 200, body: {} }),
    );
    const post = (body: unknown, query: Record<string, string> = { n: '1' }) => callRoute(strict, { method: 'POST', body, query });
    const four = await post({ a: { b: 1 } });
    expect(four.status).toBe(400);
    expect(four.json.detail).toMatch(/^Invalid body: a\.b: [^;]+; c: [^;]+; d: [^;]+$/);
    expect((await post([1])).json.detail).toMatch(/^Invalid body: body: [^;]+$/);
    expect((await post({ a: { b: '' }, c: '', d: '', e: '' }, {})).json.detail).toMatch(/^Invalid query: n: [^;]+$/);
    expect((await post({ a: { b: '' }, c: '', d: '', e: '' })).status).toBe(200);
  });
});

describe('results become responses', () => {
  const route = (result: object) => withHttp({ route: 'GET /result', auth: false, database: false, doc }, async () => result as never);

  it('sends no body and no Content-Type for a result without one', async () => {
    const res = await callRoute(route({ status: 204, headers: { 'X-Message-Id': 'm' } }));
    expect([res.status, res.body, res.headers['content-type'], res.headers['x-message-id']]).toEqual([204, '', undefined, 'm']);
  });

  it('sends a body as JSON, typed as JSON unless the route says otherwise', async () => {
    const json = await callRoute(route({ status: 200, body: { a: [1] } }));
    expect([json.body, json.headers['content-type']]).toEqual(['{"a":[1]}', 'application/json; charset=utf-8']);
    const own = await callRoute(route({ status: 200, body: { a: 1 }, headers: { 'Content-Type': 'application/problem+json' } }));
    expect(own.headers['content-type']).toBe('application/problem+json');
  });

  it('gives a public route an empty user id and needs no token for it', async () => {
    let seen: string | undefined;
    const open = withHttp({ route: 'GET /open', auth: false, database: false, doc }, async ({ userId }) => {
      seen = userId;
      return { status: 200, body: {} };
    });
    expect((await callRoute(open)).status).toBe(200);
    expect(seen).toBe('');
  });

  it('lets a route run to the Lambda deadline: the composition cuts nothing short itself', async () => {
    const late = withHttp({ route: 'GET /late', auth: false, database: false, doc }, async () => {
      await sleep(100);
      return { status: 200, body: {} };
    });
    expect((await callRoute(late, { remainingMs: 50 })).status).toBe(200);
  });

  it('exposes every custom response header to browsers and lets them cache a preflight for 10 minutes', async () => {
    const preflight = await call(createThread, {
      method: 'OPTIONS',
      headers: { Origin: 'https://askansari.ai', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-max-age']).toBe('600');
    const res = await call(listThreads, { token: await tokenFor(newUser()), headers: { Origin: 'https://askansari.ai' } });
    expect(res.headers['access-control-expose-headers']!.split(',').sort()).toEqual(
      ['Content-Disposition', 'Retry-After', 'X-Message-Id', 'X-Next-Cursor', 'X-Reply-Message-Id'].sort(),
    );
  });
});

describe('a route as the composition builds it', () => {
  const echo = (spec: { threadParam?: string } = {}) =>
    withHttp({ route: 'GET /echo/{thread_id}', doc, ...spec }, async ({ userId, headers }) => ({
      status: 200,
      body: { userId, probe: headers['x-probe'] ?? null },
    }));

  it('requires a token by default, and hands the route the caller and the request headers', async () => {
    const route = echo();
    const user = newUser();
    expect((await callRoute(route)).status).toBe(401);
    const res = await callRoute(route, { token: await tokenFor(user), headers: { 'X-Probe': 'p' } });
    expect([res.status, res.json]).toEqual([200, { userId: user, probe: 'p' }]);
  });

  it('logs the thread_id path parameter by default, or the one the route names', async () => {
    const token = await tokenFor(newUser());
    const byDefault = await captured(() => callRoute(echo(), { token, pathParameters: { thread_id: 'T1' } }));
    expect(byDefault.logs.find((l) => l.message === 'request')).toMatchObject({ route: 'GET /echo/{thread_id}', threadId: 'T1' });
    const named = await captured(() => callRoute(echo({ threadParam: 'id' }), { token, pathParameters: { id: 'T2', thread_id: 'T3' } }));
    expect(named.logs.find((l) => l.message === 'request')).toMatchObject({ threadId: 'T2' });
  });

  it('answers its preflight with the allowed headers and methods, and exposes the custom headers', async () => {
    const route = echo();
    const preflight = await callRoute(route, {
      method: 'OPTIONS',
      headers: { Origin: 'https://askansari.ai', 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'Authorization,Content-Type,Accept',
      'access-control-allow-methods': 'GET,POST,DELETE,OPTIONS',
      'access-control-max-age': '600',
    });
    const res = await callRoute(route, { token: await tokenFor(newUser()), headers: { Origin: 'https://askansari.ai' } });
    expect(res.headers['access-control-expose-headers']!.split(',').sort()).toEqual(
      ['Content-Disposition', 'Retry-After', 'X-Message-Id', 'X-Next-Cursor', 'X-Reply-Message-Id'].sort(),
    );
  });

  it('takes an event without headers (a direct invocation): 401 without a token, and no headers for the route', async () => {
    const bare = (handler: unknown) => (e: any, c: unknown) => (handler as any)({ ...e, headers: null, multiValueHeaders: null }, c);
    expect(await call(bare(listThreads))).toMatchObject({ status: 401, json: { detail: 'Not authenticated' } });
    const open = withHttp({ route: 'GET /open', auth: false, database: false, doc }, async ({ headers }) => ({
      status: 200,
      body: headers,
    }));
    expect(await callRoute(bare(open))).toMatchObject({ status: 200, json: {} });
    const withBody = withHttp({ route: 'POST /open', auth: false, database: false, doc, body: z.object({}) }, async () => ({
      status: 200,
    }));
    expect(await callRoute(bare(withBody), { method: 'POST', body: {} })).toMatchObject({ status: 415 });
  });
});

describe('streaming routes', () => {
  const streaming = (fn: () => Promise<object>) =>
    withStreamingHttp({ route: 'POST /stream', auth: false, database: false, doc }, fn as () => Promise<never>);

  it('answers a plain result as withHttp does', async () => {
    const res = await streamRoute(
      streaming(async () => ({ status: 409, body: { detail: 'busy' } })),
      { method: 'POST' },
    );
    expect([res.status, res.json, res.headers['content-type']]).toEqual([409, { detail: 'busy' }, 'application/json; charset=utf-8']);
  });

  it('sends a string body as one chunk, and an empty one as none', async () => {
    const text = await streamRoute(streaming(async () => ({ statusCode: 200, headers: { 'Content-Type': 'text/plain' }, body: 'salaam' })));
    expect([text.status, text.chunks, text.headers['content-type'], text.clientGoneError]).toEqual([
      200,
      ['salaam'],
      'text/plain',
      undefined,
    ]);
    const empty = await streamRoute(streaming(async () => ({ statusCode: 200, headers: {}, body: '' })));
    expect([empty.status, empty.chunks, empty.clientGoneError]).toEqual([200, [], undefined]);
  });

  it('ends the invocation only once `settled` has, and not with its failure', async () => {
    let stored = false;
    const res = await streamRoute(
      streaming(async () => ({
        statusCode: 200,
        headers: {},
        body: Readable.from(['a', 'b']),
        settled: sleep(100).then(() => {
          stored = true;
        }),
      })),
    );
    expect([res.chunks.join(''), stored, res.clientGoneError]).toEqual(['ab', true, undefined]);

    const failed = await streamRoute(
      streaming(async () => ({
        statusCode: 200,
        headers: {},
        body: 'x',
        settled: sleep(10).then(() => Promise.reject(new Error('lost'))),
      })),
    );
    expect([failed.status, failed.body, failed.clientGoneError]).toEqual([200, 'x', undefined]);
  });
});

describe('the write limit counts authenticated changes only', () => {
  it('does not count reads: after many reads the caller still has every write of the window', async () => {
    const token = await tokenFor(newUser());
    for (let i = 0; i < WRITES_PER_MINUTE + 2; i++) expect((await call(listThreads, { token })).status).toBe(200);
    const creates = [];
    for (let i = 0; i <= WRITES_PER_MINUTE; i++) creates.push((await call(createThread, { method: 'POST', token, body: {} })).status);
    expect(creates).toEqual([...Array(WRITES_PER_MINUTE).fill(201), 429]);
  });

  it('does not count anonymous requests to a public route', async () => {
    const open = withHttp({ route: 'POST /open', auth: false, database: false, doc }, async () => ({ status: 200, body: {} }));
    for (let i = 0; i < WRITES_PER_MINUTE + 2; i++) expect((await callRoute(open, { method: 'POST' })).status).toBe(200);
  });
});
