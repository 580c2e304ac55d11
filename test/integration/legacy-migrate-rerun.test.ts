/**
 * The migration to the end: reruns bringing across what the old backend still writes to SQL (never overwriting what
 * v3 wrote), the verification of names and times, catch-up passes and user marks, and legacy shares. Real
 * PostgreSQL (PGlite) and the MongoDB test server, a database of this file's own.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { hybridStores } from '#test/support/hybrid.js';
import { DEV_USER_ID, insertLegacyRows, OTHER_USER_ID, SEED_SHARES, SHARE_IDS, THREAD_IDS, seedLegacy } from '#scripts/legacy/seed-data.js';
import { cloneSeedThreads, legacyUser, plainThread } from '#scripts/legacy/synthetic.js';
import { newUser, tokenFor } from '#support/auth.js';
import { call } from '#support/lambda.js';

const { legacy, query } = await hybridStores('legacy_rerun');

const { migrateLegacy } = await import('#scripts/ops/migrate/migrate.js');
const { verifyLegacy } = await import('#scripts/ops/migrate/verify.js');
const { MIGRATIONS } = await import('#scripts/ops/migrate/checkpoint.js');
const { LEGACY_SHARES } = await import('#scripts/ops/migrate/shares.js');
const { MIGRATED_USERS } = await import('#lib/legacy/migrated-users.js');
const { getDb } = await import('#lib/db/mongo.js');
const { getLegacyPool } = await import('#lib/db/pg.js');
const { threadsCollection, mongoThreadStore } = await import('#lib/threads/mongo-store.js');
const { handler: renameThread } = await import('#functions/rename-thread.js');
const { handler: listThreads } = await import('#functions/list-threads.js');
const { handler: getShare } = await import('#functions/get-share.js');
const { handler: listShares } = await import('#functions/list-shares.js');
const { eraseUserData } = await import('#lib/services/account.js');

const db = legacy.db;
beforeEach(async () => {
  vi.restoreAllMocks();
  await db.exec('TRUNCATE feedback, messages, threads, share, users CASCADE');
  const mongo = await getDb();
  for (const c of ['threads', MIGRATIONS, 'thread_message_chunks', 'shared_threads', LEGACY_SHARES, MIGRATED_USERS]) {
    await mongo.collection(c).deleteMany({});
  }
});

const copy = async (id: string) => (await threadsCollection()).findOne({ thread_id: id }, { projection: { _id: 0 } });
const sqlTs = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

/** One user with every seeded row shape. */
async function oneUser() {
  const user = newUser();
  const rows = cloneSeedThreads(user);
  await insertLegacyRows(query, rows);
  return { user, rows, ids: rows.ids };
}

describe('verification of names and times (what a copy must equal besides its messages)', () => {
  it('reports a rename made in SQL after the migration, and times or sources that differ; a rerun brings the name across', async () => {
    const { ids } = await oneUser();
    await migrateLegacy();
    expect((await verifyLegacy()).clean).toBe(true);
    await query(`UPDATE threads SET name = 'Renamed in the old app' WHERE id = $1`, [ids.plain]);
    const col = await threadsCollection();
    await col.updateOne({ thread_id: ids.claude }, { $set: { initial_source: 'android' } });
    await col.updateOne({ thread_id: ids.debris }, { $set: { updated_at: new Date('2030-01-01T00:00:00Z') } });
    await col.updateOne({ thread_id: ids.openai }, { $set: { created_at: new Date('2020-01-01T00:00:00Z') } });
    const report = await verifyLegacy();
    expect(report.clean).toBe(false);
    const problems = new Map(report.threads.map((t) => [t.thread_id, t.problems]));
    expect(problems.get(ids.plain)).toEqual(['name: SQL "Renamed in the old app", MongoDB "What is zakat?"']);
    expect(problems.get(ids.claude)).toEqual(['initial_source: SQL web, MongoDB android']);
    expect(problems.get(ids.debris)).toEqual([
      expect.stringMatching(/^updated_at: SQL .*, MongoDB 2030-01-01T00:00:00.000Z \(no v3 message explains it\)$/),
    ]);
    expect(problems.get(ids.openai)).toEqual([expect.stringMatching(/^created_at: SQL 2025-02-10T12:00:00.000Z, MongoDB 2020-01-01/)]);

    await col.updateOne({ thread_id: ids.claude }, { $set: { initial_source: 'web' } });
    await col.updateOne({ thread_id: ids.openai }, { $set: { created_at: new Date('2025-02-10T12:00:00.000Z') } });
    await col.updateOne({ thread_id: ids.debris }, { $set: { updated_at: new Date('2025-03-12T18:05:00.000Z') } });
    const rerun = await migrateLegacy();
    expect(rerun).toMatchObject({ inserted: 0, updated: 1, skipped: 5 });
    expect((await copy(ids.plain))!.name).toBe('Renamed in the old app');
    expect((await verifyLegacy()).clean).toBe(true);
  });
});

describe('reruns while the old backend still writes to SQL', () => {
  it('brings new threads, new messages, renames and feedback across, never overwriting what v3 wrote', async () => {
    const { user, rows, ids } = await oneUser();
    await migrateLegacy();
    const token = await tokenFor(user);
    const later = new Date(Date.UTC(2026, 0, 5, 10));

    // v3 meanwhile: a message appended to `plain`, a rename of `openai`, feedback on a message of `claude`.
    const v3Message = { id: randomUUID(), role: 'user' as const, content: [{ type: 'text', text: 'asked in v3' }], created_at: later };
    expect(await mongoThreadStore.appendMessages(user, ids.plain, [v3Message], later)).toBe(true);
    const renamed = await call(renameThread, {
      method: 'POST',
      token,
      path: `/api/v3/threads/${ids.openai}/name`,
      pathParameters: { thread_id: ids.openai },
      body: { name: 'Renamed in v3' },
    });
    expect(renamed.status).toBe(200);
    const claudeRows = rows.messages.filter((m) => m.thread_id === ids.claude);
    const claudeAnswer = String(claudeRows.find((m) => m.role === 'assistant')!.id);
    const v3Feedback = { class: 'redflag', comment: 'from v3', created_at: later, updated_at: later };
    await (
      await threadsCollection()
    ).updateOne({ thread_id: ids.claude, 'messages.id': claudeAnswer }, { $set: { 'messages.$.feedback': v3Feedback } });

    // The old backend meanwhile: a new thread, a new turn in `plain` (moving its updated_at), renames of `openai`
    // (also renamed in v3) and `functionEra`, feedback on the same `claude` answer and on an `interrupted` message.
    const fresh = plainThread(user, new Date(Date.UTC(2026, 0, 6)), { turns: 2 });
    const turnAt = new Date(Date.UTC(2026, 0, 7));
    const turn = plainThread(user, turnAt, { id: ids.plain, turns: 1 }).messages;
    await insertLegacyRows(query, { threads: [fresh.thread], messages: [...fresh.messages, ...turn] });
    await query('UPDATE threads SET updated_at = $2::timestamp WHERE id = $1', [ids.plain, sqlTs(turnAt)]);
    await query(`UPDATE threads SET name = 'Renamed in the old app' WHERE id = ANY($1::uuid[])`, [[ids.openai, ids.functionEra]]);
    const interruptedQuestion = rows.messages.find((m) => m.thread_id === ids.interrupted && m.role === 'user')!;
    const sqlFeedback = async (threadId: string, messageId: number, cls: string) =>
      query(
        `INSERT INTO feedback (user_id, thread_id, message_id, class, comment, created_at, updated_at)
         VALUES ($1, $2, $3, $4::feedback_class, 'from the old app', $5::timestamp, $5::timestamp)`,
        [user, threadId, messageId, cls, sqlTs(later)],
      );
    await sqlFeedback(ids.claude, Number(claudeAnswer), 'thumbsup');
    await sqlFeedback(ids.interrupted, interruptedQuestion.id, 'thumbsdown');

    // Before the rerun, verification names each change still only in SQL.
    const before = await verifyLegacy();
    expect(before.clean).toBe(false);

    const rerun = await migrateLegacy();
    expect(rerun).toMatchObject({ inserted: 1, updated: 5, appended: 2 });
    expect([...rerun.kept].sort()).toEqual([`${ids.claude}: feedback ${claudeAnswer}`, `${ids.openai}: name`].sort());

    expect((await copy(fresh.thread.id))!.messages.map((m) => m.id)).toEqual(fresh.messages.map((m) => String(m.id)));
    const plain = (await copy(ids.plain))!;
    // v3's message stays where it was; the old backend's turn follows it, in SQL order; the time only moved forward.
    expect(plain.messages.map((m) => m.id).slice(-3)).toEqual([v3Message.id, ...turn.map((m) => String(m.id))]);
    expect(plain.updated_at).toEqual(turnAt);
    expect((await copy(ids.openai))!.name).toBe('Renamed in v3');
    expect((await copy(ids.functionEra))!.name).toBe('Renamed in the old app');
    const claude = (await copy(ids.claude))!;
    expect(claude.messages.find((m) => m.id === claudeAnswer)!.feedback).toEqual(v3Feedback);
    const interrupted = (await copy(ids.interrupted))!;
    expect(interrupted.messages.find((m) => m.id === String(interruptedQuestion.id))!.feedback).toMatchObject({
      class: 'thumbsdown',
      comment: 'from the old app',
    });

    // Clean now, v3's changes listed as kept; a second rerun has nothing to do.
    const after = await verifyLegacy();
    expect(after.clean).toBe(true);
    expect(after.threads.find((t) => t.thread_id === ids.openai)!.kept).toEqual(['name (renamed through v3)']);
    expect(after.threads.find((t) => t.thread_id === ids.claude)!.kept).toEqual([`feedback ${claudeAnswer} (changed through v3)`]);
    expect(await migrateLegacy()).toMatchObject({ inserted: 0, updated: 0, appended: 0, skipped: 7 });
  });

  it('copies threads created in SQL while the run walked (a catch-up pass), then marks every SQL user', async () => {
    const { user } = await oneUser();
    const idle = newUser();
    await insertLegacyRows(query, { users: [legacyUser(idle)] });
    const during = plainThread(user, new Date());
    let created = false;
    const result = await migrateLegacy({
      batchSize: 2,
      beforeWrite: async () => {
        if (created) return;
        created = true;
        await insertLegacyRows(query, { threads: [during.thread], messages: during.messages });
      },
    });
    expect(result.catchUpPasses).toBeGreaterThanOrEqual(1);
    expect(result.run.inserted).toBe(7);
    expect(await copy(during.thread.id)).not.toBeNull();
    expect(result.usersMarked).toBe(2);
    const marks = await (await getDb()).collection(MIGRATED_USERS).find({}).toArray();
    expect(marks.map((m) => m._id).sort()).toEqual([user, idle].sort());
    // A narrower run marks nobody.
    await (await getDb()).collection(MIGRATED_USERS).deleteMany({});
    expect((await migrateLegacy({ since: new Date('2025-01-01T00:00:00Z') })).usersMarked).toBeNull();

    // Once the mark has settled, the list asks PostgreSQL nothing for this user.
    await migrateLegacy();
    await (await getDb()).collection(MIGRATED_USERS).updateMany({}, { $set: { marked_at: new Date(Date.now() - 120_000) } });
    const pool = getLegacyPool();
    const spy = vi.spyOn(pool, 'query');
    const listed = await call(listThreads, { token: await tokenFor(user) });
    expect(listed.json).toHaveLength(7);
    expect(spy).not.toHaveBeenCalled();
  });
});

describe('erasure while the migration runs', () => {
  it('leaves nothing of an erased user: copies of threads and shares erased meanwhile are removed again', async () => {
    await seedLegacy(query);
    let erased = false;
    const result = await migrateLegacy({
      batchSize: 2,
      // The user erases their data after the first batch holding one of their threads was read, before it is written.
      beforeWrite: async (ids) => {
        if (erased || !ids.some((id) => id !== THREAD_IDS.other)) return;
        erased = true;
        expect(await eraseUserData(DEV_USER_ID, { via: 'api' })).toMatchObject({ complete: true, deleted: { legacy_shares: 2 } });
      },
    });
    expect(erased).toBe(true);
    expect(result.run.removed).toBeGreaterThan(0);
    const mongo = await getDb();
    expect(await mongo.collection('threads').distinct('thread_id')).toEqual([THREAD_IDS.other]);
    expect(await mongo.collection('shared_threads').countDocuments({})).toBe(0);
    expect((await query('SELECT user_id::text AS u FROM threads')).rows).toEqual([{ u: OTHER_USER_ID }]);
    expect((await verifyLegacy()).clean).toBe(true);
    // A rerun brings nothing back either.
    expect(await migrateLegacy()).toMatchObject({ inserted: 0, shares: { shares: 0 } });
    expect(await mongo.collection('threads').countDocuments({ user_id: DEV_USER_ID })).toBe(0);
    // The run marked every SQL user (the users table still lists them); the mark of an erased user goes with erasure.
    expect(await mongo.collection(MIGRATED_USERS).countDocuments({ _id: DEV_USER_ID } as never)).toBe(1);
    expect((await eraseUserData(DEV_USER_ID, { via: 'api' })).complete).toBe(true);
    expect(await mongo.collection(MIGRATED_USERS).countDocuments({ _id: DEV_USER_ID } as never)).toBe(0);
  });
});

describe('legacy shares', () => {
  it('are not resurrected: a share whose SQL row goes while its batch is in flight has its fresh copy removed', async () => {
    await seedLegacy(query);
    const result = await migrateLegacy({
      // As a revoke or an erase does it: the SQL row first, then any MongoDB copy (none yet).
      beforeShareWrite: async (ids) => {
        expect(ids).toContain(SHARE_IDS.claude);
        await query('DELETE FROM share WHERE id = $1::uuid', [SHARE_IDS.claude]);
        await (await getDb()).collection('shared_threads').deleteMany({ share_id: SHARE_IDS.claude });
      },
    });
    expect(result.shares).toEqual({ shares: 2, inserted: 1, skipped: 0, unreadable: 0, removed: 1 });
    const ids = await (await getDb()).collection('shared_threads').distinct('share_id');
    expect(ids).toEqual([SHARE_IDS.plain]);
    const read = await call(getShare, {
      path: `/api/v3/share/${SHARE_IDS.claude}`,
      resource: '/api/v3/share/{id}',
      pathParameters: { id: SHARE_IDS.claude },
    });
    expect(read.status).toBe(404);
    expect((await verifyLegacy()).clean).toBe(true);
  });

  it('become shared_threads snapshots under their UUID: the same content with SQL gone, idempotent, never resurrected', async () => {
    await seedLegacy(query);
    const read = async (id: string) =>
      call(getShare, { path: `/api/v3/share/${id}`, resource: '/api/v3/share/{id}', pathParameters: { id } });
    const before = await Promise.all(Object.values(SHARE_IDS).map(read));
    expect(before.map((r) => r.status)).toEqual([200, 200]);

    const first = await migrateLegacy();
    expect(first.shares).toEqual({ shares: 2, inserted: 2, skipped: 0, unreadable: 0, removed: 0 });
    const docs = await (
      await getDb()
    )
      .collection('shared_threads')
      .find({}, { projection: { _id: 0 } })
      .toArray();
    expect(docs.map((d) => d.share_id).sort()).toEqual(Object.values(SHARE_IDS).sort());
    // Their thread and owner, from the shared message rows: the owner lists the copy (no creation time known).
    const plainCopy = docs.find((d) => d.share_id === SHARE_IDS.plain)!;
    expect(plainCopy).toMatchObject({ thread_id: expect.any(String), user_id: expect.any(String) });
    const listed = await call(listShares, {
      token: await tokenFor(plainCopy.user_id as string),
      path: `/api/v3/threads/${plainCopy.thread_id}/shares`,
      resource: '/api/v3/threads/{thread_id}/shares',
      pathParameters: { thread_id: plainCopy.thread_id as string },
    });
    expect(listed.status).toBe(200);
    expect(listed.json).toEqual([
      { share_id: SHARE_IDS.plain, created_at: null, expires_at: null, path: `/api/v3/share/${SHARE_IDS.plain}` },
    ]);

    // The legacy table emptied: the MongoDB copies answer, with the same body (an upper-case id too).
    await db.exec('TRUNCATE share');
    const spy = vi.spyOn(getLegacyPool(), 'query');
    const after = await Promise.all(Object.values(SHARE_IDS).map(read));
    expect(after.map((r) => r.json)).toEqual(before.map((r) => r.json));
    expect(after[0]!.headers).toMatchObject({ 'x-robots-tag': 'noindex' });
    expect((await read(SHARE_IDS.plain.toUpperCase())).json).toEqual(before[0]!.json);
    expect(spy).not.toHaveBeenCalled();

    // Back in SQL (nothing changed): a rerun copies nothing. A copy removed (revoked through v3) stays removed.
    await insertLegacyRows(query, { shares: SEED_SHARES });
    expect((await migrateLegacy()).shares).toEqual({ shares: 2, inserted: 0, skipped: 2, unreadable: 0, removed: 0 });
    await (await getDb()).collection('shared_threads').deleteOne({ share_id: SHARE_IDS.claude });
    expect((await migrateLegacy()).shares).toMatchObject({ inserted: 0, skipped: 2 });
    expect((await read(SHARE_IDS.claude)).status).toBe(200); // still in SQL, and the legacy layer is on
    const report = await verifyLegacy();
    expect(report.shares!.map((s) => [s.share_id, s.status]).sort()).toEqual(
      [
        [SHARE_IDS.plain, 'ok'],
        [SHARE_IDS.claude, 'revoked'],
      ].sort(),
    );
    expect(report.clean).toBe(true);

    // A share the migration never copied, or a copy that differs, is a difference.
    const extra = randomUUID();
    await insertLegacyRows(query, { shares: [{ id: extra, content: SEED_SHARES[0]!.content }] });
    await (await getDb()).collection('shared_threads').updateOne({ share_id: SHARE_IDS.plain }, { $set: { 'snapshot.thread_name': 'x' } });
    const dirty = await verifyLegacy();
    expect(dirty.clean).toBe(false);
    expect(dirty.shares!.filter((s) => s.status !== 'ok' && s.status !== 'revoked')).toEqual(
      expect.arrayContaining([
        { share_id: extra, status: 'missing', problems: ['not in MongoDB'] },
        { share_id: SHARE_IDS.plain, status: 'mismatch', problems: ['name differs'] },
      ]),
    );
  });
});
