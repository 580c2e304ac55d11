/**
 * The per-user rate-limit counters (lib/db/rate-limits.ts) against the MongoDB test server, at fixed instants: the
 * minute and day windows of each kind, a limit of 0 meaning none, a refusal counting nothing, the window documents'
 * shape and expiry, the `closed` outage policy, and the erasure calls.
 */
import { Collection, MongoNetworkError, MongoServerError } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newUser } from '#support/auth.js';

Object.assign(process.env, {
  MONGODB_DB: `ansari_rate_windows_${process.pid}`,
  RATE_LIMIT_TURNS_PER_MINUTE: '3',
  RATE_LIMIT_TURNS_PER_DAY: '5',
  RATE_LIMIT_WRITES_PER_MINUTE: '0',
  RATE_LIMIT_WRITES_PER_DAY: '4',
  RATE_LIMIT_ON_OUTAGE: 'closed',
  DB_RETRY_BUDGET_MS: '300',
});

const { takeRateLimit, deleteRateLimitsOf, countRateLimitsOf, windowsOf } = await import('#lib/db/rate-limits.js');
const { getDb, closeMongo } = await import('#lib/db/mongo.js');
const { logger, metrics, userRef } = await import('#lib/observability.js');

const MINUTE = 60_000;
const DAY = 86_400_000;
/** 10:00:30 UTC on a fixed day: half a minute into its window, 14 h into its day. */
const DAY_START = Date.UTC(2026, 10, 30);
const T0 = DAY_START + 10 * 3_600_000 + 30_000;

const counters = async () => (await getDb()).collection<{ _id: string } & Record<string, unknown>>('threads');
const refusal = (p: Promise<void>) =>
  p.then(
    () => undefined,
    (e: { status: number; message: string; headers: Record<string, string> }) => e,
  );

beforeAll(async () => {
  await (await import('#lib/db/indexes.js')).ensureIndexes(await getDb());
});
afterAll(async () => {
  await (await getDb()).dropDatabase();
  await closeMongo();
});

describe('rate-limit windows', () => {
  it('refuses past the minute, then past the day, saying which and until when, and counts no refused request', async () => {
    const user = newUser();
    for (let i = 0; i < 3; i++) await takeRateLimit(user, 'turns', T0);
    const info = vi.spyOn(logger, 'info');
    const counted = vi.spyOn(metrics, 'addMetric');
    const minute = await refusal(takeRateLimit(user, 'turns', T0));
    try {
      expect(info).toHaveBeenCalledWith('rate limited', { kind: 'turns', window: 'minute', user: userRef(user) });
      expect(counted).toHaveBeenCalledWith('RateLimited', 'Count', 1);
    } finally {
      info.mockRestore();
      counted.mockRestore();
    }
    expect(minute).toMatchObject({ status: 429, headers: { 'Retry-After': '30' } });
    expect(minute!.message).toBe('Too many assistant replies: at most 3 per minute, please retry later');

    // The next minute has room; the day's fifth turn is the last.
    await takeRateLimit(user, 'turns', T0 + MINUTE);
    await takeRateLimit(user, 'turns', T0 + MINUTE);
    const day = await refusal(takeRateLimit(user, 'turns', T0 + 2 * MINUTE));
    const untilMidnight = (DAY_START + DAY - (T0 + 2 * MINUTE)) / 1000;
    expect(day).toMatchObject({ status: 429, headers: { 'Retry-After': String(untilMidnight) } });
    expect(day!.message).toBe('Too many assistant replies: at most 5 per day, please retry later');

    // One document for the user's day, in the threads collection: the two refusals counted nothing, so it counts 5,
    // 3 + 2 by minute. Its thread_id is its _id (the unique index holds it) and it has no user_id (no thread query
    // matches it).
    const docs = await (await counters()).find(windowsOf(user)).toArray();
    expect(docs).toEqual([
      {
        _id: `limits:${user}:turns:${DAY_START}`,
        thread_id: `limits:${user}:turns:${DAY_START}`,
        limit_user: user,
        day: 5,
        m600: 3,
        m601: 2,
        limit_expires_at: new Date(DAY_START + DAY + MINUTE),
      },
    ]);
    // A new day starts afresh.
    await expect(takeRateLimit(user, 'turns', DAY_START + DAY)).resolves.toBeUndefined();
  });

  it('takes a limit of 0 as none: writes have a day limit only here', async () => {
    const user = newUser();
    for (let i = 0; i < 4; i++) await takeRateLimit(user, 'writes', T0);
    const day = await refusal(takeRateLimit(user, 'writes', T0));
    expect(day).toMatchObject({ status: 429 });
    expect(day!.message).toBe('Too many changes: at most 4 per day, please retry later');
    // Writes and turns are counted apart.
    await expect(takeRateLimit(user, 'turns', T0)).resolves.toBeUndefined();
  });

  it('with the closed policy, refuses with 503 while the counters cannot be reached, and counts it', async () => {
    const user = newUser();
    const failing = vi.spyOn(Collection.prototype, 'updateOne').mockRejectedValue(new MongoNetworkError('connection reset'));
    const counted = vi.spyOn(metrics, 'addMetric');
    const warned = vi.spyOn(logger, 'warn');
    try {
      const refused = await refusal(takeRateLimit(user, 'turns', T0));
      expect(refused).toMatchObject({ status: 503, message: 'Rate limiting temporarily unavailable, please retry' });
      expect(counted).toHaveBeenCalledWith('RateLimitUnavailable', 'Count', 1);
      // Retried within the budget under its operation's name, then reported once with the policy applied.
      expect(warned).toHaveBeenCalledWith('database unavailable, giving up', { operation: 'limits.take', attempts: expect.any(Number) });
      expect(warned).toHaveBeenCalledWith('rate-limit counters unavailable', { kind: 'turns', user: userRef(user), policy: 'closed' });
    } finally {
      failing.mockRestore();
      counted.mockRestore();
      warned.mockRestore();
    }
    // Any other failure is not an outage: it propagates as it is.
    const broken = vi.spyOn(Collection.prototype, 'updateOne').mockRejectedValue(new TypeError('a bug'));
    try {
      await expect(takeRateLimit(user, 'turns', T0)).rejects.toThrow(TypeError);
    } finally {
      broken.mockRestore();
    }
  });

  it('applies the outage policy when the check after a full window cannot be read', async () => {
    const user = newUser();
    for (let i = 0; i < 3; i++) await takeRateLimit(user, 'turns', T0);
    const failing = vi.spyOn(Collection.prototype, 'findOne').mockRejectedValue(new MongoNetworkError('connection reset'));
    const warned = vi.spyOn(logger, 'warn');
    try {
      expect(await refusal(takeRateLimit(user, 'turns', T0))).toMatchObject({ status: 503 });
      expect(warned).toHaveBeenCalledWith('database unavailable, giving up', { operation: 'limits.check', attempts: expect.any(Number) });
      expect(warned).toHaveBeenCalledWith('rate-limit counters unavailable', { kind: 'turns', user: userRef(user), policy: 'closed' });
    } finally {
      failing.mockRestore();
      warned.mockRestore();
    }
  });

  it('counts again when the first two requests of a day race to create its document', async () => {
    const user = newUser();
    // The losing upsert of the race is refused by the unique _id, having written nothing.
    const raced = vi
      .spyOn(Collection.prototype, 'updateOne')
      .mockRejectedValueOnce(new MongoServerError({ message: 'E11000 duplicate key error', code: 11000 }));
    try {
      // The check after the lost race finds no window at all (the winner's not visible yet): it counts again.
      await expect(takeRateLimit(user, 'turns', T0)).resolves.toBeUndefined();
      expect(raced).toHaveBeenCalledTimes(2);
    } finally {
      raced.mockRestore();
    }
    expect(await (await counters()).findOne(windowsOf(user))).toMatchObject({ day: 1, m600: 1 });
  });

  it('gives up, as a fault, when a duplicate key keeps coming while the window has room', async () => {
    const user = newUser();
    const collide = vi
      .spyOn(Collection.prototype, 'updateOne')
      .mockRejectedValue(new MongoServerError({ message: 'E11000 duplicate key error', code: 11000 }));
    try {
      await expect(takeRateLimit(user, 'turns', T0)).rejects.toThrow(
        `rate-limit window turns of ${userRef(user)} collided 5 times with room left`,
      );
      expect(collide).toHaveBeenCalledTimes(5);
    } finally {
      collide.mockRestore();
    }
  });

  it('refuses exactly past the limit when requests arrive together, and a refusal needs no write to undo', async () => {
    const user = newUser();
    // 10 at once against 3 a minute: the conditional upsert admits exactly 3; the 7 others find the window full.
    const results = await Promise.all(Array.from({ length: 10 }, () => refusal(takeRateLimit(user, 'turns', T0))));
    expect(results.filter((r) => r === undefined)).toHaveLength(3);
    expect(results.filter((r) => r?.status === 429)).toHaveLength(7);
    expect(await (await counters()).findOne(windowsOf(user))).toMatchObject({ day: 3, m600: 3 });
  });

  it("counts and deletes a user's counters, and only theirs", async () => {
    const [user, other] = [newUser(), newUser()];
    await takeRateLimit(user, 'turns', T0);
    await takeRateLimit(user, 'writes', T0);
    await takeRateLimit(user, 'writes', T0 + DAY);
    await takeRateLimit(other, 'writes', T0);
    expect(await countRateLimitsOf(user)).toBe(3);
    expect(await deleteRateLimitsOf(user)).toBe(3);
    expect(await countRateLimitsOf(user)).toBe(0);
    expect(await countRateLimitsOf(other)).toBe(1);

    // Each call is retried under its own operation's name.
    const warned = vi.spyOn(logger, 'warn');
    const down = [
      vi.spyOn(Collection.prototype, 'deleteMany').mockRejectedValue(new MongoNetworkError('connection reset')),
      vi.spyOn(Collection.prototype, 'countDocuments').mockRejectedValue(new MongoNetworkError('connection reset')),
    ];
    try {
      await expect(deleteRateLimitsOf(other)).rejects.toBeInstanceOf(MongoNetworkError);
      await expect(countRateLimitsOf(other)).rejects.toBeInstanceOf(MongoNetworkError);
      expect(
        warned.mock.calls.filter(([m]) => m === 'database unavailable, giving up').map(([, f]) => (f as { operation: string }).operation),
      ).toEqual(['erase.limits', 'erase.limits.count']);
    } finally {
      for (const spy of [warned, ...down]) spy.mockRestore();
    }
  });
});
