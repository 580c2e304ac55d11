import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { config } from './config.js';

const serviceName = 'ansari-threads';

/** One structured JSON logger per container. Never log tokens, message text or documents. */
export const logger = new Logger({ serviceName, logLevel: config.LOG_LEVEL });

/** CloudWatch EMF metrics, flushed once per request by the middleware. */
export const metrics = new Metrics({ namespace: 'Ansari/Threads', serviceName });

/** A stable, non-reversible reference to a user for logs (ids are personal data). */
export function userRef(userId: string): string {
  return createHash('sha256').update(`ansari-user:${userId}`).digest('hex').slice(0, 16);
}

/** A non-reversible reference to a share for logs (a share id is a bearer secret: it opens the public link). */
export function shareRef(shareId: string): string {
  return createHash('sha256').update(`ansari-share:${shareId}`).digest('hex').slice(0, 16);
}
