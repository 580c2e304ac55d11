/**
 * The database layer's pure rules (lib/db/): which failures are transient (retried, then a 503) or a duplicate key,
 * which client keys MongoDB would read as operators or paths, and the retry loop's schedule within a time budget
 * (operations here are plain functions that fail as a database would).
 */
import {
  MongoError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoOperationTimeoutError,
  MongoServerError,
  MongoServerSelectionError,
} from 'mongodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ServiceUnavailableError } from '#lib/errors.js';
import { classifyDependencyError, DatabaseTimeoutError, isDuplicateKey, isTransientDependencyError } from '#lib/db/faults.js';
import { unsafeKey } from '#lib/db/keys.js';
import { logger, metrics } from '#lib/observability.js';
import { withDbBudget, withDbRetry } from '#lib/db/retry.js';

class WaitQueueTimeout extends MongoError {
  override get name() {
    return 'MongoWaitQueueTimeoutError';
  }
}
const labelled = (label: string) => {
  const err = new MongoServerError({ message: 'x', code: 91 });
  err.addErrorLabel(label);
  return err;
};

describe('transient database failures', () => {
  it.each<[string, unknown]>([
    ['a hung operation', new DatabaseTimeoutError('threads.get')],
    ['no server to select', new MongoServerSelectionError('no server', {} as never)],
    ['a dropped connection', new MongoNetworkError('reset')],
    ['a network timeout', new MongoNetworkTimeoutError('timed out')],
    ['an operation timeout', new MongoOperationTimeoutError('timed out')],
    ['no pooled connection in time', new WaitQueueTimeout('wait queue')],
    ['a retryable write', labelled('RetryableWriteError')],
    ['a transient transaction error', labelled('TransientTransactionError')],
    ['a pool reset', labelled('ResetPool')],
    ...['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006'].map((code): [string, unknown] => [
      `PostgreSQL ${code}`,
      { code },
    ]),
    ...['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].map((code): [string, unknown] => [
      `socket ${code}`,
      { code },
    ]),
    ['a pg pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['a pg connection ended', new Error('Connection TERMINATED unexpectedly')],
  ])('%s is transient: a 503 with Retry-After', (_what, err) => {
    expect(isTransientDependencyError(err)).toBe(true);
    const mapped = classifyDependencyError(err);
    expect(mapped).toEqual(new ServiceUnavailableError('Database temporarily unavailable, please retry', 5));
    expect(mapped).toMatchObject({ status: 503, headers: { 'Retry-After': '5' }, cause: err });
  });

  it.each([
    ['a plain MongoDB error', new MongoError('bad')],
    ['a server error without a label', labelled('NoWritesPerformed')],
    ['a duplicate key', new MongoServerError({ message: 'dup', code: 11000 })],
    ['a PostgreSQL unique violation', { code: '23505' }],
    ['a numeric code', { code: 57 }],
    ['another message', new Error('syntax error at or near')],
    ['a non-string message', { message: 42 }],
    ['null', null],
    ['a string', 'ECONNRESET'],
  ])('%s is not transient', (_what, err) => {
    expect(isTransientDependencyError(err)).toBe(false);
    expect(classifyDependencyError(err)).toBeUndefined();
  });

  it('names the operation that ran out of time', () => {
    const err = new DatabaseTimeoutError('threads.list');
    expect(err.name).toBe('DatabaseTimeoutError');
    expect(err.message).toBe('database operation "threads.list" did not finish within the request\'s time budget');
  });

  it('tells a duplicate key (11000 from the server) from anything else', () => {
    expect(isDuplicateKey(new MongoServerError({ message: 'dup', code: 11000 }))).toBe(true);
    expect(isDuplicateKey(new MongoServerError({ message: 'other', code: 11001 }))).toBe(false);
    expect(isDuplicateKey({ code: 11000 })).toBe(false);
  });
});

describe('unsafe keys', () => {
  it('finds the first key MongoDB would read as an operator or a path, at any depth, in objects and lists', () => {
    expect(unsafeKey({ $where: 1 }, 5)).toBe('$where');
    expect(unsafeKey({ ok: { 'a.b': 1 } }, 5)).toBe('a.b');
    expect(unsafeKey({ ok: [1, { fine: 1 }, { 'nul\0': 1 }] }, 5)).toBe('nul\0');
    expect(unsafeKey([[{ ok: 1 }], [{ $gt: 1 }, { $lt: 1 }]], 5)).toBe('$gt');
    expect(unsafeKey({ a: { b: 1 }, $second: { c: 1 } }, 5)).toBe('$second');
  });

  it('passes keys with a $ after the start and any values, and stops at the depth limit', () => {
    expect(unsafeKey({ a$: '$set', b: ['x.y', '$', null], c: { d: [] } }, 5)).toBeUndefined();
    expect(unsafeKey('$set', 0)).toBeUndefined();
    expect(unsafeKey({ a: { b: 1 } }, 2)).toBeUndefined();
    expect(unsafeKey({ a: { b: { c: 1 } } }, 2)).toBe('(nesting too deep)');
    expect(unsafeKey([[1]], 1)).toBe('(nesting too deep)');
    expect(unsafeKey([[]], 1)).toBeUndefined();
  });
});

describe('withDbRetry', () => {
  afterEach(() => vi.restoreAllMocks());
  const transient = () => new MongoNetworkError('connection reset');

  it('returns the first answer, and throws a failure that is not transient without retrying', async () => {
    const op = vi.fn(async (attempt: number) => `answer ${attempt}`);
    await expect(withDbRetry('t.ok', op)).resolves.toBe('answer 0');
    const bad = new MongoServerError({ message: 'dup', code: 11000 });
    const failing = vi.fn(async () => Promise.reject(bad));
    await expect(withDbRetry('t.bad', failing)).rejects.toBe(bad);
    expect(failing).toHaveBeenCalledTimes(1);
  });

  it('retries transient failures, numbering the attempts, until one answers, and logs each retry', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const warned = vi.spyOn(logger, 'warn');
    let calls = 0;
    const op = vi.fn(async (attempt: number) => {
      if (calls++ < 2) throw transient();
      return attempt;
    });
    await expect(withDbBudget(() => withDbRetry('t.flaky', op), Date.now(), 5_000)).resolves.toBe(2);
    expect(op.mock.calls.map(([a]) => a)).toEqual([0, 1, 2]);
    expect(warned.mock.calls).toEqual(
      [1, 2].map((attempt) => ['transient database error, retrying', { operation: 't.flaky', attempt, error: 'MongoNetworkError' }]),
    );
  });

  // Backoff is 100 ms doubling per attempt, times 0.5-1 of jitter; no retry starts when its wait would end past the budget.
  it.each([
    ['the shortest jitter (50, 100, 200, 400 ms, then 800 would end past 1 s)', 0, 5],
    ['the longest jitter (100, 200, 400 ms, then 800 would end past 1 s)', 0.999, 4],
  ])('gives up within the budget with %s, throwing the last failure', async (_what, random, attempts) => {
    vi.spyOn(Math, 'random').mockReturnValue(random);
    const warned = vi.spyOn(logger, 'warn');
    const failure = transient();
    const op = vi.fn(async () => Promise.reject(failure));
    await expect(withDbBudget(() => withDbRetry('t.down', op), Date.now(), 1_000)).rejects.toBe(failure);
    expect(op).toHaveBeenCalledTimes(attempts);
    expect(warned).toHaveBeenLastCalledWith('database unavailable, giving up', { operation: 't.down', attempts });
  });

  it('starts no retry whose wait would end exactly at the deadline, and no attempt with 0 ms left', async () => {
    // The clock stands still, so the budget's end is exact: the first wait (50 ms with the shortest jitter) ends on it.
    vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const failure = transient();
    const op = vi.fn(async () => Promise.reject(failure));
    await expect(withDbBudget(() => withDbRetry('t.edge', op), 1_000_000, 50)).rejects.toBe(failure);
    expect(op).toHaveBeenCalledTimes(1);
    const late = vi.fn(async () => 'too late');
    await expect(withDbBudget(() => withDbRetry('t.none', late), 1_000_000, 0)).rejects.toEqual(new DatabaseTimeoutError('t.none'));
    expect(late).not.toHaveBeenCalled();
  });

  it('leaves no deadline timer behind once an operation answers', async () => {
    vi.useFakeTimers();
    try {
      await expect(withDbBudget(() => withDbRetry('t.quick', async () => 'answer'), Date.now(), 5_000)).resolves.toBe('answer');
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('caps the backoff at 2 s (1 s with the shortest jitter), and counts each retry in the DbRetries metric', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const counted = vi.spyOn(metrics, 'addMetric');
    const op = vi.fn(async () => Promise.reject(transient()));
    // Waits of 50, 100, 200, 400, 800, then 1000 (not 1600) ms fit in 3 s; the next 1000 would end past it.
    await expect(withDbBudget(() => withDbRetry('t.capped', op), Date.now(), 3_000)).rejects.toBeInstanceOf(MongoNetworkError);
    expect(op).toHaveBeenCalledTimes(7);
    expect(counted.mock.calls.filter(([name]) => name === 'DbRetries')).toEqual(Array.from({ length: 6 }, () => ['DbRetries', 'Count', 1]));
  });

  it('abandons an operation still running at the deadline, and starts none once the budget is spent', async () => {
    const hung = vi.fn(() => new Promise<never>(() => undefined));
    const started = Date.now();
    await expect(withDbBudget(() => withDbRetry('t.hung', hung), started, 200)).rejects.toEqual(new DatabaseTimeoutError('t.hung'));
    expect(hung).toHaveBeenCalledTimes(1);
    const late = vi.fn(async () => 'too late');
    await expect(withDbBudget(() => withDbRetry('t.late', late), started - 1_000, 1_000)).rejects.toEqual(
      new DatabaseTimeoutError('t.late'),
    );
    expect(late).not.toHaveBeenCalled();
  });

  it('keeps an abandoned operation that fails later from becoming an unhandled rejection', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      let fail: (err: Error) => void = () => undefined;
      const op = () => new Promise<never>((_, reject) => (fail = reject));
      await expect(withDbBudget(() => withDbRetry('t.abandoned', op), Date.now(), 50)).rejects.toBeInstanceOf(DatabaseTimeoutError);
      fail(new Error('late failure'));
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});
