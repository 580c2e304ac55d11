/**
 * DELETE /api/v3/threads (erase a person's data) against the real stores: the MongoDB test server and a real
 * PostgreSQL (PGlite over the pg driver) holding legacy threads and shares. Two users with every kind of data; one
 * erases; both databases are read back: the caller's data is gone, the other user's is exactly as it was.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Message } from '#lib/blocks/types.js';
import { cloneSeedThreads, plainThread } from '#scripts/legacy/synthetic.js';
import { insertLegacyRows, type LegacyRows } from '#scripts/legacy/seed-data.js';
import { hybridStores } from '#test/support/hybrid.js';
import { newUser, tokenFor } from '#support/auth.js';
import { call, callStreaming } from '#support/lambda.js';

const { legacy, query } = await hybridStores('erase');
// Small documents, so a few appends make overflow chunks.
process.env.MAX_THREAD_DOC_BYTES = String(64 * 1024);

const { handler: eraseThreads } = await import('#functions/erase-threads.js');
const { handler: createThread } = await import('#functions/create-thread.js');
const { handler: addMessage } = await import('#functions/add-message.js');
const { handler: listThreads } = await import('#functions/list-threads.js');
const { handler: getThread } = await import('#functions/get-thread.js');
const { handler: shareThread } = await import('#functions/share-thread.js');
const { handler: getShare } = await import('#functions/get-share.js');
const { getDb } = await import('#lib/db/mongo.js');
const { windowsOf } = await import('#lib/db/rate-limits.js');
const { observed } = await import('#test/support/observed.js');
const { mongoThreadStore, threadsCollection } = await import('#lib/threads/mongo-store.js');
const { threadForAppend } = await import('#lib/services/threads.js');
const { eraseUserData, countUserData, ERASE_MAX_THREADS } = await import('#lib/services/account.js');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const erase = (token: string) => call(eraseThreads, { method: 'DELETE', token, path: '/api/v3/threads', resource: '/api/v3/threads' });
const threadPath = (id: string) => ({
  path: `/api/v3/threads/${id}`,
  resource: '/api/v3/threads/{thread_id}',
  pathParameters: { thread_id: id },
});
const sharePath = (id: string) => ({ path: `/api/v3/share/${id}`, resource: '/api/v3/share/{id}', pathParameters: { id } });

const bigMessage = (i: number): Message => ({
  id: randomUUID(),
  role: i % 2 ? 'assistant' : 'user',
  content: [{ type: 'text', text: `${i}: ${'ب'.repeat(10 * 512)}` }],
  created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
});

/** The JSON text the old backend stored in `share.content` (Python's json.dumps spacing), naming these message rows. */
const pythonShare = (name: string, rows: { id: number; role: string; content: string }[]) =>
  `{"thread_name": ${JSON.stringify(name)}, "messages": [${rows
    .map((r) => `{"id": ${r.id}, "role": "${r.role}", "content": ${JSON.stringify(r.content)}}`)
    .join(', ')}]}`;

interface Person {
  user: string;
  token: string;
  legacyRows: ReturnType<typeof cloneSeedThreads>;
  mongoThreads: string[];
  longThread: string;
  copiedLegacyThread: string;
  shares: string[];
  legacyShares: string[];
}

/**
 * A user with everything the service can hold of them: MongoDB threads (one long enough for overflow chunks, one
 * holding a reply lease), legacy threads with feedback in SQL, one copied into MongoDB, shares of both kinds,
 * legacy share rows (in both JSON spacings), a migrated copy of a legacy share, rate-limit counters.
 */
async function person(): Promise<Person> {
  const user = newUser();
  const token = await tokenFor(user);
  const legacyRows = cloneSeedThreads(user);
  await insertLegacyRows(query, legacyRows);
  const plainRows = legacyRows.messages.filter((m) => m.thread_id === legacyRows.ids.plain);
  const claudeRows = legacyRows.messages.filter((m) => m.thread_id === legacyRows.ids.claude);
  const legacyShares = [randomUUID(), randomUUID(), randomUUID()];
  await insertLegacyRows(query, {
    shares: [
      { id: legacyShares[0]!, content: pythonShare('What is zakat?', plainRows) },
      {
        id: legacyShares[1]!,
        content: JSON.stringify({ thread_name: 'Patience', messages: claudeRows.map(({ id, role }) => ({ id, role, content: 'x' })) }),
      },
      // A share of a thread deleted long ago: no message row names its owner, only the migrated copy below does.
      {
        id: legacyShares[2]!,
        content: pythonShare('Gone', [{ id: 987_000_000 + Math.floor(Math.random() * 999_999), role: 'user', content: 'q' }]),
      },
    ],
  });

  const mongoThreads: string[] = [];
  for (let i = 0; i < 3; i++) {
    const created = await call(createThread, { method: 'POST', token, body: { name: `Thread ${i}` } });
    expect(created.status).toBe(201);
    const id = created.json.thread_id as string;
    const added = await callStreaming(addMessage, {
      method: 'POST',
      token,
      ...threadPath(id),
      body: { role: 'user', content: `Question ${i}`, respond: false },
    });
    expect(added.status).toBe(201);
    mongoThreads.push(id);
  }
  const longThread = (await call(createThread, { method: 'POST', token, body: { name: 'Long' } })).json.thread_id as string;
  for (let i = 0; i < 16; i++) expect(await mongoThreadStore.appendMessages(user, longThread, [bigMessage(i)], new Date())).toBe(true);
  // A reply holding the lease of a thread (its `reply` field).
  expect(
    await mongoThreadStore.appendMessages(user, mongoThreads[0]!, [bigMessage(99)], new Date(), {
      lease: { id: randomUUID(), until: new Date(Date.now() + 60_000) },
    }),
  ).toBe(true);
  const copiedLegacyThread = legacyRows.ids.openai;
  await threadForAppend(user, copiedLegacyThread);

  const shares: string[] = [];
  for (const id of [mongoThreads[1]!, longThread, legacyRows.ids.debris]) {
    const res = await call(shareThread, { method: 'POST', token, ...sharePath(id) });
    expect(res.status).toBe(201);
    shares.push(res.json.share_id as string);
  }
  // The migration's copy of a legacy share: the SQL row's UUID, the owner's user_id.
  const db = await getDb();
  await db.collection('shared_threads').insertOne({
    share_id: legacyShares[2],
    thread_id: randomUUID(),
    user_id: user,
    created_at: new Date(),
    expires_at: null,
    snapshot: { thread_name: 'Gone', initial_source: 'web', created_at: new Date(), updated_at: new Date(), messages: [] },
  });
  return { user, token, legacyRows, mongoThreads, longThread, copiedLegacyThread, shares, legacyShares };
}

/** Everything both databases hold of a user, read directly (documents and rows, ids and contents). */
async function stored(user: string, legacyShareIds: string[]) {
  const db = await getDb();
  const find = (collection: string) =>
    db
      .collection(collection)
      .find({ user_id: user }, { projection: { _id: 0 } })
      .sort({ thread_id: 1, seq: 1, share_id: 1, expires_at: 1 })
      .toArray();
  const rows = async (sql: string) => (await legacy.db.query(sql, [user])).rows;
  return {
    threads: await find('threads'),
    chunks: await find('thread_message_chunks'),
    shares: await find('shared_threads'),
    // Rate-limit windows live in the threads collection, found by their _id range (lib/db/rate-limits.ts).
    counters: await db
      .collection('threads')
      .find(windowsOf(user), { projection: { _id: 0 } })
      .toArray(),
    sqlThreads: await rows('SELECT * FROM threads WHERE user_id = $1 ORDER BY id'),
    sqlMessages: await rows('SELECT * FROM messages WHERE user_id = $1 ORDER BY id'),
    sqlFeedback: await rows('SELECT * FROM feedback WHERE user_id = $1 ORDER BY id'),
    sqlShares: (await legacy.db.query('SELECT * FROM share WHERE id = ANY($1::uuid[]) ORDER BY id', [legacyShareIds])).rows,
  };
}

/** What the API shows a user: the list, every thread whole, every share. */
async function visible(p: Person) {
  const list = await call(listThreads, { token: p.token });
  const threads = [];
  for (const t of list.json as { thread_id: string }[])
    threads.push((await call(getThread, { token: p.token, ...threadPath(t.thread_id) })).json);
  const shares = [];
  for (const id of [...p.shares, ...p.legacyShares]) {
    const res = await call(getShare, sharePath(id));
    shares.push({ id, status: res.status, body: res.json });
  }
  return { list: list.json, threads, shares };
}

describe('DELETE /api/v3/threads', () => {
  it('removes exactly the caller’s threads, chunks, shares, counters and leases from both stores, and nothing of another user’s', async () => {
    const [a, b] = [await person(), await person()];
    // A legacy share naming messages of both users' threads is neither's alone: it stays.
    const mixed = randomUUID();
    const aRow = a.legacyRows.messages[0]!;
    const bRow = b.legacyRows.messages[0]!;
    await insertLegacyRows(query, { shares: [{ id: mixed, content: pythonShare('Mixed', [aRow, bRow]) }] });

    const aBefore = await stored(a.user, a.legacyShares);
    expect(aBefore.chunks.length).toBeGreaterThan(0);
    expect(aBefore.counters.length).toBeGreaterThan(0);
    expect(aBefore.threads.some((t) => t.reply)).toBe(true);
    expect(aBefore.sqlFeedback.length).toBeGreaterThan(0);
    expect(aBefore.sqlShares).toHaveLength(3);
    const bStored = await stored(b.user, b.legacyShares);
    const bVisible = await visible(b);
    expect(bVisible.shares.every((s) => s.status === 200)).toBe(true);
    const counts = await countUserData(a.user);

    const { result: res, logs, emf } = await observed(() => erase(a.token));
    expect(res.status).toBe(200);
    const legacyThreads = a.legacyRows.threads.length;
    // Logged with the user's hash and the counts, never the id or any content; one EMF record with its dimension.
    const { userRef } = await import('#lib/observability.js');
    const line = logs.find(([message]) => message === 'erase')![1];
    expect(line).toEqual({ user: userRef(a.user), via: 'api', complete: true, deleted: res.json.deleted, durationMs: expect.any(Number) });
    expect(JSON.stringify(logs)).not.toContain(a.user);
    const record = emf.find((r) => 'EraseCalls' in r);
    expect(record).toMatchObject({
      via: 'api',
      EraseCalls: 1,
      ErasedThreads: res.json.deleted.threads + res.json.deleted.legacy_threads,
      ErasedShares: 7,
      ErasedOverflowChunks: aBefore.chunks.length,
    });
    expect(record._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'via']]);
    expect(res.json).toEqual({
      complete: true,
      deleted: {
        threads: 3 + 1 + 1, // three threads, the long one, the copy of a legacy thread
        overflow_chunks: aBefore.chunks.length,
        shares: 4, // three made through the API, the migrated copy
        legacy_threads: legacyThreads,
        legacy_messages: a.legacyRows.messages.length,
        legacy_shares: 3,
        rate_limit_counters: expect.any(Number),
      },
    });
    // Its counters, and a window's new one should this call have opened it.
    expect(res.json.deleted.rate_limit_counters).toBeGreaterThanOrEqual(aBefore.counters.length);
    // The dry run counted the same (the erase call's own counters aside).
    expect({ ...counts, rate_limit_counters: 0 }).toEqual({ ...res.json.deleted, rate_limit_counters: 0 });

    const aAfter = await stored(a.user, a.legacyShares);
    expect(aAfter).toEqual({
      threads: [],
      chunks: [],
      shares: [],
      counters: [],
      sqlThreads: [],
      sqlMessages: [],
      sqlFeedback: [],
      sqlShares: [],
    });
    expect((await call(listThreads, { token: a.token })).json).toEqual([]);
    for (const id of [...a.shares, ...a.legacyShares]) {
      const read = await call(getShare, sharePath(id));
      expect(read.status).toBe(404);
      expect(read.json).toEqual({ detail: 'Share not found' });
    }
    for (const id of [...a.mongoThreads, a.longThread, a.copiedLegacyThread, a.legacyRows.ids.claude]) {
      expect((await call(getThread, { token: a.token, ...threadPath(id) })).status).toBe(404);
    }

    // The other user: every document and row as it was, and the API shows the same.
    expect(await stored(b.user, b.legacyShares)).toEqual(bStored);
    expect(await visible(b)).toEqual(bVisible);
    expect((await legacy.db.query('SELECT id FROM share WHERE id = $1', [mixed])).rows).toHaveLength(1);
  });

  it('is idempotent: a second call removes nothing more and still answers 200 complete', async () => {
    const a = await person();
    const b = await person();
    const bStored = await stored(b.user, b.legacyShares);
    expect((await erase(a.token)).json.complete).toBe(true);
    const again = await erase(a.token);
    expect(again.status).toBe(200);
    // Only the counter this very call took (the write limit counts it: one document for its minute and day) is removed.
    expect(again.json).toEqual({
      complete: true,
      deleted: {
        threads: 0,
        overflow_chunks: 0,
        shares: 0,
        legacy_threads: 0,
        legacy_messages: 0,
        legacy_shares: 0,
        rate_limit_counters: 1,
      },
    });
    expect(await stored(a.user, a.legacyShares)).toMatchObject({ threads: [], chunks: [], shares: [], counters: [], sqlThreads: [] });
    expect(await stored(b.user, b.legacyShares)).toEqual(bStored);
  });

  it('continues where a call cut short stopped, and a user with thousands of threads is cleared in bounded calls', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    const col = await threadsCollection();
    const total = ERASE_MAX_THREADS + 150;
    const docs = Array.from({ length: total }, (_, i) => ({
      thread_id: randomUUID(),
      name: `t${i}`,
      user_id: user,
      initial_source: 'web' as const,
      created_at: new Date(),
      updated_at: new Date(Date.now() - i),
      metadata: {},
      messages: [bigMessage(i)],
    }));
    for (let i = 0; i < docs.length; i += 500) await col.insertMany(docs.slice(i, i + 500));
    const legacyRows: LegacyRows = { users: cloneSeedThreads(user).users, threads: [], messages: [] };
    for (let i = 0; i < 40; i++) {
      const t = plainThread(user, new Date(Date.UTC(2024, 0, 1, 0, i)), { turns: 2 });
      legacyRows.threads!.push(t.thread);
      legacyRows.messages!.push(...t.messages);
    }
    await insertLegacyRows(query, legacyRows);
    const other = await person();
    const otherStored = await stored(other.user, other.legacyShares);

    // Cut short before any thread went (as a timeout would): the shares went, the rest is for the next call.
    const cut = await eraseUserData(user, { via: 'api', timeLimitMs: 0 });
    expect(cut).toMatchObject({ complete: false, deleted: { threads: 0, legacy_threads: 0 } });

    const first = await erase(token);
    expect(first.status).toBe(200);
    expect(first.json.complete).toBe(false);
    expect(first.json.deleted.threads + first.json.deleted.legacy_threads).toBe(ERASE_MAX_THREADS);
    expect(first.json.deleted.legacy_threads).toBe(40); // the legacy store goes first in each round
    const second = await erase(token);
    expect(second.json.complete).toBe(true);
    expect(first.json.deleted.threads + second.json.deleted.threads).toBe(total);
    expect(await col.countDocuments({ user_id: user })).toBe(0);
    expect((await legacy.db.query('SELECT COUNT(*)::int AS n FROM threads WHERE user_id = $1', [user])).rows).toEqual([{ n: 0 }]);
    expect(await stored(other.user, other.legacyShares)).toEqual(otherStored);
  });

  it('takes the user from the token only: no token is a 401 and removes nothing', async () => {
    const a = await person();
    const before = await stored(a.user, a.legacyShares);
    const res = await call(eraseThreads, {
      method: 'DELETE',
      path: '/api/v3/threads',
      resource: '/api/v3/threads',
      body: { user_id: a.user },
    });
    expect(res.status).toBe(401);
    expect(await stored(a.user, a.legacyShares)).toEqual(before);
  });
});

describe('npm run purge-user (scripts/purge-user.ts)', () => {
  const run = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(path.join(ROOT, 'node_modules/.bin/tsx'), ['scripts/purge-user.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: 'ERROR' },
        timeout: 120_000,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('counts with --dry-run and removes nothing; then removes the same from both stores and prints it', async () => {
    const a = await person();
    const b = await person();
    const before = await stored(a.user, a.legacyShares);
    const bStored = await stored(b.user, b.legacyShares);

    const dry = await run(a.user.toUpperCase(), '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`DRY RUN: would remove for user ${a.user}:`);
    expect(dry.stdout).toMatch(/\s5 {2}MongoDB threads/);
    expect(dry.stdout).toMatch(new RegExp(`\\s${a.legacyRows.threads.length} {2}legacy SQL threads`));
    expect(dry.stdout).toMatch(/\s3 {2}legacy SQL shares/);
    expect(await stored(a.user, a.legacyShares)).toEqual(before);

    const real = await run(a.user);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain(`removed for user ${a.user}:`);
    expect(real.stdout).toMatch(/\s5 {2}MongoDB threads/);
    expect(real.stdout).toMatch(/\s4 {2}MongoDB shares/);
    expect(await stored(a.user, a.legacyShares)).toEqual({
      threads: [],
      chunks: [],
      shares: [],
      counters: [],
      sqlThreads: [],
      sqlMessages: [],
      sqlFeedback: [],
      sqlShares: [],
    });
    expect(await stored(b.user, b.legacyShares)).toEqual(bStored);
  });

  it('refuses anything but one user id', async () => {
    expect((await run('not-a-uuid')).stderr).toContain('purge-user failed: not a user id (a UUID): not-a-uuid');
    expect((await run()).code).toBe(1);
  });
});
