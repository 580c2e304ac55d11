/** Model failures as client-safe upstream errors, and the reasons a turn stops early. */
import { UpstreamError } from '#lib/errors.js';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from './sdk.js';

/** Why a turn stopped early on our side (the AbortController's reason). */
export type StopReason = 'client_gone' | 'deadline' | 'idle' | 'thread_gone' | 'storage_failed';

export class TurnStop extends Error {
  constructor(readonly reason: StopReason) {
    super(`turn stopped: ${reason}`);
    this.name = 'TurnStop';
  }
}

/** A model failure as a client-safe upstream error: 503 (retry soon) for overload and rate limits, 504 for timeouts, else 502. */
export function modelFailure(err: unknown): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (err instanceof APIConnectionTimeoutError) {
    return new UpstreamError('The assistant did not answer in time, please retry', 504, { cause: err });
  }
  if (err instanceof APIConnectionError) {
    return new UpstreamError('The assistant could not be reached, please retry', 502, { cause: err });
  }
  if (err instanceof APIError) {
    const status = err.status ?? 0;
    const type = typeof err.type === 'string' ? err.type : '';
    if (status === 429 || status === 503 || status === 529 || type === 'overloaded_error' || type === 'rate_limit_error') {
      return new UpstreamError('The assistant is busy right now, please retry in a moment', 503, { cause: err });
    }
    if (status === 504 || type === 'timeout_error') {
      return new UpstreamError('The assistant did not answer in time, please retry', 504, { cause: err });
    }
  }
  return new UpstreamError('The assistant failed to answer, please retry', 502, { cause: err });
}

/** Safe facts about a model error for logs (never the request or the model's text). */
export function describeModelError(err: unknown): Record<string, unknown> {
  if (err instanceof APIError) return { name: err.name, status: err.status, type: err.type, requestId: err.requestID };
  if (err instanceof Error) return { name: err.name, message: err.message.slice(0, 200) };
  return { error: String(err).slice(0, 200) };
}
