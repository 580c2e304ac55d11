/**
 * A short database blip (the server stops and comes back while a request is in flight) is ridden out by the
 * request's retries, within its time budget. Its own mongo-java-server; see faults.test.ts for the outage case.
 */
import { describe, expect, it, vi } from 'vitest';
import { newUser, tokenFor } from '#support/auth.js';
import { useFaultServer } from '#test/support/fault-server.js';
import { call } from '#support/lambda.js';

const fault = useFaultServer(25000);

describe('MongoDB blip', () => {
  it('rides out a short blip by retrying within the request', async () => {
    const token = await tokenFor(newUser());
    expect((await call(fault.handlers.list, { token })).status).toBe(200);
    await fault.server.stop();
    // The database comes back once the request has failed an attempt and is retrying (no timer guessing when).
    const { logger } = await import('#lib/observability.js');
    let restarting: Promise<void> | undefined;
    const warn = vi.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => {
      if (args[0] === 'transient database error, retrying') restarting ??= fault.server.restart!();
    });
    try {
      const res = await call(fault.handlers.create, { method: 'POST', token, body: { name: 'through the blip' } });
      expect(restarting).toBeDefined();
      await restarting;
      expect(res.status).toBe(201);
    } finally {
      warn.mockRestore();
    }
    const list = await call(fault.handlers.list, { token });
    expect(list.json.map((t: { thread_name: string }) => t.thread_name)).toEqual(['through the blip']);
  }, 120_000);
});
