/**
 * Rate limits with one window set and the other 0 (lib/db/rate-limits.ts): turns limited by the minute only, so a day
 * holds any number of them, and writes limited by neither, so nothing is counted at all.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { newUser } from '#support/auth.js';

Object.assign(process.env, {
  MONGODB_DB: `ansari_rate_one_window_${process.pid}`,
  RATE_LIMIT_TURNS_PER_MINUTE: '2',
  RATE_LIMIT_TURNS_PER_DAY: '0',
  RATE_LIMIT_WRITES_PER_MINUTE: '0',
  RATE_LIMIT_WRITES_PER_DAY: '0',
});

const { takeRateLimit, windowsOf } = await import('#lib/db/rate-limits.js');
const { getDb, closeMongo } = await import('#lib/db/mongo.js');

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 30, 10, 0, 30);
const counters = async () => (await getDb()).collection('threads');

afterAll(async () => {
  await (await getDb()).dropDatabase();
  await closeMongo();
});

describe('rate limits with one window', () => {
  it('limits turns by the minute alone when the day limit is 0', async () => {
    const user = newUser();
    for (let minute = 0; minute < 4; minute++) {
      await takeRateLimit(user, 'turns', T0 + minute * MINUTE);
      await takeRateLimit(user, 'turns', T0 + minute * MINUTE);
      await expect(takeRateLimit(user, 'turns', T0 + minute * MINUTE)).rejects.toMatchObject({
        status: 429,
        message: 'Too many assistant replies: at most 2 per minute, please retry later',
      });
    }
    expect(await (await counters()).findOne(windowsOf(user))).toMatchObject({ day: 8, m600: 2, m603: 2 });
  });

  it('counts nothing when both limits are 0', async () => {
    const user = newUser();
    for (let i = 0; i < 10; i++) await takeRateLimit(user, 'writes', T0);
    expect(await (await counters()).countDocuments(windowsOf(user))).toBe(0);
  });
});
