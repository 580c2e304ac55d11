/**
 * Feedback and share management on legacy data, against a real PostgreSQL (PGlite, started for this file only, as
 * in legacy-hybrid.test.ts) and the MongoDB test server: feedback on a legacy message copies the thread into
 * MongoDB first (ids and old feedback kept), and legacy share ids are revoked everywhere they live.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLegacyDb } from '#support/legacy-dev-db.js';
import { insertLegacyRows, seedLegacy } from '#scripts/legacy/seed-data.js';
import { cloneSeedThreads } from '#scripts/legacy/synthetic.js';
import { newUser, tokenFor } from '#support/auth.js';
import { call, type CallOptions } from '#support/lambda.js';

const legacy = await startLegacyDb();
process.env.LEGACY_DATABASE_URL = legacy.url;
process.env.MONGODB_DB = `ansari_legacy_feedback_${process.pid}`;

const { handler: getThread } = await import('#functions/get-thread.js');
const { handler: setFeedback } = await import('#functions/set-feedback.js');
const { handler: deleteFeedback } = await import('#functions/delete-feedback.js');
const { handler: deleteThread } = await import('#functions/delete-thread.js');
const { handler: shareThread } = await import('#functions/share-thread.js');
const { handler: getShare } = await import('#functions/get-share.js');
const { handler: listShares } = await import('#functions/list-shares.js');
const { handler: revokeShare } = await import('#functions/revoke-share.js');
const { getDb, closeMongo } = await import('#lib/db/mongo.js');
const { ensureIndexes } = await import('#lib/db/indexes.js');
const { closeLegacyPool } = await import('#lib/db/pg.js');
const { threadsCollection } = await import('#lib/threads/mongo-store.js');
const { sharesCollection } = await import('#lib/share/snapshot.js');
const { logger, shareRef } = await import('#lib/observability.js');

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

/** A fresh user with copies of every seeded row shape in SQL (the plain thread's answer carries old feedback). */
async function userWithLegacyThreads() {
  const user = newUser();
  const rows = cloneSeedThreads(user);
  await insertLegacyRows(query, rows);
  return { user, token: await tokenFor(user), rows, id: (seeded: number) => String(rows.messageIds.get(seeded)!) };
}

const feedbackPath = (threadId: string, messageId: string): CallOptions => ({
  path: `/api/v3/threads/${threadId}/messages/${messageId}/feedback`,
  resource: '/api/v3/threads/{thread_id}/messages/{message_id}/feedback',
  pathParameters: { thread_id: threadId, message_id: messageId },
});
const rate = (token: string, threadId: string, messageId: string, body: unknown) =>
  call(setFeedback, { method: 'POST', token, ...feedbackPath(threadId, messageId), body });
const unrate = (token: string, threadId: string, messageId: string) =>
  call(deleteFeedback, { method: 'DELETE', token, ...feedbackPath(threadId, messageId) });
const get = (token: string, threadId: string) => call(getThread, { token, pathParameters: { thread_id: threadId } });
const copies = async (threadId: string) => (await threadsCollection()).countDocuments({ thread_id: threadId });

async function sqlCounts(threadId: string) {
  const { rows } = await db.query<{ m: number; f: number }>(
    `SELECT (SELECT COUNT(*)::int FROM messages WHERE thread_id = $1) AS m, (SELECT COUNT(*)::int FROM feedback WHERE thread_id = $1) AS f`,
    [threadId],
  );
  return rows[0]!;
}

describe('feedback on a legacy thread', () => {
  it('copies the thread into MongoDB first, keeping message ids and the old feedback, then stores the new one', async () => {
    const { token, rows, id } = await userWithLegacyThreads();
    const threadId = rows.ids.plain;
    const sqlBefore = await sqlCounts(threadId);
    const legacyView = (await get(token, threadId)).json;
    expect(legacyView.storage).toBe('legacy');
    const oldFeedback = legacyView.messages.find((m: { id: string }) => m.id === id(102)).feedback;
    expect(oldFeedback).toMatchObject({ class: 'thumbsdown', comment: null });

    const res = await rate(token, threadId, id(104), { class: 'thumbsup', comment: 'complete' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ class: 'thumbsup', comment: 'complete' });
    expect(await copies(threadId)).toBe(1);
    const doc = (await (await threadsCollection()).findOne({ thread_id: threadId }))!;
    expect(doc.origin).toMatchObject({ store: 'legacy', by: 'write' });

    const now = (await get(token, threadId)).json;
    expect(now.storage).toBe('mongodb');
    expect(now.messages.map((m: { id: string }) => m.id)).toEqual(legacyView.messages.map((m: { id: string }) => m.id));
    expect(now.messages).toEqual(legacyView.messages.map((m: { id: string }) => (m.id === id(104) ? { ...m, feedback: res.json } : m)));
    // The SQL thread, its messages and its feedback rows stay as they were.
    expect(await sqlCounts(threadId)).toEqual(sqlBefore);
  });

  it('replaces old legacy feedback: created_at stays the legacy time, class, comment and updated_at change', async () => {
    const { token, rows, id } = await userWithLegacyThreads();
    const legacyView = (await get(token, rows.ids.plain)).json;
    const old = legacyView.messages.find((m: { id: string }) => m.id === id(102)).feedback;
    const res = await rate(token, rows.ids.plain, id(102), { class: 'redflag', comment: 'offensive' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ class: 'redflag', comment: 'offensive', created_at: old.created_at, updated_at: expect.any(String) });
    expect(new Date(res.json.updated_at).getTime()).toBeGreaterThan(new Date(old.updated_at).getTime());
    const stored = (await get(token, rows.ids.plain)).json.messages.find((m: { id: string }) => m.id === id(102));
    expect(stored.feedback).toEqual(res.json);
  });

  it('makes one copy when feedback on several messages races, and keeps every feedback', async () => {
    const { token, rows } = await userWithLegacyThreads();
    const threadId = rows.ids.claude;
    const legacyView = (await get(token, threadId)).json;
    const answers: string[] = legacyView.messages.filter((m: { role: string }) => m.role === 'assistant').map((m: { id: string }) => m.id);
    expect(answers.length).toBeGreaterThan(1);
    const results = await Promise.all(answers.map((m, i) => rate(token, threadId, m, { class: 'thumbsup', comment: `answer ${i}` })));
    expect(results.map((r) => r.status)).toEqual(answers.map(() => 200));
    expect(await copies(threadId)).toBe(1);
    const now = (await get(token, threadId)).json;
    expect(now.messages.map((m: { id: string }) => m.id)).toEqual(legacyView.messages.map((m: { id: string }) => m.id));
    answers.forEach((m, i) => {
      expect(now.messages.find((x: { id: string }) => x.id === m).feedback).toMatchObject({ comment: `answer ${i}` });
    });
  });

  it('answers 404 (another user’s thread, unknown message) and 400 (a user message) without copying anything', async () => {
    const { token, rows, id } = await userWithLegacyThreads();
    const threadId = rows.ids.openai;
    const stranger = await rate(await tokenFor(newUser()), threadId, id(203), { class: 'thumbsup' });
    expect([stranger.status, stranger.json]).toEqual([404, { detail: 'Thread not found' }]);
    const unknown = await rate(token, threadId, '999999999', { class: 'thumbsup' });
    expect([unknown.status, unknown.json]).toEqual([404, { detail: 'Message not found' }]);
    const firstUser = (await get(token, threadId)).json.messages.find((m: { role: string }) => m.role === 'user').id;
    const question = await rate(token, threadId, firstUser, { class: 'thumbsup' });
    expect([question.status, question.json]).toEqual([400, { detail: 'Feedback is for assistant messages' }]);
    expect((await unrate(token, threadId, firstUser)).status).toBe(400);
    expect(await copies(threadId)).toBe(0);
    expect((await get(token, threadId)).json.storage).toBe('legacy');
  });

  it('removes legacy feedback (204) from the MongoDB copy; the SQL feedback row is left as it is', async () => {
    const { token, rows, id } = await userWithLegacyThreads();
    const threadId = rows.ids.openai;
    const sqlBefore = await sqlCounts(threadId);
    const legacyView = (await get(token, threadId)).json;
    const rated = legacyView.messages.find((m: { feedback?: unknown }) => m.feedback);
    expect(rated.id).toBe(id(203));
    const res = await unrate(token, threadId, rated.id);
    expect(res.status).toBe(204);
    const now = (await get(token, threadId)).json;
    expect(now.storage).toBe('mongodb');
    expect(now.messages.find((m: { id: string }) => m.id === rated.id).feedback).toBeUndefined();
    expect(now.messages.filter((m: { feedback?: unknown }) => m.feedback)).toEqual([]);
    expect(await sqlCounts(threadId)).toEqual(sqlBefore);
  });
});

const readShare = (shareId: string) => call(getShare, { resource: '/api/v3/share/{id}', pathParameters: { id: shareId } });
const revoke = (token: string, shareId: string) =>
  call(revokeShare, { method: 'DELETE', token, resource: '/api/v3/share/{id}', pathParameters: { id: shareId } });
const sqlShare = async (shareId: string) => (await db.query('SELECT id FROM share WHERE id = $1', [shareId])).rows.length;
const mongoShares = async (shareId: string) => (await sharesCollection()).countDocuments({ share_id: shareId });

/** A legacy share row of the caller's cloned plain thread (its content names the message rows it shows). */
async function legacyShareOf(messageIds: string[]): Promise<string> {
  const shareId = randomUUID();
  const content = JSON.stringify({
    thread_name: 'What is zakat?',
    messages: messageIds.map((m, i) => ({ id: Number(m), role: i % 2 ? 'assistant' : 'user', content: `message ${m}` })),
  });
  await db.query('INSERT INTO share (id, content) VALUES ($1, $2)', [shareId, content]);
  return shareId;
}

/** What the migration (issue 14) makes of a legacy share: a MongoDB snapshot under the same UUID. */
async function mongoCopyOf(shareId: string, owner: string | null, threadId: string): Promise<void> {
  const t = new Date('2024-11-04T10:00:00.000Z');
  await (
    await sharesCollection()
  ).insertOne({
    share_id: shareId,
    thread_id: threadId,
    user_id: owner as string,
    created_at: t,
    expires_at: null,
    snapshot: { thread_name: 'What is zakat?', initial_source: 'web', created_at: t, updated_at: t, messages: [] },
  });
}

describe('revoking a legacy share (UUID id)', () => {
  it('lets the owner of its thread revoke it (204): the SQL row is gone and the link is a 404; a second revoke is a 404', async () => {
    const { token, id } = await userWithLegacyThreads();
    const shareId = await legacyShareOf([id(101), id(102)]);
    expect((await readShare(shareId)).status).toBe(200);
    const info = vi.spyOn(logger, 'info');
    try {
      const res = await revoke(token, shareId.toUpperCase());
      expect([res.status, res.body]).toEqual([204, '']);
      const logged = info.mock.calls.filter(([m]) => m === 'legacy fallback').map(([, f]) => f);
      expect(logged).toContainEqual({ operation: 'share-revoke', shareRef: shareRef(shareId) });
      expect(JSON.stringify(info.mock.calls)).not.toContain(shareId);
    } finally {
      info.mockRestore();
    }
    expect(await sqlShare(shareId)).toBe(0);
    const after = await readShare(shareId);
    expect([after.status, after.json]).toEqual([404, { detail: 'Share not found' }]);
    expect((await revoke(token, shareId)).status).toBe(404);
  });

  it('is a 404 that changes nothing for another user, for a share showing two users’ messages, and for unreadable content', async () => {
    const a = await userWithLegacyThreads();
    const b = await userWithLegacyThreads();
    const own = await legacyShareOf([a.id(101), a.id(102)]);
    const mixed = await legacyShareOf([a.id(101), b.id(102)]);
    const broken = randomUUID();
    await db.query('INSERT INTO share (id, content) VALUES ($1, $2)', [broken, 'not json']);
    expect((await revoke(b.token, own)).status).toBe(404);
    expect((await revoke(a.token, mixed)).status).toBe(404);
    expect((await revoke(b.token, mixed)).status).toBe(404);
    expect((await revoke(a.token, broken)).status).toBe(404);
    expect((await revoke(a.token, randomUUID())).status).toBe(404);
    expect([await sqlShare(own), await sqlShare(mixed), await sqlShare(broken)]).toEqual([1, 1, 1]);
    expect((await readShare(own)).status).toBe(200);
  });

  it('removes it everywhere it lives: the SQL row and a MongoDB copy under the same id (so a migration rerun cannot bring it back)', async () => {
    const { user, token, rows, id } = await userWithLegacyThreads();
    const shareId = await legacyShareOf([id(101), id(102), id(103), id(104)]);
    await mongoCopyOf(shareId, user, rows.ids.plain);
    // A copy whose owner the migration could not tell: the SQL thread proves the caller owns it.
    const unowned = await legacyShareOf([id(101), id(102)]);
    await mongoCopyOf(unowned, null, rows.ids.plain);
    // Shares under other ids, of this user and of another: revoking must leave them.
    const bystanders = [randomUUID(), randomUUID()];
    await mongoCopyOf(bystanders[0]!, user, rows.ids.plain);
    await mongoCopyOf(bystanders[1]!, newUser(), randomUUID());
    const stranger = await tokenFor(newUser());
    expect((await revoke(stranger, shareId)).status).toBe(404);
    expect((await revoke(stranger, unowned)).status).toBe(404);
    expect([await sqlShare(shareId), await mongoShares(shareId), await mongoShares(unowned)]).toEqual([1, 1, 1]);
    for (const s of [shareId, unowned]) {
      expect((await revoke(token, s)).status).toBe(204);
      expect([await sqlShare(s), await mongoShares(s)]).toEqual([0, 0]);
      expect((await readShare(s)).status).toBe(404);
    }
    expect([await mongoShares(bystanders[0]!), await mongoShares(bystanders[1]!)]).toEqual([1, 1]);
  });

  it('revokes through its MongoDB copy when the SQL thread is gone (the row alone names no owner)', async () => {
    const { user, token, rows, id } = await userWithLegacyThreads();
    const shareId = await legacyShareOf([id(101), id(102)]);
    await mongoCopyOf(shareId, user, rows.ids.plain);
    expect((await call(deleteThread, { method: 'DELETE', token, pathParameters: { thread_id: rows.ids.plain } })).status).toBe(204);
    expect(await sqlShare(shareId)).toBe(1);
    expect((await revoke(await tokenFor(newUser()), shareId)).status).toBe(404);
    expect((await revoke(token, shareId)).status).toBe(204);
    expect([await sqlShare(shareId), await mongoShares(shareId)]).toEqual([0, 0]);
    expect((await readShare(shareId)).status).toBe(404);
  });
});

describe('listing the shares of a legacy thread', () => {
  it('lists the shares made through this API; another user gets a 404', async () => {
    const { token, rows } = await userWithLegacyThreads();
    const threadId = rows.ids.claude;
    const listOf = (t: string) => call(listShares, { token: t, pathParameters: { thread_id: threadId } });
    expect((await listOf(token)).json).toEqual([]);
    const made = await call(shareThread, { method: 'POST', token, resource: '/api/v3/share/{id}', pathParameters: { id: threadId } });
    expect(made.status).toBe(201);
    const res = await listOf(token);
    expect(res.json).toEqual([
      { share_id: made.json.share_id, created_at: made.json.created_at, expires_at: null, path: `/api/v3/share/${made.json.share_id}` },
    ]);
    expect((await listOf(await tokenFor(newUser()))).status).toBe(404);
    // Listing never copies the thread.
    expect(await copies(threadId)).toBe(0);
  });
});
