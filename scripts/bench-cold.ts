/**
 * `npm run bench` (cold starts): every function as deployed, started cold, beside its floor. Packages the service
 * (`serverless package --stage ci`), unzips each function's zip, and in fresh `node` processes (COLD_RUNS, 25 by
 * default, at least 15; rows in a random order each round, each function run right beside its floor) loads the
 * bundle and answers one request against a local MongoDB (scripts/support/cold-runner.cjs). The floor of each is a fresh process that loads
 * only the mongodb driver (bundled with the same esbuild settings), connects and sends the same commands
 * (scripts/support/cold-floor.ts).
 * Goals (issue 12): first answer <= 1.5x the floor's; each function's code (bundle and vendor files) <= 1.25 MiB,
 * add-message <= 1.75 MiB.
 * COLD_FUNCTIONS (comma-separated serverless.yml names) keeps only those functions' rows; COLD_SKIP_PACKAGE=1 reuses the
 * last package; COLD_CPU_PROF_DIR writes a CPU profile of every process there; COLD_NODE runs the fresh processes with
 * another `node` binary (the Lambda runtime's major, say), this one by default. `--smoke` (CI): the last package's
 * functions answer once each, no floors, no timings.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { MongoClient } from 'mongodb';
import { parse as parseYaml } from 'yaml';
import { startFakeAnthropic } from '#support/fake-anthropic.js';
import { startLegacyDb } from '#support/legacy-dev-db.js';
import { startMongoServer } from '#support/mongo-server.js';
import { mintToken } from '#support/tokens.js';
import { realisticThread, spread, type Spread } from '#support/bench-data.js';
import { BENCH_RATE_LIMITS, shuffle } from '#support/bench.js';
import { codeSizeGoal, MIB } from '#support/code-size.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// --smoke (CI, after `serverless package`): every packaged function answers once from its zip, floors left out, and
// one with the legacy store on (which loads its vendor `pg`); any failure exits non-zero.
const SMOKE = process.argv.includes('--smoke');
// 25 by default: a row's paired ratios spread 0.2x-0.4x on two shared cores, and the median of 15 moved by up to 0.1x.
const RUNS = SMOKE ? 1 : Math.max(15, Number(process.env.COLD_RUNS ?? 25));
const COLD_NODE = process.env.COLD_NODE || process.execPath;
const COLD_NODE_VERSION = execFileSync(COLD_NODE, ['--version']).toString().trim();

/** What one run acts on: the shared user, thread and share, unless the row makes its own before each run. */
interface RunCtx {
  user: string;
  token: string;
  threadId: string;
  shareId: string;
  messageId: string;
}

interface Case {
  /** Row name. */
  name: string;
  /** serverless.yml function name (its zip) and the floor's route. */
  fn: string;
  floorRoute: string;
  handler: string;
  event: (ctx: RunCtx) => unknown;
  /** Before each run, function's and floor's alike: what it needs afresh (a thread to delete, a share to revoke...). */
  prepare?: () => Promise<Partial<RunCtx>>;
  /** Settings of this row only (the smoke's legacy row). */
  env?: NodeJS.ProcessEnv;
}

interface Sample {
  loadMs: number;
  answerMs: number;
  status: number;
}

/** The esbuild options of serverless.yml (custom.esbuild), for the floor's bundle. */
function esbuildOptions(): esbuild.BuildOptions {
  const doc = parseYaml(readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8')) as { custom: { esbuild: Record<string, unknown> } };
  const o = doc.custom.esbuild;
  return {
    bundle: true,
    minify: o.minify as boolean,
    target: o.target as string,
    platform: 'node',
    format: 'cjs',
    external: [...((o.exclude as string[]) ?? []), ...((o.external as string[]) ?? [])],
    alias: Object.fromEntries(Object.entries((o.alias as Record<string, string>) ?? {}).map(([k, v]) => [k, path.resolve(ROOT, v)])),
    logLevel: 'error',
  };
}

function apiEvent(method: string, pathName: string, token: string, opts: { params?: Record<string, string>; body?: unknown } = {}) {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: '*/*' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  return {
    resource: pathName,
    path: pathName,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: opts.params ?? null,
    stageVariables: null,
    body: opts.body === undefined ? null : JSON.stringify(opts.body),
    isBase64Encoded: false,
    requestContext: { requestId: randomUUID(), stage: 'bench', httpMethod: method, path: pathName, identity: { sourceIp: '127.0.0.1' } },
  };
}

/** One fresh process: loads `bundle` and answers once; resolves with its own timings. */
function coldRun(spec: object, env: NodeJS.ProcessEnv, dir: string): Promise<Sample> {
  const file = path.join(dir, `spec-${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify(spec));
  return new Promise((resolve, reject) => {
    // COLD_CPU_PROF_DIR: each process writes a V8 CPU profile there (where a cold start spends its time).
    const prof = process.env.COLD_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.COLD_CPU_PROF_DIR}`] : [];
    const child = spawn(COLD_NODE, [...prof, path.join(ROOT, 'scripts/support/cold-runner.cjs'), file], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', () => {
      rmSync(file, { force: true });
      const line = err.split('\n').find((l) => l.startsWith('COLD '));
      const out = line ? (JSON.parse(line.slice(5)) as Sample & { error?: string; startMs: number }) : undefined;
      if (!out || out.error) return reject(new Error(`cold run failed: ${out?.error ?? err}`));
      resolve({ loadMs: out.loadMs - out.startMs, answerMs: out.answerMs, status: out.status });
    });
  });
}

const fmt = (s: Spread) => `${s.median.toFixed(0).padStart(4)} [${s.p25.toFixed(0)}-${s.p75.toFixed(0)}]`.padEnd(15);

type Sizes = Map<string, { zip: number; bundle: number; vendor: number }>;

function printTable(cases: Case[], results: Map<string, { fn: Sample[]; floor: Sample[] }>, sizes: Sizes, mongoKind: string): void {
  console.log(
    `\nCold starts: ${RUNS} fresh processes per row (rows in a random order each round, each function beside its floor); ms from process start, median [p25-p75].`,
  );
  console.log(
    `| ${'function'.padEnd(28)} | zip KiB | bundle + vendor KiB (goal) | load ms         | first answer ms | floor load ms   | floor answer ms | answer / floor, paired (goal 1.5x) |`,
  );
  console.log(
    `|${'-'.repeat(30)}|---------|--------------------------|-----------------|-----------------|-----------------|-----------------|----------------------------|`,
  );
  let failures = 0;
  for (const c of cases) {
    const r = results.get(c.name)!;
    const size = sizes.get(c.fn)!;
    const goal = codeSizeGoal(c.fn);
    const load = spread(r.fn.map((s) => s.loadMs));
    const answer = spread(r.fn.map((s) => s.answerMs));
    const fLoad = spread(r.floor.map((s) => s.loadMs));
    const fAnswer = spread(r.floor.map((s) => s.answerMs));
    // Paired: each round's function run against the same round's floor run, so drift on a shared machine cancels.
    const paired = spread(r.fn.map((s, i) => s.answerMs / r.floor[i]!.answerMs));
    const ratio = paired.median;
    // The goal holds for all of a function's code: its bundle and the vendor files beside it.
    const sizeOk = size.bundle + size.vendor <= goal;
    if (!sizeOk || ratio > 1.5) failures++;
    console.log(
      `| ${c.name.padEnd(28)} | ${(size.zip / 1024).toFixed(0).padStart(7)} | ${`${(size.bundle / 1024).toFixed(0)} + ${(size.vendor / 1024).toFixed(0)} (${goal / MIB} MiB) ${sizeOk ? 'ok' : 'OVER'}`.padEnd(24)} | ${fmt(load)} | ${fmt(answer)} | ${fmt(fLoad)} | ${fmt(fAnswer)} | ${`${ratio.toFixed(2)}x [${paired.p25.toFixed(2)}-${paired.p75.toFixed(2)}] ${ratio <= 1.5 ? 'ok' : 'OVER'}`.padEnd(26)} |`,
    );
  }
  console.log(
    `\nbundle + vendor: the handler's file and the files beside it that it requires on first use (pg, the Anthropic SDK). ` +
      `load: require() of the bundle (function) or of the driver's bundle (floor). first answer: from process start (Node's own start-up included, ` +
      `~${spread(cases.flatMap((c) => results.get(c.name)!.floor.map((s) => s.answerMs - s.loadMs))).median.toFixed(0)} ms of it is the floor's connect + query) ` +
      `to the handler's response; answer / floor: the median [p25-p75] of each round's ratio. MongoDB: ${mongoKind}; Node ${COLD_NODE_VERSION}; n = ${RUNS} per cell; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (${availableParallelism()} cores). ${failures ? `${failures} row(s) over a goal.` : 'All rows within the goals.'}`,
  );
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'ansari-cold-'));
  if (process.env.COLD_SKIP_PACKAGE !== '1' && !SMOKE) {
    console.log('[cold] serverless package --stage ci ...');
    execFileSync('npx', ['serverless', 'package', '--stage', 'ci'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const floorBundle = path.join(work, 'floor', 'floor.cjs');
  await esbuild.build({ ...esbuildOptions(), entryPoints: [path.join(ROOT, 'scripts/support/cold-floor.ts')], outfile: floorBundle });

  const mongo = await startMongoServer({ log: (m) => console.log(`[cold] ${m}`) });
  const dbName = `ansari_bench_cold_${process.pid}`;
  const client = await MongoClient.connect(mongo.uri);
  const db = client.db(dbName);
  const model = await startFakeAnthropic({ host: '127.0.0.1' });
  model.respondWith(() => ({ blocks: [{ type: 'text', text: 'Zakat is the obligatory alms. '.repeat(20) }], chunkSize: 40 }));

  // One user with 50 threads of 20 realistic messages; fresh threads for each delete run; one share.
  const secret = randomBytes(32).toString('hex');
  const user = randomUUID();
  const token = await mintToken(user, { secret, expiresIn: 3600 });
  const threads = Array.from({ length: 50 }, (_, i) => realisticThread(user, i, 20));
  await db.collection('threads').insertMany(threads);
  const target = threads[0]!.thread_id;
  const shareId = randomBytes(16).toString('base64url');
  await db.collection('shared_threads').insertOne({
    share_id: shareId,
    thread_id: target,
    user_id: user,
    created_at: new Date(),
    expires_at: null,
    snapshot: {
      thread_name: 'Shared',
      initial_source: 'web',
      created_at: new Date(),
      updated_at: new Date(),
      messages: threads[0]!.messages,
    },
  });
  const messageId = threads[0]!.messages.find((m) => m.role === 'assistant')!.id;
  const shared: RunCtx = { user, token, threadId: target, shareId, messageId };
  const threadPath = (ctx: RunCtx, suffix = '') => `/api/v3/threads/${ctx.threadId}${suffix}`;
  const threadEvent = (ctx: RunCtx, method: string, suffix = '', body?: unknown) =>
    apiEvent(method, threadPath(ctx, suffix), ctx.token, { params: { thread_id: ctx.threadId }, body });
  const feedbackEvent = (ctx: RunCtx, method: string, body?: unknown) =>
    apiEvent(method, threadPath(ctx, `/messages/${ctx.messageId}/feedback`), ctx.token, {
      params: { thread_id: ctx.threadId, message_id: ctx.messageId },
      body,
    });
  const row = (name: string, fn: string, handler: string, event: Case['event'], more: Partial<Case> = {}): Case => ({
    name,
    fn,
    floorRoute: fn,
    handler,
    event,
    ...more,
  });
  const cases: Case[] = [
    row('listThreads', 'listThreads', 'list-threads', (ctx) => apiEvent('GET', '/api/v3/threads', ctx.token)),
    row('getThread', 'getThread', 'get-thread', (ctx) => threadEvent(ctx, 'GET')),
    row('createThread', 'createThread', 'create-thread', (ctx) => apiEvent('POST', '/api/v3/threads', ctx.token, { body: {} })),
    row('renameThread', 'renameThread', 'rename-thread', (ctx) => threadEvent(ctx, 'POST', '/name', { name: 'Renamed' })),
    row('deleteThread', 'deleteThread', 'delete-thread', (ctx) => threadEvent(ctx, 'DELETE'), {
      prepare: async () => {
        const t = realisticThread(user, 0, 2);
        await db.collection('threads').insertOne(t);
        return { threadId: t.thread_id };
      },
    }),
    row('shareThread', 'shareThread', 'share-thread', (ctx) =>
      apiEvent('POST', `/api/v3/share/${ctx.threadId}`, ctx.token, { params: { id: ctx.threadId } }),
    ),
    row('getShare', 'getShare', 'get-share', (ctx) => apiEvent('GET', `/api/v3/share/${ctx.shareId}`, '', { params: { id: ctx.shareId } })),
    row('addMessage (respond: false)', 'addMessage', 'add-message', (ctx) =>
      threadEvent(ctx, 'POST', '', { content: 'What is zakat?', role: 'user', respond: false }),
    ),
    row(
      'addMessage (streamed reply)',
      'addMessage',
      'add-message',
      (ctx) => threadEvent(ctx, 'POST', '', { content: 'What is zakat?', role: 'user' }),
      {
        floorRoute: 'addMessageReply',
      },
    ),
    row('setFeedback', 'setFeedback', 'set-feedback', (ctx) => feedbackEvent(ctx, 'POST', { class: 'thumbsup' })),
    // Each run removes feedback that is there (set just before), so the function and its floor do the same work.
    row('deleteFeedback', 'deleteFeedback', 'delete-feedback', (ctx) => feedbackEvent(ctx, 'DELETE'), {
      prepare: async () => {
        const feedback = { class: 'thumbsdown', comment: null, created_at: new Date(), updated_at: new Date() };
        await db
          .collection('threads')
          .updateOne({ thread_id: target }, { $set: { 'messages.$[m].feedback': feedback } }, { arrayFilters: [{ 'm.id': messageId }] });
        return {};
      },
    }),
    row('listShares', 'listShares', 'list-shares', (ctx) => threadEvent(ctx, 'GET', '/shares')),
    row('exportThreads', 'exportThreads', 'export-threads', (ctx) => apiEvent('GET', '/api/v3/threads/export', ctx.token)),
    row('openApi', 'openApi', 'openapi', () => apiEvent('GET', '/api/v3/openapi.json', '')),
    row(
      'revokeShare',
      'revokeShare',
      'revoke-share',
      (ctx) => apiEvent('DELETE', `/api/v3/share/${ctx.shareId}`, ctx.token, { params: { id: ctx.shareId } }),
      {
        prepare: async () => {
          const id = randomBytes(16).toString('base64url');
          await db
            .collection('shared_threads')
            .insertOne({ share_id: id, thread_id: target, user_id: user, created_at: new Date(), expires_at: null });
          return { shareId: id };
        },
      },
    ),
    // Erasure by a user of its own (with nothing stored: the commands that find and remove a person's data).
    row('eraseThreads', 'eraseThreads', 'erase-threads', (ctx) => apiEvent('DELETE', '/api/v3/threads', ctx.token), {
      prepare: async () => {
        const someone = randomUUID();
        return { user: someone, token: await mintToken(someone, { secret, expiresIn: 3600 }) };
      },
    }),
  ];

  // The smoke also answers with the legacy store on: the function then loads its vendor `pg` and queries PostgreSQL.
  const legacy = SMOKE ? await startLegacyDb() : undefined;
  if (legacy) {
    cases.push(
      row('listThreads (legacy store on)', 'listThreads', 'list-threads', (ctx) => apiEvent('GET', '/api/v3/threads', ctx.token), {
        env: { LEGACY_DATABASE_URL: legacy.url },
      }),
    );
  }
  // COLD_FUNCTIONS=addMessage,getThread: only those functions' rows (a quick look at one change).
  const only = process.env.COLD_FUNCTIONS?.split(',');
  if (only) cases.splice(0, cases.length, ...cases.filter((c) => only.includes(c.fn)));
  // bundle: the handler's file; vendor: the files beside it that it loads on demand (scripts/serverless/vendor-files.cjs).
  const sizes: Sizes = new Map();
  for (const fn of new Set(cases.map((c) => c.fn))) {
    const dir = path.join(work, fn);
    mkdirSync(dir, { recursive: true });
    const zip = path.join(ROOT, '.serverless', `${fn}.zip`);
    execFileSync('unzip', ['-q', '-o', zip, '-d', dir]);
    const handler = cases.find((c) => c.fn === fn)!.handler;
    const vendorDir = path.join(dir, 'functions', 'vendor');
    const vendor = existsSync(vendorDir) ? readdirSync(vendorDir).reduce((n, f) => n + statSync(path.join(vendorDir, f)).size, 0) : 0;
    sizes.set(fn, { zip: statSync(zip).size, bundle: statSync(path.join(dir, 'functions', `${handler}.cjs`)).size, vendor });
  }

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    STAGE: 'bench',
    MONGODB_URI: mongo.uri,
    MONGODB_DB: dbName,
    SECRET_KEY: secret,
    LOG_LEVEL: 'INFO',
    POWERTOOLS_SERVICE_NAME: 'ansari-threads',
    ANTHROPIC_API_KEY: 'bench',
    ANTHROPIC_BASE_URL: model.url,
    ...BENCH_RATE_LIMITS,
  };
  const results = new Map<string, { fn: Sample[]; floor: Sample[] }>(cases.map((c) => [c.name, { fn: [], floor: [] }]));
  console.log(
    SMOKE
      ? `[cold] smoke: ${cases.length} rows, one answer each, on Node ${COLD_NODE_VERSION} ...`
      : `[cold] ${RUNS} rounds x ${cases.length} functions x (function, floor), in random order each round ...`,
  );
  for (let round = 0; round < RUNS; round++) {
    // Cases in a random order; each case's function and floor run back to back (which goes first is random), so a
    // drift in the machine's load between them is as small as it can be and cancels in the paired ratio.
    const jobs = SMOKE
      ? cases.map((c) => ({ c, floor: false }))
      : shuffle(cases).flatMap((c) =>
          shuffle([
            { c, floor: false },
            { c, floor: true },
          ]),
        );
    for (const { c, floor } of jobs) {
      const ctx: RunCtx = { ...shared, ...(await c.prepare?.()) };
      const spec = floor
        ? {
            kind: 'floor',
            bundle: floorBundle,
            floor: {
              uri: mongo.uri,
              db: dbName,
              route: c.floorRoute,
              userId: ctx.user,
              threadId: ctx.threadId,
              shareId: ctx.shareId,
              messageId: ctx.messageId,
              modelUrl: model.url,
              document: path.join(ROOT, 'docs/openapi.json'),
            },
          }
        : { kind: 'function', bundle: path.join(work, c.fn, 'functions', `${c.handler}.cjs`), event: c.event(ctx) };
      const sample = await coldRun(spec, { ...env, ...c.env }, work);
      if (sample.status >= 300) throw new Error(`${c.name}${floor ? ' floor' : ''} answered ${sample.status}`);
      results.get(c.name)![floor ? 'floor' : 'fn'].push(sample);
    }
  }

  if (SMOKE) {
    for (const c of cases) console.log(`[smoke] ${c.name}: answered ${results.get(c.name)!.fn[0]!.status}`);
    console.log(`bundle smoke: ${cases.length} passed, 0 failed`);
  } else printTable(cases, results, sizes, mongo.kind);

  await legacy?.stop();
  await model.close();
  await db.dropDatabase();
  await client.close();
  await mongo.stop();
  rmSync(work, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
