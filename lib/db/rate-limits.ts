/**
 * Per-user rate limits: fixed-window counters kept as documents of the `threads` collection, so a write and its count
 * go to MongoDB as one ordered command (lib/threads/mongo-store.ts); expired by a TTL index.
 */
import { MongoBulkWriteError, type Collection, type Document } from 'mongodb';
import { config } from '#lib/config.js';
import { ServiceUnavailableError, TooManyRequestsError } from '#lib/errors.js';
import { logger, metrics, userRef } from '#lib/observability.js';
import { isDuplicateKey, isTransientDependencyError } from './faults.js';
import { idsStartingWith, THREADS, WINDOW_PREFIX } from './indexes.js';
import { getDb } from './mongo.js';
import { withDbRetry } from './retry.js';

/** What is limited: assistant turns (they cost model tokens), and every write together. */
export type LimitKind = 'turns' | 'writes';

/**
 * One document per user, kind and day: `day` counts the day, `m<minute of the day>` each minute, so one atomic
 * statement counts a request in both windows at once. Its `_id` starts with `limits:<user>:`, and its `thread_id` is
 * the same string (the collection's unique thread_id index holds it; no thread id looks like it). It has no `user_id`,
 * so no thread query ever matches it.
 */
interface WindowDoc {
  _id: string;
  thread_id: string;
  limit_user: string;
  day: number;
  limit_expires_at: Date;
  [minute: `m${number}`]: number;
}

/** The update statement that counts one request, and what decides when it is refused. */
export interface LimitCount {
  /**
   * Counts the request only while both windows have room (`$inc` on a filter that excludes a full window). A full
   * window leaves the filter unmatched, so the upsert inserts the document's `_id` again: a duplicate key error,
   * which stops an ordered command before the write behind it.
   */
  statement: { updateOne: { filter: Document; update: Document; upsert: true } };
  /**
   * After the statement failed on a duplicate key: the 429 when a window is full (with Retry-After: the end of the
   * window that refused); undefined when two first requests of a day raced to open its document (count again).
   */
  refusal(): Promise<TooManyRequestsError | undefined>;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Attempts at counting when a duplicate key is a lost race to open the window (one more almost always does). */
const RACE_ATTEMPTS = 5;

const limitsOf = (kind: LimitKind) =>
  kind === 'turns'
    ? { minute: config.RATE_LIMIT_TURNS_PER_MINUTE, day: config.RATE_LIMIT_TURNS_PER_DAY }
    : { minute: config.RATE_LIMIT_WRITES_PER_MINUTE, day: config.RATE_LIMIT_WRITES_PER_DAY };

async function windows(): Promise<Collection<WindowDoc>> {
  return (await getDb()).collection<WindowDoc>(THREADS);
}

/** The user's window documents: a range of `_id`s, so the `_id` index finds them. */
export const windowsOf = (userId: string): Document => ({ _id: idsStartingWith(`${WINDOW_PREFIX}${userId}:`) });

/** The statement counting one request of `kind` at `now`; undefined when `kind` has no limit (a limit of 0 is none). */
export function limitCount(userId: string, kind: LimitKind, now = Date.now()): LimitCount | undefined {
  const limits = limitsOf(kind);
  if (limits.minute === 0 && limits.day === 0) return undefined;
  const dayStart = now - (now % DAY_MS);
  const minuteStart = now - (now % MINUTE_MS);
  const id = `${WINDOW_PREFIX}${userId}:${kind}:${dayStart}`;
  const minuteKey = `m${(minuteStart - dayStart) / MINUTE_MS}` as const;
  // `$not: {$gte}` also matches a window not counted yet (no field).
  const room: Document = {};
  if (limits.minute > 0) room[minuteKey] = { $not: { $gte: limits.minute } };
  if (limits.day > 0) room.day = { $not: { $gte: limits.day } };
  return {
    statement: {
      updateOne: {
        filter: { _id: id, ...room },
        update: {
          $inc: { day: 1, [minuteKey]: 1 },
          $setOnInsert: { thread_id: id, limit_user: userId, limit_expires_at: new Date(dayStart + DAY_MS + MINUTE_MS) },
        },
        upsert: true,
      },
    },
    async refusal() {
      const doc = await withDbRetry('limits.check', async () =>
        (await windows()).findOne({ _id: id }, { projection: { day: 1, [minuteKey]: 1 } }),
      );
      const refused =
        limits.minute > 0 && (doc?.[minuteKey] ?? 0) >= limits.minute
          ? { name: 'minute', limit: limits.minute, end: minuteStart + MINUTE_MS }
          : limits.day > 0 && (doc?.day ?? 0) >= limits.day
            ? { name: 'day', limit: limits.day, end: dayStart + DAY_MS }
            : undefined;
      if (!refused) return undefined;
      metrics.addMetric('RateLimited', 'Count', 1);
      logger.info('rate limited', { kind, window: refused.name, user: userRef(userId) });
      const what = kind === 'turns' ? 'assistant replies' : 'changes';
      return new TooManyRequestsError(
        `Too many ${what}: at most ${refused.limit} per ${refused.name}, please retry later`,
        (refused.end - now) / 1000,
      );
    },
  };
}

/**
 * Which of the first `counts` statements of an ordered command stopped it on a duplicate key (a full window, or a
 * race to open one: its `refusal()` tells): its index, or -1 when the command failed otherwise.
 */
export function refusedAt(err: unknown, counts: number): number {
  if (!(err instanceof MongoBulkWriteError)) return -1;
  const first = err.writeErrors instanceof Array ? err.writeErrors[0] : err.writeErrors;
  return first && first.code === 11000 && first.index < counts ? first.index : -1;
}

/**
 * Counts one request of `kind` for the user, in its minute and its day, with one atomic statement; past a limit,
 * throws a 429 and counts nothing. Concurrent requests are counted atomically, so N requests against a limit of L let
 * exactly min(N, L) through. For a write that can carry its count, see the `counts` of an append.
 */
export async function takeRateLimit(userId: string, kind: LimitKind, now = Date.now()): Promise<void> {
  const count = limitCount(userId, kind, now);
  if (!count) return;
  // A lost race to open a window is retried; a duplicate key that keeps coming while the window has room is a fault.
  for (let attempt = 1; ; attempt++) {
    let outcome: Awaited<ReturnType<typeof countOnce>>;
    try {
      outcome = await countOnce(count);
    } catch (err) {
      if (!isTransientDependencyError(err)) throw err;
      metrics.addMetric('RateLimitUnavailable', 'Count', 1);
      logger.warn('rate-limit counters unavailable', { kind, user: userRef(userId), policy: config.RATE_LIMIT_ON_OUTAGE });
      if (config.RATE_LIMIT_ON_OUTAGE === 'closed')
        throw new ServiceUnavailableError('Rate limiting temporarily unavailable, please retry');
      return;
    }
    if (outcome instanceof TooManyRequestsError) throw outcome;
    if (outcome === 'counted') return;
    if (attempt >= RACE_ATTEMPTS)
      throw new Error(`rate-limit window ${kind} of ${userRef(userId)} collided ${attempt} times with room left`);
  }
}

/** One attempt: counted, refused (the 429), or `again` after losing the race to open the window. */
async function countOnce(count: LimitCount): Promise<'counted' | 'again' | TooManyRequestsError> {
  const { filter, update } = count.statement.updateOne;
  try {
    const col = await windows();
    await withDbRetry('limits.take', () => col.updateOne(filter, update, { upsert: true }));
    return 'counted';
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  return (await count.refusal()) ?? 'again';
}

/** Deletes the user's rate-limit windows (erasure); how many went. */
export async function deleteRateLimitsOf(userId: string): Promise<number> {
  return (await withDbRetry('erase.limits', async () => (await windows()).deleteMany(windowsOf(userId)))).deletedCount;
}

/** How many rate-limit windows the user has (a dry run of erasure). */
export async function countRateLimitsOf(userId: string): Promise<number> {
  return withDbRetry('erase.limits.count', async () => (await windows()).countDocuments(windowsOf(userId)));
}
