/**
 * Users the migration has fully copied (one document each in `legacy_migrated_users`): the thread list stops asking
 * PostgreSQL for them. Written by the migration (scripts/ops/migrate/), read here by the legacy store.
 */
import type { Collection } from 'mongodb';
import { getDb } from '#lib/db/mongo.js';
import { withDbRetry } from '#lib/db/retry.js';

export const MIGRATED_USERS = 'legacy_migrated_users';

export interface MigratedUser {
  _id: string;
  /** The PostgreSQL time of the run that found every thread of the user copied. */
  through: Date;
  /** When the user was first marked (the run's clock). */
  marked_at: Date;
}

/**
 * How old a mark must be before the list trusts it. The list reads the mark and the user's MongoDB threads at the
 * same time; the migration marks a user only after the last copy landed, so a mark older than this (far above
 * the time one list read takes, plus clock skew between hosts) was written after copies that read sees.
 */
const MARK_SETTLE_MS = 60_000;

export async function migratedUsersCollection(): Promise<Collection<MigratedUser>> {
  return (await getDb()).collection<MigratedUser>(MIGRATED_USERS);
}

/** Whether every legacy thread of the user is known to be in MongoDB (a settled mark). */
export async function isFullyMigrated(userId: string, now = new Date()): Promise<boolean> {
  const mark = await withDbRetry('legacy.migrated', async () =>
    (await migratedUsersCollection()).findOne({ _id: userId }, { projection: { marked_at: 1 } }),
  );
  return mark !== null && mark.marked_at.getTime() <= now.getTime() - MARK_SETTLE_MS;
}

/**
 * Erasure: the user's mark goes with the rest of their data (its id is theirs). Harmless to the list: a user with
 * no mark is asked of PostgreSQL, where erasure left nothing; the next migration run marks them again only while
 * the legacy `users` table still lists them.
 */
export async function deleteMigratedMark(userId: string): Promise<void> {
  await withDbRetry('erase.migrated', async () => (await migratedUsersCollection()).deleteOne({ _id: userId }));
}
