/**
 * The legacy migration (scripts/ops/migrate/ and its command scripts/migrate-legacy.ts) against a real PostgreSQL
 * (PGlite over the pg driver, started for this file) and the MongoDB test server (a database of this file's own).
 * Each test starts from empty stores and loads its own legacy rows.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BSON, Db } from 'mongodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { hybridStores } from '#test/support/hybrid.js';
import { insertLegacyRows, SEED_FEEDBACK, SEED_MESSAGES, THREAD_IDS } from '#scripts/legacy/seed-data.js';
import { cloneSeedThreads, legacyUser, plainThread, type ClonedThreads } from '#scripts/legacy/synthetic.js';
import { newUser, tokenFor } from '#support/auth.js';
import { call } from '#support/lambda.js';
import { validateMessageHistory } from '#support/messages-validator.js';

const { legacy, query } = await hybridStores('legacy_migrate');
// Small documents, so a long legacy thread needs overflow chunks (lib/threads/overflow.ts) when copied.
process.env.MAX_THREAD_DOC_BYTES = String(32 * 1024);

const { migrateLegacy } = await import('#scripts/ops/migrate/migrate.js');
const { verifyLegacy } = await import('#scripts/ops/migrate/verify.js');
const { checkToolPairing } = await import('#scripts/ops/migrate/pairing.js');
const { MIGRATIONS } = await import('#scripts/ops/migrate/checkpoint.js');
const { convertLegacyMessages } = await import('#lib/legacy/convert/index.js');
const { legacyThreadStore } = await import('#lib/legacy/store.js');
const { getDb } = await import('#lib/db/mongo.js');
const { threadsCollection, mongoThreadStore } = await import('#lib/threads/mongo-store.js');
const { handler: listThreads } = await import('#functions/list-threads.js');

const db = legacy.db;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

beforeEach(async () => {
  await db.exec('TRUNCATE feedback, messages, threads, share, users CASCADE');
  const mongo = await getDb();
  await mongo.collection('threads').deleteMany({});
  await mongo.collection(MIGRATIONS).deleteMany({});
  await mongo.collection('thread_message_chunks').deleteMany({});
});

/** Two users, each with every seeded row shape, and a third with plain threads: 16 threads in all. */
async function loadLegacy(): Promise<{ users: string[]; cloned: ClonedThreads[]; threadIds: string[] }> {
  const users = [newUser(), newUser(), newUser()];
  const cloned = [cloneSeedThreads(users[0]!), cloneSeedThreads(users[1]!, { shiftMs: 3_600_000 })];
  for (const c of cloned) await insertLegacyRows(query, c);
  await insertLegacyRows(query, { users: [legacyUser(users[2]!)] });
  const plain = Array.from({ length: 4 }, (_, i) => plainThread(users[2]!, new Date(Date.UTC(2025, 0, 1 + i)), { turns: i + 1 }));
  await insertLegacyRows(query, { threads: plain.map((p) => p.thread), messages: plain.flatMap((p) => p.messages) });
  const { rows } = await db.query<{ id: string }>('SELECT id::text AS id FROM threads ORDER BY updated_at DESC, id DESC');
  return { users, cloned, threadIds: rows.map((r) => r.id) };
}

const mongoThreads = async () => (await threadsCollection()).find({}, { projection: { _id: 0 }, sort: { thread_id: 1 } }).toArray();

describe('migrateLegacy', () => {
  it('copies every thread with converted messages and feedback, preserving ids, owner, names, sources and times', async () => {
    const { users, cloned, threadIds } = await loadLegacy();
    const progress: number[] = [];
    const result = await migrateLegacy({ batchSize: 5, onProgress: (p) => progress.push(p.threadsDone) });
    expect(result).toMatchObject({
      dryRun: false,
      threads: 16,
      inserted: 16,
      skipped: 0,
      removed: 0,
      resumedFrom: null,
      checkpointId: 'legacy-threads',
    });
    expect(progress).toEqual([5, 10, 15, 16]);
    const docs = await mongoThreads();
    expect(docs.map((d) => d.thread_id).sort()).toEqual([...threadIds].sort());
    // One thread in full: exactly what the conversion of its SQL rows gives, feedback embedded in its message.
    const c = cloned[0]!;
    const openai = docs.find((d) => d.thread_id === c.ids.openai)!;
    const t = c.threads.find((x) => x.id === c.ids.openai)!;
    const { rows } = await db.query(
      `SELECT m.id, m.role, m.content, m.tool_name, m.tool_details, m.ref_list, (m.timestamp AT TIME ZONE 'UTC') AS created_at,
              m.user_id::text AS user_id FROM messages m WHERE thread_id = $1 ORDER BY timestamp, id`,
      [t.id],
    );
    const expected = convertLegacyMessages(rows as never);
    const fb = SEED_FEEDBACK.find((f) => f.thread_id === THREAD_IDS.openai)!;
    const fbMessage = String(c.messageIds.get(fb.message_id));
    for (const m of expected)
      if (m.id === fbMessage) m.feedback = { class: fb.class, comment: fb.comment, created_at: fb.created_at, updated_at: fb.updated_at };
    expect(openai).toEqual({
      thread_id: t.id,
      name: t.name,
      user_id: users[0],
      initial_source: 'ios',
      created_at: t.created_at,
      updated_at: t.updated_at,
      metadata: {},
      messages: expected,
      origin: {
        store: 'legacy',
        by: 'migration',
        copied_at: expect.any(Date),
        run: expect.any(String),
        pass: 0,
        seq: expect.any(Number),
        sql: {
          name: t.name,
          updated_at: t.updated_at,
          rows: rows.length,
          last_row: Math.max(...rows.map((r) => (r as { id: number }).id)),
          feedback: { [fbMessage]: expected.find((m) => m.id === fbMessage)!.feedback },
        },
      },
      size_bytes: expect.any(Number),
      overflow_chunks: 0,
    });
    expect(openai.messages.find((m) => m.id === fbMessage)!.feedback).toMatchObject({ class: 'thumbsup' });
    for (const d of docs) {
      expect(validateMessageHistory(d.messages.map(({ role, content }) => ({ role, content })))).toEqual([]);
      expect(checkToolPairing(d.messages)).toEqual([]);
    }
    const report = await verifyLegacy();
    expect([report.ok, report.mismatches, report.pending, report.threads.length]).toEqual([16, 0, 0, 16]);
    const check = report.threads.find((x) => x.thread_id === c.ids.functionEra)!;
    // 3 SQL rows -> 4 messages (a re-created call "<row>-tool_use" added); 3 carry a row id, in both stores.
    expect(check).toEqual({
      thread_id: c.ids.functionEra,
      sql_rows: 3,
      expected: 4,
      expected_rows: 3,
      mongo: 4,
      mongo_rows: 3,
      mongo_total: 4,
      feedback: 0,
      status: 'ok',
      problems: [],
      kept: [],
    });
    const checkpoint = await (await getDb()).collection<{ _id: string }>(MIGRATIONS).findOne({ _id: 'legacy-threads' });
    expect(checkpoint).toMatchObject({ completed_at: expect.any(Date), counts: { threads: 16, inserted: 16, skipped: 0, removed: 0 } });
    // The list now shows each thread once, from MongoDB.
    const listed = (await call(listThreads, { token: await tokenFor(users[0]!) })).json as { storage: string }[];
    expect(listed).toHaveLength(6);
    expect(listed.every((x) => x.storage === 'mongodb')).toBe(true);
  });

  it('is idempotent: a second run changes nothing', async () => {
    await loadLegacy();
    await migrateLegacy({ batchSize: 4 });
    const before = await mongoThreads();
    const second = await migrateLegacy({ batchSize: 4 });
    expect(second).toMatchObject({ threads: 16, inserted: 0, skipped: 16, removed: 0, messages: 0, resumedFrom: null });
    expect(await mongoThreads()).toEqual(before);
  });

  it('never overwrites a thread copied on write, which holds newer messages', async () => {
    const { users, cloned } = await loadLegacy();
    const id = cloned[0]!.ids.claude;
    await legacyThreadStore.copyToMongo(users[0]!, id);
    const newer = {
      id: randomUUID(),
      role: 'user' as const,
      content: [{ type: 'text', text: 'a newer question' }],
      created_at: new Date(),
    };
    await mongoThreadStore.appendMessages(users[0]!, id, [newer], newer.created_at);
    const copy = await (await threadsCollection()).findOne({ thread_id: id }, { projection: { _id: 0 } });
    const result = await migrateLegacy();
    expect(result).toMatchObject({ inserted: 15, skipped: 1 });
    expect(await (await threadsCollection()).findOne({ thread_id: id }, { projection: { _id: 0 } })).toEqual(copy);
    const report = await verifyLegacy({ threadId: id });
    expect(report.threads).toEqual([expect.objectContaining({ status: 'ok', sql_rows: 8, expected: 8, mongo: 8, mongo_total: 9 })]);
  });

  it('resumes after a crash from the checkpoint: every thread migrated once', async () => {
    const { threadIds } = await loadLegacy();
    const crash = migrateLegacy({
      batchSize: 3,
      afterBatch: (n) => {
        if (n === 2) throw new Error('simulated crash');
      },
    });
    await expect(crash).rejects.toThrow('simulated crash');
    // Batches 1 and 2 are checkpointed; batches 3 and 4 were being written meanwhile (the pipeline), so they may be
    // there too.
    const firstRun = await mongoThreads();
    const firstIds = firstRun.map((d) => d.thread_id);
    expect([6, 9, 12].map((n) => threadIds.slice(0, n).sort())).toContainEqual(firstIds);
    const checkpoint = await (await getDb()).collection<{ _id: string }>(MIGRATIONS).findOne({ _id: 'legacy-threads' });
    expect(checkpoint).toMatchObject({ completed_at: null, position: { thread_id: threadIds[5] }, counts: { threads: 6, inserted: 6 } });

    const resumed = await migrateLegacy({ batchSize: 3 });
    expect(resumed.resumedFrom).toMatchObject({ threadId: threadIds[5] });
    expect(resumed).toMatchObject({ threads: 10, inserted: 10, skipped: 0 });
    const all = await mongoThreads();
    expect(all.map((d) => d.thread_id)).toEqual([...threadIds].sort());
    // The first run's copies were not touched again (their copy stamps are from before the crash).
    for (const d of firstRun) expect(all.find((x) => x.thread_id === d.thread_id)).toEqual(d);
    expect((await verifyLegacy()).mismatches).toBe(0);
    // Finished: the next run starts over from the top and only finds copies.
    expect(await migrateLegacy({ batchSize: 3 })).toMatchObject({ resumedFrom: null, threads: 16, inserted: 0, skipped: 16 });
  });

  it("counts exactly after a crash between a batch's inserts and its checkpoint", async () => {
    const { threadIds } = await loadLegacy();
    const truth = await migrateLegacy({ dryRun: true });
    await expect(
      migrateLegacy({
        batchSize: 3,
        afterInsert: (n) => {
          if (n === 3) throw new Error('crash after the inserts of batch 3');
        },
      }),
    ).rejects.toThrow('crash after');
    // Batch 3 landed in MongoDB (and batch 4, written beside it, may have) but their checkpoints did not: the resumed
    // run reads them again and finds their threads.
    expect([9, 12]).toContain(await (await threadsCollection()).countDocuments({}));
    const resumed = await migrateLegacy({ batchSize: 3 });
    expect(resumed).toMatchObject({ inserted: 10, skipped: 0 });
    expect(resumed.run).toMatchObject({ inserted: 16, messages: truth.messages, skipped: 0 });
    const checkpoint = await (await getDb()).collection<{ _id: string }>(MIGRATIONS).findOne({ _id: 'legacy-threads' });
    expect(checkpoint).toMatchObject({ counts: { inserted: 16, messages: truth.messages, skipped: 0 } });
    expect((await mongoThreads()).map((d) => d.thread_id)).toEqual([...threadIds].sort());
  });

  it('creates the unique thread_id index before copying (a fresh database has none), and a dry run says so', async () => {
    await loadLegacy();
    const mongo = await getDb();
    await mongo.collection('threads').drop();
    const dry = await migrateLegacy({ dryRun: true });
    expect(dry.warnings).toEqual([expect.stringContaining('no unique index on thread_id')]);
    await migrateLegacy();
    const indexes = await mongo.collection('threads').listIndexes().toArray();
    expect(indexes).toContainEqual(expect.objectContaining({ key: { thread_id: 1 }, unique: true }));
    expect(await mongo.collection('threads').countDocuments({})).toBe(16);
  });

  it('starts over with restart, ignoring an unfinished checkpoint', async () => {
    await loadLegacy();
    await expect(
      migrateLegacy({
        batchSize: 5,
        afterBatch: () => {
          throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    const before = await (await threadsCollection()).countDocuments({});
    expect([5, 10, 15]).toContain(before); // batch 1 checkpointed; batches 2 and 3 possibly written meanwhile
    const again = await migrateLegacy({ batchSize: 5, restart: true });
    expect(again).toMatchObject({ resumedFrom: null, threads: 16, inserted: 16 - before, skipped: before });
  });

  it('writes nothing in a dry run, and reports what it would insert', async () => {
    await loadLegacy();
    const dry = await migrateLegacy({ dryRun: true, batchSize: 7 });
    expect(dry).toMatchObject({ dryRun: true, threads: 16, inserted: 16, skipped: 0 });
    expect(dry.messages).toBeGreaterThan(SEED_MESSAGES.length);
    expect(await (await threadsCollection()).countDocuments({})).toBe(0);
    expect(await (await getDb()).collection(MIGRATIONS).countDocuments({})).toBe(0);
    const report = await verifyLegacy({ dryRun: true });
    expect([report.pending, report.mismatches]).toEqual([16, 0]);
  });

  it('limits the run to one thread or to threads updated since a date', async () => {
    const { cloned, users } = await loadLegacy();
    const one = await migrateLegacy({ threadId: cloned[1]!.ids.debris });
    expect(one).toMatchObject({ threads: 1, inserted: 1, checkpointId: null });
    const since = await migrateLegacy({ since: new Date('2025-03-01T00:00:00Z') });
    // Updated since March 2025: claude and debris of both users (debris of user 2 already copied).
    expect(since).toMatchObject({ threads: 4, inserted: 3, skipped: 1, checkpointId: 'legacy-threads:since=2025-03-01T00:00:00.000Z' });
    expect(await (await threadsCollection()).countDocuments({ user_id: users[2] })).toBe(0);
  });

  it('runs beside live copies on write: each thread ends up in MongoDB once', async () => {
    const { users, cloned } = await loadLegacy();
    const live = cloned.flatMap((c, i) => Object.values(c.ids).map((id) => legacyThreadStore.copyToMongo(users[i]!, id)));
    const [result] = await Promise.all([migrateLegacy({ batchSize: 2 }), ...live]);
    expect(result.inserted + result.skipped).toBe(16);
    const docs = await mongoThreads();
    expect(docs).toHaveLength(16);
    expect((await verifyLegacy()).mismatches).toBe(0);
  });

  it('loses the race to a copy on write made after its batch was read: skips it, never a second copy', async () => {
    await loadLegacy();
    const owner = async (id: string) =>
      (await db.query<{ user_id: string }>('SELECT user_id::text AS user_id FROM threads WHERE id = $1', [id])).rows[0]!.user_id;
    const copiedOnWrite: string[] = [];
    // Between reading a batch and writing it, a request copies the batch's first thread into MongoDB.
    const result = await migrateLegacy({
      batchSize: 2,
      beforeWrite: async (ids) => {
        const id = ids[0];
        if (id === undefined) return;
        expect(await legacyThreadStore.copyToMongo(await owner(id), id)).toMatchObject({ thread_id: id, storage: 'mongodb' });
        copiedOnWrite.push(id);
      },
    });
    expect(copiedOnWrite).toHaveLength(8);
    expect(result).toMatchObject({ threads: 16, inserted: 8, skipped: 8, removed: 0 });
    const docs = await mongoThreads();
    expect(docs.map((d) => d.thread_id)).toEqual([...new Set(docs.map((d) => d.thread_id))]);
    expect(docs).toHaveLength(16);
    for (const d of docs)
      expect([d.thread_id, d.origin?.by]).toEqual([d.thread_id, copiedOnWrite.includes(d.thread_id) ? 'write' : 'migration']);
    expect((await verifyLegacy()).mismatches).toBe(0);
  });

  it('removes its copy of a thread deleted by its owner while the batch was in flight', async () => {
    const { users, cloned } = await loadLegacy();
    const victim = cloned[0]!.ids.plain;
    const { handler: deleteThread } = await import('#functions/delete-thread.js');
    const token = await tokenFor(users[0]!);
    const result = await migrateLegacy({
      beforeWrite: async (ids) => {
        if (!ids.includes(victim)) return;
        const res = await call(deleteThread, {
          method: 'DELETE',
          token,
          path: `/api/v3/threads/${victim}`,
          pathParameters: { thread_id: victim },
        });
        expect(res.status).toBe(204);
      },
    });
    expect(result).toMatchObject({ threads: 16, inserted: 15, removed: 1, skipped: 0 });
    expect(await (await threadsCollection()).countDocuments({ thread_id: victim })).toBe(0);
    expect((await verifyLegacy()).threads.map((t) => t.thread_id)).not.toContain(victim);
  });

  it('lays a very long thread out with overflow chunks, as the MongoDB store keeps it (migration and copy on write)', async () => {
    const user = newUser();
    await insertLegacyRows(query, { users: [legacyUser(user)] });
    const long = [0, 1].map((i) => {
      const t = plainThread(user, new Date(Date.UTC(2025, 4, 1 + i)), { turns: 60 });
      for (const m of t.messages) m.content = `${m.content}: ${'words '.repeat(200)}`;
      return t;
    });
    await insertLegacyRows(query, { threads: long.map((t) => t.thread), messages: long.flatMap((t) => t.messages) });
    const [migrated, copied] = long.map((t) => t.thread.id) as [string, string];
    const copy = await legacyThreadStore.copyToMongo(user, copied);
    expect(copy!.messages).toHaveLength(120);
    expect(await migrateLegacy({ threadId: migrated })).toMatchObject({ inserted: 1, messages: 120 });
    const { handler: getThread } = await import('#functions/get-thread.js');
    const token = await tokenFor(user);
    for (const id of [migrated, copied]) {
      const doc = (await (await threadsCollection()).findOne({ thread_id: id }))!;
      expect(doc.overflow_chunks).toBeGreaterThan(1);
      expect(doc.size_bytes).toBeLessThanOrEqual(16 * 1024);
      const chunks = await (await getDb()).collection('thread_message_chunks').countDocuments({ thread_id: id });
      expect(chunks).toBe(doc.overflow_chunks);
      const res = await call(getThread, { token, path: `/api/v3/threads/${id}`, pathParameters: { thread_id: id } });
      expect(res.json.storage).toBe('mongodb');
      const sqlIds = long.find((t) => t.thread.id === id)!.messages.map((m) => String(m.id));
      expect(res.json.messages.map((m: { id: string }) => m.id)).toEqual(sqlIds);
    }
    // Appending after the copy works on the chunked layout, and verification reads the chunks.
    const more = { id: randomUUID(), role: 'user' as const, content: [{ type: 'text', text: 'one more' }], created_at: new Date() };
    expect(await mongoThreadStore.appendMessages(user, copied, [more], more.created_at)).toBe(true);
    const report = await verifyLegacy({ since: new Date('2025-05-01T00:00:00Z') });
    expect(report.threads.map((t) => [t.status, t.sql_rows, t.mongo, t.mongo_total])).toEqual([
      ['ok', 120, 120, 121],
      ['ok', 120, 120, 120],
    ]);
  });

  it('inserts with commands of at most MAX_THREAD_DOC_BYTES of documents; a write error other than a duplicate stops the run', async () => {
    const { threadIds } = await loadLegacy();
    const command = Db.prototype.command;
    const inserts: { documents: object[] }[] = [];
    let failNext = true;
    const spy = vi.spyOn(Db.prototype, 'command').mockImplementation(function (this: Db, cmd, opts) {
      if (cmd.insert !== 'threads') return command.call(this, cmd, opts);
      inserts.push(cmd as { documents: object[] });
      if (!failNext) return command.call(this, cmd, opts);
      failNext = false;
      return Promise.resolve({ ok: 1, n: 0, writeErrors: [{ index: 0, code: 121, errmsg: 'Document failed validation' }] });
    });
    try {
      await expect(migrateLegacy({ batchSize: 16 })).rejects.toThrow('Document failed validation');
      expect(await (await threadsCollection()).countDocuments({})).toBe(0);
      inserts.length = 0;
      expect(await migrateLegacy({ batchSize: 16, restart: true })).toMatchObject({ inserted: 16, skipped: 0 });
    } finally {
      spy.mockRestore();
    }
    // One batch of 16 threads, more than 32 KiB in all: several commands, each within the limit unless it holds one document.
    const sizes = inserts.map((c) => c.documents.reduce((sum: number, d) => sum + BSON.calculateObjectSize(d), 0));
    expect(inserts.length).toBeGreaterThan(1);
    expect(inserts.flatMap((c) => c.documents)).toHaveLength(16);
    for (const [i, c] of inserts.entries()) if (c.documents.length > 1) expect(sizes[i]).toBeLessThanOrEqual(32 * 1024);
    expect((await mongoThreads()).map((d) => d.thread_id)).toEqual([...threadIds].sort());
  });

  it('never touches SQL data', async () => {
    await loadLegacy();
    const snapshot = async () =>
      (
        await db.query(`SELECT (SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM threads t) a,
                              (SELECT md5(string_agg(m::text, ',' ORDER BY id)) FROM messages m) b,
                              (SELECT md5(string_agg(f::text, ',' ORDER BY id)) FROM feedback f) c`)
      ).rows[0];
    const before = await snapshot();
    await migrateLegacy({ batchSize: 3 });
    await migrateLegacy({ batchSize: 3 });
    expect(await snapshot()).toEqual(before);
  });
});

describe('verifyLegacy', () => {
  it('lists every mismatch: lost, changed and unpaired messages, a missing thread', async () => {
    const { cloned } = await loadLegacy();
    await migrateLegacy();
    const c = cloned[0]!;
    const col = await threadsCollection();
    await col.updateOne({ thread_id: c.ids.plain }, { $pop: { messages: 1 } });
    await col.updateOne({ thread_id: c.ids.functionEra }, { $set: { 'messages.3.content': [{ type: 'text', text: 'tampered' }] } });
    const claude = (await col.findOne({ thread_id: c.ids.claude }))!;
    // Drop the first tool-result message: its tool_use is left unanswered.
    const resultIdx = claude.messages.findIndex((m) => m.content.some((b) => b.type === 'tool_result'));
    await col.updateOne({ thread_id: c.ids.claude }, { $set: { messages: claude.messages.filter((_, i) => i !== resultIdx) } });
    await col.deleteOne({ thread_id: c.ids.debris });
    const report = await verifyLegacy();
    expect([report.ok, report.mismatches]).toEqual([12, 4]);
    const byId = new Map(report.threads.map((t) => [t.thread_id, t]));
    const plainRows = c.messages.filter((m) => m.thread_id === c.ids.plain).map((m) => String(m.id));
    expect(byId.get(c.ids.plain)).toEqual({
      thread_id: c.ids.plain,
      sql_rows: 4,
      expected: 4,
      expected_rows: 4,
      mongo: 3,
      mongo_rows: 3,
      mongo_total: 3,
      feedback: 1,
      status: 'mismatch',
      problems: [
        'SQL rows converting to a message: 4, MongoDB messages with a row id: 3',
        'converted messages: SQL 4, MongoDB 3',
        `missing in MongoDB: ${plainRows[3]}`,
      ],
      kept: [],
    });
    expect(byId.get(c.ids.functionEra)!.problems).toEqual([`content differs: ${c.messageIds.get(303)}`]);
    expect(byId.get(c.ids.claude)!.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^missing in MongoDB: /),
        expect.stringMatching(/^pairing: message \d+: tool_use toolu_01A has no tool_result/),
      ]),
    );
    expect(byId.get(c.ids.debris)).toMatchObject({ status: 'missing', mongo: null, problems: ['not in MongoDB'] });
  });
});

describe('checkToolPairing', () => {
  const text = (t: string) => ({ type: 'text', text: t });
  const use = (id: string) => ({ type: 'tool_use', id, name: 'search', input: {} });
  const result = (id: string) => ({ type: 'tool_result', tool_use_id: id, content: 'ok' });
  const msg = (id: string, role: 'user' | 'assistant', ...content: Record<string, unknown>[]) => ({ id, role, content: content as never });

  it('accepts a valid history and names each violation', () => {
    expect(
      checkToolPairing([
        msg('1', 'user', text('q')),
        msg('2', 'assistant', use('a'), use('b')),
        msg('3', 'user', result('a'), result('b'), text('and?')),
      ]),
    ).toEqual([]);
    expect(checkToolPairing([msg('1', 'assistant', text('hi'))])).toEqual(['message 1: the history does not start with a user message']);
    expect(checkToolPairing([msg('1', 'user', text('q')), msg('2', 'assistant', use('a')), msg('3', 'user', text('x'))])).toEqual([
      'message 2: tool_use a has no tool_result in the next message',
    ]);
    expect(
      checkToolPairing([msg('1', 'user', text('q')), msg('2', 'assistant', use('a')), msg('3', 'user', text('x'), result('a'))]),
    ).toEqual(['message 3: a tool_result follows other content']);
    expect(checkToolPairing([msg('1', 'user', result('z'))])).toEqual([
      'message 1: tool_result z answers no tool_use of the previous message',
    ]);
    expect(
      checkToolPairing([
        msg('1', 'user', text('q')),
        msg('2', 'assistant', use('a')),
        msg('3', 'user', result('a'), result('a')),
        msg('4', 'assistant', use('a')),
        msg('5', 'user', result('a')),
      ]),
    ).toEqual(['message 3: a tool_use is answered twice', 'message 4: tool_use id a is used twice']);
  });
});

describe('npm run migrate:legacy (scripts/migrate-legacy.ts)', () => {
  const run = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(
        path.join(ROOT, 'node_modules/.bin/tsx'),
        ['scripts/migrate-legacy.ts', ...args],
        {
          cwd: ROOT,
          env: { ...process.env, LOG_LEVEL: 'ERROR' },
          timeout: 120_000,
        },
      );
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('migrates with progress on stderr and a report on stdout; exits 1 on a mismatch, 2 on bad options', async () => {
    const { cloned } = await loadLegacy();
    const dry = await run('--dry-run', '--batch', '8');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('DRY RUN: 16 threads read, would insert 16');
    expect(await (await threadsCollection()).countDocuments({})).toBe(0);

    const real = await run('--batch', '8');
    expect(real.code).toBe(0);
    // Not a terminal: one progress line per batch.
    expect(real.stderr.match(/^\[#+-*\] \d+\/16 threads, [\d,]+ messages, [\d,]+ msg\/s/gm)).toHaveLength(2);
    expect(real.stdout).toContain('16 threads read, inserted 16');
    expect(real.stdout).toContain('verification: 16 threads, 16 ok, 0 mismatched');
    expect(real.stdout.match(/\| [0-9a-f-]{36} \|.*\| ok$/gm)).toHaveLength(16);
    expect(real.stdout).toContain('3 users marked fully migrated');
    expect(real.stdout).toMatch(
      /VERDICT: CLEAN for every thread and share: every thread, message, feedback item and share is in MongoDB and equal/,
    );

    await (await threadsCollection()).updateOne({ thread_id: cloned[0]!.ids.plain }, { $pop: { messages: -1 } });
    const verify = await run('--verify-only', '--mismatches-only');
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain('verification: 16 threads, 15 ok, 1 mismatched');
    expect(verify.stdout).toMatch(new RegExp(`\\| ${cloned[0]!.ids.plain} \\|.*\\| mismatch: .*missing in MongoDB`));
    expect(verify.stdout.match(/^\| [0-9a-f-]{36} \|/gm)).toHaveLength(1);
    expect(verify.stdout).toContain('VERDICT: NOT CLEAN for every thread and share: 1 threads and 0 shares differ or are missing');

    const bad = await run('--batch', 'many');
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('--batch must be an integer')]);
  });
});
