// The local Lambda streaming polyfill (npm start, tests) completes an `awslambda` global the AWS SDK may already have made.
import { afterEach, describe, expect, it } from 'vitest';
import { installAwsLambdaPolyfill, isStreamingHandler } from '#support/lambda-streaming.js';

const g = globalThis as { awslambda?: Record<string, unknown> };
const original = g.awslambda;
afterEach(() => {
  g.awslambda = original;
});

describe('awslambda polyfill', () => {
  it('adds streamifyResponse to a global created earlier (as @aws/lambda-invoke-store does when the SDK loads)', () => {
    const store = { getXRayTraceId: () => undefined };
    g.awslambda = { InvokeStore: store };
    installAwsLambdaPolyfill();
    expect(g.awslambda.InvokeStore).toBe(store);
    const streamify = g.awslambda.streamifyResponse as (fn: unknown) => unknown;
    expect(typeof streamify).toBe('function');
    expect(isStreamingHandler(streamify(async () => undefined))).toBe(true);
  });
});
