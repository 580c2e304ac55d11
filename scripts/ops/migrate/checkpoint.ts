/** The legacy migration's checkpoint (one document in `migrations` per scope): where a run resumes, and its counts. */
import type { Collection } from 'mongodb';
import { getDb } from '#lib/db/mongo.js';
import { withDbRetry } from '#lib/db/retry.js';
import type { LegacyPosition } from '#lib/legacy/queries.js';

export const MIGRATIONS = 'migrations';

type Counts = { threads: number; inserted: number; skipped: number; removed: number; messages: number };

interface Checkpoint {
  _id: string;
  position: { updated_at: Date; thread_id: string } | null;
  since: Date | null;
  started_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  counts: Counts;
}

/** The checkpoint of a run's scope: one for all threads, one per `since`, none for a single thread. */
export const checkpointId = (scope: { since?: Date; threadId?: string }): string | null =>
  scope.threadId !== undefined ? null : scope.since ? `legacy-threads:since=${scope.since.toISOString()}` : 'legacy-threads';

async function migrationsCollection(): Promise<Collection<Checkpoint>> {
  return (await getDb()).collection<Checkpoint>(MIGRATIONS);
}

/**
 * Where a run starts: after the position of an unfinished checkpoint of its scope (unless `restart`). Otherwise from
 * the top, with the checkpoint reset (not in a dry run, which writes nothing).
 */
export async function startFromCheckpoint(
  id: string | null,
  opts: { since?: Date; restart?: boolean; dryRun: boolean },
): Promise<LegacyPosition | undefined> {
  if (id === null) return undefined;
  const checkpoints = await migrationsCollection();
  const existing = await withDbRetry('migrate.checkpoint', () => checkpoints.findOne({ _id: id }));
  if (existing && existing.completed_at === null && existing.position && !opts.restart) {
    return { updatedAt: existing.position.updated_at, threadId: existing.position.thread_id };
  }
  if (opts.dryRun) return undefined;
  const now = new Date();
  await withDbRetry('migrate.checkpoint', () =>
    checkpoints.replaceOne(
      { _id: id },
      {
        position: null,
        since: opts.since ?? null,
        started_at: now,
        updated_at: now,
        completed_at: null,
        counts: { threads: 0, inserted: 0, skipped: 0, removed: 0, messages: 0 },
      },
      { upsert: true },
    ),
  );
  return undefined;
}

/** Records a written batch: the position of its last thread, and its counts added to the run's. */
export async function recordBatch(id: string, last: { updated_at: Date; thread_id: string }, counts: Counts): Promise<void> {
  const position = { updated_at: last.updated_at, thread_id: last.thread_id };
  const checkpoints = await migrationsCollection();
  await withDbRetry('migrate.checkpoint', () =>
    checkpoints.updateOne(
      { _id: id },
      {
        $set: { position, updated_at: new Date() },
        $inc: {
          'counts.threads': counts.threads,
          'counts.inserted': counts.inserted,
          'counts.skipped': counts.skipped,
          'counts.removed': counts.removed,
          'counts.messages': counts.messages,
        },
      },
    ),
  );
}

/** Marks the run finished: the next run of this scope starts over (and finds everything copied). */
export async function completeCheckpoint(id: string): Promise<void> {
  const checkpoints = await migrationsCollection();
  await withDbRetry('migrate.checkpoint', () =>
    checkpoints.updateOne({ _id: id }, { $set: { completed_at: new Date(), updated_at: new Date() } }),
  );
}
