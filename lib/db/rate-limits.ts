/** Per-user rate limits: fixed-window counters in MongoDB (one atomic upsert + $inc per window), expired by a TTL index. */
import type { Collection } from 'mongodb';
import { config } from '#lib/config.js';
import { ServiceUnavailableError, TooManyRequestsError } from '#lib/errors.js';
import { logger, metrics, userRef } from '#lib/observability.js';
import { isDuplicateKey, isTransientDependencyError } from './faults.js';
import { getDb } from './mongo.js';
import { withDbRetry } from './retry.js';

export const RATE_LIMITS = 'rate_limits';

/** What is limited: assistant turns (they cost model tokens), and every write together. */
export type LimitKind = 'turns' | 'writes';

interface CounterDoc {
  _id: string;
  user_id: string;
  count: number;
  expires_at: Date;
}

interface Window {
  name: 'minute' | 'day';
  ms: number;
  limit: number;
}

const windowsOf = (kind: LimitKind): Window[] =>
  (
    [
      { name: 'minute', ms: 60_000, limit: kind === 'turns' ? config.RATE_LIMIT_TURNS_PER_MINUTE : config.RATE_LIMIT_WRITES_PER_MINUTE },
      { name: 'day', ms: 86_400_000, limit: kind === 'turns' ? config.RATE_LIMIT_TURNS_PER_DAY : config.RATE_LIMIT_WRITES_PER_DAY },
    ] satisfies Window[]
  ).filter((w) => w.limit > 0);

async function counters(): Promise<Collection<CounterDoc>> {
  return (await getDb()).collection<CounterDoc>(RATE_LIMITS);
}

/** Adds `by` to the caller's counter of this window and returns the new count. */
async function bump(col: Collection<CounterDoc>, id: string, userId: string, expiresAt: Date, by: number): Promise<number> {
  for (;;) {
    try {
      const doc = await col.findOneAndUpdate(
        { _id: id },
        { $inc: { count: by }, $setOnInsert: { user_id: userId, expires_at: expiresAt } },
        { upsert: true, returnDocument: 'after', projection: { count: 1 } },
      );
      return doc?.count ?? by;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // two first requests of a window raced to insert it: count again
    }
  }
}

/**
 * Counts one request of `kind` for the user in every window; past a limit, takes it back and throws a 429 with
 * Retry-After (the end of the window that refused). Concurrent requests are counted atomically, so N requests
 * against a limit of L let exactly min(N, L) through.
 */
export async function takeRateLimit(userId: string, kind: LimitKind, now = Date.now()): Promise<void> {
  const windows = windowsOf(kind);
  if (windows.length === 0) return;
  const slots = windows.map((w) => {
    const start = now - (now % w.ms);
    return { ...w, id: `${kind}:${w.name}:${userId}:${start}`, end: start + w.ms };
  });
  let counts: number[];
  try {
    const col = await counters();
    counts = await Promise.all(slots.map((s) => withDbRetry('limits.take', () => bump(col, s.id, userId, new Date(s.end + 60_000), 1))));
  } catch (err) {
    if (!isTransientDependencyError(err)) throw err;
    metrics.addMetric('RateLimitUnavailable', 'Count', 1);
    logger.warn('rate-limit counters unavailable', { kind, user: userRef(userId), policy: config.RATE_LIMIT_ON_OUTAGE });
    if (config.RATE_LIMIT_ON_OUTAGE === 'closed') throw new ServiceUnavailableError('Rate limiting temporarily unavailable, please retry');
    return;
  }
  const refused = slots.find((s, i) => counts[i]! > s.limit);
  if (!refused) return;
  // A refused request does not use up the caller's allowance.
  const col = await counters();
  await Promise.all(slots.map((s) => withDbRetry('limits.giveBack', () => bump(col, s.id, userId, new Date(s.end + 60_000), -1)))).catch(
    (err: unknown) => logger.warn('giving back a refused rate-limit unit failed', { error: (err as Error).name }),
  );
  metrics.addMetric('RateLimited', 'Count', 1);
  logger.info('rate limited', { kind, window: refused.name, user: userRef(userId) });
  const what = kind === 'turns' ? 'assistant replies' : 'changes';
  throw new TooManyRequestsError(
    `Too many ${what}: at most ${refused.limit} per ${refused.name}, please retry later`,
    (refused.end - now) / 1000,
  );
}

/** Deletes the user's rate-limit counters (erasure); how many went. */
export async function deleteRateLimitsOf(userId: string): Promise<number> {
  return (await withDbRetry('erase.limits', async () => (await counters()).deleteMany({ user_id: userId }))).deletedCount;
}

/** How many rate-limit counters the user has (a dry run of erasure). */
export async function countRateLimitsOf(userId: string): Promise<number> {
  return withDbRetry('erase.limits.count', async () => (await counters()).countDocuments({ user_id: userId }));
}
