/**
 * Database faults on one warm container: a MongoDB server that stops mid-run gives 503 with Retry-After (never a
 * 500 or a hang), and the next request after recovery works. faults-blip.test.ts shows a short blip ridden out.
 */
import { describe, expect, it } from 'vitest';
import { newUser, tokenFor } from '#support/auth.js';
import { useFaultServer } from '#test/support/fault-server.js';
import { call } from '#support/lambda.js';

const fault = useFaultServer(9000);

describe('MongoDB outage', () => {
  it('answers 503 with Retry-After while the database is down, and recovers on the same container', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const created = await call(fault.handlers.create, { method: 'POST', token, body: { name: 'before the outage' } });
    expect(created.status).toBe(201);

    await fault.server.stop();
    for (const res of [
      await call(fault.handlers.list, { token }),
      await call(fault.handlers.create, { method: 'POST', token, body: { name: 'during' } }),
    ]) {
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json).toEqual({ detail: 'Database temporarily unavailable, please retry' });
    }

    await fault.server.restart!();
    const after = await call(fault.handlers.list, { token });
    expect(after.status).toBe(200);
    expect(after.json.map((t: { thread_name: string }) => t.thread_name)).toEqual(['before the outage']);
    const got = await call(fault.handlers.get, { token, pathParameters: { thread_id: created.json.thread_id } });
    expect([got.status, got.json.thread_name]).toEqual([200, 'before the outage']);
  }, 120_000);
});
