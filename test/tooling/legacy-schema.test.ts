/** The legacy schema and seed data load into real PostgreSQL and cover every row shape. */
import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLegacyMessages, type LegacyMessageRow } from '#lib/legacy/convert/index.js';
import {
  DEV_USER_ID,
  OTHER_USER_ID,
  SEED_FEEDBACK,
  SEED_MESSAGES,
  SEED_SHARES,
  SEED_THREADS,
  SEED_USERS,
  SHARE_IDS,
  THREAD_IDS,
  seedLegacy,
} from '#scripts/legacy/seed-data.js';
import { validateMessageHistory } from '#support/messages-validator.js';

const schemaSql = await readFile(new URL('../../scripts/legacy/schema.sql', import.meta.url), 'utf8');

let db: PGlite;
const query = (sql: string, params?: unknown[]) => db.query(sql, params);

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['users', 'threads', 'messages', 'feedback', 'share']) {
    const { rows } = await db.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${table}`);
    out[table] = rows[0]!.n;
  }
  return out;
}

const expectedCounts = {
  users: SEED_USERS.length,
  threads: SEED_THREADS.length,
  messages: SEED_MESSAGES.length,
  feedback: SEED_FEEDBACK.length,
  share: SEED_SHARES.length,
};

describe('legacy schema and seed (PGlite)', () => {
  beforeAll(async () => {
    db = new PGlite();
    await db.exec(schemaSql);
    await db.exec(schemaSql); // re-runnable
    await seedLegacy(query);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('creates the seeded rows, and seeding again changes nothing', async () => {
    expect(await counts()).toEqual(expectedCounts);
    await seedLegacy(query);
    expect(await counts()).toEqual(expectedCounts);
  });

  it('has the legacy tables, enums and index', async () => {
    const { rows: tables } = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'access_tokens',
      'feedback',
      'messages',
      'preferences',
      'refresh_tokens',
      'reset_tokens',
      'share',
      'threads',
      'users',
    ]);
    const { rows: enums } = await db.query<{ typname: string; labels: string }>(
      `SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS labels
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY t.typname`,
    );
    expect(enums).toEqual([
      { typname: 'feedback_class', labels: 'thumbsup,thumbsdown,redflag' },
      { typname: 'source_type', labels: 'ios,android,web,whatsapp' },
    ]);
    const { rows: idx } = await db.query(`SELECT 1 FROM pg_indexes WHERE indexname = 'idx_threads_updated_at'`);
    expect(idx).toHaveLength(1);
  });

  it('stores threads per owner, JSONB columns as given, timestamps as UTC wall-clock time', async () => {
    const { rows: owners } = await db.query<{ user_id: string; n: number }>(
      'SELECT user_id, COUNT(*)::int AS n FROM threads GROUP BY user_id ORDER BY user_id',
    );
    expect(owners).toEqual([
      { user_id: DEV_USER_ID, n: SEED_THREADS.length - 1 },
      { user_id: OTHER_USER_ID, n: 1 },
    ]);
    const { rows } = await db.query<{ tool_details: unknown; ref_list: unknown; created_at: string }>(
      `SELECT tool_details, ref_list, to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS created_at
         FROM messages WHERE id = 406`,
    );
    const seeded = SEED_MESSAGES.find((m) => m.id === 406)!;
    expect(rows[0]).toEqual({
      tool_details: seeded.tool_details,
      ref_list: '[]', // a JSONB string, on purpose
      created_at: seeded.created_at.toISOString().slice(0, 23),
    });
  });

  it('moves the SERIAL sequences past the seeded ids', async () => {
    const { rows } = await db.query<{ id: number }>(
      `INSERT INTO messages (user_id, thread_id, role, content) VALUES ($1, $2, 'user', 'new') RETURNING id`,
      [DEV_USER_ID, THREAD_IDS.plain],
    );
    expect(rows[0]!.id).toBeGreaterThan(Math.max(...SEED_MESSAGES.map((m) => m.id)));
    await db.query('DELETE FROM messages WHERE id = $1', [rows[0]!.id]);
  });

  it('serves legacy shares as JSON text', async () => {
    const { rows } = await db.query<{ content: string }>('SELECT content FROM share WHERE id = $1', [SHARE_IDS.plain]);
    const share = JSON.parse(rows[0]!.content) as { thread_name: string; messages: { id: number; role: string; content: string }[] };
    expect(share.thread_name).toBe('What is zakat?');
    expect(share.messages.map((m) => m.id)).toEqual([101, 102, 103, 104]);
  });

  it('converts every seeded thread read back from SQL into a valid history with its feedback', async () => {
    for (const thread of SEED_THREADS) {
      const { rows } = await db.query<LegacyMessageRow & { user_id: string }>(
        `SELECT m.id, m.role, m.content, m.tool_name, m.tool_details, m.ref_list,
                (m.created_at AT TIME ZONE 'UTC') AS created_at, m.user_id::text AS user_id,
                CASE WHEN f.id IS NULL THEN NULL ELSE json_build_object(
                  'class', f.class, 'comment', f.comment,
                  'created_at', to_char(f.created_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                  'updated_at', to_char(f.updated_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) END AS feedback
           FROM messages m LEFT JOIN feedback f ON f.message_id = m.id
          WHERE m.thread_id = $1 ORDER BY m.timestamp, m.id`,
        [thread.id],
      );
      const converted = convertLegacyMessages(rows);
      expect(converted.length).toBeGreaterThan(0);
      expect(validateMessageHistory(converted.map(({ role, content }) => ({ role, content })))).toEqual([]);
      const seededFeedback = SEED_FEEDBACK.filter((f) => f.thread_id === thread.id);
      expect(converted.filter((m) => m.feedback).map((m) => [m.id, m.feedback?.class, m.feedback?.created_at])).toEqual(
        seededFeedback.map((f) => [String(f.message_id), f.class, f.created_at]),
      );
      expect(converted[0]!.created_at).toEqual(SEED_MESSAGES.find((m) => m.thread_id === thread.id)!.created_at);
    }
  });

  it('deletes a thread with its messages and feedback (cascade)', async () => {
    await db.query('BEGIN');
    try {
      await db.query('DELETE FROM threads WHERE id = $1', [THREAD_IDS.openai]);
      const { rows } = await db.query<{ m: number; f: number }>(
        `SELECT (SELECT COUNT(*)::int FROM messages WHERE thread_id = $1) AS m,
                (SELECT COUNT(*)::int FROM feedback WHERE thread_id = $1) AS f`,
        [THREAD_IDS.openai],
      );
      expect(rows[0]).toEqual({ m: 0, f: 0 });
    } finally {
      await db.query('ROLLBACK');
    }
    expect(await counts()).toEqual(expectedCounts);
  });
});
