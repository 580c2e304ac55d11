/** Which database failures are transient (retry, then 503) and which are a duplicate key. */
import {
  MongoError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
} from 'mongodb';
import { ServiceUnavailableError } from '#lib/errors.js';

const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** A database operation still unanswered when the request's time budget ran out (a hung server). */
export class DatabaseTimeoutError extends Error {
  constructor(operation: string) {
    super(`database operation "${operation}" did not finish within the request's time budget`);
    this.name = 'DatabaseTimeoutError';
  }
}

/** True for failures of a database that may pass: unreachable, hung, overloaded, a dropped connection. */
export function isTransientDependencyError(err: unknown): boolean {
  if (
    err instanceof DatabaseTimeoutError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNetworkError ||
    err instanceof MongoNetworkTimeoutError ||
    err instanceof MongoOperationTimeoutError ||
    // No connection free in the pool in time (every connection busy with a hung server); not exported by the driver.
    (err instanceof MongoError && err.name === 'MongoWaitQueueTimeoutError')
  ) {
    return true;
  }
  if (err instanceof MongoError) {
    return err.hasErrorLabel('RetryableWriteError') || err.hasErrorLabel('TransientTransactionError') || err.hasErrorLabel('ResetPool');
  }
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown };
    if (typeof e.code === 'string' && (PG_UNAVAILABLE.has(e.code) || SOCKET_CODES.has(e.code))) return true;
    if (typeof e.message === 'string' && /timeout exceeded when trying to connect|Connection terminated/i.test(e.message)) return true;
  }
  return false;
}

/** Maps a database outage to a 503 with Retry-After; other errors are left alone (undefined). */
export function classifyDependencyError(err: unknown): ServiceUnavailableError | undefined {
  return isTransientDependencyError(err)
    ? new ServiceUnavailableError('Database temporarily unavailable, please retry', 5, { cause: err })
    : undefined;
}

/** A write refused by a unique index (a second copy, a colliding id). */
export const isDuplicateKey = (err: unknown): boolean => err instanceof MongoServerError && err.code === 11000;
