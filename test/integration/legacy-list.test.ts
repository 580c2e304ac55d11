/**
 * The thread list while legacy threads move to MongoDB: no thread lost when the migration copies it between the two
 * stores' reads, one SQL query per list whatever the number of copied threads (none for a user the migration marked
 * fully copied), and the page cap of a list without `limit`. Real PostgreSQL (PGlite) and the MongoDB test server.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hybridStores } from '#test/support/hybrid.js';
import { insertLegacyRows } from '#scripts/legacy/seed-data.js';
import { legacyUser, plainThread } from '#scripts/legacy/synthetic.js';
import { newUser, tokenFor } from '#support/auth.js';
import { call } from '#support/lambda.js';

const { query } = await hybridStores('legacy_list');

const { handler: listThreads } = await import('#functions/list-threads.js');
const { getDb } = await import('#lib/db/mongo.js');
const { getLegacyPool } = await import('#lib/db/pg.js');
const { mongoThreadStore, threadsCollection } = await import('#lib/threads/mongo-store.js');
const { migrateLegacy } = await import('#scripts/ops/migrate/migrate.js');

afterEach(() => {
  vi.restoreAllMocks();
});

/** A user with `n` legacy threads, one second apart (the newest first in the returned ids). */
async function legacyUserWith(n: number, base = Date.UTC(2025, 0, 1)) {
  const user = newUser();
  await insertLegacyRows(query, { users: [legacyUser(user)] });
  const threads = Array.from({ length: n }, (_, i) => plainThread(user, new Date(base + i * 1000)));
  await insertLegacyRows(query, { threads: threads.map((t) => t.thread), messages: threads.flatMap((t) => t.messages) });
  return { user, token: await tokenFor(user), ids: threads.map((t) => t.thread.id).reverse() };
}

async function insertMongoThreads(user: string, n: number, base: number) {
  const docs = Array.from({ length: n }, (_, i) => ({
    thread_id: randomUUID(),
    name: `mongo ${i}`,
    user_id: user,
    initial_source: 'web' as const,
    created_at: new Date(base + i * 1000),
    updated_at: new Date(base + i * 1000),
    metadata: {},
    messages: [],
  }));
  await (await threadsCollection()).insertMany(docs);
  return docs.map((d) => d.thread_id).reverse();
}

/** Counts the SQL statements the legacy pool runs (the list's own; the test's setup goes through PGlite directly). */
function countSql() {
  const pool = getLegacyPool();
  const original = pool.query.bind(pool);
  const statements: string[] = [];
  vi.spyOn(pool, 'query').mockImplementation(((sql: unknown, ...rest: unknown[]) => {
    statements.push(typeof sql === 'string' ? sql : String((sql as { text?: string }).text));
    return (original as (...a: unknown[]) => unknown)(sql, ...rest);
  }) as never);
  return statements;
}

const list = async (token: string, q?: Record<string, string>) => {
  const res = await call(listThreads, { token, ...(q ? { query: q } : {}) });
  expect(res.status).toBe(200);
  return { ids: (res.json as { thread_id: string }[]).map((t) => t.thread_id), json: res.json, next: res.headers['x-next-cursor'] };
};

describe('GET /api/v3/threads while the migration copies threads', () => {
  it('keeps a thread the migration copies between the MongoDB read and the SQL read (injected there)', async () => {
    const { token, ids } = await legacyUserWith(12);
    const victim = ids[5]!;
    // Hold the list's SQL read until its MongoDB read has finished, then copy the thread: the MongoDB read missed
    // the copy, and the SQL row now has one.
    let mongoRead!: () => void;
    const mongoDone = new Promise<void>((resolve) => (mongoRead = resolve));
    const originalList = mongoThreadStore.list.bind(mongoThreadStore);
    vi.spyOn(mongoThreadStore, 'list').mockImplementation(async (...args) => {
      const out = await originalList(...args);
      mongoRead();
      return out;
    });
    const pool = getLegacyPool();
    const originalQuery = pool.query.bind(pool);
    let injected = false;
    vi.spyOn(pool, 'query').mockImplementation((async (sql: unknown, ...rest: unknown[]) => {
      if (!injected && typeof sql === 'string' && /FROM threads t/.test(sql) && /t\.user_id = /.test(sql)) {
        injected = true;
        await mongoDone;
        const copied = await migrateLegacy({ threadId: victim });
        expect(copied.inserted).toBe(1);
      }
      return (originalQuery as (...a: unknown[]) => unknown)(sql, ...rest);
    }) as never);
    const { ids: listed, json } = await list(token);
    expect(injected).toBe(true);
    expect(listed).toEqual(ids);
    expect(json.find((t: { thread_id: string }) => t.thread_id === victim).storage).toBe('mongodb');
  });

  it('issues one SQL query per list whatever the number of copied threads, none once the user is marked', async () => {
    const { user, token, ids } = await legacyUserWith(240);
    // Copies that moved up the list (written to through v3) leave gaps in the SQL order.
    for (const id of ids.slice(100, 130)) {
      const at = new Date(Date.UTC(2026, 0, 1) + ids.indexOf(id) * 1000);
      await migrateLegacy({ threadId: id });
      await mongoThreadStore.appendMessages(
        user,
        id,
        [{ id: randomUUID(), role: 'user', content: [{ type: 'text', text: 'more' }], created_at: at }],
        at,
      );
    }
    const expected = [...ids.slice(100, 130).reverse(), ...ids.slice(0, 100), ...ids.slice(130)];
    await migrateLegacy();
    const { MIGRATED_USERS } = await import('#lib/legacy/migrated-users.js');
    await (await getDb()).collection(MIGRATED_USERS).deleteMany({});

    const statements = countSql();
    const first = await list(token, { limit: '20' });
    expect(first.ids).toEqual(expected.slice(0, 20));
    expect(statements).toHaveLength(1);
    // Every page of the whole list: one SQL query each, every thread once, in order.
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      statements.length = 0;
      const page = await list(token, { limit: '25', ...(cursor ? { cursor } : {}) });
      expect(statements).toHaveLength(1);
      seen.push(...page.ids);
      cursor = page.next;
      pages++;
    } while (cursor && pages < 50);
    expect(seen).toEqual(expected);

    // Marked as fully copied (a settled mark): MongoDB alone answers.
    await (
      await getDb()
    )
      .collection<{ _id: string }>(MIGRATED_USERS)
      .insertOne({ _id: user, through: new Date(), marked_at: new Date(Date.now() - 3_600_000) } as never);
    statements.length = 0;
    const marked = await list(token, { limit: '20' });
    expect(marked.ids).toEqual(expected.slice(0, 20));
    expect(statements).toEqual([]);
    expect(marked.json.every((t: { storage: string }) => t.storage === 'mongodb')).toBe(true);
  });

  it('does not trust a mark younger than a minute (a list read racing the last copies still asks SQL)', async () => {
    const { user, token, ids } = await legacyUserWith(3);
    const { MIGRATED_USERS } = await import('#lib/legacy/migrated-users.js');
    await (
      await getDb()
    )
      .collection<{ _id: string }>(MIGRATED_USERS)
      .insertOne({ _id: user, through: new Date(), marked_at: new Date() } as never);
    const statements = countSql();
    expect((await list(token)).ids).toEqual(ids);
    expect(statements).toHaveLength(1);
  });
});

describe('GET /api/v3/threads without limit', () => {
  it('returns at most 1,000 threads, with X-Next-Cursor when more exist', async () => {
    const { user, token, ids: legacyIds } = await legacyUserWith(600, Date.UTC(2025, 0, 1));
    const mongoIds = await insertMongoThreads(user, 600, Date.UTC(2025, 0, 1, 0, 0, 0, 500));
    const all = legacyIds.flatMap((id, i) => [mongoIds[i]!, id]);
    const first = await list(token);
    expect(first.ids).toEqual(all.slice(0, 1000));
    expect(first.next).toBeDefined();
    const rest = await list(token, { cursor: first.next! });
    expect(rest.ids).toEqual(all.slice(1000));
    expect(rest.next).toBeUndefined();
  });
});
