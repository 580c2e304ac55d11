/**
 * `npx tsx scripts/bench-legacy.ts`: the legacy migration's speed and the list's cost around it, printed as tables
 * (not a test: numbers depend on the machine).
 *
 * Data: the synthetic legacy database of scripts/legacy/synthetic-load.ts (by default 2,000 users, 20,000 threads,
 * ~400,000 rows, every row shape, realistic sizes), in LEGACY_DATABASE_URL, else a throwaway PostgreSQL server when
 * PostgreSQL is installed (scripts/support/postgres-server.ts, port BENCH_PG_PORT), else an in-memory PGlite served
 * by a child process (PostgreSQL's work then runs beside this process, but on one WASM session); MongoDB from
 * MONGODB_URI or a test server it starts.
 *  1. Throughput: rounds of {`migrateLegacy` end to end (restart, empty MongoDB), a bare `insertMany` of the same
 *     documents in batches of the same size (only the inserts timed)}, in random order each round; messages/s as median,
 *     quartiles and run count, the per-round ratio, and the peak RSS of this process during the migrations.
 *  2. The list (`GET /threads?limit=20`) of users with 3,000 threads each: before the migration (all in SQL),
 *     during it (half copied), after it (all copied, the user marked), and a MongoDB-only user; cases in random order
 *     each round, with the SQL queries each request made, and get-thread from SQL vs MongoDB.
 * Sizes: BENCH_LEGACY_USERS (2000), BENCH_LEGACY_THREADS (10 per user), BENCH_LEGACY_ROWS (20 per thread),
 * BENCH_LEGACY_ROUNDS (5), BENCH_LEGACY_BATCH (100 threads a batch, documents an insertMany), BENCH_LIST_THREADS (3000),
 * BENCH_LIST_ROUNDS (30).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { startLegacyDbProcess } from '#support/legacy-dev-db.js';
import { benchEnvironment, shuffle } from '#support/bench.js';
import { startMongoServer } from '#support/mongo-server.js';
import { startThrowawayPostgres } from '#support/postgres-server.js';
import { insertLegacyRowsBulk, legacyUser, plainThread, reserveIds } from './legacy/synthetic.js';
import { loadSynthetic } from './legacy/synthetic-load.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SHAPE = {
  users: env('BENCH_LEGACY_USERS', 2000),
  threads: env('BENCH_LEGACY_THREADS', 10),
  rows: env('BENCH_LEGACY_ROWS', 20),
  seed: 1,
};
const ROUNDS = env('BENCH_LEGACY_ROUNDS', 5);
const LIST_THREADS = env('BENCH_LIST_THREADS', 3000);
const LIST_ROUNDS = env('BENCH_LIST_ROUNDS', 30);
const PG_PORT = env('BENCH_PG_PORT', 5111);
/** Threads per migration batch, and documents per bare insertMany: the same on both sides. */
const BATCH = env('BENCH_LEGACY_BATCH', 100);

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024)} MB`;

/** Median and quartiles (nearest rank) of a sample. */
function stats(values: number[]): { median: number; q1: number; q3: number; n: number; min: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))]!;
  return { median: at(0.5), q1: at(0.25), q3: at(0.75), n: s.length, min: s[0]!, max: s[s.length - 1]! };
}
const spread = (v: number[], digits = 0, unit = '') => {
  const s = stats(v);
  return `${fmt(s.median, digits)}${unit} [${fmt(s.q1, digits)}–${fmt(s.q3, digits)}] n=${s.n}`;
};

function table(title: string, head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n${title}\n${line(head)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  benchEnvironment('legacy');
  // Whole-database runs on a shared machine: slow operations are not failures here.
  process.env.MONGODB_TIMEOUT_MS ??= '60000';
  process.env.DB_RETRY_BUDGET_MS ??= '60000';
  const log = (m: string) => console.log(`[bench-legacy] ${m}`);
  const mongo = await startMongoServer({ log });
  process.env.MONGODB_URI = mongo.uri;
  // PostgreSQL: the one given, else a throwaway server when PostgreSQL is installed, else PGlite in a child process.
  let legacyServer: { url: string; stop(): Promise<void> } | null = null;
  if (process.env.LEGACY_DATABASE_URL) log('legacy PostgreSQL: LEGACY_DATABASE_URL');
  else if ((legacyServer = await startThrowawayPostgres(PG_PORT)))
    log(`legacy PostgreSQL: a throwaway PostgreSQL server on port ${PG_PORT}`);
  else {
    legacyServer = await startLegacyDbProcess();
    log('legacy PostgreSQL: in-memory PGlite in a child process (PostgreSQL is not installed)');
  }
  if (legacyServer) process.env.LEGACY_DATABASE_URL = legacyServer.url;
  const sql = new pg.Client({ connectionString: process.env.LEGACY_DATABASE_URL });
  await sql.connect();
  const query = (text: string, params?: unknown[]) => sql.query(text, params);
  const t0 = performance.now();
  const loaded = await loadSynthetic(query, SHAPE, (m) => log(`loading: ${m}`));
  log(`loaded ${fmt(loaded.threads)} threads, ${fmt(loaded.messages)} rows in ${fmt((performance.now() - t0) / 1000, 1)} s`);

  const { getDb, closeMongo } = await import('#lib/db/mongo.js');
  const { ensureIndexes, INDEXES } = await import('#lib/db/indexes.js');
  const { closeLegacyPool, getLegacyPool } = await import('#lib/db/pg.js');
  const { migrateLegacy } = await import('#scripts/ops/migrate/migrate.js');
  const { call } = await import('#support/lambda.js');
  const { tokenFor } = await import('#support/auth.js');
  const listThreads = (await import('#functions/list-threads.js')).handler;
  const getThread = (await import('#functions/get-thread.js')).handler;
  const db = await getDb();
  const collections = ['threads', 'thread_message_chunks', 'migrations', 'shared_threads', 'legacy_shares', 'legacy_migrated_users'];
  const reset = async () => {
    for (const c of collections) await db.collection(c).deleteMany({});
    await ensureIndexes(db);
  };

  // 1. Throughput. A first run makes the documents the bare inserts replay.
  await reset();
  const first = await migrateLegacy({ batchSize: BATCH });
  const source = db.collection('bench_source');
  await source.deleteMany({});
  let copying = [];
  for await (const d of db
    .collection('threads')
    .find({}, { projection: { _id: 0 } })
    .batchSize(BATCH)) {
    copying.push(d);
    if (copying.length === BATCH) {
      await source.insertMany(copying);
      copying = [];
    }
  }
  if (copying.length) await source.insertMany(copying);
  const bare = db.collection('threads_bare');
  const migration: { rate: number; ms: number; rss: number }[] = [];
  const bareRuns: { rate: number; ms: number; rss: number }[] = [];
  const ratios: number[] = [];
  const rssBase = process.memoryUsage.rss();
  for (let round = 0; round < ROUNDS; round++) {
    const results: Record<string, number> = {};
    for (const which of shuffle(['migration', 'bare'])) {
      global.gc?.();
      let peak = process.memoryUsage.rss();
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
      if (which === 'migration') {
        await bare.drop().catch(() => undefined);
        await reset();
        const r = await migrateLegacy({ batchSize: BATCH, restart: true });
        if (r.inserted !== first.inserted) throw new Error(`migration inserted ${r.inserted}, expected ${first.inserted}`);
        migration.push({ rate: (r.messages * 1000) / r.elapsedMs, ms: r.elapsedMs, rss: peak });
        results.migration = (r.messages * 1000) / r.elapsedMs;
        log(`round ${round + 1}/${ROUNDS} migration steps (ms): ${JSON.stringify({ ...r.timings, total: r.elapsedMs })}`);
      } else {
        // One copy of the data besides the source at a time: the in-memory test server holds everything in its heap.
        await reset();
        await bare.drop().catch(() => undefined);
        await bare.createIndexes(INDEXES.threads!);
        let ms = 0;
        let messages = 0;
        const cursor = source.find({}, { projection: { _id: 0 } }).batchSize(BATCH);
        let docs = [];
        for await (const d of cursor) {
          docs.push(d);
          messages += (d.messages as unknown[]).length;
          if (docs.length === BATCH) {
            const t = performance.now();
            await bare.insertMany(docs, { ordered: false });
            ms += performance.now() - t;
            docs = [];
          }
        }
        if (docs.length) {
          const t = performance.now();
          await bare.insertMany(docs, { ordered: false });
          ms += performance.now() - t;
        }
        bareRuns.push({ rate: (messages * 1000) / ms, ms, rss: peak });
        results.bare = (messages * 1000) / ms;
      }
      clearInterval(sampler);
      log(`round ${round + 1}/${ROUNDS} ${which}: ${fmt(results[which]!)} messages/s`);
    }
    ratios.push(results.migration! / results.bare!);
  }
  table(
    `Migration throughput: ${fmt(first.inserted)} threads, ${fmt(first.messages)} messages (${fmt(SHAPE.users)} users), batches of ${BATCH}; ` +
      `median [quartiles] n=runs, rounds in random order`,
    ['case', 'messages/s', 'seconds', 'peak RSS of this process'],
    [
      [
        'migrateLegacy end to end',
        spread(migration.map((m) => m.rate)),
        spread(
          migration.map((m) => m.ms / 1000),
          1,
        ),
        mb(Math.max(...migration.map((m) => m.rss))),
      ],
      [
        'bare insertMany of the same documents',
        spread(bareRuns.map((m) => m.rate)),
        spread(
          bareRuns.map((m) => m.ms / 1000),
          1,
        ),
        mb(Math.max(...bareRuns.map((m) => m.rss))),
      ],
      ['migration / bare (per round)', spread(ratios, 2, '×'), '', `RSS before the rounds: ${mb(rssBase)}`],
    ],
  );
  await bare.drop().catch(() => undefined);
  await source.drop();

  // 2. The list around the migration: four users with LIST_THREADS threads each.
  const users = { before: randomUUID(), during: randomUUID(), after: randomUUID(), mongo: randomUUID() };
  const base = Date.UTC(2026, 0, 1);
  reserveIds((((await query('SELECT MAX(id)::int AS m FROM messages')).rows[0] as { m: number }).m ?? 0) + 1);
  for (const [name, user] of Object.entries(users)) {
    const threads = name === 'mongo' ? [] : Array.from({ length: LIST_THREADS }, (_, i) => plainThread(user, new Date(base + i * 1000)));
    await insertLegacyRowsBulk(query, {
      users: [legacyUser(user)],
      threads: threads.map((t) => t.thread),
      messages: threads.flatMap((t) => t.messages),
    });
  }
  await query('ANALYZE');
  await db.collection('threads').insertMany(
    Array.from({ length: LIST_THREADS }, (_, i) => ({
      thread_id: randomUUID(),
      name: `MongoDB thread ${i}`,
      user_id: users.mongo,
      initial_source: 'web',
      created_at: new Date(base + i * 1000),
      updated_at: new Date(base + i * 1000),
      metadata: {},
      messages: [
        { id: randomUUID(), role: 'user', content: [{ type: 'text', text: 'Question' }], created_at: new Date(base + i * 1000) },
        { id: randomUUID(), role: 'assistant', content: [{ type: 'text', text: 'Answer' }], created_at: new Date(base + i * 1000) },
      ],
    })),
  );
  await migrateLegacy({ batchSize: BATCH });
  // Before: nothing of this user copied; during: the older half not yet; neither is marked. The others' marks settled.
  const threads = db.collection('threads');
  await threads.deleteMany({ user_id: users.before });
  await threads.deleteMany({ user_id: users.during, updated_at: { $lt: new Date(base + (LIST_THREADS / 2) * 1000) } });
  const marks = db.collection('legacy_migrated_users');
  await marks.deleteMany({ _id: { $in: [users.before, users.during] } as never });
  await marks.updateMany({}, { $set: { marked_at: new Date(Date.now() - 3_600_000) } });

  const pool = getLegacyPool();
  const original = pool.query.bind(pool);
  let sqlQueries = 0;
  pool.query = ((...args: unknown[]) => {
    sqlQueries++;
    return (original as (...a: unknown[]) => unknown)(...args);
  }) as typeof pool.query;
  const tokens = Object.fromEntries(await Promise.all(Object.entries(users).map(async ([k, u]) => [k, await tokenFor(u)])));
  const sample = async (user: 'before' | 'after') => {
    const page = await call(listThreads, { token: tokens[user], query: { limit: '1' } });
    return (page.json as { thread_id: string }[])[0]!.thread_id;
  };
  const getIds = { before: await sample('before'), after: await sample('after') };
  const cases: Record<string, () => Promise<{ status: number }>> = {
    'list, before the migration (all in SQL)': () => call(listThreads, { token: tokens.before, query: { limit: '20' } }),
    'list, during it (half copied)': () => call(listThreads, { token: tokens.during, query: { limit: '20' } }),
    'list, after it (all copied, marked)': () => call(listThreads, { token: tokens.after, query: { limit: '20' } }),
    'list, a MongoDB-only user': () => call(listThreads, { token: tokens.mongo, query: { limit: '20' } }),
    'get-thread, a legacy thread from SQL': () =>
      call(getThread, { token: tokens.before, path: `/api/v3/threads/${getIds.before}`, pathParameters: { thread_id: getIds.before } }),
    'get-thread, the same kind of thread from MongoDB': () =>
      call(getThread, { token: tokens.after, path: `/api/v3/threads/${getIds.after}`, pathParameters: { thread_id: getIds.after } }),
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  const queries: Record<string, number> = Object.fromEntries(Object.keys(cases).map((k) => [k, 0]));
  for (let round = -3; round < LIST_ROUNDS; round++) {
    for (const name of shuffle(Object.keys(cases))) {
      const before = sqlQueries;
      const t = performance.now();
      const res = await cases[name]!();
      const ms = performance.now() - t;
      if (res.status !== 200) throw new Error(`${name}: ${res.status}`);
      if (round < 0) continue; // warm-up rounds
      times[name]!.push(ms);
      queries[name]! += sqlQueries - before;
    }
  }
  pool.query = original;
  const mongoOnly = stats(times['list, a MongoDB-only user']!).median;
  table(
    `List and get latency (ms), ${fmt(LIST_THREADS)} threads per user, ?limit=20; median [quartiles] n=requests, ${LIST_ROUNDS} rounds in random order`,
    ['case', 'latency ms', 'vs MongoDB-only list', 'SQL queries per request'],
    Object.keys(cases).map((name) => [
      name,
      spread(times[name]!, 2),
      name.startsWith('list') ? `${fmt(stats(times[name]!).median / mongoOnly, 2)}×` : '',
      fmt(queries[name]! / times[name]!.length, 1),
    ]),
  );
  console.log(`\nprocess peak RSS over the whole benchmark: ${mb(process.resourceUsage().maxRSS * 1024)}`);

  await db.dropDatabase();
  await closeMongo();
  await closeLegacyPool();
  await sql.end();
  await legacyServer?.stop();
  await mongo.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
