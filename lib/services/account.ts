/**
 * A person's data (GDPR articles 17 and 20): erase everything of theirs, in both stores (DELETE /api/v3/threads and
 * `npm run purge-user`), and export everything (GET /api/v3/threads/export, see export.ts).
 */
import { countRateLimitsOf, deleteRateLimitsOf } from '#lib/db/rate-limits.js';
import { deleteMigratedMark } from '#lib/legacy/migrated-users.js';
import { logger, publishRecord, userRef } from '#lib/observability.js';
import { countSharesOf, deleteSharesOf, legacyShareIdsOf } from '#lib/share/snapshot.js';
import { countUserThreads, eraseUserThreads } from '#lib/threads/mongo-store.js';
import { countUserChunks, deleteUserChunks } from '#lib/threads/overflow.js';
import { legacyLayer } from './wiring.js';

/** Threads each store deletes per round (one MongoDB `deleteMany`, one SQL statement). */
export const ERASE_BATCH = 250;
/** Threads one call deletes at most, both stores together; then it answers `complete: false`. */
export const ERASE_MAX_THREADS = 2_000;
/**
 * No round starts after this much of a call has passed, whatever the count: a slow database still answers well
 * inside the request's database budget (DB_RETRY_BUDGET_MS, 12 s) and API Gateway's 29 s.
 */
export const ERASE_TIME_LIMIT_MS = 5_000;

/** What one call removed. Each store counts its own: a legacy thread with a MongoDB copy counts in both. */
export interface ErasedCounts {
  /** MongoDB thread documents (their reply leases with them). */
  threads: number;
  overflow_chunks: number;
  /** MongoDB shares (migrated copies of legacy shares included). */
  shares: number;
  legacy_threads: number;
  legacy_messages: number;
  /** Rows of the SQL `share` table. */
  legacy_shares: number;
  rate_limit_counters: number;
}

export interface EraseResult {
  /** False when the call stopped at its limit with threads left: call again. */
  complete: boolean;
  deleted: ErasedCounts;
}

export interface EraseOptions {
  /** Who asked, for the log and metric: the person through the API, or an operator's purge. */
  via: 'api' | 'operator';
  /** Threads this call deletes at most (default ERASE_MAX_THREADS). */
  maxThreads?: number;
  /** No round starts after this (default ERASE_TIME_LIMIT_MS). */
  timeLimitMs?: number;
}

const zero = (): ErasedCounts => ({
  threads: 0,
  overflow_chunks: 0,
  shares: 0,
  legacy_threads: 0,
  legacy_messages: 0,
  legacy_shares: 0,
  rate_limit_counters: 0,
});

/**
 * Deletes the user's data from both stores, in an order that is safe to cut short and to repeat (every step is a
 * delete of what is left, so a retry after a timeout removes the rest and counts only that):
 * 1. shares first, so public links stop at once: the legacy rows (recognised by their thread's message rows, which
 *    must still exist, and by the UUID ids of the MongoDB copies the migration made), then the MongoDB shares;
 * 2. threads in rounds, the legacy store first in each (as a single delete does: a migration copying a thread
 *    meanwhile leaves a MongoDB copy, which the MongoDB half of the round or the next call removes), then
 *    MongoDB with overflow chunks, until the user has none, the call's thread limit, or its time limit;
 * 3. once no thread is left: chunks left without a thread, the rate-limit counters, and the migration's mark of
 *    the user (legacy_migrated_users).
 */
export async function eraseUserData(userId: string, opts: EraseOptions): Promise<EraseResult> {
  const started = Date.now();
  const maxThreads = opts.maxThreads ?? ERASE_MAX_THREADS;
  const timeLimit = opts.timeLimitMs ?? ERASE_TIME_LIMIT_MS;
  const legacy = await legacyLayer();
  const deleted = zero();

  const copiedShareIds = await legacyShareIdsOf(userId);
  if (legacy) deleted.legacy_shares = await legacy.erasure.deleteShares(userId, copiedShareIds);
  deleted.shares = await deleteSharesOf(userId);

  let more = true;
  while (more && deleted.threads + deleted.legacy_threads < maxThreads && Date.now() - started < timeLimit) {
    const batch = Math.min(ERASE_BATCH, maxThreads - deleted.threads - deleted.legacy_threads);
    const sql = legacy ? await legacy.erasure.deleteThreads(userId, batch) : { threads: 0, messages: 0 };
    deleted.legacy_threads += sql.threads;
    deleted.legacy_messages += sql.messages;
    const room = batch - sql.threads;
    const mongo = room > 0 ? await eraseUserThreads(userId, room) : { threads: 0, chunks: 0 };
    deleted.threads += mongo.threads;
    deleted.overflow_chunks += mongo.chunks;
    // A store that filled its batch may hold more; one that did not is empty (as of its query).
    more = sql.threads === batch || mongo.threads === room;
  }
  if (!more) {
    deleted.overflow_chunks += await deleteUserChunks(userId);
    deleted.rate_limit_counters = await deleteRateLimitsOf(userId);
    await deleteMigratedMark(userId);
  }

  const result = { complete: !more, deleted };
  report(userId, opts.via, result, Date.now() - started);
  return result;
}

/** One log line (user hash and counts, never content) and one EMF record per erase call. */
function report(userId: string, via: EraseOptions['via'], result: EraseResult, durationMs: number): void {
  const d = result.deleted;
  logger.info('erase', { user: userRef(userId), via, complete: result.complete, deleted: d, durationMs });
  publishRecord({ via }, [
    ['EraseCalls', 'Count', 1],
    ['ErasedThreads', 'Count', d.threads + d.legacy_threads],
    ['ErasedShares', 'Count', d.shares + d.legacy_shares],
    ['ErasedOverflowChunks', 'Count', d.overflow_chunks],
    ['EraseDuration', 'Milliseconds', durationMs],
  ]);
}

/** What eraseUserData would delete, counted without deleting (`npm run purge-user -- --dry-run`). */
export async function countUserData(userId: string): Promise<ErasedCounts> {
  const legacy = await legacyLayer();
  const copiedShareIds = await legacyShareIdsOf(userId);
  const [threads, chunks, shares, counters, sql] = await Promise.all([
    countUserThreads(userId),
    countUserChunks(userId),
    countSharesOf(userId),
    countRateLimitsOf(userId),
    legacy ? legacy.erasure.count(userId, copiedShareIds) : { threads: 0, messages: 0, shares: 0 },
  ]);
  return {
    threads,
    overflow_chunks: chunks,
    shares,
    legacy_threads: sql.threads,
    legacy_messages: sql.messages,
    legacy_shares: sql.shares,
    rate_limit_counters: counters,
  };
}
