/**
 * Outside Lambda there is no `awslambda` global. This polyfill gives response-streaming handlers
 * (`awslambda.streamifyResponse`) the same calling convention locally: the handler writes into a
 * Writable, and `HttpResponseStream.from` carries the status and headers (the prelude) out of band.
 */
import { Writable } from 'node:stream';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';

export interface Prelude {
  statusCode?: number;
  headers?: Record<string, string>;
}

export class LocalResponseStream extends Writable {
  prelude: Prelude | undefined;
  constructor(
    private readonly onPrelude: (p: Prelude) => void,
    private readonly onChunk: (chunk: Buffer) => void,
    private readonly onEnd: () => void,
  ) {
    super();
  }
  setPrelude(p: Prelude): void {
    this.prelude = p;
    this.onPrelude(p);
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.prelude) this.setPrelude({ statusCode: 200, headers: {} });
    this.onChunk(chunk);
    cb();
  }
  override _final(cb: (err?: Error | null) => void): void {
    if (!this.prelude) this.setPrelude({ statusCode: 200, headers: {} });
    this.onEnd();
    cb();
  }
}

type StreamHandler = (event: unknown, stream: LocalResponseStream, context: unknown) => Promise<void>;
const STREAMING = Symbol.for('ansari.streamingHandler');

export function installAwsLambdaPolyfill(): void {
  // Other modules (the Lambda invoke store) may have created the global already: add to it.
  const g = globalThis as { awslambda?: Record<string, unknown> };
  g.awslambda ??= {};
  if (g.awslambda.streamifyResponse) return;
  Object.assign(g.awslambda, {
    streamifyResponse: (fn: StreamHandler) => Object.assign(fn, { [STREAMING]: true }),
    HttpResponseStream: {
      from: (stream: LocalResponseStream, prelude: Prelude) => {
        stream.setPrelude(prelude);
        return stream;
      },
    },
  });
}

/**
 * Runs invocations concurrently in one process the way Lambda managed instances do: each in its own invoke-store
 * context (AWS_LAMBDA_MAX_CONCURRENCY set), so Powertools keeps log keys, Lambda context and metric dimensions per
 * invocation instead of letting concurrent requests overwrite each other's.
 */
export async function concurrentInvoker(): Promise<<T>(requestId: string, invoke: () => Promise<T>) => Promise<T>> {
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '64';
  installAwsLambdaPolyfill();
  const store = await InvokeStore.getInstanceAsync(true);
  return (requestId, invoke) => store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: requestId }, invoke);
}

export const isStreamingHandler = (fn: unknown): boolean =>
  typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[STREAMING] === true;
