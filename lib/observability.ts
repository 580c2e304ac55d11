/** The logger and EMF metrics of every function, and non-reversible references to users and shares for logs. */
import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { config } from './config.js';

const serviceName = 'ansari-threads';

/** One structured JSON logger per container. Never log tokens, message text or documents. */
export const logger = new Logger({ serviceName, logLevel: config.LOG_LEVEL });

/** CloudWatch EMF metrics, flushed once per request by the middleware. */
export const metrics = new Metrics({ namespace: 'Ansari/Threads', serviceName });

const ref = (kind: string, value: string): string => createHash('sha256').update(`ansari-${kind}:${value}`).digest('hex').slice(0, 16);

/** A stable, non-reversible reference to a user for logs (ids are personal data). */
export const userRef = (userId: string): string => ref('user', userId);

/** A non-reversible reference to a share for logs (a share id is a bearer secret: it opens the public link). */
export const shareRef = (shareId: string): string => ref('share', shareId);
