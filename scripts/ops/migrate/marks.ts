/**
 * After a complete run: every user of the legacy database is marked fully migrated (lib/legacy/migrated-users.ts),
 * so the thread list stops asking PostgreSQL for them. A user created in SQL later is unmarked until the next run.
 */
import type { AnyBulkWriteOperation } from 'mongodb';
import { withDbRetry } from '#lib/db/retry.js';
import { migratedUsersCollection, type MigratedUser } from '#lib/legacy/migrated-users.js';
import type { Queryable } from '#lib/legacy/queries.js';
import { selectUserIds } from './sql.js';

const USERS_PER_WRITE = 1_000;

/** Marks every SQL user as copied through `through` (a user's first mark keeps its time); returns how many. */
export async function markMigratedUsers(db: Queryable, through: Date): Promise<number> {
  const col = await migratedUsersCollection();
  const now = new Date();
  let after: string | undefined;
  let marked = 0;
  for (;;) {
    const pos = after;
    const ids = await withDbRetry('migrate.users', () => selectUserIds(db, pos, USERS_PER_WRITE));
    if (ids.length === 0) break;
    const ops: AnyBulkWriteOperation<MigratedUser>[] = ids.map((id) => ({
      updateOne: { filter: { _id: id }, update: { $set: { through }, $setOnInsert: { marked_at: now } }, upsert: true },
    }));
    await withDbRetry('migrate.mark', () => col.bulkWrite(ops, { ordered: false }));
    marked += ids.length;
    after = ids[ids.length - 1];
    if (ids.length < USERS_PER_WRITE) break;
  }
  return marked;
}
