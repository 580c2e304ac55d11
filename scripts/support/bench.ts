/** Shared by the benchmarks (`npm run bench`): a quiet test-stage environment and latency percentiles. */
import { installAwsLambdaPolyfill } from './lambda-streaming.js';

/**
 * Per-user rate limits raised out of a benchmark's reach: a simulated user writes faster than a person can, and a
 * refusal would end the run. The counting write itself stays in every measured write.
 */
export const BENCH_RATE_LIMITS = {
  RATE_LIMIT_TURNS_PER_MINUTE: '10000',
  RATE_LIMIT_TURNS_PER_DAY: '1000000',
  RATE_LIMIT_WRITES_PER_MINUTE: '10000',
  RATE_LIMIT_WRITES_PER_DAY: '1000000',
};

/** Test stage, rate limits out of reach, no EMF output, errors-only logs, the streaming polyfill, a database of its own. Call before importing lib/. */
export function benchEnvironment(name: string): void {
  installAwsLambdaPolyfill();
  process.env.STAGE = 'test';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.LOG_LEVEL = 'ERROR';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.MONGODB_DB ??= `ansari_bench_${name}_${process.pid}`;
  for (const [k, v] of Object.entries(BENCH_RATE_LIMITS)) process.env[k] ??= v;
}

/** The p-th percentile (0..1) of the values, nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** The items in a random order (Fisher-Yates): each round of a benchmark runs its cases in a new order. */
export function shuffle<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
