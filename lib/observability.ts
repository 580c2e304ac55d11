/** The logger and EMF metrics of every function, and non-reversible references to users and shares for logs. */
import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { config } from './config.js';

const serviceName = 'ansari-threads';

/** One structured JSON logger per container. Never log tokens, message text or documents. */
export const logger = new Logger({ serviceName, logLevel: config.LOG_LEVEL });

const namespace = 'Ansari/Threads';

/** CloudWatch EMF metrics, flushed once per request by the middleware. */
export const metrics = new Metrics({ namespace, serviceName });

type Unit = Parameters<Metrics['addMetric']>[1];

/**
 * One EMF record with dimensions of its own, published now: for work that outlives its request (a streamed
 * export) or whose dimensions must not mix with the request's `route`. (`singleMetric()` publishes at every
 * `addMetric` and then drops its dimensions, so it can carry one metric only.)
 */
export function publishRecord(dimensions: Record<string, string>, values: [name: string, unit: Unit, value: number][]): void {
  const record = new Metrics({ namespace, serviceName });
  for (const [name, value] of Object.entries(dimensions)) record.addDimension(name, value);
  for (const [name, unit, value] of values) record.addMetric(name, unit, value);
  record.publishStoredMetrics();
}

const ref = (kind: string, value: string): string => createHash('sha256').update(`ansari-${kind}:${value}`).digest('hex').slice(0, 16);

/** A stable, non-reversible reference to a user for logs (ids are personal data). */
export const userRef = (userId: string): string => ref('user', userId);

/** A non-reversible reference to a share for logs (a share id is a bearer secret: it opens the public link). */
export const shareRef = (shareId: string): string => ref('share', shareId);
