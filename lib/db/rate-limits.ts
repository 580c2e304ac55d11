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

/**
 * One document per user, kind and day: `day` counts the day, `m<minute of the day>` each minute, so one atomic
 * command counts a request in both windows at once.
 */
interface CounterDoc {
  _id: string;
  user_id: string;
  day: number;
  expires_at: Date;
  [minute: `m${number}`]: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const limitsOf = (kind: LimitKind) =>
  kind === 'turns'
    ? { minute: config.RATE_LIMIT_TURNS_PER_MINUTE, day: config.RATE_LIMIT_TURNS_PER_DAY }
    : { minute: config.RATE_LIMIT_WRITES_PER_MINUTE, day: config.RATE_LIMIT_WRITES_PER_DAY };

async function counters(): Promise<Collection<CounterDoc>> {
  return (await getDb()).collection<CounterDoc>(RATE_LIMITS);
}

/** Adds `by` to the caller's counts of the day and of the minute; the new counts. */
async function bump(
  col: Collection<CounterDoc>,
  slot: { id: string; minuteKey: `m${number}`; userId: string; expiresAt: Date },
  by: number,
): Promise<{ day: number; minute: number }> {
  for (;;) {
    try {
      const doc = await col.findOneAndUpdate(
        { _id: slot.id },
        { $inc: { day: by, [slot.minuteKey]: by }, $setOnInsert: { user_id: slot.userId, expires_at: slot.expiresAt } },
        { upsert: true, returnDocument: 'after', projection: { day: 1, [slot.minuteKey]: 1 } },
      );
      return { day: doc?.day ?? by, minute: doc?.[slot.minuteKey] ?? by };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // two first requests of a day raced to insert its document: count again
    }
  }
}

/**
 * Counts one request of `kind` for the user, in its minute and its day, with one atomic command; past a limit, takes
 * it back and throws a 429 with Retry-After (the end of the window that refused). Concurrent requests are counted
 * atomically, so N requests against a limit of L let exactly min(N, L) through.
 */
export async function takeRateLimit(userId: string, kind: LimitKind, now = Date.now()): Promise<void> {
  const limits = limitsOf(kind);
  if (limits.minute === 0 && limits.day === 0) return;
  const dayStart = now - (now % DAY_MS);
  const minuteStart = now - (now % MINUTE_MS);
  const slot = {
    id: `${kind}:${userId}:${dayStart}`,
    minuteKey: `m${(minuteStart - dayStart) / MINUTE_MS}` as const,
    userId,
    expiresAt: new Date(dayStart + DAY_MS + MINUTE_MS),
  };
  let counts: { day: number; minute: number };
  try {
    const col = await counters();
    counts = await withDbRetry('limits.take', () => bump(col, slot, 1));
  } catch (err) {
    if (!isTransientDependencyError(err)) throw err;
    metrics.addMetric('RateLimitUnavailable', 'Count', 1);
    logger.warn('rate-limit counters unavailable', { kind, user: userRef(userId), policy: config.RATE_LIMIT_ON_OUTAGE });
    if (config.RATE_LIMIT_ON_OUTAGE === 'closed') throw new ServiceUnavailableError('Rate limiting temporarily unavailable, please retry');
    return;
  }
  const refused =
    limits.minute > 0 && counts.minute > limits.minute
      ? { name: 'minute', limit: limits.minute, end: minuteStart + MINUTE_MS }
      : limits.day > 0 && counts.day > limits.day
        ? { name: 'day', limit: limits.day, end: dayStart + DAY_MS }
        : undefined;
  if (!refused) return;
  // A refused request does not use up the caller's allowance.
  const col = await counters();
  await withDbRetry('limits.giveBack', () => bump(col, slot, -1)).catch((err: unknown) =>
    logger.warn('giving back a refused rate-limit unit failed', { error: (err as Error).name }),
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
