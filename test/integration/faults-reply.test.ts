/**
 * The database failing while a reply streams: the answer cannot be stored, so the stream ends saying so
 * (`storage_failed`) instead of pretending the reply exists. Its own mongo-java-server, stopped mid-reply.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { newUser, tokenFor } from '#support/auth.js';
import { startFakeAnthropic, type FakeAnthropic } from '#support/fake-anthropic.js';
import { call, callStreaming } from '#support/lambda.js';
import { useFaultServer } from '#test/support/fault-server.js';

const fault = useFaultServer(2000);
let fake: FakeAnthropic;
let addMessage: unknown;
let repliesSettled: () => Promise<void>;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  Object.assign(process.env, { ANTHROPIC_BASE_URL: fake.url, ANTHROPIC_API_KEY: 'test-anthropic-key', ANTHROPIC_MAX_RETRIES: '0' });
  ({ handler: addMessage } = await import('#functions/add-message.js'));
  ({ repliesSettled } = await import('#lib/agent/reply.js'));
  return async () => {
    await repliesSettled?.();
    await fake.close();
  };
});

describe('the database fails while a reply streams', () => {
  it.each([
    ['text', 'text/plain'],
    ['ndjson', 'application/x-ndjson'],
  ])(
    'ends the %s stream saying the answer could not be saved; nothing but the question is stored',
    async (format, accept) => {
      const user = newUser();
      const token = await tokenFor(user);
      const thread = await call(fault.handlers.create, { method: 'POST', token, body: { name: `reply during an outage (${format})` } });
      expect(thread.status).toBe(201);

      // The model holds the rest of its answer until the database is down; the first text reaching the client stops it.
      let stopped: Promise<void> | undefined;
      let databaseDown!: () => void;
      const down = new Promise<void>((resolve) => (databaseDown = resolve));
      fake.enqueue({
        blocks: [{ type: 'text', text: 'Patience is half of faith.' }],
        chunkSize: 4,
        holdAfterEvents: { events: 4, until: down },
      });
      const res = await callStreaming(
        addMessage,
        {
          method: 'POST',
          token,
          headers: { Accept: accept },
          pathParameters: { thread_id: thread.json.thread_id },
          body: { role: 'user', content: 'What is sabr?' },
        },
        () => {
          stopped ??= fault.server.stop().then(databaseDown);
        },
      );
      await repliesSettled();
      expect(res.status).toBe(200);
      if (format === 'text') {
        const { INTERRUPTED_NOTICE } = await import('#lib/blocks/text.js');
        expect(res.body).toBe(`Patience is half of faith.${INTERRUPTED_NOTICE}`);
      } else {
        const events = res.body
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(events.map((e) => e.type)).toEqual(['message', ...Array(7).fill('text'), 'error', 'done']);
        expect(events.slice(-2)).toEqual([{ type: 'error', detail: 'The answer could not be saved.' }, { type: 'done' }]);
      }

      await fault.server.restart!();
      const got = await call(fault.handlers.get, { token, pathParameters: { thread_id: thread.json.thread_id } });
      expect(got.status).toBe(200);
      expect(got.json.messages.map((m: { role: string }) => m.role)).toEqual(['user']);
    },
    120_000,
  );
});
