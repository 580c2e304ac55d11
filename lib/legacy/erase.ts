/** A person's data in the legacy PostgreSQL store, for erasure: their threads (messages, feedback) and their shares. */
import { withDbRetry } from '#lib/db/retry.js';
import { recordLegacyFallback } from './observe.js';
import { countUserShareRows, countUserThreadRows, deleteUserShareRows, deleteUserThreadRows, legacyDb } from './queries.js';

export interface LegacyErasure {
  /**
   * Deletes the user's legacy shares, plus the rows of `alsoIds` (UUID share ids whose MongoDB copies are the
   * user's). Run before the threads: a share is recognised by its thread's message rows.
   */
  deleteShares(userId: string, alsoIds: string[]): Promise<number>;
  /** Deletes up to `limit` of the user's threads with their messages and feedback. */
  deleteThreads(userId: string, limit: number): Promise<{ threads: number; messages: number }>;
  /** What the two would delete (a dry run). */
  count(userId: string, alsoIds: string[]): Promise<{ threads: number; messages: number; shares: number }>;
}

export const legacyErasure: LegacyErasure = {
  async deleteShares(userId, alsoIds) {
    const n = await withDbRetry('legacy.erase.shares', () => deleteUserShareRows(legacyDb(), userId, alsoIds));
    if (n > 0) recordLegacyFallback('erase', { shares: n });
    return n;
  },

  async deleteThreads(userId, limit) {
    // One statement per batch: a retry after an ambiguous failure deletes what is left (its counts only that).
    const { threads, messages } = await withDbRetry('legacy.erase.threads', () => deleteUserThreadRows(legacyDb(), userId, limit));
    if (threads > 0) recordLegacyFallback('erase', { threads, messages });
    return { threads, messages };
  },

  async count(userId, alsoIds) {
    const db = legacyDb();
    const [rows, shares] = await Promise.all([
      withDbRetry('legacy.erase.count', () => countUserThreadRows(db, userId)),
      withDbRetry('legacy.erase.count', () => countUserShareRows(db, userId, alsoIds)),
    ]);
    return { ...rows, shares };
  },
};
