/**
 * Outside Lambda there is no `awslambda` global. This polyfill gives response-streaming handlers
 * (`awslambda.streamifyResponse`) the same calling convention locally: the handler writes into a
 * Writable, and `HttpResponseStream.from` carries the status and headers (the prelude) out of band.
 */
import { Writable } from 'node:stream';

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
  const g = globalThis as { awslambda?: unknown };
  if (g.awslambda) return;
  g.awslambda = {
    streamifyResponse: (fn: StreamHandler) => Object.assign(fn, { [STREAMING]: true }),
    HttpResponseStream: {
      from: (stream: LocalResponseStream, prelude: Prelude) => {
        stream.setPrelude(prelude);
        return stream;
      },
    },
  };
}

export const isStreamingHandler = (fn: unknown): boolean =>
  typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[STREAMING] === true;
