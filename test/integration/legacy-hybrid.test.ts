/**
 * The hybrid layer against a real PostgreSQL (PGlite over the pg driver, started for this file only) and the
 * MongoDB test server: every thread route falls back to the legacy store, in the same shapes.
 *
 * LEGACY_DATABASE_URL is set here, before lib/ is first imported (dynamic imports below), so only this file runs
 * with the hybrid on; it also uses its own MongoDB database. The process time zone is set far from UTC to prove
 * that the legacy `TIMESTAMP` columns (UTC wall-clock time) are read as the right instants.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLegacyDb } from '#support/legacy-dev-db.js';
import {
  DEV_USER_ID,
  OTHER_USER_ID,
  SEED_MESSAGES,
  SEED_THREADS,
  SHARE_IDS,
  THREAD_IDS,
  insertLegacyRows,
  seedLegacy,
} from '#scripts/legacy/seed-data.js';
import { cloneSeedThreads, legacyUser, plainThread } from '#scripts/legacy/synthetic.js';
import { newUser, tokenFor } from '#support/auth.js';
import { call } from '#support/lambda.js';
import { validateMessageHistory } from '#support/messages-validator.js';

process.env.TZ = 'Asia/Kolkata';
const legacy = await startLegacyDb();
process.env.LEGACY_DATABASE_URL = legacy.url;
process.env.MONGODB_DB = `ansari_legacy_hybrid_${process.pid}`;

const { handler: listThreads } = await import('#functions/list-threads.js');
const { handler: getThread } = await import('#functions/get-thread.js');
const { handler: renameThread } = await import('#functions/rename-thread.js');
const { handler: deleteThread } = await import('#functions/delete-thread.js');
const { handler: shareThread } = await import('#functions/share-thread.js');
const { handler: getShare } = await import('#functions/get-share.js');
const { getDb, closeMongo } = await import('#lib/db/mongo.js');
const { ensureIndexes } = await import('#lib/db/indexes.js');
const { closeLegacyPool } = await import('#lib/db/pg.js');
const { legacyThreadStore } = await import('#lib/legacy/store.js');
const { threadsCollection, mongoThreadStore } = await import('#lib/threads/mongo-store.js');
const { threadForAppend } = await import('#lib/services/threads.js');
const { logger, metrics, shareRef } = await import('#lib/observability.js');

const db = legacy.db;
const query = (sql: string, params?: unknown[]) => db.query(sql, params);

beforeAll(async () => {
  await ensureIndexes(await getDb());
  await seedLegacy(query);
});
afterAll(async () => {
  await (await getDb()).dropDatabase();
  await closeMongo();
  await closeLegacyPool();
  await legacy.stop();
});

const threadPath = (id: string, suffix = '') => ({
  path: `/api/v3/threads/${id}${suffix}`,
  resource: `/api/v3/threads/{thread_id}${suffix}`,
  pathParameters: { thread_id: id },
});
const get = async (token: string, id: string, q?: Record<string, string>) =>
  call(getThread, { token, ...threadPath(id), ...(q ? { query: q } : {}) });
const rename = async (token: string, id: string, name: unknown) =>
  call(renameThread, { method: 'POST', token, ...threadPath(id, '/name'), body: { name } });
const del = async (token: string, id: string) => call(deleteThread, { method: 'DELETE', token, ...threadPath(id) });
const share = async (token: string, id: string) =>
  call(shareThread, { method: 'POST', token, path: `/api/v3/share/${id}`, resource: '/api/v3/share/{id}', pathParameters: { id } });
const readShare = async (id: string, q?: Record<string, string>) =>
  call(getShare, { path: `/api/v3/share/${id}`, resource: '/api/v3/share/{id}', pathParameters: { id }, ...(q ? { query: q } : {}) });

async function listAll(token: string, limit?: number): Promise<{ thread_id: string; storage: string; updated_at: string }[]> {
  if (limit === undefined) return (await call(listThreads, { token })).json;
  const out = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 200; pages++) {
    const res = await call(listThreads, { token, query: { limit: String(limit), ...(cursor ? { cursor } : {}) } });
    expect(res.status).toBe(200);
    expect(res.json.length).toBeLessThanOrEqual(limit);
    out.push(...res.json);
    cursor = res.headers['x-next-cursor'];
    if (!cursor) return out;
  }
  throw new Error('too many pages');
}

/** A fresh user with copies of every seeded row shape in SQL. */
async function userWithLegacyThreads() {
  const user = newUser();
  const rows = cloneSeedThreads(user);
  await insertLegacyRows(query, rows);
  return { user, token: await tokenFor(user), rows };
}

async function sqlCounts(threadId: string) {
  const { rows } = await db.query<{ t: number; m: number; f: number; name: string | null }>(
    `SELECT (SELECT COUNT(*)::int FROM threads WHERE id = $1) AS t, (SELECT COUNT(*)::int FROM messages WHERE thread_id = $1) AS m,
            (SELECT COUNT(*)::int FROM feedback WHERE thread_id = $1) AS f, (SELECT name FROM threads WHERE id = $1) AS name`,
    [threadId],
  );
  return rows[0]!;
}

async function insertMongoThread(userId: string, updatedAt: Date, threadId: string = randomUUID()) {
  await (
    await threadsCollection()
  ).insertOne({
    thread_id: threadId,
    name: `mongo ${threadId.slice(0, 8)}`,
    user_id: userId,
    initial_source: 'web',
    created_at: updatedAt,
    updated_at: updatedAt,
    metadata: {},
    messages: [],
  });
  return threadId;
}

describe('GET /api/v3/threads/{thread_id} on a legacy thread', () => {
  it('serves the thread from SQL in the MongoDB shape: blocks, feedback in its message, UTC times', async () => {
    const token = await tokenFor(DEV_USER_ID);
    const res = await get(token, THREAD_IDS.plain);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      thread_id: THREAD_IDS.plain,
      thread_name: 'What is zakat?',
      created_at: '2024-11-04T10:00:00.000Z',
      updated_at: '2024-11-04T10:03:00.000Z',
      initial_source: 'web',
      storage: 'legacy',
      metadata: {},
      messages: [
        { id: '101', role: 'user', content: [{ type: 'text', text: 'What is zakat?' }], created_at: '2024-11-04T10:00:00.000Z' },
        {
          id: '102',
          role: 'assistant',
          content: [{ type: 'text', text: 'Zakat is the obligatory annual alms, one of the five pillars of Islam.' }],
          created_at: '2024-11-04T10:00:05.000Z',
          feedback: { class: 'thumbsdown', comment: null, created_at: '2024-11-04T10:01:00.000Z', updated_at: '2024-11-04T10:01:00.000Z' },
        },
        { id: '103', role: 'user', content: [{ type: 'text', text: 'Who must pay it?' }], created_at: '2024-11-04T10:02:00.000Z' },
        {
          id: '104',
          role: 'assistant',
          content: [{ type: 'text', text: 'Every adult Muslim whose wealth reaches the nisab for a full lunar year must pay zakat.' }],
          created_at: '2024-11-04T10:02:06.000Z',
        },
      ],
      has_more: false,
    });
  });

  it('re-creates the call of a function-era tool row (synthetic ids) and pairs it', async () => {
    const res = await get(await tokenFor(DEV_USER_ID), THREAD_IDS.functionEra);
    expect(res.json.messages).toEqual([
      { id: '301', role: 'user', content: [{ type: 'text', text: 'Who was Imam al-Bukhari?' }], created_at: '2024-06-20T09:00:00.000Z' },
      {
        id: '302-tool_use',
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_legacy_302', name: 'search_hadith', input: {} }],
        created_at: '2024-06-20T09:00:04.000Z',
      },
      {
        id: '302',
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 'toolu_legacy_302', content: expect.stringContaining('al-Bukhari (194-256 AH)') }],
        created_at: '2024-06-20T09:00:04.000Z',
      },
      {
        id: '303',
        role: 'assistant',
        content: [{ type: 'text', text: 'Imam al-Bukhari (d. 256 AH) was the compiler of Sahih al-Bukhari.' }],
        created_at: '2024-06-20T09:00:10.000Z',
      },
    ]);
  });

  it('gives every seeded row shape a history the Messages API accepts, through the real handler', async () => {
    const token = await tokenFor(DEV_USER_ID);
    for (const t of SEED_THREADS.filter((x) => x.user_id === DEV_USER_ID)) {
      const res = await get(token, t.id);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({
        thread_id: t.id,
        thread_name: t.name,
        storage: 'legacy',
        initial_source: t.initial_source,
        has_more: false,
      });
      expect(res.json.updated_at).toBe(t.updated_at.toISOString());
      const messages = res.json.messages as { id: string; role: string; content: unknown; created_at: string }[];
      expect(validateMessageHistory(messages.map(({ role, content }) => ({ role, content })))).toEqual([]);
      // Every SQL row is there (as a message, or merged into one); ids are row ids, or row ids with a suffix.
      for (const m of messages) expect(m.id).toMatch(/^\d+(-(tool_use|tool_result|context))?$/);
      expect(messages[0]!.created_at).toBe(SEED_MESSAGES.find((m) => m.thread_id === t.id)!.created_at.toISOString());
      expect(res.body).not.toContain(DEV_USER_ID);
    }
    const claude = await get(token, THREAD_IDS.claude, { format: 'text' });
    expect(claude.json.messages.map((m: { id: string }) => m.id)).toEqual(['401', '404', '405', '408']);
  });

  it('pages messages with ?limit and ?before like a MongoDB thread', async () => {
    const token = await tokenFor(DEV_USER_ID);
    const all = (await get(token, THREAD_IDS.functionEra)).json.messages as { id: string }[];
    const last2 = await get(token, THREAD_IDS.functionEra, { limit: '2' });
    expect([last2.json.messages.map((m: { id: string }) => m.id), last2.json.has_more]).toEqual([['302', '303'], true]);
    const before = await get(token, THREAD_IDS.functionEra, { limit: '2', before: '302' });
    expect([before.json.messages.map((m: { id: string }) => m.id), before.json.has_more]).toEqual([['301', '302-tool_use'], false]);
    const rest = await get(token, THREAD_IDS.functionEra, { before: '303' });
    expect(rest.json.messages).toEqual(all.slice(0, 3));
    const unknown = await get(token, THREAD_IDS.functionEra, { before: '999999' });
    expect([unknown.status, unknown.json]).toEqual([404, { detail: 'Message not found' }]);
  });

  it('logs and counts every fallback with the thread id, never the message text', async () => {
    const info = vi.spyOn(logger, 'info');
    const recorded: [string, string][] = [];
    const single = vi.spyOn(metrics, 'singleMetric').mockImplementation(() => {
      const dims: Record<string, string> = {};
      return {
        addDimension: (k: string, v: string) => {
          dims[k] = v;
        },
        addMetric: (name: string) => {
          recorded.push([name, dims.operation!]);
        },
      } as unknown as ReturnType<typeof metrics.singleMetric>;
    });
    try {
      const { user, token, rows } = await userWithLegacyThreads();
      await get(token, rows.ids.plain);
      await call(listThreads, { token });
      await rename(token, rows.ids.claude, 'Patience');
      await share(token, rows.ids.openai);
      await del(token, rows.ids.debris);
      await readShare(SHARE_IDS.plain);
      await legacyThreadStore.copyToMongo(user, rows.ids.interrupted);
      const calls = info.mock.calls.filter(([msg]) => msg === 'legacy fallback').map(([, fields]) => fields as Record<string, unknown>);
      expect(calls).toEqual([
        { operation: 'get', threadId: rows.ids.plain },
        { operation: 'list', threadCount: 6, threadIds: expect.arrayContaining(Object.values(rows.ids)) },
        { operation: 'rename', threadId: rows.ids.claude },
        { operation: 'get', threadId: rows.ids.openai },
        { operation: 'delete', threadId: rows.ids.debris },
        { operation: 'share-read', shareRef: shareRef(SHARE_IDS.plain), messages: 4 },
        { operation: 'copy', threadId: rows.ids.interrupted, copied: true, messages: 4 },
      ]);
      expect(JSON.stringify(calls)).not.toMatch(/zakat|Quran|patience/i);
      // A share id opens the public link: it never goes into logs.
      expect(JSON.stringify(calls)).not.toContain(SHARE_IDS.plain);
      expect(recorded).toEqual([
        ['LegacyFallbacks', 'get'],
        ['LegacyFallbacks', 'list'],
        ['LegacyFallbacks', 'rename'],
        ['LegacyFallbacks', 'get'],
        ['LegacyFallbacks', 'delete'],
        ['LegacyFallbacks', 'share-read'],
        ['LegacyFallbacks', 'copy'],
      ]);
    } finally {
      info.mockRestore();
      single.mockRestore();
    }
  });
});

describe('ownership of legacy threads', () => {
  it('hides another user’s legacy thread: 404 on get, rename, delete and share; absent from the list', async () => {
    const token = await tokenFor(newUser());
    for (const res of [
      await get(token, THREAD_IDS.other),
      await rename(token, THREAD_IDS.other, 'mine now'),
      await del(token, THREAD_IDS.other),
      await share(token, THREAD_IDS.other),
    ]) {
      expect([res.status, res.json]).toEqual([404, { detail: 'Thread not found' }]);
    }
    expect((await call(listThreads, { token })).json).toEqual([]);
    // The dev user (who owns other legacy threads) does not see it either; its owner does.
    const dev = (await call(listThreads, { token: await tokenFor(DEV_USER_ID) })).json as { thread_id: string }[];
    expect(dev.map((t) => t.thread_id)).not.toContain(THREAD_IDS.other);
    const owner = (await call(listThreads, { token: await tokenFor(OTHER_USER_ID) })).json as { thread_id: string }[];
    expect(owner.map((t) => t.thread_id)).toEqual([THREAD_IDS.other]);
    expect(await sqlCounts(THREAD_IDS.other)).toEqual({ t: 1, m: 2, f: 0, name: 'Greetings' });
    await expect(threadForAppend(newUser(), THREAD_IDS.other)).rejects.toThrow('Thread not found');
    expect(await (await threadsCollection()).countDocuments({ thread_id: THREAD_IDS.other })).toBe(0);
  });
});

describe('GET /api/v3/threads with legacy threads', () => {
  it('merges both stores in one order, ties broken by thread_id across stores, sub-millisecond SQL times cut', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    await insertLegacyRows(query, { users: [legacyUser(user)] });
    const base = Date.UTC(2025, 5, 1, 12, 0, 0, 0);
    const idAt = (prefix: string) => `${prefix}${randomUUID().slice(2)}`;
    // Same millisecond in both stores: order by thread_id desc across stores.
    const tie = new Date(base + 5000);
    const legacyIds = [idAt('a1'), idAt('c3'), idAt('e5')];
    const mongoIds = [idAt('b2'), idAt('d4')];
    for (const id of legacyIds) {
      const t = plainThread(user, tie, { id });
      await insertLegacyRows(query, { threads: [t.thread], messages: t.messages });
    }
    for (const id of mongoIds) await insertMongoThread(user, tie, id);
    // Interleaved times; one SQL time with microseconds (.123456 is listed as .123).
    const older = plainThread(user, new Date(base + 1000));
    const newer = plainThread(user, new Date(base + 9000));
    await insertLegacyRows(query, { threads: [older.thread, newer.thread], messages: [...older.messages, ...newer.messages] });
    await db.query(`UPDATE threads SET updated_at = '2025-06-01 12:00:07.123456' WHERE id = $1`, [older.thread.id]);
    const m1 = await insertMongoThread(user, new Date(base + 8000));
    const m2 = await insertMongoThread(user, new Date(base));
    const expected = [
      [newer.thread.id, 'legacy', '2025-06-01T12:00:09.000Z'],
      [m1, 'mongodb', '2025-06-01T12:00:08.000Z'],
      [older.thread.id, 'legacy', '2025-06-01T12:00:07.123Z'],
      ...[...legacyIds.map((id) => [id, 'legacy']), ...mongoIds.map((id) => [id, 'mongodb'])]
        .sort((a, b) => (a[0]! < b[0]! ? 1 : -1))
        .map(([id, s]) => [id, s, '2025-06-01T12:00:05.000Z']),
      [m2, 'mongodb', '2025-06-01T12:00:00.000Z'],
    ];
    const res = await call(listThreads, { token });
    expect(res.json.map((t: { thread_id: string; storage: string; updated_at: string }) => [t.thread_id, t.storage, t.updated_at])).toEqual(
      expected,
    );
    expect(res.json[0]).toEqual({
      thread_id: newer.thread.id,
      thread_name: newer.thread.name,
      created_at: newer.thread.created_at.toISOString(),
      updated_at: '2025-06-01T12:00:09.000Z',
      initial_source: 'web',
      storage: 'legacy',
    });
    // Every page size: each thread exactly once, in the same order, cursors crossing from one store to the other.
    for (const limit of [1, 2, 3, 4, 9, 10]) {
      const paged = await listAll(token, limit);
      expect(paged.map((t) => t.thread_id)).toEqual(expected.map((e) => e[0]));
    }
  });

  it('never lists a thread twice once it has a MongoDB copy, reading past copied rows to fill a page', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    await insertLegacyRows(query, { users: [legacyUser(user)] });
    const base = Date.UTC(2025, 7, 1);
    const legacyThreads = Array.from({ length: 70 }, (_, i) => plainThread(user, new Date(base + i * 1000)));
    await insertLegacyRows(query, { threads: legacyThreads.map((t) => t.thread), messages: legacyThreads.flatMap((t) => t.messages) });
    const mongoOnly = [await insertMongoThread(user, new Date(base + 30_500)), await insertMongoThread(user, new Date(base - 1000))];
    // The 60 newest legacy threads are copied and written to (as adding a message does): their MongoDB copies move
    // to the top of the list while the SQL originals keep their old places, where they must not show up again.
    const copied = legacyThreads.slice(10).map((t) => t.thread.id);
    for (const [i, id] of copied.entries()) {
      expect(await threadForAppend(user, id)).toMatchObject({ thread_id: id, storage: 'mongodb' });
      const at = new Date(base + 1_000_000 + i * 1000);
      await mongoThreadStore.appendMessages(
        user,
        id,
        [{ id: randomUUID(), role: 'user', content: [{ type: 'text', text: 'more' }], created_at: at }],
        at,
      );
    }
    const full = await listAll(token);
    expect(full.map((t) => [t.thread_id, t.storage])).toEqual([
      ...[...copied].reverse().map((id) => [id, 'mongodb']),
      [mongoOnly[0], 'mongodb'],
      ...legacyThreads
        .slice(0, 10)
        .reverse()
        .map((t) => [t.thread.id, 'legacy']),
      [mongoOnly[1], 'mongodb'],
    ]);
    for (const limit of [1, 5, 7, 50, 71, 72, 500]) {
      const paged = await listAll(token, limit);
      expect(paged.map((t) => [t.thread_id, t.storage])).toEqual(full.map((t) => [t.thread_id, t.storage]));
    }
    // The page after the copies: the legacy store skips 60 copied rows (two SQL batches) to fill it.
    const { encodeCursor } = await import('#lib/threads/cursor.js');
    const last = full[59]!;
    const page = await call(listThreads, {
      token,
      query: { limit: '11', cursor: encodeCursor({ updatedAt: new Date(last.updated_at), threadId: last.thread_id }) },
    });
    expect(page.json.map((t: { thread_id: string }) => t.thread_id)).toEqual(full.slice(60, 71).map((t) => t.thread_id));
    expect(page.headers['x-next-cursor']).toBeDefined();
  });
});

describe('rename, delete and share of legacy threads', () => {
  it('renames a legacy thread in SQL (trimmed, cut to 100 characters) without moving it', async () => {
    const { token, rows } = await userWithLegacyThreads();
    const id = rows.ids.claude;
    const res = await rename(token, id, `  ${'é'.repeat(120)}  `);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      thread_id: id,
      thread_name: 'é'.repeat(100),
      created_at: rows.threads.find((t) => t.id === id)!.created_at.toISOString(),
      updated_at: rows.threads.find((t) => t.id === id)!.updated_at.toISOString(),
      initial_source: 'web',
      storage: 'legacy',
    });
    expect((await sqlCounts(id)).name).toBe('é'.repeat(100));
    expect((await get(token, id)).json.thread_name).toBe('é'.repeat(100));
    expect(await (await threadsCollection()).countDocuments({ thread_id: id })).toBe(0);
  });

  it('deletes a legacy thread with its messages and feedback; then it is 404 everywhere', async () => {
    const { token, rows } = await userWithLegacyThreads();
    const id = rows.ids.openai;
    expect(await sqlCounts(id)).toMatchObject({ t: 1, m: 7, f: 1 });
    const res = await del(token, id);
    expect([res.status, res.body]).toEqual([204, '']);
    expect(await sqlCounts(id)).toEqual({ t: 0, m: 0, f: 0, name: null });
    expect((await get(token, id)).status).toBe(404);
    expect((await del(token, id)).status).toBe(404);
    expect((await call(listThreads, { token })).json.map((t: { thread_id: string }) => t.thread_id)).not.toContain(id);
  });

  it('deletes feedback of another thread that points at one of the thread’s messages (no cascade on message_id)', async () => {
    const { user, token, rows } = await userWithLegacyThreads();
    const target = rows.ids.plain;
    const msg = rows.messages.find((m) => m.thread_id === target)!.id;
    await db.query(`INSERT INTO feedback (user_id, thread_id, message_id, class) VALUES ($1, $2, $3, 'redflag')`, [
      user,
      rows.ids.claude,
      msg,
    ]);
    expect((await del(token, target)).status).toBe(204);
    expect(await sqlCounts(target)).toEqual({ t: 0, m: 0, f: 0, name: null });
  });

  it('deletes both the MongoDB copy and the SQL thread of a copied legacy thread', async () => {
    const { user, token, rows } = await userWithLegacyThreads();
    const id = rows.ids.debris;
    await threadForAppend(user, id);
    expect((await get(token, id)).json.storage).toBe('mongodb');
    expect((await del(token, id)).status).toBe(204);
    expect(await (await threadsCollection()).countDocuments({ thread_id: id })).toBe(0);
    expect((await sqlCounts(id)).t).toBe(0);
    expect((await get(token, id)).status).toBe(404);
  });

  it('shares a legacy thread: a frozen snapshot of the converted messages', async () => {
    const { token, rows } = await userWithLegacyThreads();
    const id = rows.ids.plain;
    const created = await share(token, id);
    expect(created.status).toBe(201);
    const thread = (await get(token, id)).json;
    await rename(token, id, 'Renamed later');
    const res = await readShare(created.json.share_id);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      share_id: created.json.share_id,
      thread_name: 'What is zakat?',
      created_at: created.json.created_at,
      expires_at: null,
      // Private feedback stays out of the public snapshot.
      messages: thread.messages.map(({ feedback: _f, ...m }: { feedback?: unknown }) => m),
    });
    expect(res.body).not.toContain('user_id');
    expect(res.body).not.toContain('feedback');
  });
});

describe('GET /api/v3/share/{share_id} for a legacy share', () => {
  it('serves the SQL share as block messages, times from the message rows, with cache headers', async () => {
    const res = await readShare(SHARE_IDS.plain);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      share_id: SHARE_IDS.plain,
      thread_name: 'What is zakat?',
      created_at: null,
      expires_at: null,
      messages: [
        { id: '101', role: 'user', content: [{ type: 'text', text: 'What is zakat?' }], created_at: '2024-11-04T10:00:00.000Z' },
        {
          id: '102',
          role: 'assistant',
          content: [{ type: 'text', text: 'Zakat is the obligatory annual alms, one of the five pillars of Islam.' }],
          created_at: '2024-11-04T10:00:05.000Z',
        },
        { id: '103', role: 'user', content: [{ type: 'text', text: 'Who must pay it?' }], created_at: '2024-11-04T10:02:00.000Z' },
        {
          id: '104',
          role: 'assistant',
          content: [{ type: 'text', text: 'Every adult Muslim whose wealth reaches the nisab for a full lunar year must pay zakat.' }],
          created_at: '2024-11-04T10:02:06.000Z',
        },
      ],
    });
    expect(res.headers['cache-control']).toBe('public, max-age=60, must-revalidate');
    const upper = await readShare(SHARE_IDS.claude.toUpperCase(), { format: 'text' });
    expect(upper.status).toBe(200);
    expect(upper.json.messages.map((m: { id: string; content: string }) => [m.id, typeof m.content])).toEqual([
      ['401', 'string'],
      ['404', 'string'],
    ]);
  });

  it('is 404 for an unknown UUID and for a share whose content is not a share document', async () => {
    const broken = randomUUID();
    await db.query('INSERT INTO share (id, content) VALUES ($1, $2)', [broken, 'not json']);
    for (const id of [randomUUID(), broken]) {
      const res = await readShare(id);
      expect([res.status, res.json, res.headers['cache-control']]).toEqual([404, { detail: 'Share not found' }, 'no-store']);
    }
  });
});

describe('adding to a legacy thread: copy into MongoDB first', () => {
  it('makes one copy under the same thread_id when requests race, and keeps every appended message', async () => {
    const { user, token, rows } = await userWithLegacyThreads();
    const id = rows.ids.claude;
    const legacyView = (await get(token, id)).json;
    const appended = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const thread = await threadForAppend(user, id);
        expect(thread).toMatchObject({ thread_id: id, storage: 'mongodb' });
        const m = { id: randomUUID(), role: 'user' as const, content: [{ type: 'text', text: `racer ${i}` }], created_at: new Date() };
        expect(await mongoThreadStore.appendMessages(user, id, [m], new Date())).toBe(true);
        return m.id;
      }),
    );
    const docs = await (await threadsCollection()).find({ thread_id: id }).toArray();
    expect(docs).toHaveLength(1);
    const doc = docs[0]!;
    expect(doc).toMatchObject({
      user_id: user,
      name: legacyView.thread_name,
      initial_source: 'web',
      origin: { store: 'legacy', by: 'write' },
    });
    expect(doc.created_at.toISOString()).toBe(legacyView.created_at);
    const ids = doc.messages.map((m) => m.id);
    expect(ids.slice(0, legacyView.messages.length)).toEqual(legacyView.messages.map((m: { id: string }) => m.id));
    expect(ids.slice(legacyView.messages.length).sort()).toEqual([...appended].sort());
    const now = (await get(token, id)).json;
    expect(now.storage).toBe('mongodb');
    expect(now.messages.slice(0, legacyView.messages.length)).toEqual(legacyView.messages);
    // The SQL thread is left as it was.
    expect((await sqlCounts(id)).m).toBe(rows.messages.filter((m) => m.thread_id === id).length);
  });

  it('gives the request that loses the copy race the winning copy as it is now, not its own stale one', async () => {
    const { user, rows } = await userWithLegacyThreads();
    const id = rows.ids.claude;
    const { Collection } = await import('mongodb');
    const threadsName = (await threadsCollection()).collectionName;
    const insertOne = Collection.prototype.insertOne;
    const appended = {
      id: randomUUID(),
      role: 'user' as const,
      content: [{ type: 'text', text: 'written to the winning copy' }],
      created_at: new Date(),
    };
    let raced = false;
    // Just before this request's insert, another request's copy lands and is appended to.
    const spy = vi.spyOn(Collection.prototype, 'insertOne').mockImplementation(async function (
      this: InstanceType<typeof Collection>,
      doc,
      options,
    ) {
      if (!raced && this.collectionName === threadsName && (doc as { thread_id?: string }).thread_id === id) {
        raced = true;
        const { _id: _ignored, ...winner } = doc as Record<string, unknown>;
        await insertOne.call(this, { ...winner, messages: [...(winner.messages as unknown[]), appended] } as never);
      }
      return insertOne.call(this, doc, options);
    } as typeof insertOne);
    let copy;
    try {
      copy = await legacyThreadStore.copyToMongo(user, id);
    } finally {
      spy.mockRestore();
    }
    expect(raced).toBe(true);
    expect(copy!.messages.at(-1)).toEqual(appended);
    expect(copy).toEqual(await mongoThreadStore.get(user, id));
    expect(await (await threadsCollection()).countDocuments({ thread_id: id })).toBe(1);
  });

  it('returns the existing copy to concurrent copyToMongo calls', async () => {
    const { user, rows } = await userWithLegacyThreads();
    const id = rows.ids.openai;
    const copies = await Promise.all(Array.from({ length: 4 }, () => legacyThreadStore.copyToMongo(user, id)));
    for (const c of copies) expect(c).toMatchObject({ thread_id: id, storage: 'mongodb', has_more: false });
    expect(new Set(copies.map((c) => JSON.stringify(c!.messages))).size).toBe(1);
    expect(await (await threadsCollection()).countDocuments({ thread_id: id })).toBe(1);
    expect(await legacyThreadStore.copyToMongo(newUser(), rows.ids.plain)).toBeNull();
  });
});

describe('scripts/legacy/indexes.sql', () => {
  it('creates indexes the legacy queries use (list order, the migration walk, messages of a thread, feedback of a message)', async () => {
    const { readFile } = await import('node:fs/promises');
    const { selectThreads, selectMessages } = await import('#lib/legacy/queries.js');
    const sql = await readFile(new URL('../../scripts/legacy/indexes.sql', import.meta.url), 'utf8');
    const statements = sql
      .split(';')
      .map((s) => s.replace(/--.*$/gm, '').trim())
      .filter(Boolean);
    expect(statements).toHaveLength(4);
    for (const s of statements) {
      await db.query(s);
      await db.query(s); // re-runnable
    }
    // The plans of the real statements, with sequential and bitmap scans priced out: on a big table only an ordered
    // index scan answers a LIMIT cheaply (on this small one the planner may sort a few rows instead).
    const plans: string[] = [];
    const explain = {
      query: async (text: string, params?: unknown[]) => {
        const res = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, params);
        plans.push(res.rows.map((r) => r['QUERY PLAN']).join('\n'));
        return { rows: [], rowCount: 0 };
      },
    } as never;
    await db.query('ANALYZE threads');
    await db.query('SET enable_seqscan = off');
    await db.query('SET enable_bitmapscan = off');
    try {
      await selectThreads(explain, { userId: DEV_USER_ID, limit: 10, after: { updatedAt: new Date(), threadId: randomUUID() } });
      await selectMessages(explain, [THREAD_IDS.plain]);
      // The migration's batches: every user's threads by keyset, and its --since scope.
      await selectThreads(explain, { limit: 100, after: { updatedAt: new Date(), threadId: randomUUID() } });
      await selectThreads(explain, { limit: 100, since: new Date('2025-01-01T00:00:00Z') });
    } finally {
      await db.query('RESET enable_seqscan');
      await db.query('RESET enable_bitmapscan');
    }
    expect(plans[0]).toContain('idx_threads_user_list');
    expect(plans[0]).not.toMatch(/Sort/);
    expect(plans[1]).toContain('idx_messages_thread_id');
    expect(plans[1]).toContain('idx_feedback_message_id');
    for (const plan of plans.slice(2)) {
      expect(plan).toContain('idx_threads_list');
      expect(plan).not.toMatch(/Sort|Seq Scan/);
    }
  });
});
