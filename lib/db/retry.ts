/** Retries of transient database failures with backoff, within a time budget per request. */
import { setTimeout as sleep } from 'node:timers/promises';
import { config } from '#lib/config.js';
import { logger, metrics } from '#lib/observability.js';
import { isTransientDependencyError } from './faults.js';

/**
 * Runs a database operation, retrying transient failures (unreachable server, dropped connection, retryable
 * errors) with exponential backoff and jitter, within a time budget well under the function timeout. When the
 * budget is spent the last error propagates and the error middleware answers 503 with Retry-After.
 * Operations passed here must be safe to repeat (reads, upserts, guarded $push).
 */
export async function withDbRetry<T>(what: string, op: (attempt: number) => Promise<T>, budgetMs = config.DB_RETRY_BUDGET_MS): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await op(attempt);
    } catch (err) {
      if (!isTransientDependencyError(err)) throw err;
      const backoff = Math.min(2_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
      // Stop when another attempt (which may wait a whole server-selection timeout) would overrun the budget.
      const elapsed = Date.now() - started;
      if (elapsed + backoff + config.MONGODB_TIMEOUT_MS > budgetMs) {
        logger.warn('database unavailable, giving up', { operation: what, attempts: attempt + 1, elapsedMs: elapsed });
        throw err;
      }
      metrics.addMetric('DbRetries', 'Count', 1);
      logger.warn('transient database error, retrying', { operation: what, attempt: attempt + 1, error: (err as Error).name });
      await sleep(backoff);
    }
  }
}
