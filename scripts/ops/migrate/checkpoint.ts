/**
 * The legacy migration's checkpoint (one document in `migrations` per scope): where a run resumes (its pass and
 * keyset position), the run id and batch number stamped on the documents it inserts, and its counts.
 */
import { randomUUID } from 'node:crypto';
import type { Collection } from 'mongodb';
import { getDb } from '#lib/db/mongo.js';
import { withDbRetry } from '#lib/db/retry.js';
import type { LegacyPosition } from '#lib/legacy/queries.js';

export const MIGRATIONS = 'migrations';

export interface Counts {
  /** Threads read from SQL. */
  threads: number;
  /** Threads inserted into MongoDB, and their messages. */
  inserted: number;
  messages: number;
  /** Copies brought in line with changes made in SQL since (new messages, renames, feedback, times). */
  updated: number;
  /** Messages appended to copies by those updates. */
  appended: number;
  /** Threads already in MongoDB and unchanged in SQL. */
  skipped: number;
  /** Copies removed again because the SQL thread was deleted while its batch was in flight. */
  removed: number;
}

export const noCounts = (): Counts => ({ threads: 0, inserted: 0, messages: 0, updated: 0, appended: 0, skipped: 0, removed: 0 });

function addCounts(into: Counts, more: Counts): void {
  for (const k of Object.keys(into) as (keyof Counts)[]) into[k] += more[k];
}

interface CheckpointDoc {
  _id: string;
  /** The run's id: the documents it inserts carry it (origin.run) with their batch number (origin.seq). */
  run: string;
  /** 0: the walk of every thread in scope; 1, 2...: catch-up passes over threads changed since the run began. */
  pass: number;
  position: { updated_at: Date; thread_id: string } | null;
  /** Batches recorded so far (the next batch is seq + 1). */
  seq: number;
  since: Date | null;
  /** The legacy database's clock when the run, and the current pass, began; the scope of a catch-up pass. */
  sql_started_at: Date;
  pass_started_at: Date;
  pass_since: Date | null;
  started_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  counts: Counts;
}

/** Where a run stands. Held in memory for runs without a checkpoint (one thread, a dry run). */
export interface RunState {
  id: string | null;
  run: string;
  pass: number;
  position: LegacyPosition | undefined;
  seq: number;
  sqlStartedAt: Date;
  passStartedAt: Date;
  passSince: Date | undefined;
  /** Set when this run continues an unfinished one. */
  resumed: boolean;
  counts: Counts;
}

/** The checkpoint of a run's scope: one for all threads, one per `since`, none for a single thread. */
export const checkpointId = (scope: { since?: Date; threadId?: string }): string | null =>
  scope.threadId !== undefined ? null : scope.since ? `legacy-threads:since=${scope.since.toISOString()}` : 'legacy-threads';

async function checkpoints(): Promise<Collection<CheckpointDoc>> {
  return (await getDb()).collection<CheckpointDoc>(MIGRATIONS);
}

/**
 * Where a run starts: an unfinished checkpoint of its scope is continued (unless `restart`); otherwise a new run
 * from the top, its checkpoint reset (not in a dry run, which writes nothing). `sqlNow` is the legacy clock now.
 */
export async function openRun(
  id: string | null,
  opts: { since?: Date; restart?: boolean; dryRun: boolean; sqlNow: Date },
): Promise<RunState> {
  const existing = id === null ? null : await withDbRetry('migrate.checkpoint', async () => (await checkpoints()).findOne({ _id: id }));
  if (existing && existing.completed_at === null && existing.run && !opts.restart) {
    return {
      id: opts.dryRun ? null : id,
      run: existing.run,
      pass: existing.pass,
      position: existing.position ? { updatedAt: existing.position.updated_at, threadId: existing.position.thread_id } : undefined,
      seq: existing.seq,
      sqlStartedAt: existing.sql_started_at,
      passStartedAt: existing.pass_started_at,
      passSince: existing.pass_since ?? undefined,
      resumed: true,
      counts: existing.counts,
    };
  }
  const state: RunState = {
    id: opts.dryRun ? null : id,
    run: randomUUID(),
    pass: 0,
    position: undefined,
    seq: 0,
    sqlStartedAt: opts.sqlNow,
    passStartedAt: opts.sqlNow,
    passSince: undefined,
    resumed: false,
    counts: noCounts(),
  };
  if (state.id === null) return state;
  const now = new Date();
  const doc: Omit<CheckpointDoc, '_id'> = {
    run: state.run,
    pass: 0,
    position: null,
    seq: 0,
    since: opts.since ?? null,
    sql_started_at: opts.sqlNow,
    pass_started_at: opts.sqlNow,
    pass_since: null,
    started_at: now,
    updated_at: now,
    completed_at: null,
    counts: noCounts(),
  };
  await withDbRetry('migrate.checkpoint', async () => (await checkpoints()).replaceOne({ _id: state.id! }, doc, { upsert: true }));
  return state;
}

/** Records a written batch: its number, the position of its last thread, and its counts added to the run's. */
export async function recordBatch(state: RunState, counts: Counts): Promise<void> {
  addCounts(state.counts, counts);
  if (state.id === null) return;
  const position = state.position ? { updated_at: state.position.updatedAt, thread_id: state.position.threadId } : null;
  const inc = Object.fromEntries(Object.entries(counts).map(([k, v]) => [`counts.${k}`, v]));
  await withDbRetry('migrate.checkpoint', async () =>
    (await checkpoints()).updateOne(
      { _id: state.id!, run: state.run },
      { $set: { position, seq: state.seq, pass: state.pass, updated_at: new Date() }, $inc: inc },
    ),
  );
}

/** Starts a catch-up pass at `sqlNow`: from the top again, over the threads changed since `since`. */
export async function startPass(state: RunState, sqlNow: Date, since: Date): Promise<void> {
  state.pass += 1;
  state.position = undefined;
  state.passStartedAt = sqlNow;
  state.passSince = since;
  if (state.id === null) return;
  await withDbRetry('migrate.checkpoint', async () =>
    (await checkpoints()).updateOne(
      { _id: state.id!, run: state.run },
      { $set: { pass: state.pass, position: null, pass_started_at: sqlNow, pass_since: since, updated_at: new Date() } },
    ),
  );
}

/** Marks the run finished: the next run of this scope starts over (and only brings across what changed). */
export async function completeRun(state: RunState): Promise<void> {
  if (state.id === null) return;
  await withDbRetry('migrate.checkpoint', async () =>
    (await checkpoints()).updateOne({ _id: state.id!, run: state.run }, { $set: { completed_at: new Date(), updated_at: new Date() } }),
  );
}
