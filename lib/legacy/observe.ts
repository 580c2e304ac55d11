/** Logs and counts every use of the legacy store (LegacyFallbacks), with ids only. */
import { logger, metrics } from '#lib/observability.js';

/** What the hybrid layer did with the legacy store: one metric dimension value each. */
export type LegacyOperation = 'list' | 'get' | 'rename' | 'delete' | 'copy' | 'share-read' | 'share-revoke' | 'erase';

/** At most this many thread ids go into one log line (a list may hold hundreds of legacy threads). */
const MAX_LOGGED_IDS = 50;

/** Ids only (thread or share), and counts: never message text. */
export interface FallbackFields {
  threadId?: string;
  threadIds?: string[];
  /** A hash of the share id: the id itself opens the public link, so it never goes into logs. */
  shareRef?: string;
  [key: string]: string | string[] | number | boolean | undefined;
}

/**
 * Records one use of the legacy store: a log line with the thread id(s) and the `LegacyFallbacks` metric with an
 * `operation` dimension. The metric is a single metric published at once, so its dimension does not leak into the
 * per-request metrics the middleware publishes with its `route` dimension.
 */
export function recordLegacyFallback(operation: LegacyOperation, fields: FallbackFields): void {
  const { threadIds, ...rest } = fields;
  const logged = threadIds === undefined ? rest : { ...rest, threadCount: threadIds.length, threadIds: threadIds.slice(0, MAX_LOGGED_IDS) };
  logger.info('legacy fallback', { operation, ...logged });
  const single = metrics.singleMetric();
  single.addDimension('operation', operation);
  single.addMetric('LegacyFallbacks', 'Count', 1);
}
