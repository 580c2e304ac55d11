/**
 * The legacy migration: copies legacy PostgreSQL threads (messages converted to blocks by convert.ts, feedback
 * embedded in its message) into MongoDB, then verifies every thread in scope. Run by `npm run migrate:legacy`
 * (scripts/migrate-legacy.ts); this module holds the logic so tests and the benchmark call it directly.
 *
 * - Preserves thread_id, user_id, name, initial_source, created_at and updated_at; message ids are the SQL row ids
 *   (plus the suffixed ids of messages the conversion adds, see convert.ts).
 * - Insert-only and idempotent: a thread already in MongoDB (copied on write by live traffic, which may hold newer
 *   messages, or by an earlier run) is never overwritten; a second run inserts nothing. Safe beside live traffic:
 *   a copy-on-write racing an insert is refused by the unique thread_id index (either side keeps the first copy),
 *   and a thread whose SQL row is deleted while its batch is in flight has its fresh copy removed again.
 * - Resumable: threads are walked in list order (updated_at DESC, id DESC, milliseconds, the most recently used
 *   first) in batches; after each batch a checkpoint document in `migrations` records the last keyset position. A
 *   run continues from an unfinished checkpoint (`restart` ignores it); a finished one makes the next run start over,
 *   which then only verifies. `threadId` runs use no checkpoint. A dry run reads and reports and writes nothing.
 * - Never deletes or changes SQL data.
 */
import { MongoBulkWriteError, type Collection } from 'mongodb';
import type { Block, Message } from '#lib/blocks/types.js';
import { getDb } from '#lib/db/mongo.js';
import { withDbRetry } from '#lib/db/retry.js';
import { stableJson } from '#lib/json.js';
import { threadsCollection } from '#lib/threads/mongo-store.js';
import { chunkedMessages, deleteChunks, joinMessages } from '#lib/threads/overflow.js';
import type { ThreadDoc } from '#lib/threads/types.js';
import { convertLegacyMessages } from './convert/index.js';
import {
  countThreads,
  existingThreadIds,
  legacyDb,
  selectMessages,
  selectThreads,
  type LegacyPosition,
  type LegacyThreadRow,
} from './queries.js';
import { packForMongo, writeChunks } from '#lib/threads/overflow.js';
import { legacyThreadDoc } from './store.js';

export const MIGRATIONS = 'migrations';
export const DEFAULT_BATCH = 100;

export interface Checkpoint {
  _id: string;
  position: { updated_at: Date; thread_id: string } | null;
  since: Date | null;
  started_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  counts: { threads: number; inserted: number; skipped: number; removed: number; messages: number };
}

export interface MigrateOptions {
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

export interface MigrateProgress {
  batch: number;
  threadsDone: number;
  threadsTotal: number;
  messages: number;
  inserted: number;
  skipped: number;
  elapsedMs: number;
}

export interface MigrateResult {
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

const checkpointId = (opts: MigrateOptions): string | null =>
  opts.threadId !== undefined ? null : opts.since ? `legacy-threads:since=${opts.since.toISOString()}` : 'legacy-threads';

async function migrationsCollection(): Promise<Collection<Checkpoint>> {
  return (await getDb()).collection<Checkpoint>(MIGRATIONS);
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
  const checkpoints = await migrationsCollection();

  // Resume from an unfinished run of the same scope, unless told to restart.
  let after: LegacyPosition | undefined;
  const existing = id === null ? null : await withDbRetry('migrate.checkpoint', () => checkpoints.findOne({ _id: id }));
  if (existing && existing.completed_at === null && existing.position && !opts.restart) {
    after = { updatedAt: existing.position.updated_at, threadId: existing.position.thread_id };
  } else if (id !== null && !dryRun) {
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
  }
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
    const present = await idsPresent(rows.map((r) => r.thread_id));
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
      const position = { updated_at: last.updated_at, thread_id: last.thread_id };
      await withDbRetry('migrate.checkpoint', () =>
        checkpoints.updateOne(
          { _id: id },
          {
            $set: { position, updated_at: new Date() },
            $inc: {
              'counts.threads': rows.length,
              'counts.inserted': inserted.size,
              'counts.skipped': rows.length - inserted.size - removed,
              'counts.removed': removed,
              'counts.messages': messages,
            },
          },
        ),
      );
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
  if (id !== null && !dryRun) {
    await withDbRetry('migrate.checkpoint', () =>
      checkpoints.updateOne({ _id: id }, { $set: { completed_at: new Date(), updated_at: new Date() } }),
    );
  }
  result.elapsedMs = Date.now() - started;
  return result;
}

async function idsPresent(threadIds: string[]): Promise<Set<string>> {
  const docs = await withDbRetry('migrate.present', async () =>
    (await threadsCollection()).find({ thread_id: { $in: threadIds } }, { projection: { _id: 0, thread_id: 1 } }).toArray(),
  );
  return new Set(docs.map((d) => d.thread_id));
}

// ---------------------------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------------------------

/** Ids the conversion gives: a SQL row id, or one with the suffix of a message the conversion adds. */
const LEGACY_ID_RE = /^\d+(-(tool_use|tool_result|context))?$/;
const ROW_ID_RE = /^\d+$/;

export interface ThreadCheck {
  thread_id: string;
  /** Message rows in SQL. */
  sql_rows: number;
  /** Messages those rows convert to (what the migration writes), including added ones. */
  expected: number;
  /** Of those, the messages that carry a SQL row id (rows merged or dropped by the conversion carry none). */
  expected_rows: number;
  /** MongoDB messages that came from SQL (ids from the conversion); null when the thread is not in MongoDB. */
  mongo: number | null;
  /** Of those, the messages that carry a SQL row id. */
  mongo_rows: number | null;
  /** Every MongoDB message, newer ones (UUID ids, appended after a copy) included. */
  mongo_total: number | null;
  status: 'ok' | 'missing' | 'pending' | 'mismatch';
  problems: string[];
}

export interface VerifyReport {
  threads: ThreadCheck[];
  ok: number;
  mismatches: number;
  /** Dry run: threads not yet in MongoDB (not counted as mismatches). */
  pending: number;
}

/**
 * The Messages API's pairing rule on a stored history: every tool_use is answered by exactly one tool_result at the
 * start of the very next (user) message, and every tool_result answers a tool_use of the message just before;
 * tool_use ids are unique; the history starts with a user message. Returns the problems found ([] when valid).
 */
export function checkToolPairing(messages: Pick<Message, 'id' | 'role' | 'content'>[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  if (messages.length > 0 && messages[0]!.role !== 'user')
    problems.push(`message ${messages[0]!.id}: the history does not start with a user message`);
  messages.forEach((m, i) => {
    const blocks: Block[] = Array.isArray(m.content) ? m.content : [];
    const uses = m.role === 'assistant' ? blocks.filter((b) => b.type === 'tool_use') : [];
    for (const u of uses) {
      const id = String(u.id);
      if (seen.has(id)) problems.push(`message ${m.id}: tool_use id ${id} is used twice`);
      seen.add(id);
    }
    if (m.role === 'assistant' && blocks.some((b) => b.type === 'tool_result'))
      problems.push(`message ${m.id}: tool_result in an assistant message`);
    if (m.role === 'user' && blocks.some((b) => b.type === 'tool_use')) problems.push(`message ${m.id}: tool_use in a user message`);
    // Results in this message must answer the previous message's calls, first in the message, each once.
    const prev = messages[i - 1];
    const prevUses = prev?.role === 'assistant' ? (prev.content ?? []).filter((b) => b.type === 'tool_use').map((b) => String(b.id)) : [];
    if (m.role === 'user') {
      let lead = 0;
      while (lead < blocks.length && blocks[lead]!.type === 'tool_result') lead++;
      if (blocks.slice(lead).some((b) => b.type === 'tool_result')) problems.push(`message ${m.id}: a tool_result follows other content`);
      const answered = blocks.filter((b) => b.type === 'tool_result').map((b) => String(b.tool_use_id));
      for (const id of answered) {
        if (!prevUses.includes(id)) problems.push(`message ${m.id}: tool_result ${id} answers no tool_use of the previous message`);
      }
      if (new Set(answered).size !== answered.length) problems.push(`message ${m.id}: a tool_use is answered twice`);
    }
    if (uses.length > 0) {
      const next = messages[i + 1];
      const answeredNext =
        next?.role === 'user'
          ? new Set((next.content ?? []).filter((b) => b.type === 'tool_result').map((b) => String(b.tool_use_id)))
          : new Set();
      for (const u of uses) {
        if (!answeredNext.has(String(u.id)))
          problems.push(`message ${m.id}: tool_use ${String(u.id)} has no tool_result in the next message`);
      }
    }
  });
  return problems;
}

// Key order is not content: MongoDB may return a block's keys in another order than the conversion wrote them.
const comparable = (m: Message) => stableJson({ role: m.role, content: m.content, feedback: m.feedback ?? null });

/** Compares one SQL thread (rows converted now) with its MongoDB document. */
function checkThread(
  row: LegacyThreadRow,
  sqlRows: number,
  expected: Message[],
  doc: Pick<ThreadDoc, 'user_id' | 'messages'> | undefined,
  dryRun: boolean,
): ThreadCheck {
  const check: ThreadCheck = {
    thread_id: row.thread_id,
    sql_rows: sqlRows,
    expected: expected.length,
    expected_rows: expected.filter((m) => ROW_ID_RE.test(m.id)).length,
    mongo: null,
    mongo_rows: null,
    mongo_total: null,
    status: 'ok',
    problems: [],
  };
  if (!doc) {
    check.status = dryRun ? 'pending' : 'missing';
    if (!dryRun) check.problems.push('not in MongoDB');
    return check;
  }
  const all = doc.messages ?? [];
  const fromSql = all.filter((m) => LEGACY_ID_RE.test(String(m.id)));
  check.mongo = fromSql.length;
  check.mongo_rows = fromSql.filter((m) => ROW_ID_RE.test(String(m.id))).length;
  check.mongo_total = all.length;
  const p = check.problems;
  if (doc.user_id !== row.user_id) p.push('owner differs');
  if (check.mongo_rows !== check.expected_rows) {
    p.push(`SQL rows converting to a message: ${check.expected_rows}, MongoDB messages with a row id: ${check.mongo_rows}`);
  }
  if (fromSql.length !== expected.length) p.push(`converted messages: SQL ${expected.length}, MongoDB ${fromSql.length}`);
  const expectedIds = expected.map((m) => m.id);
  const mongoIds = fromSql.map((m) => String(m.id));
  const missing = expectedIds.filter((x) => !mongoIds.includes(x));
  const extra = mongoIds.filter((x) => !expectedIds.includes(x));
  if (missing.length) p.push(`missing in MongoDB: ${missing.slice(0, 10).join(', ')}`);
  if (extra.length) p.push(`not from SQL: ${extra.slice(0, 10).join(', ')}`);
  if (!missing.length && !extra.length && expectedIds.join() !== mongoIds.join()) p.push('messages out of order');
  const byId = new Map(fromSql.map((m) => [String(m.id), m]));
  const differing = expected.filter((m) => byId.has(m.id) && comparable(byId.get(m.id)!) !== comparable(m)).map((m) => m.id);
  if (differing.length) p.push(`content differs: ${differing.slice(0, 10).join(', ')}`);
  p.push(...checkToolPairing(all).map((x) => `pairing: ${x}`));
  if (p.length) check.status = 'mismatch';
  return check;
}

/**
 * Verifies every legacy thread in scope against MongoDB: counts of SQL rows and of messages in both stores, the
 * converted messages present in order with the same content and feedback, the owner, and tool pairing.
 */
export async function verifyLegacy(
  opts: { since?: Date; threadId?: string; batchSize?: number; dryRun?: boolean; onProgress?: (done: number) => void } = {},
): Promise<VerifyReport> {
  const db = legacyDb();
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const report: VerifyReport = { threads: [], ok: 0, mismatches: 0, pending: 0 };
  let after: LegacyPosition | undefined;
  for (;;) {
    const pos = after;
    const rows = await withDbRetry('verify.threads', () =>
      selectThreads(db, { since: opts.since, threadId: opts.threadId, after: pos, limit: batchSize }),
    );
    if (rows.length === 0) break;
    const ids = rows.map((r) => r.thread_id);
    const messages = await withDbRetry('verify.messages', () => selectMessages(db, ids));
    const docs = await withDbRetry('verify.mongo', async () =>
      (await threadsCollection())
        .find({ thread_id: { $in: ids } }, { projection: { _id: 0, thread_id: 1, user_id: 1, messages: 1, overflow_chunks: 1 } })
        .toArray(),
    );
    // A long thread's oldest messages live in overflow chunks: check the whole thread, as readers see it.
    for (const d of docs) {
      if ((d.overflow_chunks ?? 0) > 0) d.messages = joinMessages(await chunkedMessages(d.user_id, d.thread_id), d.messages ?? []);
    }
    const byId = new Map(docs.map((d) => [d.thread_id, d]));
    for (const r of rows) {
      const sqlRows = messages.get(r.thread_id) ?? [];
      const check = checkThread(r, sqlRows.length, convertLegacyMessages(sqlRows), byId.get(r.thread_id), opts.dryRun === true);
      report.threads.push(check);
      if (check.status === 'ok') report.ok++;
      else if (check.status === 'pending') report.pending++;
      else report.mismatches++;
    }
    opts.onProgress?.(report.threads.length);
    const last = rows[rows.length - 1]!;
    after = { updatedAt: last.updated_at, threadId: last.thread_id };
    if (rows.length < batchSize) break;
  }
  return report;
}
