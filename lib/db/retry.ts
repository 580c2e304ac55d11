/** Retries of transient database failures with backoff, bounded by one time budget per request (or per turn message). */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { config } from '#lib/config.js';
import { logger, metrics } from '#lib/observability.js';
import { DatabaseTimeoutError, isTransientDependencyError } from './faults.js';

/** When the current request (or unit of work) must have finished with the databases. */
const budget = new AsyncLocalStorage<{ deadline: number }>();

/**
 * Runs `fn` with its own database time budget ending `budgetMs` from `startedAt`: every withDbRetry inside, however
 * many, stops retrying and waiting by then. The middleware starts one per request at its arrival; a reply's turn
 * starts one per stored message, as a turn outlives its request.
 */
export function withDbBudget<T>(fn: () => Promise<T>, startedAt = Date.now(), budgetMs = config.DB_RETRY_BUDGET_MS): Promise<T> {
  return budget.run({ deadline: startedAt + budgetMs }, fn);
}

/** Runs `op`, rejecting with DatabaseTimeoutError if it has not settled by `deadline` (it is then abandoned, not awaited). */
function beforeDeadline<T>(op: () => Promise<T>, deadline: number, what: string): Promise<T> {
  const left = deadline - Date.now();
  // No time left: the operation is not even started.
  if (left <= 0) return Promise.reject(new DatabaseTimeoutError(what));
  const running = op();
  running.catch(() => undefined); // an abandoned operation may still fail later: never an unhandled rejection
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(what)), left);
  });
  return Promise.race([running, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs a database operation, retrying transient failures (unreachable or hung server, dropped connection, retryable
 * errors) with exponential backoff and jitter. The whole request shares one budget (`DB_RETRY_BUDGET_MS`, from the
 * request's arrival): an attempt still running at the deadline is abandoned, no retry starts after it, and the last
 * error propagates, which the error middleware answers with 503 and Retry-After. Outside a budget scope (scripts),
 * each call gets a budget of its own. Operations passed here must be safe to repeat (reads, upserts, guarded $push).
 */
export async function withDbRetry<T>(what: string, op: (attempt: number) => Promise<T>): Promise<T> {
  const deadline = budget.getStore()?.deadline ?? Date.now() + config.DB_RETRY_BUDGET_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await beforeDeadline(() => op(attempt), deadline, what);
    } catch (err) {
      if (!isTransientDependencyError(err)) throw err;
      const backoff = Math.min(2_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
      if (err instanceof DatabaseTimeoutError || Date.now() + backoff >= deadline) {
        logger.warn('database unavailable, giving up', { operation: what, attempts: attempt + 1 });
        throw err;
      }
      metrics.addMetric('DbRetries', 'Count', 1);
      logger.warn('transient database error, retrying', { operation: what, attempt: attempt + 1, error: (err as Error).name });
      await sleep(backoff);
    }
  }
}
