/**
 * The local server (`npm start`) from outside: bad paths and huge tokens are JSON errors, it keeps running, logs stay
 * per request; unknown routes are answered as API Gateway answers them (CORS, {"detail"}); the docs page and the document.
 */
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMongo } from '#lib/db/mongo.js';
import { logger, userRef } from '#lib/observability.js';
import { createDevServer, listen, loadRoutes, matchRoute } from '#scripts/dev-server.js';
import { newUser, tokenFor } from '#support/auth.js';

let server: http.Server;
let base = '';

beforeAll(async () => {
  server = await createDevServer({ stage: 'test' });
  delete process.env.HOST;
  await listen(server, 0);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await closeMongo();
});

describe('local server robustness', () => {
  it('answers a malformed percent-encoded path with 400 JSON and keeps serving', async () => {
    const res = await fetch(`${base}/api/v3/share/%E0%A4%A`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ detail: 'Malformed percent-encoding in the URL path' });
    const again = await fetch(`${base}/api/v3/share/${'A'.repeat(22)}`);
    expect(again.status).toBe(404);
  });

  it('answers a token over 16 KB with 401, a detail and WWW-Authenticate, not a bare 431', async () => {
    const res = await fetch(`${base}/api/v3/threads`, { headers: { Authorization: `Bearer ${'a'.repeat(20 * 1024)}` } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ detail: 'Could not validate credentials' });
  });

  it('answers a header block beyond what it reads with a JSON 431', async () => {
    const res = await fetch(`${base}/api/v3/threads`, { headers: { 'X-Big': 'b'.repeat(1100 * 1024) } });
    expect(res.status).toBe(431);
    expect(await res.json()).toEqual({ detail: 'Request headers too large' });
  });

  it('listens on loopback only when HOST is not set', () => {
    expect((server.address() as AddressInfo).address).toBe('127.0.0.1');
  });
});

describe('routing as API Gateway does', () => {
  const name = (r: ReturnType<typeof matchRoute>) => (typeof r === 'string' ? r : r.name);

  it('prefers a fixed path segment over a variable one, whatever the order of serverless.yml', () => {
    for (const routes of [loadRoutes(), loadRoutes().reverse()]) {
      expect(name(matchRoute(routes, 'GET', '/api/v3/threads/export'))).toBe('exportThreads');
      expect(name(matchRoute(routes, 'OPTIONS', '/api/v3/threads/export'))).toBe('exportThreads');
      // The fixed resource has no POST: API Gateway does not fall back to /threads/{thread_id} for it.
      expect(matchRoute(routes, 'POST', '/api/v3/threads/export')).toBe('method not allowed');
      expect(name(matchRoute(routes, 'GET', '/api/v3/threads/0190a1b2-0000-7000-8000-000000000001'))).toBe('getThread');
      expect(name(matchRoute(routes, 'DELETE', '/api/v3/threads'))).toBe('eraseThreads');
      expect(name(matchRoute(routes, 'DELETE', '/api/v3/threads/0190a1b2-0000-7000-8000-000000000001'))).toBe('deleteThread');
    }
  });

  it('serves the export at /threads/export and a thread at /threads/{thread_id}', async () => {
    const token = await tokenFor(newUser());
    const auth = { Authorization: `Bearer ${token}` };
    const exported = await fetch(`${base}/api/v3/threads/export`, { headers: auth });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(await exported.text()).toBe('');
    const missing = await fetch(`${base}/api/v3/threads/0190a1b2-0000-7000-8000-000000000001`, { headers: auth });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'Thread not found' });
    // The gateway's answer to a method the resource lacks (MISSING_AUTHENTICATION_TOKEN, mapped to 404).
    expect((await fetch(`${base}/api/v3/threads/export`, { method: 'POST', headers: auth })).status).toBe(404);
  });
});

describe('answers a browser can read', () => {
  const origin = 'http://app.example';
  const expectGatewayNotFound = async (res: Response) => {
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-expose-headers')).toContain('Retry-After');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ detail: 'Not found' });
  };

  it('answers an unknown route, and its preflight, with a 404 carrying CORS headers and a detail', async () => {
    await expectGatewayNotFound(await fetch(`${base}/api/v3/users/me`, { headers: { Origin: origin } }));
    await expectGatewayNotFound(
      await fetch(`${base}/api/v3/users/me`, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' },
      }),
    );
  });

  it('answers an unknown method of a known path like API Gateway: 404 with CORS headers', async () => {
    await expectGatewayNotFound(await fetch(`${base}/api/v3/threads`, { method: 'PUT', headers: { Origin: origin } }));
  });

  it('still answers preflights of known routes from the functions', async () => {
    const res = await fetch(`${base}/api/v3/threads`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('the OpenAPI document and the docs page', () => {
  it('serves the document publicly, cacheable, with an ETag that revalidates to 304', async () => {
    const res = await fetch(`${base}/api/v3/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    expect(doc).toMatchObject({ openapi: '3.1.0', info: { title: 'Ansari threads API' } });
    expect(Object.keys(doc.paths)).toContain('/api/v3/threads/{thread_id}');
    const again = await fetch(`${base}/api/v3/openapi.json`, { headers: { 'If-None-Match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('serves the docs page and its assets from the local packages', async () => {
    const page = await fetch(`${base}/api/v3/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/api/v3/openapi.json');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await fetch(`${base}/api/v3/docs/swagger-ui-bundle.js`);
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(100_000);
    expect((await fetch(`${base}/api/v3/docs/../../package.json`)).status).toBe(404);
  });
});

describe('logs of concurrent requests', () => {
  it('carry each request its own request id and function, never another request’s', async () => {
    const lines: Record<string, unknown>[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      for (const line of String(chunk).split('\n')) if (line.includes('"message":"request"')) lines.push(JSON.parse(line));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    logger.setLogLevel('INFO');
    try {
      const users = Array.from({ length: 12 }, () => newUser());
      const calls = await Promise.all(
        users.map(async (u, i) =>
          fetch(`${base}/api/v3/threads`, {
            method: i % 2 ? 'GET' : 'POST',
            headers: { Authorization: `Bearer ${await tokenFor(u)}`, 'Content-Type': 'application/json' },
            ...(i % 2 ? {} : { body: '{}' }),
          }),
        ),
      );
      expect(calls.map((r) => r.status).sort()).toEqual([...Array(6).fill(200), ...Array(6).fill(201)].sort());
      const byUser = new Map(users.map((u, i) => [userRef(u), i % 2 ? 'listThreads' : 'createThread']));
      const mine = lines.filter((l) => byUser.has(l.user as string));
      expect(mine).toHaveLength(12);
      for (const line of mine) {
        expect(line.function_request_id).toBe(line.requestId);
        expect(line.function_name).toBe(`ansari-threads-local-${byUser.get(line.user as string)}`);
        expect(line.route).toBe(byUser.get(line.user as string) === 'listThreads' ? 'GET /threads' : 'POST /threads');
      }
      expect(new Set(mine.map((l) => l.requestId)).size).toBe(12);
    } finally {
      process.stdout.write = write;
      logger.setLogLevel('ERROR');
    }
  });
});
