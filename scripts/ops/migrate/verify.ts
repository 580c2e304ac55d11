/** The legacy migration's verification: every legacy thread in scope compared with its MongoDB copy, and tool pairing. */
import type { Block, Message } from '#lib/blocks/types.js';
import { withDbRetry } from '#lib/db/retry.js';
import { stableJson } from '#lib/json.js';
import { convertLegacyMessages } from '#lib/legacy/convert/index.js';
import { legacyDb, selectMessages, selectThreads, type LegacyPosition, type LegacyThreadRow } from '#lib/legacy/queries.js';
import { threadsCollection } from '#lib/threads/mongo-store.js';
import { chunkedMessages, joinMessages } from '#lib/threads/overflow.js';
import type { ThreadDoc } from '#lib/threads/types.js';
import { DEFAULT_BATCH } from './migrate.js';

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
  /** Every MongoDB message, newer ones (UUID ids, appended after a copy) included. */
  mongo_total: number | null;
  status: 'ok' | 'missing' | 'pending' | 'mismatch';
  problems: string[];
}

interface VerifyReport {
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
