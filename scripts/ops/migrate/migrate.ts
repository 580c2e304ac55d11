/**
 * The legacy migration: legacy PostgreSQL threads and shares into MongoDB, in checkpointed batches, beside live
 * traffic and beside the old backend still writing to SQL. Run by `npm run migrate:legacy`
 * (scripts/migrate-legacy.ts); tests and the benchmark call it directly; verify.ts checks the result.
 *
 * - Copies keep thread_id, user_id, name, initial_source, created_at and updated_at; message ids are the SQL row
 *   ids (plus the suffixed ids of messages the conversion adds, lib/legacy/convert/pairing.ts); feedback is
 *   embedded in its message. Never changes SQL data.
 * - Insert-only for absent threads, guarded by the unique thread_id index (created, or checked, before anything
 *   else), so a copy on write racing the insert keeps one copy. A thread already in MongoDB is brought in line
 *   with what SQL gained since its copy, by the merge rule of sync.ts (never overwriting what v3 wrote); an
 *   unchanged one is left alone, so a second run writes nothing. A thread deleted in SQL while its batch was in
 *   flight has its fresh copy removed again.
 * - Pipelined: the next batch is read (one keyset query on the list-order index, its messages, its MongoDB copies)
 *   and converted while two are written (one's documents built and sent while the other's insert is on the server)
 *   and the one before confirmed (threads deleted meanwhile undone, checkpoint), so at most four batches are in memory.
 * - Resumable: threads are walked in list order (most recently used first) and a checkpoint (checkpoint.ts)
 *   records each written batch; a run continues an unfinished one (`restart` ignores it). The documents a batch
 *   inserts carry the run id, pass and batch number, so batches written but not checkpointed before a crash are
 *   counted as inserted when the resumed run finds them, and the counts stay exact.
 * - Whole runs (no `threadId`) then make catch-up passes over the threads changed in SQL since the run began, until
 *   one finds nothing to do; a run over every thread (no `since` either) then marks every SQL user fully migrated
 *   (marks.ts), and every run but a one-thread run copies the legacy shares (shares.ts). A dry run reads, converts
 *   and reports, and writes nothing.
 */
import { BSON, MongoServerError } from 'mongodb';
import { ensureIndexes } from '#lib/db/indexes.js';
import { getDb } from '#lib/db/mongo.js';
import { withDbRetry } from '#lib/db/retry.js';
import { legacyThreadDoc } from '#lib/legacy/copy.js';
import { countThreads, existingThreadIds, legacyDb, type LegacyPosition, type Queryable } from '#lib/legacy/queries.js';
import { THREADS, threadsCollection } from '#lib/threads/mongo-store.js';
import { deleteChunks, maxDocBytes, messageBytes, packForMongo, writeChunks } from '#lib/threads/overflow.js';
import type { ThreadDoc } from '#lib/threads/types.js';
import { readBatch, type Batch } from './batch.js';
import { checkpointId, completeRun, noCounts, openRun, recordBatch, startPass, type Counts, type RunState } from './checkpoint.js';
import { markMigratedUsers } from './marks.js';
import { migrateShares, type ShareCounts } from './shares.js';
import { sqlNow } from './sql.js';
import { baseChanged, syncCopy } from './sync.js';

export const DEFAULT_BATCH = 100;
/** A catch-up pass reads the threads changed since the previous pass began, minus this (commits in flight, clocks). */
const CATCH_UP_SLACK_MS = 10 * 60_000;
const MAX_CATCH_UP_PASSES = 3;

interface MigrateOptions {
  dryRun?: boolean;
  batchSize?: number;
  /** Only threads updated at or after this time. */
  since?: Date;
  /** Only this thread (no checkpoint, no catch-up, no shares). */
  threadId?: string;
  /** Ignore an unfinished checkpoint and start from the top. */
  restart?: boolean;
  onProgress?: (p: MigrateProgress) => void;
  /** Called after a batch is read and converted, before it is written (tests use it to simulate live traffic). */
  beforeWrite?: (threadIds: string[]) => void | Promise<void>;
  /** Called after a batch of shares is read, before it is written (tests use it to revoke one meanwhile). */
  beforeShareWrite?: (shareIds: string[]) => void | Promise<void>;
  /** Called after a batch's inserts, before its checkpoint (tests use it to simulate a crash there). */
  afterInsert?: (batch: number) => void | Promise<void>;
  /** Called after each batch is checkpointed, while the next one may be inserted (tests use it to simulate a crash). */
  afterBatch?: (batch: number) => void | Promise<void>;
}

interface MigrateProgress {
  pass: number;
  batch: number;
  threadsDone: number;
  threadsTotal: number;
  messages: number;
  inserted: number;
  updated: number;
  skipped: number;
  elapsedMs: number;
}

export interface MigrateResult extends Counts {
  dryRun: boolean;
  checkpointId: string | null;
  resumedFrom: LegacyPosition | null;
  /** Catch-up passes made after the walk. */
  catchUpPasses: number;
  /** The whole run's counts, batches written before a crash included (this invocation's are the top-level ones). */
  run: Counts;
  /** Changes made in SQL that v3 had also made, left as v3 wrote them: "<thread id>: name", "<thread id>: feedback <id>". */
  kept: string[];
  /** Users marked fully migrated (a run over every thread), else null. */
  usersMarked: number | null;
  shares: ShareCounts | null;
  warnings: string[];
  /** Milliseconds spent walking, in catch-up passes, marking users and copying shares. */
  timings: Record<string, number>;
  elapsedMs: number;
}

/** The unique thread_id index the copies' race safety rests on: created (idempotently, with the others) and checked. */
async function ensureThreadIndexes(dryRun: boolean): Promise<string[]> {
  const db = await getDb();
  if (!dryRun) await withDbRetry('migrate.indexes', () => ensureIndexes(db));
  const indexes = await withDbRetry('migrate.indexes', () => db.collection('threads').listIndexes().toArray()).catch(() => []);
  const unique = indexes.some((i) => i.unique === true && Object.keys(i.key as object).join() === 'thread_id');
  if (unique) return [];
  if (!dryRun) throw new Error('threads has no unique index on thread_id after creating it: refusing to copy');
  return ['threads has no unique index on thread_id yet: a real run creates every index first (npm run db:setup does too)'];
}

/** A packed document's BSON size, from its `size_bytes` (its messages' sizes) without walking its messages again. */
const docBytes = (doc: ThreadDoc) =>
  BSON.calculateObjectSize({ ...doc, messages: [] }) + (doc.size_bytes ?? messageBytes(doc.messages)) + doc.messages.length * 8;

/**
 * Inserts documents with `insert` commands (unordered: one duplicate does not stop the rest), each carrying at most
 * MAX_THREAD_DOC_BYTES of documents (a command may not pass 16 MiB). `insertMany` would measure every document again
 * to split its batches, a second size pass over every message: packing already measured them. The commands take the
 * server's default write concern (majority on Atlas) and are retried by withDbRetry, not the driver. True when every
 * document went in, false when some were duplicates; any other write error throws.
 */
async function insertCommand(docs: ThreadDoc[]): Promise<boolean> {
  const db = await getDb();
  const sizes = docs.map(docBytes);
  let clean = true;
  for (let start = 0, end = 0; start < docs.length; start = end) {
    for (let bytes = 0; end < docs.length && (end === start || bytes + sizes[end]! <= maxDocBytes()); end++) bytes += sizes[end]!;
    const res = await db.command({ insert: THREADS, documents: docs.slice(start, end), ordered: false });
    const errors = (res.writeErrors ?? []) as { code: number; errmsg?: string }[];
    const other = errors.find((e) => e.code !== 11000);
    if (other) throw new MongoServerError({ message: other.errmsg ?? 'insert failed', code: other.code });
    if (res.writeConcernError) throw new MongoServerError({ message: 'write concern error', ...res.writeConcernError });
    if (errors.length > 0) clean = false;
  }
  return clean;
}

/**
 * Inserts a batch's documents; duplicates (a copy on write won) are skipped. Returns the ids this call inserted,
 * read back by their run and batch number when the insert was not clean, so a retried insert that landed
 * documents the first time still counts them exactly once.
 */
async function insertAbsent(docs: ThreadDoc[], run: string, seq: number): Promise<Set<string>> {
  if (docs.length === 0) return new Set();
  const col = await threadsCollection();
  // Very long threads: their overflow chunks first, then the documents (lib/threads/overflow.ts packForMongo).
  const packed = docs.map(packForMongo);
  for (const p of packed) await writeChunks(p.chunks);
  const clean = await withDbRetry('migrate.insert', async (attempt) => (await insertCommand(packed.map((p) => p.doc))) && attempt === 0);
  if (clean) return new Set(docs.map((d) => d.thread_id));
  const mine = await withDbRetry('migrate.inserted', async () =>
    col
      .find(
        { thread_id: { $in: docs.map((d) => d.thread_id) }, 'origin.run': run, 'origin.seq': seq },
        { projection: { _id: 0, thread_id: 1 } },
      )
      .toArray(),
  );
  return new Set(mine.map((d) => d.thread_id));
}

/** Removes this batch's copies of threads deleted in SQL (by their owner) while the batch was in flight. */
async function undoDeleted(db: Queryable, docs: ThreadDoc[], inserted: Set<string>, run: string, seq: number): Promise<number> {
  const stillInSql = await withDbRetry('migrate.recheck', () => existingThreadIds(db, [...inserted]));
  let removed = 0;
  for (const doc of docs) {
    if (!inserted.has(doc.thread_id) || stillInSql.has(doc.thread_id)) continue;
    const undone = await withDbRetry('migrate.undo', async () =>
      (await threadsCollection()).deleteOne({ thread_id: doc.thread_id, 'origin.run': run, 'origin.seq': seq, updated_at: doc.updated_at }),
    );
    if (undone.deletedCount === 1) await deleteChunks(doc.user_id, doc.thread_id);
    inserted.delete(doc.thread_id);
    removed++;
  }
  return removed;
}

interface Walk {
  db: Queryable;
  state: RunState;
  opts: MigrateOptions;
  dryRun: boolean;
  batchSize: number;
  counts: Counts;
  /** The current pass's counts. */
  pass: Counts;
  kept: string[];
  batches: number;
  total: number;
  started: number;
}

/** A batch after its inserts and merges, waiting for its confirmation (deleted threads undone, then its checkpoint). */
interface Written {
  batch: Batch;
  counts: Counts;
  seq: number;
  docs: ThreadDoc[];
  inserted: Set<string>;
}

/** Writes one batch: inserts the absent threads, merges SQL changes into changed copies. */
async function insertStage(w: Walk, batch: Batch): Promise<Written> {
  const { state } = w;
  const c = noCounts();
  c.threads = batch.items.length;
  const seq = ++state.seq;
  const absent = batch.items.filter((i) => !i.copy);
  const present = batch.items.filter((i) => i.copy);
  // Inserted by an earlier attempt of this run in this pass, past its last checkpoint (a crash came first): this
  // pass walks forward and never meets its own inserts again, so these are counted now, as inserted.
  const recovered = present.filter((i) => i.copy!.origin?.run === state.run && i.copy!.origin.pass === state.pass);
  for (const i of recovered) {
    c.inserted++;
    c.messages += i.messages.length;
  }
  const changed = present.filter((i) => !recovered.includes(i) && i.copy!.user_id === i.row.user_id && baseChanged(i));
  let docs: ThreadDoc[] = [];
  let inserted = new Set<string>();
  if (w.dryRun) {
    c.inserted += absent.length;
    c.messages += absent.reduce((n, i) => n + i.messages.length, 0);
    c.updated = changed.length;
  } else {
    const origin = { by: 'migration' as const, run: state.run, pass: state.pass, seq, copied_at: new Date() };
    docs = absent.map((i) => legacyThreadDoc(i.row, i.messages, { ...origin, sql: i.base }));
    await w.opts.beforeWrite?.(docs.map((d) => d.thread_id));
    inserted = await insertAbsent(docs, state.run, seq);
    await w.opts.afterInsert?.(seq);
    for (const i of changed) {
      const outcome = await syncCopy(i);
      c.updated++;
      c.appended += outcome.appended;
      w.kept.push(...outcome.kept.map((k) => `${i.row.thread_id}: ${k}`));
    }
  }
  return { batch, counts: c, seq, docs, inserted };
}

/**
 * Confirms a written batch: removes the copies of threads deleted in SQL meanwhile, then records the checkpoint.
 * It runs while the next batch is inserted (the recheck waits on SQL, the insert on MongoDB); checkpoints stay in
 * order, since each confirmation starts after the previous one ended.
 */
async function confirmStage(w: Walk, x: Written): Promise<void> {
  const c = x.counts;
  if (!w.dryRun) {
    c.removed = await undoDeleted(w.db, x.docs, x.inserted, w.state.run, x.seq);
    c.inserted += x.inserted.size;
    c.messages += x.docs.filter((d) => x.inserted.has(d.thread_id)).reduce((n, d) => n + d.messages.length, 0);
  }
  c.skipped = c.threads - c.inserted - c.updated - c.removed;
  w.state.position = x.batch.last;
  await recordBatch(w.state, c);
  for (const k of Object.keys(c) as (keyof Counts)[]) {
    w.pass[k] += c[k];
    w.counts[k] += c[k];
  }
  w.batches++;
  w.opts.onProgress?.({
    pass: w.state.pass,
    batch: w.batches,
    threadsDone: w.counts.threads,
    threadsTotal: Math.max(w.total, w.counts.threads),
    messages: w.counts.messages,
    inserted: w.counts.inserted,
    updated: w.counts.updated,
    skipped: w.counts.skipped,
    elapsedMs: Date.now() - w.started,
  });
  await w.opts.afterBatch?.(w.batches);
}

/**
 * One pass over a scope, as a pipeline: the next batch is read while two are written (a batch's documents are built
 * and sent while the previous batch's insert is still on the server), and written batches are confirmed in order,
 * each after its own write answered; at most four batches are in memory.
 */
async function walk(w: Walk, scope: { since?: Date; threadId?: string }): Promise<Counts> {
  w.pass = noCounts();
  // Awaited below; a failure elsewhere first must not leave these unhandled.
  const quiet = <T>(p: Promise<T>) => (p.catch(() => undefined), p);
  const read = (after: LegacyPosition | undefined) => quiet(readBatch(w.db, scope, after, w.batchSize));
  let next = read(w.state.position);
  let writing: Promise<Written> | undefined;
  let confirming: Promise<void> | undefined;
  /** Waits for a write to answer, then starts its confirmation once the previous confirmation has ended. */
  const confirmWhenWritten = async (write: Promise<Written> | undefined) => {
    if (!write) return;
    const written = await write;
    if (confirming) await confirming;
    confirming = quiet(confirmStage(w, written));
  };
  try {
    for (;;) {
      const batch = await next;
      if (batch.items.length === 0) break;
      if (batch.full) next = read(batch.last);
      const previous = writing;
      writing = quiet(insertStage(w, batch));
      await confirmWhenWritten(previous);
      if (!batch.full) break;
    }
    const last = writing;
    writing = undefined;
    await confirmWhenWritten(last);
  } finally {
    // A failure leaves no write running and earlier batches confirmed (or failing on their own), never half recorded.
    await writing?.catch(() => undefined);
    if (confirming) await confirming;
  }
  return w.pass;
}

/** Copies legacy threads (and shares) into MongoDB (see the module comment). */
export async function migrateLegacy(opts: MigrateOptions = {}): Promise<MigrateResult> {
  const started = Date.now();
  const dryRun = opts.dryRun === true;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batch size must be a positive integer');
  const warnings = await ensureThreadIndexes(dryRun);
  const db = legacyDb();
  const id = checkpointId(opts);
  const state = await openRun(id, { since: opts.since, restart: opts.restart, dryRun, sqlNow: await sqlNow(db) });
  const resumedFrom = state.resumed ? (state.position ?? null) : null;
  const scope = { since: opts.since, threadId: opts.threadId };
  const total = state.pass === 0 ? await withDbRetry('migrate.count', () => countThreads(db, { ...scope, after: state.position })) : 0;
  const w: Walk = { db, state, opts, dryRun, batchSize, counts: noCounts(), pass: noCounts(), kept: [], batches: 0, total, started };

  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      timings[name] = (timings[name] ?? 0) + Date.now() - t0;
    }
  };
  let catchUpPasses = 0;
  let pass = await timed('walk', () => walk(w, state.pass === 0 ? scope : { since: state.passSince }));
  // Threads created or moved up the list (by a write in SQL) while the run walked were above its position.
  const catchUp = opts.threadId === undefined && !dryRun;
  while (catchUp && catchUpPasses < MAX_CATCH_UP_PASSES && (state.pass === 0 || pass.inserted + pass.updated > 0)) {
    const previous = state.passStartedAt;
    const since = new Date(Math.max(previous.getTime() - CATCH_UP_SLACK_MS, opts.since?.getTime() ?? 0));
    await startPass(state, await sqlNow(db), since);
    catchUpPasses++;
    pass = await timed('catch-up', () => walk(w, { since }));
  }
  const everything = opts.threadId === undefined && opts.since === undefined;
  const usersMarked = everything && !dryRun ? await timed('marks', () => markMigratedUsers(db, state.passStartedAt)) : null;
  const shares =
    opts.threadId === undefined ? await timed('shares', () => migrateShares(db, { dryRun, beforeWrite: opts.beforeShareWrite })) : null;
  await completeRun(state);
  return {
    ...w.counts,
    dryRun,
    checkpointId: id,
    resumedFrom,
    catchUpPasses,
    run: state.counts,
    kept: w.kept,
    usersMarked,
    shares,
    warnings,
    timings,
    elapsedMs: Date.now() - started,
  };
}
