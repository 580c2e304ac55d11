/**
 * The legacy migration's verification and its verdict: every legacy thread in scope against its MongoDB copy
 * (owner, name, source, times, every converted message in order with the same content and feedback, tool pairing)
 * and every legacy share against its copy. What v3 changed after a copy (a rename, feedback, new messages) is not
 * a difference: the merge rule of sync.ts keeps it, and the base stored on the copy tells it apart from a change
 * made in SQL since the last run (which is one, until a rerun brings it across).
 */
import type { Message } from '#lib/blocks/types.js';
import { withDbRetry } from '#lib/db/retry.js';
import { stableJson } from '#lib/json.js';
import { convertLegacyMessages } from '#lib/legacy/convert/index.js';
import { legacyDb, selectMessages, selectThreads, type LegacyPosition, type LegacyThreadRow } from '#lib/legacy/queries.js';
import { threadsCollection } from '#lib/threads/mongo-store.js';
import { chunkedMessages, joinMessages } from '#lib/threads/overflow.js';
import type { LegacyBase, ThreadDoc } from '#lib/threads/types.js';
import { DEFAULT_BATCH } from './migrate.js';
import { checkToolPairing } from './pairing.js';
import { verifyShares, type ShareCheck } from './shares.js';

/** Ids the conversion gives: a SQL row id, or one with the suffix of a message the conversion adds. */
const LEGACY_ID_RE = /^\d+(-(tool_use|tool_result|context))?$/;
const ROW_ID_RE = /^\d+$/;

interface ThreadCheck {
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
  /** Every MongoDB message, newer ones (UUID ids, appended through v3) included. */
  mongo_total: number | null;
  /** Feedback items in SQL (on the converted messages). */
  feedback: number;
  status: 'ok' | 'missing' | 'pending' | 'mismatch';
  problems: string[];
  /** What v3 changed after the copy, kept by the merge rule (not a difference). */
  kept: string[];
}

export interface VerifyReport {
  threads: ThreadCheck[];
  ok: number;
  mismatches: number;
  /** Dry run: threads not yet in MongoDB (not counted as mismatches). */
  pending: number;
  /** Converted messages and feedback items checked. */
  messages: number;
  feedback: number;
  /** Every legacy share (a run over every thread; null for a narrower scope). */
  shares: ShareCheck[] | null;
  /** No difference anywhere: every thread, message, feedback item and share is in MongoDB and equal. */
  clean: boolean;
}

type CopyDoc = Pick<ThreadDoc, 'user_id' | 'name' | 'initial_source' | 'created_at' | 'updated_at' | 'messages' | 'origin'>;

// Key order is not content: MongoDB may return a block's keys in another order than the conversion wrote them.
const comparable = (m: Message) => stableJson({ role: m.role, content: m.content });
const same = (a: unknown, b: unknown) => stableJson(a ?? null) === stableJson(b ?? null);
const iso = (d: Date | undefined) => (d instanceof Date ? d.toISOString() : String(d));

/** The thread's own fields: owner, source and creation equal; name and updated_at as the merge rule leaves them. */
function checkFields(row: LegacyThreadRow, doc: CopyDoc, base: LegacyBase | undefined, fromV3: number, check: ThreadCheck): void {
  const p = check.problems;
  if (doc.user_id !== row.user_id) p.push('owner differs');
  if (doc.initial_source !== row.initial_source) p.push(`initial_source: SQL ${row.initial_source}, MongoDB ${doc.initial_source}`);
  if (doc.created_at?.getTime() !== row.created_at.getTime())
    p.push(`created_at: SQL ${iso(row.created_at)}, MongoDB ${iso(doc.created_at)}`);
  if (doc.name !== row.name) {
    // Renamed through v3 (SQL still holds the name of the last copy or rerun), or renamed in SQL since (a rerun brings it).
    if (base !== undefined && base.name === row.name) check.kept.push('name (renamed through v3)');
    else
      p.push(`name: SQL ${JSON.stringify(row.name)}, MongoDB ${JSON.stringify(doc.name)}${base ? '' : ' (no SQL base recorded: rerun)'}`);
  }
  const sqlAt = row.updated_at.getTime();
  const mongoAt = doc.updated_at?.getTime() ?? 0;
  if (mongoAt < sqlAt) p.push(`updated_at: SQL ${iso(row.updated_at)}, MongoDB ${iso(doc.updated_at)} (behind)`);
  else if (mongoAt > sqlAt && fromV3 === 0)
    p.push(`updated_at: SQL ${iso(row.updated_at)}, MongoDB ${iso(doc.updated_at)} (no v3 message explains it)`);
}

/** Compares one SQL thread (rows converted now) with its MongoDB document. */
function checkThread(row: LegacyThreadRow, sqlRows: number, expected: Message[], doc: CopyDoc | undefined, dryRun: boolean): ThreadCheck {
  const check: ThreadCheck = {
    thread_id: row.thread_id,
    sql_rows: sqlRows,
    expected: expected.length,
    expected_rows: expected.filter((m) => ROW_ID_RE.test(m.id)).length,
    mongo: null,
    mongo_rows: null,
    mongo_total: null,
    feedback: expected.filter((m) => m.feedback).length,
    status: 'ok',
    problems: [],
    kept: [],
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
  const base = doc.origin?.sql;
  const p = check.problems;
  checkFields(row, doc, base, all.length - fromSql.length, check);
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
  const differing: string[] = [];
  const feedbackDiffers: string[] = [];
  for (const m of expected) {
    const got = byId.get(m.id);
    if (!got) continue;
    if (comparable(got) !== comparable(m)) differing.push(m.id);
    if (!same(got.feedback, m.feedback)) {
      // Feedback given through v3 since the copy stays; feedback changed in SQL since the last run is a difference.
      if (base !== undefined && same(base.feedback[m.id], m.feedback)) check.kept.push(`feedback ${m.id} (changed through v3)`);
      else feedbackDiffers.push(m.id);
    }
  }
  if (differing.length) p.push(`content differs: ${differing.slice(0, 10).join(', ')}`);
  if (feedbackDiffers.length) p.push(`feedback differs: ${feedbackDiffers.slice(0, 10).join(', ')}`);
  p.push(...checkToolPairing(all).map((x) => `pairing: ${x}`));
  if (p.length) check.status = 'mismatch';
  return check;
}

/**
 * Verifies every legacy thread in scope against MongoDB (see the module comment) and, for a run over every thread,
 * every legacy share. `clean` is the verdict: nothing differs and nothing is missing.
 */
export async function verifyLegacy(
  opts: { since?: Date; threadId?: string; batchSize?: number; dryRun?: boolean; onProgress?: (done: number) => void } = {},
): Promise<VerifyReport> {
  const db = legacyDb();
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const report: VerifyReport = { threads: [], ok: 0, mismatches: 0, pending: 0, messages: 0, feedback: 0, shares: null, clean: false };
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
        .find(
          { thread_id: { $in: ids } },
          {
            projection: {
              _id: 0,
              thread_id: 1,
              user_id: 1,
              name: 1,
              initial_source: 1,
              created_at: 1,
              updated_at: 1,
              messages: 1,
              overflow_chunks: 1,
              origin: 1,
            },
          },
        )
        .toArray(),
    );
    // A long thread's oldest messages live in overflow chunks: check the whole thread, as readers see it.
    for (const d of docs) {
      if ((d.overflow_chunks ?? 0) > 0) d.messages = joinMessages(await chunkedMessages(d.user_id, d.thread_id), d.messages ?? []);
    }
    const byId = new Map(docs.map((d) => [d.thread_id, d]));
    for (const r of rows) {
      const sqlRows = messages.get(r.thread_id) ?? [];
      const converted = convertLegacyMessages(sqlRows);
      const check = checkThread(r, sqlRows.length, converted, byId.get(r.thread_id), opts.dryRun === true);
      report.threads.push(check);
      report.messages += check.expected;
      report.feedback += check.feedback;
      if (check.status === 'ok') report.ok++;
      else if (check.status === 'pending') report.pending++;
      else report.mismatches++;
    }
    opts.onProgress?.(report.threads.length);
    const last = rows[rows.length - 1]!;
    after = { updatedAt: last.updated_at, threadId: last.thread_id };
    if (rows.length < batchSize) break;
  }
  if (opts.threadId === undefined && opts.since === undefined) report.shares = await verifyShares(db);
  const shareProblems = (report.shares ?? []).filter((s) => s.status === 'missing' || s.status === 'mismatch').length;
  report.clean = report.mismatches === 0 && report.pending === 0 && shareProblems === 0;
  return report;
}
