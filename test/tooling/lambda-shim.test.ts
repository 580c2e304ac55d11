// The test shim for streaming handlers reports what the handler did: its errors are the call's errors, its status is its own.
import { describe, expect, it } from 'vitest';
import { callStreaming } from '#support/lambda.js';
import type { LocalResponseStream } from '#support/lambda-streaming.js';

type Handler = (event: unknown, stream: LocalResponseStream) => Promise<void>;
const handler = (fn: Handler) => fn;

describe('callStreaming', () => {
  it('fails the call when the handler rejects, instead of answering what it wrote with a 200', async () => {
    const broken = handler(async (_event, stream) => {
      stream.setPrelude({ statusCode: 200, headers: {} });
      stream.write('half an answer');
      throw new Error('storage failed after the first chunk');
    });
    await expect(callStreaming(broken)).rejects.toThrow('storage failed after the first chunk');
  });

  it('fails the call when the handler ends without a status (nothing written, no prelude)', async () => {
    await expect(callStreaming(handler(async () => undefined))).rejects.toThrow(/without a response status/);
  });

  it('returns the status and headers the handler set, not a default', async () => {
    const res = await callStreaming(
      handler(async (_event, stream) => {
        stream.setPrelude({ statusCode: 503, headers: { 'Content-Type': 'application/json' } });
        stream.end('{"detail":"down"}');
      }),
    );
    expect([res.status, res.headers, res.json, res.clientGoneError]).toEqual([
      503,
      { 'content-type': 'application/json' },
      { detail: 'down' },
      undefined,
    ]);
  });

  it('hands back the rejection of a handler whose client went away (onChunk destroyed the stream)', async () => {
    const gone = new Error('client went away');
    const res = await callStreaming(
      handler(async (_event, stream) => {
        stream.setPrelude({ statusCode: 200, headers: {} });
        await new Promise<void>((resolve, reject) => {
          stream.write('first', () => undefined);
          stream.on('error', reject);
          stream.on('close', resolve);
        });
        throw new Error('premature close');
      }),
      {},
      (_chunk, stream) => stream.destroy(gone),
    );
    expect([res.status, res.body]).toEqual([200, 'first']);
    expect(res.clientGoneError).toBeInstanceOf(Error);
  });
});
