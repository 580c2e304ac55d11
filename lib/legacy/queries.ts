/**
 * The SQL of the legacy store: parameterised statements only, every thread read scoped to its owner.
 *
 * Times: the legacy columns are `TIMESTAMP` (without time zone) holding UTC wall-clock time. Every time is
 * selected as `x AT TIME ZONE 'UTC'` (a timestamptz; messages' as its epoch milliseconds), so `pg` returns the
 * right instant whatever the server's or this process's time zone. The list position is `updated_at` cut to
 * milliseconds (`sort_at`): MongoDB and the list cursor hold milliseconds, so a cursor taken from a legacy thread
 * compares equal across both stores.
 */
import type pg from 'pg';
import type { Source } from '#lib/threads/types.js';
import type { LegacyMessageRow } from './convert/index.js';
import { getLegacyPool } from '#lib/db/pg.js';

/** What `pg` offers: a pool or a checked-out client. */
export type Queryable = Pick<pg.Pool, 'query'>;

export const legacyDb = (): Queryable => getLegacyPool();

/** A legacy thread row, times as Dates (UTC). */
export interface LegacyThreadRow {
  thread_id: string;
  name: string | null;
  user_id: string;
  initial_source: Source;
  created_at: Date;
  updated_at: Date;
}

/** A keyset position in `updated_at DESC, id DESC` order (milliseconds). */
export interface LegacyPosition {
  updatedAt: Date;
  threadId: string;
}

// The sort key of a thread: updated_at cut to milliseconds; a NULL falls back to created_at, then the epoch.
const SORT_AT = `date_trunc('milliseconds', COALESCE(t.updated_at, t.created_at, TIMESTAMP 'epoch'))`;

const THREAD_COLUMNS = `t.id::text AS thread_id, t.name, t.user_id::text AS user_id, t.initial_source::text AS initial_source,
       (COALESCE(t.created_at, t.updated_at, TIMESTAMP 'epoch') AT TIME ZONE 'UTC') AS created_at,
       (${SORT_AT} AT TIME ZONE 'UTC') AS updated_at`;

/** A cursor instant as the UTC wall-clock `timestamp` the columns hold. */
const AT_PARAM = (n: number) => `($${n}::timestamptz AT TIME ZONE 'UTC')`;

/** Which threads a walk reads: one owner's or everyone's, one thread, updated since, after a keyset position. */
interface ThreadScope {
  userId?: string;
  threadId?: string;
  since?: Date;
  after?: LegacyPosition;
}

/** The WHERE clause (or '') of a thread scope; its values are appended to `params`, numbered after those already there. */
function scopeWhere(scope: ThreadScope, params: unknown[]): string {
  const where: string[] = [];
  const param = (v: unknown) => {
    params.push(v);
    return params.length;
  };
  if (scope.userId !== undefined) where.push(`t.user_id = $${param(scope.userId)}::uuid`);
  if (scope.threadId !== undefined) where.push(`t.id = $${param(scope.threadId)}::uuid`);
  if (scope.since !== undefined) where.push(`${SORT_AT} >= ${AT_PARAM(param(scope.since.toISOString()))}`);
  if (scope.after !== undefined) {
    const at = param(scope.after.updatedAt.toISOString());
    const id = param(scope.after.threadId);
    where.push(`(${SORT_AT}, t.id) < (${AT_PARAM(at)}, $${id}::uuid)`);
  }
  return where.length ? `WHERE ${where.join(' AND ')}` : '';
}

/**
 * Threads in list order (`updated_at DESC, id DESC`), strictly after `after` when given. `userId` undefined reads
 * every user's threads (the migration); `since` keeps threads updated at or after it.
 */
export async function selectThreads(db: Queryable, opts: ThreadScope & { limit?: number }): Promise<LegacyThreadRow[]> {
  const params: unknown[] = [];
  const where = scopeWhere(opts, params);
  const limit = opts.limit === undefined ? '' : ` LIMIT $${params.push(opts.limit)}`;
  const { rows } = await db.query<LegacyThreadRow>(
    `SELECT ${THREAD_COLUMNS}
       FROM threads t
      ${where}
      ORDER BY ${SORT_AT} DESC, t.id DESC${limit}`,
    params,
  );
  return rows;
}

/** Number of threads a migration run will walk (the scope of selectThreads). */
export async function countThreads(db: Queryable, scope: Omit<ThreadScope, 'userId'>): Promise<number> {
  const params: unknown[] = [];
  const { rows } = await db.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM threads t ${scopeWhere(scope, params)}`, params);
  return rows[0]?.n ?? 0;
}

/** One thread of its owner, or null (absent or another user's). */
export async function selectThread(db: Queryable, userId: string, threadId: string): Promise<LegacyThreadRow | null> {
  const { rows } = await db.query<LegacyThreadRow>(
    `SELECT ${THREAD_COLUMNS} FROM threads t WHERE t.id = $1::uuid AND t.user_id = $2::uuid`,
    [threadId, userId],
  );
  return rows[0] ?? null;
}

interface MessageRowWithThread extends Omit<LegacyMessageRow, 'created_at' | 'feedback'> {
  thread_id: string;
  /**
   * COALESCE(timestamp, created_at) in microseconds since the epoch (exact in a float8, which `pg` reads with
   * parseFloat: the bulk of a migration's rows skip `pg`'s timestamp text parser), null when both are.
   */
  at_us: number | null;
  fb_class: string | null;
  fb_comment: string | null;
  fb_created_at: Date | null;
  fb_updated_at: Date | null;
}

/** The old backend's message order: `COALESCE(timestamp, created_at) NULLS FIRST, id`. */
const byTimeThenId = (a: MessageRowWithThread, b: MessageRowWithThread) => (a.at_us ?? -Infinity) - (b.at_us ?? -Infinity) || a.id - b.id;

/**
 * The message rows of some threads, in thread order (`timestamp`, then `id`, as the old backend read them), each
 * with its feedback (the latest row when a message has several, found by message id through its index: a feedback
 * row's own thread id is not trusted). Rows are grouped by thread id. The rows are sorted here, not by SQL: the
 * server's sort of the wide rows (their content) took about a fifth of a migration's read time.
 */
export async function selectMessages(db: Queryable, threadIds: string[]): Promise<Map<string, LegacyMessageRow[]>> {
  const out = new Map<string, LegacyMessageRow[]>(threadIds.map((id) => [id, []]));
  if (threadIds.length === 0) return out;
  const { rows } = await db.query<MessageRowWithThread>(
    `SELECT m.id, m.thread_id::text AS thread_id, m.user_id::text AS user_id, m.role, m.content, m.tool_name,
            m.tool_details, m.ref_list,
            (EXTRACT(EPOCH FROM COALESCE(m.timestamp, m.created_at)) * 1000000)::float8 AS at_us,
            f.class::text AS fb_class, f.comment AS fb_comment,
            (f.created_at AT TIME ZONE 'UTC') AS fb_created_at, (f.updated_at AT TIME ZONE 'UTC') AS fb_updated_at
       FROM messages m
       LEFT JOIN LATERAL (
              SELECT fb.class, fb.comment, fb.created_at, fb.updated_at
                FROM feedback fb
               WHERE fb.message_id = m.id
               ORDER BY fb.updated_at DESC NULLS LAST, fb.id DESC
               LIMIT 1) f ON true
      WHERE m.thread_id = ANY($1::uuid[])`,
    [threadIds],
  );
  rows.sort(byTimeThenId);
  for (const r of rows) {
    // Whole milliseconds, as a Date holds them; a message without either time sorts first, at the epoch.
    const createdAt = new Date(r.at_us === null ? 0 : Math.floor(r.at_us / 1000));
    const row: LegacyMessageRow = {
      id: r.id,
      role: r.role,
      content: r.content,
      tool_name: r.tool_name,
      tool_details: r.tool_details,
      ref_list: r.ref_list,
      created_at: createdAt,
      user_id: r.user_id,
      feedback:
        r.fb_class === null
          ? null
          : {
              class: r.fb_class,
              comment: r.fb_comment,
              created_at: r.fb_created_at ?? r.fb_updated_at ?? createdAt,
              updated_at: r.fb_updated_at ?? r.fb_created_at ?? createdAt,
            },
    };
    out.get(r.thread_id)?.push(row);
  }
  return out;
}

/** Renames the owner's thread (never moves it in the list: updated_at is left alone); null when not found. */
export async function updateThreadName(db: Queryable, userId: string, threadId: string, name: string): Promise<LegacyThreadRow | null> {
  const { rows } = await db.query<LegacyThreadRow>(
    `UPDATE threads t SET name = $3 WHERE t.id = $1::uuid AND t.user_id = $2::uuid RETURNING ${THREAD_COLUMNS}`,
    [threadId, userId, name],
  );
  return rows[0] ?? null;
}

/**
 * Deletes the owner's thread, its feedback and its messages, in one statement (so atomically, and without holding a
 * transaction open across round trips): feedback first (its `message_id` references messages without a cascade,
 * and a feedback row of another thread may point at one of these messages), then the messages, then the thread.
 */
export async function deleteThreadRows(db: Queryable, userId: string, threadId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `WITH t AS (SELECT id FROM threads WHERE id = $1::uuid AND user_id = $2::uuid FOR UPDATE),
          f AS (DELETE FROM feedback
                 WHERE thread_id IN (SELECT id FROM t)
                    OR message_id IN (SELECT m.id FROM messages m WHERE m.thread_id IN (SELECT id FROM t))),
          m AS (DELETE FROM messages WHERE thread_id IN (SELECT id FROM t))
     DELETE FROM threads WHERE id IN (SELECT id FROM t)`,
    [threadId, userId],
  );
  return (rowCount ?? 0) > 0;
}

/** Which of these thread ids still exist in SQL. */
export async function existingThreadIds(db: Queryable, threadIds: string[]): Promise<Set<string>> {
  if (threadIds.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>('SELECT id::text AS id FROM threads WHERE id = ANY($1::uuid[])', [threadIds]);
  return new Set(rows.map((r) => r.id));
}

/** The content column of a legacy share (JSON text), or null. */
export async function selectShare(db: Queryable, shareId: string): Promise<string | null> {
  const { rows } = await db.query<{ content: string | null }>('SELECT content FROM share WHERE id = $1::uuid', [shareId]);
  return rows[0]?.content ?? null;
}

/** Deletes a legacy share row; whether there was one. */
export async function deleteShareRow(db: Queryable, shareId: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM share WHERE id = $1::uuid', [shareId]);
  return (rowCount ?? 0) > 0;
}

/**
 * Deletes a legacy share row only when it is `userId`'s: the row names no owner, so its owner is the owner of the
 * thread its messages (`rowIds`, read from its content) belong to. At least one of them must still exist, and none
 * may belong to another user's thread. Check and delete are one statement.
 */
export async function deleteOwnedShareRow(db: Queryable, shareId: string, userId: string, rowIds: number[]): Promise<boolean> {
  const { rowCount } = await db.query(
    `DELETE FROM share s
      WHERE s.id = $1::uuid
        AND EXISTS (SELECT 1 FROM messages m JOIN threads t ON t.id = m.thread_id WHERE m.id = ANY($3::int[]) AND t.user_id = $2::uuid)
        AND NOT EXISTS (SELECT 1 FROM messages m JOIN threads t ON t.id = m.thread_id WHERE m.id = ANY($3::int[]) AND t.user_id <> $2::uuid)`,
    [shareId, userId, rowIds],
  );
  return (rowCount ?? 0) > 0;
}

/** `created_at` of message rows by id (the legacy share content carries none). */
export async function selectMessageTimes(db: Queryable, ids: number[]): Promise<Map<number, Date>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ id: number; created_at: Date }>(
    `SELECT id, (COALESCE(timestamp, created_at) AT TIME ZONE 'UTC') AS created_at FROM messages WHERE id = ANY($1::int[])`,
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.created_at]));
}

/**
 * Deletes up to `limit` of the user's threads with their messages and feedback, in one statement (as
 * deleteThreadRows, for a batch): what was deleted. Fewer threads than `limit` means the user had no more.
 */
export async function deleteUserThreadRows(
  db: Queryable,
  userId: string,
  limit: number,
): Promise<{ threads: number; messages: number; feedback: number }> {
  const { rows } = await db.query<{ threads: number; messages: number; feedback: number }>(
    `WITH t AS (SELECT id FROM threads WHERE user_id = $1::uuid ORDER BY id LIMIT $2 FOR UPDATE),
          f AS (DELETE FROM feedback
                 WHERE thread_id IN (SELECT id FROM t)
                    OR message_id IN (SELECT m.id FROM messages m WHERE m.thread_id IN (SELECT id FROM t))
                RETURNING 1),
          m AS (DELETE FROM messages WHERE thread_id IN (SELECT id FROM t) RETURNING 1),
          d AS (DELETE FROM threads WHERE id IN (SELECT id FROM t) RETURNING 1)
     SELECT (SELECT COUNT(*) FROM d)::int AS threads, (SELECT COUNT(*) FROM m)::int AS messages,
            (SELECT COUNT(*) FROM f)::int AS feedback`,
    [userId, limit],
  );
  return rows[0] ?? { threads: 0, messages: 0, feedback: 0 };
}

/** The user's threads and message rows (a dry run of erasure). */
export async function countUserThreadRows(db: Queryable, userId: string): Promise<{ threads: number; messages: number }> {
  const { rows } = await db.query<{ threads: number; messages: number }>(
    `SELECT (SELECT COUNT(*) FROM threads WHERE user_id = $1::uuid)::int AS threads,
            (SELECT COUNT(*) FROM messages m JOIN threads t ON t.id = m.thread_id WHERE t.user_id = $1::uuid)::int AS messages`,
    [userId],
  );
  return rows[0] ?? { threads: 0, messages: 0 };
}

/**
 * The message row ids a legacy share's content names: each entry of its `messages` list is an object opening with
 * `"id": <row id>, "role": ...` (the old backend's `json.dumps` of `get_thread()`; quoted ids too). Read in SQL so
 * erasure never pulls share contents over the wire; lib/legacy/share.ts reads the same ids with JSON.parse.
 */
export const SHARE_MESSAGE_ID_RE = String.raw`\{\s*"id"\s*:\s*"?([0-9]{1,9})"?\s*,\s*"role"\s*:`;

/**
 * The legacy shares of a user. A `share` row names no owner: it is the user's when the message rows its content
 * names still exist and every one of them is in one of the user's threads (the rule share revocation uses). Only
 * while the user still has threads in SQL; afterwards nothing ties a row to them. Scans `share` (no index can
 * serve it), skipped at once for a user without SQL threads.
 */
const USER_SHARES = `
  WITH owner AS (SELECT 1 FROM threads WHERE user_id = $1::uuid LIMIT 1),
       refs AS (SELECT s.id AS share_id, (r.m)[1]::int AS message_id
                  FROM share s CROSS JOIN LATERAL regexp_matches(s.content, $2, 'g') AS r(m)
                 WHERE EXISTS (SELECT 1 FROM owner)),
       owned AS (SELECT refs.share_id
                   FROM refs JOIN messages m ON m.id = refs.message_id JOIN threads t ON t.id = m.thread_id
                  GROUP BY refs.share_id
                 HAVING bool_and(t.user_id = $1::uuid))`;

/** Deletes the user's legacy shares (see USER_SHARES), and the rows of `alsoIds` (shares proved theirs elsewhere). */
export async function deleteUserShareRows(db: Queryable, userId: string, alsoIds: string[]): Promise<number> {
  const { rowCount } = await db.query(
    `${USER_SHARES}
     DELETE FROM share WHERE id IN (SELECT share_id FROM owned) OR id = ANY($3::uuid[])`,
    [userId, SHARE_MESSAGE_ID_RE, alsoIds],
  );
  return rowCount ?? 0;
}

/** How many legacy shares deleteUserShareRows would delete (a dry run of erasure). */
export async function countUserShareRows(db: Queryable, userId: string, alsoIds: string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `${USER_SHARES}
     SELECT COUNT(*)::int AS n FROM share WHERE id IN (SELECT share_id FROM owned) OR id = ANY($3::uuid[])`,
    [userId, SHARE_MESSAGE_ID_RE, alsoIds],
  );
  return rows[0]?.n ?? 0;
}
