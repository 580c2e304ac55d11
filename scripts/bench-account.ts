/**
 * `npx tsx --expose-gc scripts/bench-account.ts`: a person's data, printed as tables (not a test: numbers depend on
 * the machine).
 *  - export memory: GET /threads/export (NDJSON and Markdown) through the real streaming handler for users with
 *    500, 2,000 and 5,000 threads; the live heap's growth over the export must stay flat (the 5,000-thread export
 *    within EXPORT_HEAP_BOUND_MB, and within 1.5x of the 500-thread one plus slack): printed as ok / OVER, with the
 *    peak heap (garbage included) and RSS beside it;
 *  - erase speed, from which the batch size and the per-call limit were chosen (lib/services/account.ts): one
 *    MongoDB batch of 100..1,000 threads, one SQL batch, the legacy share scan, and a whole DELETE /threads call.
 * Databases: MONGODB_URI or a MongoDB test server it starts (a separate process, so it does not count in this
 * process's memory); an in-memory PGlite in this process for the legacy layer (idle during the export part).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Message } from '#lib/blocks/types.js';
import { benchEnvironment } from '#support/bench.js';
import { LocalResponseStream } from '#support/lambda-streaming.js';
import { startMongoServer } from '#support/mongo-server.js';
import { insertLegacyRows, type LegacyRows } from './legacy/seed-data.js';
import { legacyUser, plainThread } from './legacy/synthetic.js';

/** The bound the 5,000-thread export must stay under: live heap growth while it runs (MB). */
const EXPORT_HEAP_BOUND_MB = 32;
const SIZES = [500, 2_000, 5_000];

const mb = (bytes: number) => bytes / (1024 * 1024);
const t0 = Date.UTC(2026, 0, 1);

/** About 9 KB of stored messages: a question, a tool round with a document, a cited answer, a follow-up. */
function conversation(n: number): Message[] {
  const at = (s: number) => new Date(t0 + n * 60_000 + s * 1000);
  const text = (s: string) => `${s} ${'The scholars discussed this at length in the classical works. '.repeat(12)}`;
  return [
    { id: randomUUID(), role: 'user', content: [{ type: 'text', text: `Question ${n}: is witr obligatory?` }], created_at: at(0) },
    {
      id: randomUUID(),
      role: 'assistant',
      content: [{ type: 'tool_use', id: `toolu_${n}`, name: 'search_hadith', input: { query: 'witr' } }],
      created_at: at(1),
    },
    {
      id: randomUUID(),
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: `toolu_${n}`,
          content: [
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: text('Hadith.') }, title: 'Abu Dawud 1416' },
          ],
        },
      ],
      created_at: at(2),
    },
    {
      id: randomUUID(),
      role: 'assistant',
      content: [
        {
          type: 'text',
          text: text('Most scholars hold it is a stressed sunnah.'),
          citations: [
            { type: 'char_location', cited_text: 'Witr is not obligatory.', document_title: 'Abu Dawud 1416', document_index: 0 },
          ],
        },
      ],
      created_at: at(3),
    },
    { id: randomUUID(), role: 'user', content: [{ type: 'text', text: text('And the Hanafis?') }], created_at: at(4) },
    { id: randomUUID(), role: 'assistant', content: [{ type: 'text', text: text('They hold it wajib.') }], created_at: at(5) },
  ];
}

/**
 * Growth over the baseline while `fn` runs: peak heap (garbage included) and RSS sampled every 5 ms, and the peak
 * live heap, measured after a forced collection every second (what the export really holds).
 */
async function peakMemory<T>(fn: () => Promise<T>): Promise<{ result: T; heapMb: number; liveMb: number; rssMb: number; ms: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const base = process.memoryUsage();
  let heap = base.heapUsed;
  let live = base.heapUsed;
  let rss = base.rss;
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    heap = Math.max(heap, m.heapUsed);
    rss = Math.max(rss, m.rss);
  }, 5);
  const collect = setInterval(() => {
    if (!gc) return;
    gc();
    live = Math.max(live, process.memoryUsage().heapUsed);
  }, 1_000);
  const start = performance.now();
  try {
    const result = await fn();
    const ms = performance.now() - start;
    return { result, heapMb: mb(heap - base.heapUsed), liveMb: mb(live - base.heapUsed), rssMb: mb(rss - base.rss), ms };
  } finally {
    clearInterval(sample);
    clearInterval(collect);
  }
}

function printTable(title: string, head: string[], rows: (string | number)[][]): void {
  console.log(`\n${title}\n| ${head.join(' | ')} |\n|${head.map((h) => '-'.repeat(h.length + 2)).join('|')}|`);
  for (const r of rows) console.log(`| ${r.map((c, i) => String(c).padStart(head[i]!.length)).join(' | ')} |`);
}

async function main(): Promise<void> {
  benchEnvironment('account');
  const log = (m: string) => console.log(`[bench-account] ${m}`);
  if (!(globalThis as { gc?: unknown }).gc) log('run with --expose-gc for a clean baseline (npm run bench does)');
  const mongo = await startMongoServer({ log });
  process.env.MONGODB_URI = mongo.uri;
  // The legacy layer on, as in the hybrid deployment (the export lists both stores). Its rows come later.
  const { startLegacyDb } = await import('#support/legacy-dev-db.js');
  const legacy = await startLegacyDb();
  process.env.LEGACY_DATABASE_URL = legacy.url;

  const { getDb, closeMongo } = await import('#lib/db/mongo.js');
  const { ensureIndexes } = await import('#lib/db/indexes.js');
  const { threadsCollection, eraseUserThreads } = await import('#lib/threads/mongo-store.js');
  const { tokenFor } = await import('#support/auth.js');
  const { call } = await import('#support/lambda.js');
  const exportHandler = (await import('#functions/export-threads.js')).handler as unknown as (
    e: unknown,
    s: LocalResponseStream,
    c: unknown,
  ) => Promise<void>;
  const eraseHandler = (await import('#functions/erase-threads.js')).handler;
  const db = await getDb();
  await ensureIndexes(db);
  const col = await threadsCollection();

  const seed = async (userId: string, count: number) => {
    for (let start = 0; start < count; start += 250) {
      await col.insertMany(
        Array.from({ length: Math.min(250, count - start) }, (_, j) => {
          const n = start + j;
          return {
            thread_id: randomUUID(),
            name: `Thread ${n}`,
            user_id: userId,
            initial_source: 'web' as const,
            created_at: new Date(t0 + n * 60_000),
            updated_at: new Date(t0 + n * 60_000 + 5_000),
            metadata: {},
            messages: conversation(n),
          };
        }),
      );
    }
  };

  /** Runs the export handler with a client that reads everything and keeps nothing; the bytes it got. */
  const runExport = async (token: string, format: string) => {
    let bytes = 0;
    let status = 0;
    const stream = new LocalResponseStream(
      (p) => {
        status = p.statusCode ?? 200;
      },
      (chunk) => {
        bytes += chunk.length;
      },
      () => undefined,
    );
    const event = {
      resource: '/api/v3/threads/export',
      path: '/api/v3/threads/export',
      httpMethod: 'GET',
      headers: { Authorization: `Bearer ${token}` },
      queryStringParameters: { format },
      pathParameters: null,
      requestContext: { requestId: randomUUID() },
      body: null,
      isBase64Encoded: false,
    };
    const context = { awsRequestId: randomUUID(), getRemainingTimeInMillis: () => 900_000 };
    await exportHandler(event, stream, context);
    if (status !== 200) throw new Error(`export answered ${status}`);
    return bytes;
  };

  // Export memory.
  const exportRows: (string | number)[][] = [];
  const peaks = new Map<string, number>();
  for (const size of SIZES) {
    const user = randomUUID();
    log(`seeding a user with ${size} threads...`);
    await seed(user, size);
    const token = await tokenFor(user);
    for (const format of ['ndjson', 'markdown']) {
      const m = await peakMemory(() => runExport(token, format));
      peaks.set(`${format}:${size}`, m.liveMb);
      exportRows.push([
        format,
        size.toLocaleString('en-US'),
        mb(m.result).toFixed(1),
        (m.ms / 1000).toFixed(2),
        Math.round((size * 1000) / m.ms).toLocaleString('en-US'),
        m.liveMb.toFixed(1),
        m.heapMb.toFixed(1),
        m.rssMb.toFixed(1),
      ]);
    }
    await col.deleteMany({ user_id: user });
  }
  printTable(
    'Export (GET /threads/export through the streaming handler, a client reading at full speed)',
    ['format  ', 'threads', 'body MB', 'seconds', 'threads/s', 'live heap growth MB', 'peak heap growth MB', 'peak RSS growth MB'],
    exportRows,
  );
  const verdicts = ['ndjson', 'markdown'].map((format) => {
    const small = peaks.get(`${format}:${SIZES[0]}`)!;
    const large = peaks.get(`${format}:${SIZES[SIZES.length - 1]}`)!;
    const ok = large <= EXPORT_HEAP_BOUND_MB && large <= small * 1.5 + 4;
    return (
      `${format}: ${large.toFixed(1)} MB for ${SIZES[SIZES.length - 1]} threads vs ${small.toFixed(1)} MB for ${SIZES[0]} ` +
      `(bound ${EXPORT_HEAP_BOUND_MB} MB, and 1.5x + 4 MB of the smallest): ${ok ? 'ok' : 'OVER'}`
    );
  });
  for (const v of verdicts) console.log(`export memory ${v}`);

  // Erase: MongoDB batches of several sizes, then a whole call.
  const eraseRows: (string | number)[][] = [];
  for (const batch of [100, 250, 500, 1_000]) {
    const user = randomUUID();
    await seed(user, batch);
    const start = performance.now();
    const res = await eraseUserThreads(user, batch);
    const ms = performance.now() - start;
    eraseRows.push(['MongoDB batch', batch, res.threads, ms.toFixed(0), (ms / batch).toFixed(2)]);
  }
  const whole = randomUUID();
  const { ERASE_MAX_THREADS, ERASE_BATCH, ERASE_TIME_LIMIT_MS } = await import('#lib/services/account.js');
  await seed(whole, ERASE_MAX_THREADS);
  {
    const start = performance.now();
    const res = await call(eraseHandler, { method: 'DELETE', token: await tokenFor(whole), path: '/api/v3/threads' });
    const ms = performance.now() - start;
    eraseRows.push([
      `DELETE /threads (batches of ${ERASE_BATCH})`,
      ERASE_MAX_THREADS,
      res.json.deleted.threads,
      ms.toFixed(0),
      (ms / ERASE_MAX_THREADS).toFixed(2),
    ]);
  }

  // Legacy: the in-memory PGlite in this process (a real PostgreSQL server is faster).
  const { legacyErasure } = await import('#lib/legacy/erase.js');
  const query = (sql: string, params?: unknown[]) => legacy.db.query(sql, params);
  for (const batch of [100, 250, 500]) {
    const user = randomUUID();
    const rows: LegacyRows = { users: [legacyUser(user)], threads: [], messages: [] };
    for (let i = 0; i < batch; i++) {
      const t = plainThread(user, new Date(t0 + i * 1000), { turns: 5 });
      rows.threads!.push(t.thread);
      rows.messages!.push(...t.messages);
    }
    await insertLegacyRows(query, rows);
    const start = performance.now();
    const res = await legacyErasure.deleteThreads(user, batch);
    const ms = performance.now() - start;
    eraseRows.push([`legacy SQL batch (10 rows each)`, batch, res.threads, ms.toFixed(0), (ms / batch).toFixed(2)]);
  }
  {
    // The share scan: 5,000 share rows of other users, one user with 20 threads and 20 shares.
    const owner = randomUUID();
    const rows: LegacyRows = { users: [legacyUser(owner)], threads: [], messages: [], shares: [] };
    for (let i = 0; i < 20; i++) {
      const t = plainThread(owner, new Date(t0 + i * 1000), { turns: 2 });
      rows.threads!.push(t.thread);
      rows.messages!.push(...t.messages);
      rows.shares!.push({
        id: randomUUID(),
        content: JSON.stringify({ thread_name: 'x', messages: t.messages.map(({ id, role, content }) => ({ id, role, content })) }),
      });
    }
    for (let i = 0; i < 5_000; i++) {
      rows.shares!.push({
        id: randomUUID(),
        content: JSON.stringify({ thread_name: 'y', messages: [{ id: 900_000_000 + i, role: 'user', content: 'q'.repeat(2_000) }] }),
      });
    }
    await insertLegacyRows(query, rows);
    const start = performance.now();
    const n = await legacyErasure.deleteShares(owner, []);
    const ms = performance.now() - start;
    eraseRows.push(['legacy share scan (5,020 rows)', 20, n, ms.toFixed(0), (ms / 20).toFixed(2)]);
  }
  printTable(
    `Erase (one batch per row; a call deletes at most ${ERASE_MAX_THREADS} threads and starts no batch after ${ERASE_TIME_LIMIT_MS / 1000} s)`,
    ['what                              ', 'asked', 'deleted', 'ms', 'ms/thread'],
    eraseRows,
  );

  await db.dropDatabase();
  await closeMongo();
  const { closeLegacyPool } = await import('#lib/db/pg.js');
  await closeLegacyPool();
  await legacy.stop();
  await mongo.stop();
  process.exitCode = verdicts.every((v) => v.endsWith('ok')) ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
