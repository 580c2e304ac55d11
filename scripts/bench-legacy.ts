/**
 * `npx tsx scripts/bench-legacy.ts`: the legacy layer's costs, printed as a table (not a test: numbers depend on
 * the machine).
 *  - migration throughput (messages per second) of migrateLegacy end to end, of its read-and-convert part alone
 *    (a dry run), and of a bare `insertMany` of the same converted documents (the ceiling of the write side);
 *  - the latency a fallback read adds: get-thread and list of a legacy thread served from SQL, vs the same thread
 *    once it is in MongoDB.
 * Databases: MONGODB_URI or a MongoDB test server it starts; LEGACY_DATABASE_URL or an in-memory PGlite it starts
 * (then the SQL side runs in this process, on the same event loop: a real PostgreSQL server is faster).
 * Size: BENCH_LEGACY_USERS (default 200) users, each with the 6 seeded row shapes and one 20-message thread.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { startLegacyDb } from '#support/legacy-dev-db.js';
import { benchEnvironment, measure } from '#support/bench.js';
import { startMongoServer } from '#support/mongo-server.js';
import { insertLegacyRows, type LegacyRows } from './legacy/seed-data.js';
import { cloneSeedThreads, plainThread, reserveIds } from './legacy/synthetic.js';

const USERS = Number(process.env.BENCH_LEGACY_USERS ?? 200);

interface Row {
  name: string;
  value: string;
  note?: string;
}

const rate = (count: number, ms: number) => Math.round((count * 1000) / ms).toLocaleString('en-US');
const ms = (v: number) => v.toFixed(2);

function printTable(rows: Row[]): void {
  console.log(`\n| ${'measurement'.padEnd(62)} | ${'value'.padStart(22)} | note`);
  console.log(`|${'-'.repeat(64)}|${'-'.repeat(24)}|------`);
  for (const r of rows) console.log(`| ${r.name.padEnd(62)} | ${r.value.padStart(22)} | ${r.note ?? ''}`);
}

async function main(): Promise<void> {
  benchEnvironment('legacy');
  const log = (m: string) => console.log(`[bench-legacy] ${m}`);
  const mongo = await startMongoServer({ log });
  process.env.MONGODB_URI = mongo.uri;
  const ownLegacy = process.env.LEGACY_DATABASE_URL ? undefined : await startLegacyDb();
  if (ownLegacy) process.env.LEGACY_DATABASE_URL = ownLegacy.url;
  log(ownLegacy ? 'legacy PostgreSQL: in-memory PGlite' : 'legacy PostgreSQL: LEGACY_DATABASE_URL');

  const { getDb, closeMongo } = await import('#lib/db/mongo.js');
  const { ensureIndexes } = await import('#lib/db/indexes.js');
  const { threadsCollection } = await import('#lib/threads/mongo-store.js');
  const { closeLegacyPool } = await import('#lib/db/pg.js');
  const { migrateLegacy } = await import('#scripts/ops/migrate/migrate.js');
  const { MIGRATIONS } = await import('#scripts/ops/migrate/checkpoint.js');
  const { call } = await import('#support/lambda.js');
  const { tokenFor } = await import('#support/auth.js');
  const getThread = (await import('#functions/get-thread.js')).handler;
  const listThreads = (await import('#functions/list-threads.js')).handler;
  const db = await getDb();
  await ensureIndexes(db);
  const col = await threadsCollection();

  // Legacy rows: per user, the 6 seeded row shapes and one long plain thread.
  const client = new pg.Client({ connectionString: process.env.LEGACY_DATABASE_URL });
  await client.connect();
  const { rows: maxIds } = await client.query<{ m: number }>('SELECT COALESCE(MAX(id), 0)::int AS m FROM messages');
  reserveIds(maxIds[0]!.m + 1_000_000);
  log(`loading ${USERS} users x 7 legacy threads...`);
  let sample: { user: string; threadId: string } | undefined;
  for (let u = 0; u < USERS; u++) {
    const user = randomUUID();
    const cloned = cloneSeedThreads(user, { shiftMs: u * 60_000 });
    const long = plainThread(user, new Date(Date.UTC(2025, 1, 1) + u * 60_000), { turns: 10 });
    const rows: LegacyRows = { ...cloned, threads: [...cloned.threads, long.thread], messages: [...cloned.messages, ...long.messages] };
    await insertLegacyRows((sql, params) => client.query(sql, params), rows);
    sample ??= { user, threadId: long.thread.id };
  }
  await client.end();
  const { user: sampleUser, threadId: sampleThread } = sample!;
  const token = await tokenFor(sampleUser);
  const path = { path: `/api/v3/threads/${sampleThread}`, pathParameters: { thread_id: sampleThread } };

  const rows: Row[] = [];
  // Fallback reads, before the thread has a MongoDB copy.
  const getLegacy = await measure(async () => {
    const res = await call(getThread, { token, ...path });
    if (res.status !== 200 || res.json.storage !== 'legacy') throw new Error(`unexpected ${res.status} ${res.json?.storage}`);
  });
  const listLegacy = await measure(() => call(listThreads, { token }));

  // Migration: read + convert only (dry run), then the real run.
  const dry = await migrateLegacy({ dryRun: true, batchSize: 100 });
  const real = await migrateLegacy({ batchSize: 100, restart: true });
  rows.push({
    name: `migrateLegacy, ${real.threads} threads / ${real.messages.toLocaleString('en-US')} messages`,
    value: `${rate(real.messages, real.elapsedMs)} msg/s`,
    note: `${(real.elapsedMs / 1000).toFixed(2)} s, ${rate(real.threads, real.elapsedMs)} threads/s, batches of 100`,
  });
  rows.push({
    name: '  read + convert only (--dry-run)',
    value: `${rate(dry.messages, dry.elapsedMs)} msg/s`,
    note: `${(dry.elapsedMs / 1000).toFixed(2)} s`,
  });
  // The ceiling: the same converted documents with a bare insertMany.
  const docs = await col.find({}, { projection: { _id: 0 } }).toArray();
  await col.deleteMany({});
  const t0 = performance.now();
  for (let i = 0; i < docs.length; i += 100)
    await col.insertMany(
      docs.slice(i, i + 100).map((d) => ({ ...d })),
      { ordered: false },
    );
  const bareMs = performance.now() - t0;
  const messages = docs.reduce((n, d) => n + d.messages.length, 0);
  rows.push({
    name: '  bare insertMany of the same documents (ceiling)',
    value: `${rate(messages, bareMs)} msg/s`,
    note: `${(bareMs / 1000).toFixed(2)} s; migration at ${Math.round((100 * rate2(real.messages, real.elapsedMs)) / rate2(messages, bareMs))}% of it`,
  });

  // The same thread, now in MongoDB.
  const getMongo = await measure(async () => {
    const res = await call(getThread, { token, ...path });
    if (res.status !== 200 || res.json.storage !== 'mongodb') throw new Error(`unexpected ${res.status} ${res.json?.storage}`);
  });
  const listMongo = await measure(() => call(listThreads, { token }));
  rows.push({
    name: 'GET /threads/{id}, legacy thread (20 messages) from SQL',
    value: `p50 ${ms(getLegacy.p50)} / p95 ${ms(getLegacy.p95)} ms`,
  });
  rows.push({
    name: '  the same thread from MongoDB',
    value: `p50 ${ms(getMongo.p50)} / p95 ${ms(getMongo.p95)} ms`,
    note: `fallback adds p50 ${ms(getLegacy.p50 - getMongo.p50)} ms`,
  });
  rows.push({
    name: 'GET /threads, 7 legacy threads (SQL + MongoDB dedupe query)',
    value: `p50 ${ms(listLegacy.p50)} / p95 ${ms(listLegacy.p95)} ms`,
  });
  rows.push({
    name: '  after the migration (SQL still asked: its rows are copies)',
    value: `p50 ${ms(listMongo.p50)} / p95 ${ms(listMongo.p95)} ms`,
    note: `difference p50 ${ms(listMongo.p50 - listLegacy.p50)} ms`,
  });
  printTable(rows);

  await db.collection('threads').deleteMany({});
  await db.collection(MIGRATIONS).deleteMany({});
  if (mongo.kind === 'external') await db.dropDatabase();
  await closeMongo();
  await closeLegacyPool();
  await ownLegacy?.stop();
  await mongo.stop();
}

const rate2 = (count: number, msTaken: number) => (count * 1000) / msTaken;

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
