/**
 * Backup and restore (scripts/ops/backup/, scripts/backup.ts, scripts/restore.ts) against the real MongoDB wire server.
 * The test owns its databases: `MONGODB_DB` is set before lib/ is imported (lib/config.ts parses the environment
 * once, at import), and every restore target is a database of its own.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Binary, BSON, Decimal128, Double, Int32, Long, ObjectId, type Db, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupDatabase } from '#scripts/ops/backup/backup.js';
import { BackupIntegrityError } from '#scripts/ops/backup/files.js';
import { formatRestoreSummary, formatVerifyLine } from '#scripts/ops/backup/report.js';
import { restoreBackup } from '#scripts/ops/backup/restore.js';
import { verifyBackup } from '#scripts/ops/backup/verify.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DB = `ansari_backup_${process.pid}`;
const COLLECTIONS = ['threads', 'shared_threads', 'thread_message_chunks'] as const;
const HOUR = 3_600_000;
const previousDb = process.env.MONGODB_DB;

let mongo: typeof import('#lib/db/mongo.js');
let source: Db;
let workDir: string;
let backupDir: string;
/** Every document of the seeded database as canonical EJSON, per collection, in _id order. */
let expected: Record<string, string[]>;
const targets: string[] = [];

const t0 = new Date(Date.UTC(2026, 4, 1, 8, 0, 0, 123));
const later = (ms: number) => new Date(t0.getTime() + ms);
const ejson = (doc: unknown) => BSON.EJSON.stringify(doc as Document, { relaxed: false });
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const sortKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([k, x]) => [k, sortKeys(x)]),
        )
      : v;
const orderFree = (canonical: string) => JSON.stringify(sortKeys(JSON.parse(canonical)));

/** Reads every document exactly as stored (no number promotion), independently of scripts/ops/backup/. */
async function snapshot(db: Db): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const name of COLLECTIONS) {
    const docs = await db
      .collection(name)
      .find({}, { sort: { _id: 1 }, promoteValues: false, bsonRegExp: true })
      .toArray();
    out[name] = docs.map(ejson);
  }
  return out;
}

async function target(label: string): Promise<Db> {
  const name = `${DB}_${label}`;
  targets.push(name);
  const db = (await mongo.getMongoClient()).db(name);
  await db.dropDatabase();
  return db;
}

const collectionNames = async (db: Db) => (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();

const richThreadId = randomUUID();
const plainThreadId = randomUUID();
const richThread = () => ({
  thread_id: richThreadId,
  name: 'زكاة الفطر 🕌 — café (e\u0301) 中文',
  user_id: randomUUID(),
  initial_source: 'ios',
  created_at: t0,
  updated_at: later(5_000),
  metadata: {
    client: { app_version: '2.4.1', build: new Int32(412) },
    ref: new ObjectId('65f0c0ffee0000000000abcd'),
    big: Long.fromString('9007199254740993'),
    small_long: Long.fromNumber(5), // a plain read would turn this into the number 5
    price: Decimal128.fromString('0.10'),
    ratio: new Double(2), // a double holding an integer: must not come back as an Int32
    negative_zero: new Double(-0),
    digest: new Binary(Buffer.from([0, 1, 2, 250, 255])),
    tags: ['fiqh', 'ramadan', null, true, 3.25],
  },
  messages: [
    {
      id: 'm1',
      role: 'user',
      content: [{ type: 'text', text: 'How much is zakat al-fitr?\n"quoted" \\ back\tslash' }],
      created_at: t0,
      user_id: 'u',
    },
    {
      id: 'm2',
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'Check the hadith collections.', signature: 'c2lnbmF0dXJl' },
        { type: 'text', text: 'Let me search.' },
        {
          type: 'tool_use',
          id: 'toolu_01',
          name: 'search_hadith',
          input: { query: 'zakat al-fitr', filters: { books: ['bukhari', 'muslim'], limit: 5 } },
        },
      ],
      created_at: later(1_000),
      model: 'claude-sonnet-5-5',
      usage: { input_tokens: 1200, output_tokens: 85 },
    },
    {
      id: 'm3',
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_01',
          content: [
            { type: 'text', text: 'A sa‘ of dates or barley' },
            {
              type: 'document',
              source: { type: 'text', media_type: 'text/plain', data: 'صاعا من تمر' },
              title: 'Bukhari 1503',
              citations: { enabled: true },
            },
          ],
        },
      ],
      created_at: later(2_000),
    },
    {
      id: 'm4',
      role: 'assistant',
      content: [
        {
          type: 'text',
          text: 'One sa‘ per person',
          citations: [
            {
              type: 'char_location',
              cited_text: 'A sa‘ of dates',
              document_index: 0,
              document_title: 'Bukhari 1503',
              start_char_index: 0,
              end_char_index: 14,
            },
          ],
        },
      ],
      created_at: later(5_000),
      feedback: { rating: 'up', at: later(60_000) },
      stop_reason: 'end_turn',
    },
  ],
});

async function seed(db: Db): Promise<void> {
  const threads = db.collection('threads');
  await threads.insertOne(richThread());
  await threads.insertOne({
    _id: new ObjectId(),
    thread_id: plainThreadId,
    name: null,
    user_id: randomUUID(),
    initial_source: 'web',
    created_at: t0,
    updated_at: t0,
    metadata: {},
    messages: [],
  });
  for (let i = 0; i < 23; i++) {
    await threads.insertOne({
      thread_id: randomUUID(),
      name: `Thread ${i} ✓`,
      user_id: randomUUID(),
      initial_source: 'android',
      created_at: later(i),
      updated_at: later(i * 2),
      metadata: { i },
      messages: [{ id: `m${i}`, role: 'user', content: [{ type: 'text', text: `question ${i}` }], created_at: later(i) }],
    });
  }
  const share = (share_id: string, expires_at: Date | null) => ({
    share_id,
    thread_id: richThreadId,
    user_id: randomUUID(),
    created_at: t0,
    expires_at,
    snapshot: {
      thread_name: 'زكاة الفطر 🕌',
      initial_source: 'ios',
      created_at: t0,
      updated_at: later(5_000),
      messages: richThread().messages,
    },
  });
  await db
    .collection('shared_threads')
    .insertMany([
      share('AAAAAAAAAAAAAAAAAAAAAA', null),
      share('BBBBBBBBBBBBBBBBBBBBBB', new Date(Date.now() + 30 * 24 * HOUR)),
      share('CCCCCCCCCCCCCCCCCCCCCC', new Date(Date.now() + HOUR)),
    ]);
  // Overflow chunks (lib/threads/overflow.ts), restored by (thread_id, seq); and one document without that key.
  await db.collection('thread_message_chunks').insertMany([
    {
      thread_id: richThreadId,
      user_id: 'u',
      seq: 0,
      messages: [{ id: 'old', role: 'user', content: [{ type: 'text', text: 'overflow' }], created_at: t0 }],
      size_bytes: 120,
      created_at: t0,
    },
    { _id: new ObjectId(), thread_id: plainThreadId, user_id: 'u', seq: 1, messages: [], size_bytes: 0, created_at: t0 },
  ]);
  await db
    .collection<{ _id: Document; note: string }>('thread_message_chunks')
    .insertOne({ _id: { stray: true, n: new Int32(7) }, note: 'no thread_id or seq' });
}

beforeAll(async () => {
  process.env.MONGODB_DB = DB; // before lib/config.ts is first imported
  mongo = await import('#lib/db/mongo.js');
  const { ensureIndexes } = await import('#lib/db/indexes.js');
  source = await mongo.getDb();
  await source.dropDatabase();
  await ensureIndexes(source);
  await seed(source);
  expected = await snapshot(source);
  workDir = await mkdtemp(path.join(tmpdir(), 'ansari-backup-test-'));
  backupDir = path.join(workDir, 'backup');
  await backupDatabase(source, backupDir);
});

afterAll(async () => {
  if (mongo) {
    const client = await mongo.getMongoClient();
    for (const name of [DB, ...targets]) await client.db(name).dropDatabase();
    await mongo.closeMongo();
  }
  if (workDir) await rm(workDir, { recursive: true, force: true });
  if (previousDb === undefined) delete process.env.MONGODB_DB;
  else process.env.MONGODB_DB = previousDb;
});

describe('backup', () => {
  it('writes one canonical EJSON document per line in _id order, with counts and checksums in the manifest', async () => {
    expect((await readdir(backupDir)).sort()).toEqual([
      'manifest.json',
      'shared_threads.ejson.gz',
      'thread_message_chunks.ejson.gz',
      'threads.ejson.gz',
    ]);
    const manifest = JSON.parse(await readFile(path.join(backupDir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'ansari-threads-backup', format_version: 1, database: DB, tool_version: expect.any(String) });
    expect(Object.keys(manifest.collections)).toEqual(['threads', 'shared_threads', 'thread_message_chunks']);
    expect(expected.threads).toHaveLength(25);
    for (const name of COLLECTIONS) {
      const entry = manifest.collections[name];
      const gz = await readFile(path.join(backupDir, entry.file));
      const content = gunzipSync(gz).toString('utf8');
      expect(content).toBe(expected[name]!.map((line) => `${line}\n`).join(''));
      expect(entry).toMatchObject({
        file: `${name}.ejson.gz`,
        key: { threads: ['thread_id'], shared_threads: ['share_id'], thread_message_chunks: ['thread_id', 'seq'] }[name],
        count: expected[name]!.length,
        checksum: sha256(content),
        file_sha256: sha256(gz),
        file_bytes: gz.length,
        not_round_trippable: 0,
      });
    }
    expect(manifest.collections.threads.indexes.map((ix: { name: string }) => ix.name)).toEqual(
      expect.arrayContaining(['_id_', 'thread_id_unique']),
    );
    const rich = expected.threads!.find((line) => line.includes(richThreadId))!;
    for (const typed of [
      '"$numberLong":"9007199254740993"',
      '"small_long":{"$numberLong":"5"}',
      '"$numberDecimal":"0.10"',
      '"ratio":{"$numberDouble":"2.0"}',
      '"$numberDouble":"-0.0"',
      '"$oid":"65f0c0ffee0000000000abcd"',
      '"$binary"',
      '"$date"',
    ]) {
      expect(rich).toContain(typed);
    }
  });

  it('leaves the rate-limit windows kept among the threads out of a backup and of its verification', async () => {
    const threads = source.collection<{ _id: string } & Document>('threads');
    const id = `limits:${randomUUID()}:writes:${t0.getTime()}`;
    await threads.insertOne({ _id: id, thread_id: id, limit_user: 'u', day: 3, m600: 3, limit_expires_at: later(HOUR) });
    try {
      const dir = path.join(workDir, 'with-window');
      const manifest = await backupDatabase(source, dir, { collections: ['threads'] });
      expect(manifest.collections.threads).toMatchObject({ count: expected.threads!.length });
      expect(gunzipSync(await readFile(path.join(dir, 'threads.ejson.gz'))).toString('utf8')).not.toContain('limits:');
      const report = await verifyBackup(source, dir);
      expect(report.collections.map((c) => [c.collection, c.status, c.extra])).toEqual([['threads', 'exact', 0]]);
    } finally {
      await threads.deleteOne({ _id: id });
    }
  });

  it('backs up only the collections asked for, and never writes over an existing backup', async () => {
    const dir = path.join(workDir, 'threads-only');
    const manifest = await backupDatabase(source, dir, { collections: ['threads'] });
    expect(Object.keys(manifest.collections)).toEqual(['threads']);
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', 'threads.ejson.gz']);
    await expect(backupDatabase(source, dir)).rejects.toThrow(/already holds a backup/);
    await expect(backupDatabase(source, path.join(workDir, 'bad'), { collections: ['users'] })).rejects.toThrow(
      /unknown collection "users"/,
    );
  });
});

describe('restore', () => {
  it('backs up, drops the database, restores, and gets every document back with its types', async () => {
    await source.dropDatabase();
    expect(await collectionNames(source)).toEqual([]);

    const report = await restoreBackup(source, backupDir, { batchSize: 7 });

    expect(report.ok).toBe(true);
    expect(report.collections.map((c) => [c.collection, c.documents, c.inserted, c.replaced, c.errors])).toEqual([
      ['threads', 25, 25, 0, 0],
      ['shared_threads', 3, 3, 0, 0],
      ['thread_message_chunks', 3, 3, 0, 0],
    ]);
    expect(await snapshot(source)).toEqual(expected);
    expect(report.verify!.collections.map((c) => [c.collection, c.status])).toEqual([
      ['threads', 'exact'],
      ['shared_threads', 'exact'],
      ['thread_message_chunks', 'exact'],
    ]);
    const indexNames = async (name: string) => (await source.collection(name).listIndexes().toArray()).map((ix) => ix.name);
    expect(await indexNames('threads')).toEqual(expect.arrayContaining(['thread_id_unique', 'user_threads_list']));
    expect(await indexNames('shared_threads')).toEqual(expect.arrayContaining(['share_id_unique', 'thread_id', 'expires_at_ttl']));
    // Read back the usual way, the types are still there.
    const rich = await source.collection('threads').findOne({ thread_id: richThreadId });
    expect(rich!.metadata.price).toBeInstanceOf(Decimal128);
    expect(rich!.metadata.ref).toEqual(new ObjectId('65f0c0ffee0000000000abcd'));
    expect(rich!.messages[3].created_at).toEqual(later(5_000));
  });

  it('is idempotent: restoring twice leaves the same documents, no duplicates', async () => {
    const db = await target('twice');
    await restoreBackup(db, backupDir, { batchSize: 7 });
    const again = await restoreBackup(db, backupDir, { batchSize: 7 });

    expect(again.ok).toBe(true);
    expect(again.collections.map((c) => [c.collection, c.inserted, c.replaced, c.replacedUnderTargetId])).toEqual([
      ['threads', 0, 25, 0],
      ['shared_threads', 0, 3, 0],
      ['thread_message_chunks', 0, 3, 0],
    ]);
    expect(await snapshot(db)).toEqual(expected);
    expect(new Set((await db.collection('threads').distinct('thread_id')).map(String)).size).toBe(25);
    expect(await db.collection('threads').countDocuments()).toBe(25);
    expect(again.verify!.ok).toBe(true);
  });

  it('into an existing database: replaces the backed-up documents, keeps the others and reports them', async () => {
    const db = await target('existing');
    const threads = db.collection('threads');
    const richId = BSON.EJSON.parse(
      expected.threads!.find((l) => l.includes(richThreadId))!,
      { relaxed: false },
    ) as Document;
    await threads.insertOne({ ...richThread(), _id: richId._id, name: 'edited after the backup', messages: [] }); // same _id, changed
    const otherId = new ObjectId();
    await threads.insertOne({
      _id: otherId,
      thread_id: plainThreadId,
      name: 'recreated under another _id',
      user_id: 'x',
      metadata: {},
      messages: [],
    });
    const extraId = randomUUID();
    await threads.insertOne({ thread_id: extraId, name: 'created after the backup', user_id: randomUUID(), metadata: {}, messages: [] });
    const extraBefore = ejson(await threads.findOne({ thread_id: extraId }, { promoteValues: false }));
    const chunkId = new ObjectId();
    await db
      .collection('thread_message_chunks')
      .insertOne({ _id: chunkId, thread_id: plainThreadId, user_id: 'u', seq: 1, messages: [{ id: 'x' }], size_bytes: 9, created_at: t0 });

    const report = await restoreBackup(db, backupDir, { batchSize: 7 });

    expect(report.collections[0]).toMatchObject({
      collection: 'threads',
      documents: 25,
      inserted: 23,
      replaced: 2,
      replacedUnderTargetId: 1,
      errors: 0,
    });
    const after = await snapshot(db);
    expect(after.threads).toHaveLength(26);
    expect(after.threads).toEqual(expect.arrayContaining(expected.threads!.filter((l) => !l.includes(plainThreadId))));
    expect(after.threads).toContain(extraBefore); // the extra document is untouched
    const plain = await threads.findOne({ thread_id: plainThreadId }, { promoteValues: false });
    const { _id, ...plainBody } = plain!;
    const { _id: _backupId, ...backupBody } = BSON.EJSON.parse(
      expected.threads!.find((l) => l.includes(plainThreadId))!,
      { relaxed: false },
    ) as Document;
    expect(_id).toEqual(otherId); // the target's _id is kept
    // Same fields, values and types; field order compared loosely, as mongo-java-server keeps the order of the
    // document it replaces (a real mongod takes the replacement's order).
    expect(orderFree(ejson(plainBody))).toBe(orderFree(ejson(backupBody)));

    expect(report.ok).toBe(true);
    const verify = report.verify!.collections[0]!;
    expect(verify).toMatchObject({
      collection: 'threads',
      status: 'contains-backup',
      expected: { count: 25 },
      actual: { count: 26 },
      equal: 25,
      underOtherId: 1,
      missing: 0,
      different: 0,
      extra: 1,
      samples: { extra: [`thread_id ${extraId}`] },
    });
    expect(formatVerifyLine(verify)).toMatch(/1 extra in the database, not in the backup/);
    expect(report.collections[2]).toMatchObject({
      collection: 'thread_message_chunks',
      inserted: 2,
      replaced: 1,
      replacedUnderTargetId: 1,
    });
    expect(await db.collection('thread_message_chunks').findOne({ thread_id: plainThreadId, seq: 1 })).toMatchObject({
      _id: chunkId,
      messages: [],
    });
    expect(report.verify!.collections.slice(1).map((c) => [c.status, c.underOtherId, c.extra])).toEqual([
      ['exact', 0, 0],
      ['contains-backup', 1, 0],
    ]);
  });

  it('reports a document it cannot write, restores the rest, and fails', async () => {
    const db = await target('conflict');
    const plain = BSON.EJSON.parse(
      expected.threads!.find((l) => l.includes(plainThreadId))!,
      { relaxed: false },
    ) as Document;
    // Another thread already sits under the backed-up thread's _id: inserting it must fail, not overwrite.
    const squatter = randomUUID();
    await db
      .collection('threads')
      .insertOne({ _id: plain._id, thread_id: squatter, name: 'squatter', user_id: randomUUID(), metadata: {}, messages: [] });

    const report = await restoreBackup(db, backupDir, { batchSize: 7 });

    expect(report.ok).toBe(false);
    expect(report.collections[0]).toMatchObject({ collection: 'threads', inserted: 24, replaced: 0, errors: 1 });
    expect(report.collections[0]!.errorSamples).toEqual([expect.stringMatching(new RegExp(`^thread_id ${plainThreadId}: .*E11000`))]);
    expect(await db.collection('threads').countDocuments()).toBe(25);
    expect(await db.collection('threads').findOne({ _id: plain._id })).toMatchObject({ thread_id: squatter });
    expect(report.verify!.collections[0]).toMatchObject({
      status: 'mismatch',
      missing: 1,
      extra: 1,
      samples: { missing: [`thread_id ${plainThreadId}`], extra: [`thread_id ${squatter}`] },
    });
    expect(formatRestoreSummary(report)).toMatch(/FAILED[\s\S]*1 ERRORS/);
  });

  it('refuses a tampered or truncated file and writes nothing', async () => {
    const tampered = path.join(workDir, 'tampered');
    await cp(backupDir, tampered, { recursive: true });
    const file = path.join(tampered, 'threads.ejson.gz');
    const content = gunzipSync(await readFile(file)).toString('utf8');
    await writeFile(file, gzipSync(content.replace('Thread 7 ✓', 'Thread 7 X')));
    const db = await target('tampered');

    await expect(restoreBackup(db, tampered)).rejects.toThrow(/refusing to use this backup: threads\.ejson\.gz: file sha256 is/);
    await expect(verifyBackup(db, tampered)).rejects.toThrow(BackupIntegrityError);

    // With the file hash forged in the manifest too, the content checksum still gives it away.
    const manifestFile = path.join(tampered, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8'));
    manifest.collections.threads.file_sha256 = sha256(await readFile(file));
    await writeFile(manifestFile, JSON.stringify(manifest));
    await expect(restoreBackup(db, tampered)).rejects.toThrow(/threads\.ejson\.gz: content checksum is/);

    // A truncated file (a lost tail) cannot even be decompressed.
    const gz = await readFile(path.join(backupDir, 'shared_threads.ejson.gz'));
    await writeFile(path.join(tampered, 'shared_threads.ejson.gz'), gz.subarray(0, gz.length - 20));
    await expect(restoreBackup(db, tampered, { collections: ['shared_threads'] })).rejects.toThrow(
      /shared_threads\.ejson\.gz: (cannot be decompressed|file sha256)/,
    );

    expect(await collectionNames(db)).toEqual([]);
  });

  it('dry run reads and validates everything and writes nothing', async () => {
    const db = await target('dry');
    const report = await restoreBackup(db, backupDir, { dryRun: true, batchSize: 7 });
    expect(report).toMatchObject({ ok: true, dryRun: true });
    expect(report.verify).toBeUndefined();
    expect(report.collections.map((c) => [c.collection, c.documents, c.inserted, c.replaced])).toEqual([
      ['threads', 25, 25, 0],
      ['shared_threads', 3, 3, 0],
      ['thread_message_chunks', 3, 3, 0],
    ]);
    expect(await collectionNames(db)).toEqual([]);
  });
});

describe('verify', () => {
  it('reports missing and changed documents as a mismatch, and shares gone after their expiry as expected', async () => {
    const db = await target('verify');
    await restoreBackup(db, backupDir);
    await db.collection('threads').deleteOne({ thread_id: plainThreadId });
    await db
      .collection('shared_threads')
      .updateOne({ share_id: 'AAAAAAAAAAAAAAAAAAAAAA' }, { $set: { 'snapshot.thread_name': 'changed' } });
    await db.collection('shared_threads').deleteOne({ share_id: 'CCCCCCCCCCCCCCCCCCCCCC' }); // expires in an hour: as the TTL index would

    const report = await verifyBackup(db, backupDir, { now: new Date(Date.now() + 2 * HOUR) });

    expect(report.ok).toBe(false);
    expect(report.collections.map((c) => [c.collection, c.status, c.equal, c.missing, c.different, c.expiredGone, c.extra])).toEqual([
      ['threads', 'mismatch', 24, 1, 0, 0, 0],
      ['shared_threads', 'mismatch', 1, 0, 1, 1, 0],
      ['thread_message_chunks', 'exact', 3, 0, 0, 0, 0],
    ]);
    expect(report.collections[0]!.samples.missing).toEqual([`thread_id ${plainThreadId}`]);
    expect(report.collections[1]!.samples.different).toEqual(['share_id AAAAAAAAAAAAAAAAAAAAAA']);
    // Today the share has not expired: its absence is a plain missing document.
    const today = await verifyBackup(db, backupDir, { collections: ['shared_threads'] });
    expect(today.collections[0]).toMatchObject({ missing: 1, expiredGone: 0 });
  });
});

describe('CLIs', () => {
  const tsx = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');
  const run = (script: string, args: string[], db: string) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        process.execPath,
        [tsx, path.join(ROOT, 'scripts', script), ...args],
        { cwd: ROOT, env: { ...process.env, MONGODB_DB: db } },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
      );
    });

  it('npm run backup / restore: back up, dry run, restore, verify, with exit codes', async () => {
    const dir = path.join(workDir, 'cli');
    const db = await target('cli');

    const made = await run('backup.ts', ['--out', dir], DB);
    expect(made.code, made.out).toBe(0);
    expect(made.out).toMatch(/Backup of "ansari_backup_\d+" complete/);

    const dry = await run('restore.ts', ['--from', dir, '--dry-run'], db.databaseName);
    expect(dry.code, dry.out).toBe(0);
    expect(dry.out).toMatch(/Dry run \(nothing written\)/);
    expect(await collectionNames(db)).toEqual([]);

    const restored = await run('restore.ts', ['--from', dir, '--collections', 'threads,shared_threads'], db.databaseName);
    expect(restored.code, restored.out).toBe(0);
    expect(restored.out).toMatch(/Verification of "ansari_backup_\d+_cli": OK/);
    const after = await snapshot(db);
    expect([after.threads, after.shared_threads]).toEqual([expected.threads, expected.shared_threads]);

    await db.collection('threads').deleteOne({ thread_id: richThreadId });
    const verify = await run('restore.ts', ['--from', dir, '--verify-only', '--collections', 'threads'], db.databaseName);
    expect(verify.code).toBe(1);
    expect(verify.out).toContain(`threads: MISMATCH: backup 25, database 24; 24 equal; 1 MISSING (e.g. thread_id ${richThreadId})`);

    const usage = await run('restore.ts', ['--dry-run'], db.databaseName);
    expect(usage.code).toBe(2);
    expect(usage.out).toMatch(/--from DIR is required/);
  }, 180_000); // five child processes, each compiling TypeScript on start
});
