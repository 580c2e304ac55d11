/** The SQL only the migration runs: the database clock, the users walk, the shares walk and recheck, message origins. */
import type { Queryable } from '#lib/legacy/queries.js';

/** The legacy database's clock (the old backend stamps rows with it). */
export async function sqlNow(db: Queryable): Promise<Date> {
  const { rows } = await db.query<{ now: Date }>('SELECT now() AS now');
  return rows[0]!.now;
}

/** User ids in id order after `after` (the primary key), `limit` at most. */
export async function selectUserIds(db: Queryable, after: string | undefined, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    after === undefined
      ? 'SELECT id::text AS id FROM users ORDER BY id LIMIT $1'
      : 'SELECT id::text AS id FROM users WHERE id > $2::uuid ORDER BY id LIMIT $1',
    after === undefined ? [limit] : [limit, after],
  );
  return rows.map((r) => r.id);
}

/** Share rows in id order after `after` (the primary key), `limit` at most. */
export async function selectShareRows(
  db: Queryable,
  after: string | undefined,
  limit: number,
): Promise<{ id: string; content: string | null }[]> {
  const { rows } = await db.query<{ id: string; content: string | null }>(
    after === undefined
      ? 'SELECT id::text AS id, content FROM share ORDER BY id LIMIT $1'
      : 'SELECT id::text AS id, content FROM share WHERE id > $2::uuid ORDER BY id LIMIT $1',
    after === undefined ? [limit] : [limit, after],
  );
  return rows;
}

/** Which of these share ids still have a row (a share revoked or erased meanwhile has none). */
export async function existingShareIds(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>('SELECT id::text AS id FROM share WHERE id = ANY($1::uuid[])', [ids]);
  return new Set(rows.map((r) => r.id));
}

/** A message row's time and its thread (owner, source, times), for the rows that still exist. */
export interface MessageOrigin {
  created_at: Date;
  thread_id: string;
  user_id: string;
  initial_source: string;
  thread_created_at: Date;
  thread_updated_at: Date;
}

export async function selectMessageOrigins(db: Queryable, ids: number[]): Promise<Map<number, MessageOrigin>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<MessageOrigin & { id: number }>(
    `SELECT m.id, (COALESCE(m.timestamp, m.created_at) AT TIME ZONE 'UTC') AS created_at, t.id::text AS thread_id,
            t.user_id::text AS user_id, t.initial_source::text AS initial_source,
            (COALESCE(t.created_at, t.updated_at, TIMESTAMP 'epoch') AT TIME ZONE 'UTC') AS thread_created_at,
            (date_trunc('milliseconds', COALESCE(t.updated_at, t.created_at, TIMESTAMP 'epoch')) AT TIME ZONE 'UTC') AS thread_updated_at
       FROM messages m JOIN threads t ON t.id = m.thread_id
      WHERE m.id = ANY($1::int[])`,
    [ids],
  );
  return new Map(rows.map(({ id, ...o }) => [id, o]));
}
