/**
 * A hung database (the server process frozen: connections open, nothing answers) is a 503 with Retry-After for
 * every request, within the request's time budget, never a 500; the same container recovers when it answers again.
 */
import { describe, expect, it, vi } from 'vitest';
import { newUser, tokenFor } from '#support/auth.js';
import { useFaultServer } from '#test/support/fault-server.js';
import { call } from '#support/lambda.js';

const BUDGET_MS = 3000;
const fault = useFaultServer(BUDGET_MS);

describe('hung MongoDB', () => {
  it('answers 503 with Retry-After to concurrent requests within the budget, and recovers', async () => {
    const token = await tokenFor(newUser());
    const created = await call(fault.handlers.create, { method: 'POST', token, body: { name: 'before' } });
    expect(created.status).toBe(201);

    fault.server.pause!();
    try {
      const started = Date.now();
      const results = await Promise.all([
        call(fault.handlers.list, { token }),
        call(fault.handlers.list, { token }),
        call(fault.handlers.get, { token, pathParameters: { thread_id: created.json.thread_id } }),
        call(fault.handlers.create, { method: 'POST', token, body: { name: 'during' } }),
      ]);
      const elapsed = Date.now() - started;
      for (const res of results) {
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBe('5');
        expect(res.json).toEqual({ detail: 'Database temporarily unavailable, please retry' });
      }
      // The budget bounds the whole request, per-operation waits included (1 s of slack for the event loop).
      expect(elapsed).toBeLessThan(BUDGET_MS + 1000);
    } finally {
      fault.server.resume!();
    }

    const after = await call(fault.handlers.get, { token, pathParameters: { thread_id: created.json.thread_id } });
    expect([after.status, after.json.thread_name]).toEqual([200, 'before']);
  }, 120_000);

  it('lets a request past the rate-limit counters while they hang (the documented fail-open choice), and counts it', async () => {
    const { takeRateLimit } = await import('#lib/db/rate-limits.js');
    const { metrics } = await import('#lib/observability.js');
    const counted = vi.spyOn(metrics, 'addMetric');
    fault.server.pause!();
    try {
      const started = Date.now();
      await expect(takeRateLimit(newUser(), 'turns')).resolves.toBeUndefined();
      expect(Date.now() - started).toBeLessThan(BUDGET_MS + 1000);
      expect(counted).toHaveBeenCalledWith('RateLimitUnavailable', 'Count', 1);
    } finally {
      fault.server.resume!();
      counted.mockRestore();
    }
  }, 60_000);
});
