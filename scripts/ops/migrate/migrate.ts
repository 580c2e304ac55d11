/** The legacy migration's copy: legacy PostgreSQL threads into MongoDB, insert-only, in checkpointed batches.
 *
 * Messages are converted to blocks by lib/legacy/convert/, feedback embedded in its message; verify.ts then checks
 * every thread in scope. Run by `npm run migrate:legacy` (scripts/migrate-legacy.ts); the logic lives here so tests
 * and the benchmark call it directly.
 *
 * - Preserves thread_id, user_id, name, initial_source, created_at and updated_at; message ids are the SQL row ids
 *   (plus the suffixed ids of messages the conversion adds, see lib/legacy/convert/pairing.ts).
 * - Insert-only and idempotent: a thread already in MongoDB (copied on write by live traffic, which may hold newer
 *   messages, or by an earlier run) is never overwritten; a second run inserts nothing. Safe beside live traffic:
 *   a copy-on-write racing an insert is refused by the unique thread_id index (either side keeps the first copy),
 *   and a thread whose SQL row is deleted while its batch is in flight has its fresh copy removed again.
 * - Resumable: threads are walked in list order (updated_at DESC, id DESC, milliseconds, the most recently used
 *   first) in batches; after each batch a checkpoint document in `migrations` (checkpoint.ts) records the last
 *   keyset position. A run continues from an unfinished checkpoint (`restart` ignores it); a finished one makes the
 *   next run start over, which then only verifies. `threadId` runs use no checkpoint. A dry run reads and reports and writes nothing.
 * - Never deletes or changes SQL data.
 */
import { MongoBulkWriteError } from 'mongodb';
import { withDbRetry } from '#lib/db/retry.js';
import { convertLegacyMessages } from '#lib/legacy/convert/index.js';
import {
  countThreads,
  existingThreadIds,
  legacyDb,
  selectMessages,
  selectThreads,
  type LegacyPosition,
  type LegacyThreadRow,
} from '#lib/legacy/queries.js';
import { idsInMongo, legacyThreadDoc } from '#lib/legacy/store.js';
import { threadsCollection } from '#lib/threads/mongo-store.js';
import { deleteChunks, packForMongo, writeChunks } from '#lib/threads/overflow.js';
import type { ThreadDoc } from '#lib/threads/types.js';
import { checkpointId, completeCheckpoint, recordBatch, startFromCheckpoint } from './checkpoint.js';

export const DEFAULT_BATCH = 100;

interface MigrateOptions {
  dryRun?: boolean;
  batchSize?: number;
  /** Only threads updated at or after this time. */
  since?: Date;
  /** Only this thread (no checkpoint). */
  threadId?: string;
  /** Ignore an unfinished checkpoint and start from the top. */
  restart?: boolean;
  onProgress?: (p: MigrateProgress) => void;
  /** Called after a batch is read and converted, before it is written (tests use it to simulate live traffic). */
  beforeWrite?: (threadIds: string[]) => void | Promise<void>;
  /** Called after each batch is written and checkpointed (tests use it to simulate a crash). */
  afterBatch?: (batch: number) => void | Promise<void>;
}

interface MigrateProgress {
  batch: number;
  threadsDone: number;
  threadsTotal: number;
  messages: number;
  inserted: number;
  skipped: number;
  elapsedMs: number;
}

interface MigrateResult {
  dryRun: boolean;
  checkpointId: string | null;
  resumedFrom: LegacyPosition | null;
  /** Threads read from SQL in this run. */
  threads: number;
  /** Threads inserted into MongoDB (in a dry run: that would be inserted). */
  inserted: number;
  /** Threads already in MongoDB, left as they are. */
  skipped: number;
  /** Copies removed again because the SQL thread was deleted while its batch was in flight. */
  removed: number;
  /** Messages in the inserted threads. */
  messages: number;
  elapsedMs: number;
}

/**
 * Inserts the documents (all stamped with one `origin.copied_at`); duplicates (a concurrent copy on write won) are
 * skipped. Returns the ids this call inserted, read back by their stamp, so a retried insertMany that landed
 * documents the first time still counts them exactly once.
 */
async function insertAbsent(docs: ThreadDoc[], stamp: Date): Promise<Set<string>> {
  if (docs.length === 0) return new Set();
  const col = await threadsCollection();
  // Very long threads: their overflow chunks first, then the documents (lib/threads/overflow.ts packForMongo).
  const packed = docs.map(packForMongo);
  for (const p of packed) await writeChunks(p.chunks);
  const clean = await withDbRetry('migrate.insert', async (attempt) => {
    try {
      await col.insertMany(
        packed.map((p) => ({ ...p.doc })),
        { ordered: false },
      );
      return attempt === 0;
    } catch (err) {
      const errors = err instanceof MongoBulkWriteError ? (Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors]) : [];
      if (errors.length === 0 || errors.some((e) => e.code !== 11000)) throw err;
      return false;
    }
  });
  // Every document landed at the first attempt: all are ours. Otherwise ask MongoDB which carry this batch's stamp.
  if (clean) return new Set(docs.map((d) => d.thread_id));
  const ids = docs.map((d) => d.thread_id);
  const mine = await withDbRetry('migrate.inserted', async () =>
    col
      .find({ thread_id: { $in: ids }, 'origin.by': 'migration', 'origin.copied_at': stamp }, { projection: { _id: 0, thread_id: 1 } })
      .toArray(),
  );
  return new Set(mine.map((d) => d.thread_id));
}

/** Converts one batch of SQL threads into MongoDB documents stamped `now`. */
async function batchDocs(rows: LegacyThreadRow[], now: Date): Promise<ThreadDoc[]> {
  if (rows.length === 0) return [];
  const messages = await withDbRetry('migrate.messages', () =>
    selectMessages(
      legacyDb(),
      rows.map((r) => r.thread_id),
    ),
  );
  return rows.map((r) => legacyThreadDoc(r, convertLegacyMessages(messages.get(r.thread_id) ?? []), 'migration', now));
}

/** Copies legacy threads into MongoDB (see the module comment). */
export async function migrateLegacy(opts: MigrateOptions = {}): Promise<MigrateResult> {
  const started = Date.now();
  const dryRun = opts.dryRun === true;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batch size must be a positive integer');
  const id = checkpointId(opts);
  const db = legacyDb();

  // Resume from an unfinished run of the same scope, unless told to restart.
  let after = await startFromCheckpoint(id, { since: opts.since, restart: opts.restart, dryRun });
  const resumedFrom = after ?? null;
  const scope = { since: opts.since, threadId: opts.threadId };
  const total = await withDbRetry('migrate.count', () => countThreads(db, { ...scope, after }));
  const result: MigrateResult = {
    dryRun,
    checkpointId: id,
    resumedFrom,
    threads: 0,
    inserted: 0,
    skipped: 0,
    removed: 0,
    messages: 0,
    elapsedMs: 0,
  };

  for (let batch = 1; ; batch++) {
    const pos = after;
    const rows = await withDbRetry('migrate.threads', () => selectThreads(db, { ...scope, after: pos, limit: batchSize }));
    if (rows.length === 0) break;
    const present = await idsInMongo(rows.map((r) => r.thread_id));
    const absent = rows.filter((r) => !present.has(r.thread_id));
    const stamp = new Date();
    const docs = await batchDocs(absent, stamp);
    let inserted = new Set<string>();
    let removed = 0;
    if (dryRun) {
      inserted = new Set(docs.map((d) => d.thread_id));
    } else {
      await opts.beforeWrite?.(docs.map((d) => d.thread_id));
      inserted = await insertAbsent(docs, stamp);
      // A thread deleted (by its owner) while this batch was in flight must not come back through its copy.
      const stillInSql = await withDbRetry('migrate.recheck', () => existingThreadIds(db, [...inserted]));
      for (const tid of [...inserted]) {
        if (stillInSql.has(tid)) continue;
        const doc = docs.find((d) => d.thread_id === tid)!;
        const undone = await withDbRetry('migrate.undo', async () =>
          (await threadsCollection()).deleteOne({
            thread_id: tid,
            'origin.by': 'migration',
            'origin.copied_at': stamp,
            updated_at: doc.updated_at,
          }),
        );
        if (undone.deletedCount === 1) await deleteChunks(doc.user_id, tid);
        inserted.delete(tid);
        removed++;
      }
    }
    const messages = docs.filter((d) => inserted.has(d.thread_id)).reduce((n, d) => n + d.messages.length, 0);
    result.threads += rows.length;
    result.inserted += inserted.size;
    result.skipped += rows.length - inserted.size - removed;
    result.removed += removed;
    result.messages += messages;
    const last = rows[rows.length - 1]!;
    after = { updatedAt: last.updated_at, threadId: last.thread_id };
    if (id !== null && !dryRun) {
      await recordBatch(id, last, {
        threads: rows.length,
        inserted: inserted.size,
        skipped: rows.length - inserted.size - removed,
        removed,
        messages,
      });
    }
    opts.onProgress?.({
      batch,
      threadsDone: result.threads,
      threadsTotal: Math.max(total, result.threads),
      messages: result.messages,
      inserted: result.inserted,
      skipped: result.skipped,
      elapsedMs: Date.now() - started,
    });
    await opts.afterBatch?.(batch);
    if (rows.length < batchSize) break;
  }
  if (id !== null && !dryRun) await completeCheckpoint(id);
  result.elapsedMs = Date.now() - started;
  return result;
}
