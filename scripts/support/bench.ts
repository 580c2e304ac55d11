/** Shared by the benchmarks (`npm run bench`): a quiet test-stage environment and latency percentiles. */
import { installAwsLambdaPolyfill } from './lambda-streaming.js';

/** Test stage, no EMF output, errors-only logs, the streaming polyfill, a database of its own. Call before importing lib/. */
export function benchEnvironment(name: string): void {
  installAwsLambdaPolyfill();
  process.env.STAGE = 'test';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.LOG_LEVEL = 'ERROR';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.MONGODB_DB ??= `ansari_bench_${name}_${process.pid}`;
}

/** The p-th percentile (0..1) of the values, nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}
