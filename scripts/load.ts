/**
 * `npm run load`: N concurrent simulated users (LOAD_USERS, default "50,200") drive the local server for a fixed time
 * each (LOAD_SECONDS, default 20) with autocannon, then every stored thread is checked.
 *  - The server is `npm start`'s (scripts/support/load-server.ts, its own process), on a fresh MongoDB, with the
 *    offline stub model streaming its answers (about 2 s each) through the real SDK path.
 *  - Each connection is a user's session, over and over: list the threads, open one, ask a question (the streamed
 *    reply is read to its end), add a message with `respond: false`, open the thread again. Sessions take their user
 *    round-robin from N users, so at times two sessions write to one thread at once (two devices of one user).
 *  - Per route: requests, p50/p95/p99 latency (from sending the request to the end of its response), errors
 *    (non-2xx answers and socket errors), and apart from them the 409s of a thread whose reply was still being
 *    written (the one-reply-per-thread rule answering a second session of the same user, as it should). Then every
 *    thread is read back: every message the server acknowledged (201 body id, X-Message-Id, X-Reply-Message-Id)
 *    must be stored exactly once: "messages lost" must be 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { BSON, MongoClient, type Document } from 'mongodb';
import { WINDOW_IDS } from '#lib/db/indexes.js';
import { DEV_SECRET_KEY } from '#lib/dev-secret.js';
import { realisticThread, spread } from '#support/bench-data.js';
import { BENCH_RATE_LIMITS } from '#support/bench.js';
import { startMongoServer } from '#support/mongo-server.js';
import { mintToken } from '#support/tokens.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LEVELS = (process.env.LOAD_USERS ?? '50,200').split(',').map(Number);
const SECONDS = Number(process.env.LOAD_SECONDS ?? 20);
const POOL = Number(process.env.LOAD_POOL_SIZE ?? 20);

interface User {
  id: string;
  token: string;
  /** The thread the sessions of this user write to. */
  thread: string;
}

interface Stats {
  ms: number[];
  errors: number;
  /** 409: the thread's reply was being written (another session of the same user). */
  busy: number;
  statuses: Map<number, number>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

function startServer(env: NodeJS.ProcessEnv, log: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/support/load-server.ts')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', openSync(log, 'w')],
    });
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('READY')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`load server exited (${code})`)));
  });
}

async function run(level: number, port: number, users: User[], acknowledged: Map<string, Set<string>>) {
  const stats = new Map<string, Stats>();
  const stat = (route: string) => {
    if (!stats.has(route)) stats.set(route, { ms: [], errors: 0, busy: 0, statuses: new Map() });
    return stats.get(route)!;
  };
  let next = 0;
  const ack = (thread: string, id: string | undefined) => {
    if (!id) return;
    if (!acknowledged.has(thread)) acknowledged.set(thread, new Set());
    acknowledged.get(thread)!.add(id);
  };
  type Ctx = { user?: User; t0?: number };
  const step = (
    route: string,
    build: (u: User) => { method: string; path: string; body?: unknown; headers?: Record<string, string> },
    check?: (status: number, body: string, headers: Record<string, string>, u: User) => void,
  ) => ({
    setupRequest: (req: Record<string, unknown>, ctx: Ctx) => {
      ctx.user ??= users[next++ % users.length];
      const spec = build(ctx.user!);
      ctx.t0 = performance.now();
      return {
        ...req,
        method: spec.method,
        path: spec.path,
        headers: { authorization: `Bearer ${ctx.user!.token}`, 'content-type': 'application/json', ...(spec.headers ?? {}) },
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
      };
    },
    onResponse: (status: number, body: string, ctx: Ctx, raw: Record<string, string>) => {
      const headers = Object.fromEntries(Object.entries(raw ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      const s = stat(route);
      s.ms.push(performance.now() - ctx.t0!);
      s.statuses.set(status, (s.statuses.get(status) ?? 0) + 1);
      if (status === 409) s.busy++;
      else if (status >= 300) s.errors++;
      else check?.(status, body, headers, ctx.user!);
    },
  });
  const question = 'What is the nisab of zakat on gold, and does jewellery count towards it?';
  const requests = [
    step('GET /threads', () => ({ method: 'GET', path: '/api/v3/threads' })),
    step('GET /threads/{id}', (u) => ({ method: 'GET', path: `/api/v3/threads/${u.thread}` })),
    step(
      'POST /threads/{id} (streamed reply)',
      (u) => ({ method: 'POST', path: `/api/v3/threads/${u.thread}`, body: { role: 'user', content: question } }),
      (_s, _b, headers, u) => {
        ack(u.thread, headers['x-message-id']);
        ack(u.thread, headers['x-reply-message-id']);
      },
    ),
    step(
      'POST /threads/{id} respond:false',
      (u) => ({
        method: 'POST',
        path: `/api/v3/threads/${u.thread}`,
        body: { role: 'user', content: `Noted at ${Date.now()}`, respond: false },
      }),
      (_s, body, _h, u) => ack(u.thread, (JSON.parse(body) as { id?: string }).id),
    ),
    step('GET /threads/{id}?limit=20', (u) => ({ method: 'GET', path: `/api/v3/threads/${u.thread}?limit=20` })),
  ];
  const started = performance.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: level,
    duration: SECONDS,
    timeout: 60,
    requests: requests as unknown as autocannon.Request[],
  });
  return { stats, result, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const mongo = await startMongoServer({ log: (m) => console.log(`[load] ${m}`) });
  const dbName = `ansari_load_${process.pid}`;
  const client = await MongoClient.connect(mongo.uri);
  const threads = client.db(dbName).collection('threads');
  const port = Number(process.env.PORT ?? (await freePort()));
  const serverLog = path.join(tmpdir(), `ansari-load-${process.pid}.log`);
  const server = await startServer(
    {
      PATH: process.env.PATH,
      PORT: String(port),
      STAGE: 'local',
      MONGODB_URI: mongo.uri,
      MONGODB_DB: dbName,
      MONGODB_MAX_POOL_SIZE: String(POOL),
      LOG_LEVEL: 'ERROR',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
      ...BENCH_RATE_LIMITS,
    },
    serverLog,
  );
  console.log(
    `[load] server on 127.0.0.1:${port} (one Node process, MongoDB pool ${POOL}); ${SECONDS} s per level; levels ${LEVELS.join(', ')}`,
  );

  // Warm-up outside the measurement: the server loads each handler (and connects) on its first request.
  const warm = randomUUID();
  const [warmThread] = [realisticThread(warm, 0, 2)];
  await threads.insertOne(warmThread!);
  const warmToken = await mintToken(warm, { secret: DEV_SECRET_KEY, expiresIn: 3600 });
  const base = `http://127.0.0.1:${port}/api/v3/threads`;
  const headers = { authorization: `Bearer ${warmToken}`, 'content-type': 'application/json' };
  for (let i = 0; i < 3; i++) {
    await (await fetch(base, { headers })).text();
    await (await fetch(`${base}/${warmThread!.thread_id}?limit=20`, { headers })).text();
    const body = JSON.stringify({ role: 'user', content: 'warm-up', respond: i > 0 });
    await (await fetch(`${base}/${warmThread!.thread_id}`, { method: 'POST', headers, body })).text();
  }

  const acknowledged = new Map<string, Set<string>>();
  const tables: string[] = [];
  for (const level of LEVELS) {
    // N users, each with 10 realistic threads (4 exchanges) of which the newest is the one its sessions write to.
    const users: User[] = [];
    for (let i = 0; i < level; i++) {
      const id = randomUUID();
      const docs = Array.from({ length: 10 }, (_, k) => realisticThread(id, k, 4));
      await threads.insertMany(docs);
      users.push({ id, token: await mintToken(id, { secret: DEV_SECRET_KEY, expiresIn: 3600 }), thread: docs[0]!.thread_id });
    }
    console.log(`[load] ${level} concurrent users for ${SECONDS} s ...`);
    const { stats, result, seconds } = await run(level, port, users, acknowledged);
    // Replies cut off when the run ended still store their partial answer: let them finish (a reply takes ~2 s).
    await sleep(8_000);
    const rows = [...stats.entries()].map(([route, s]) => {
      const p = (q: number) => [...s.ms].sort((a, b) => a - b)[Math.min(s.ms.length - 1, Math.floor(s.ms.length * q))] ?? 0;
      const codes = [...s.statuses.entries()].map(([c, n]) => `${c}:${n}`).join(' ');
      return `| ${route.padEnd(36)} | ${String(s.ms.length).padStart(8)} | ${(s.ms.length / seconds).toFixed(1).padStart(6)} | ${spread(s.ms).median.toFixed(0).padStart(6)} | ${p(0.95).toFixed(0).padStart(6)} | ${p(0.99).toFixed(0).padStart(6)} | ${String(s.errors).padStart(6)} | ${String(s.busy).padStart(8)} | ${codes}`;
    });
    tables.push(
      [
        `\nN = ${level} concurrent users, ${SECONDS} s: ${result.requests.total} requests (${(result.requests.total / seconds).toFixed(1)}/s), ` +
          `socket errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}.`,
        `| ${'route'.padEnd(36)} | requests | req/s  | p50 ms | p95 ms | p99 ms | errors | 409 busy | statuses`,
        `|${'-'.repeat(38)}|----------|--------|--------|--------|--------|--------|----------|---------`,
        ...rows,
      ].join('\n'),
    );
  }

  // Every stored thread: each acknowledged message there exactly once; no thread holds a message id twice.
  let checked = 0;
  let lost = 0;
  let duplicated = 0;
  let acked = 0;
  const bytes = { user: [] as number[], assistant: [] as number[] };
  // Thread documents only: the collection also holds the users' rate-limit windows (lib/db/rate-limits.ts).
  const threadDocs: Document = { _id: { $not: WINDOW_IDS } };
  for await (const doc of threads.find(threadDocs, { projection: { _id: 0, thread_id: 1, messages: 1 } })) {
    checked++;
    const messages = (doc.messages ?? []) as { id: string; role: 'user' | 'assistant' }[];
    const ids = messages.map((m) => m.id);
    duplicated += ids.length - new Set(ids).size;
    const mine = acknowledged.get(doc.thread_id as string) ?? new Set<string>();
    for (const id of mine) {
      acked++;
      if (!ids.includes(id)) lost++;
    }
    // Stored size of the messages written during the run (what a turn adds to the database).
    for (const m of messages) if (mine.has(m.id)) bytes[m.role]?.push(BSON.calculateObjectSize(m));
  }
  const known = new Set(
    (await threads.find(threadDocs, { projection: { _id: 0, thread_id: 1 } }).toArray()).map((d) => d.thread_id as string),
  );
  for (const [thread, ids] of acknowledged) if (!known.has(thread)) lost += ids.size;

  console.log(tables.join('\n'));
  console.log(
    `\nThreads checked: ${checked}; messages acknowledged: ${acked}; messages lost: ${lost}; duplicated: ${duplicated}. ` +
      `MongoDB: ${mongo.kind}. Load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (2 cores, load generator, server and database on one machine).`,
  );
  const serverErrors = readFileSync(serverLog, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"level":"ERROR"')).length;
  console.log(
    `Stored size of the messages written (BSON bytes, median): user ${spread(bytes.user).median} (n = ${bytes.user.length}), ` +
      `assistant ${spread(bytes.assistant).median} (n = ${bytes.assistant.length}).`,
  );
  console.log(`Server error log lines: ${serverErrors} (${serverLog}).`);
  server.kill('SIGTERM');
  await client.db(dbName).dropDatabase();
  await client.close();
  await mongo.stop();
  if (lost > 0 || duplicated > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
