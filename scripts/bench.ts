/**
 * `npm run bench` (warm path): each route, called in process through its real handler, beside the bare driver
 * call doing the same work, against a MongoDB wire-protocol server (MONGODB_URI, or one it starts). Not a test:
 * numbers depend on the machine, so the table is printed, never asserted.
 *  - Interleaved: every round runs every case once, in a new random order (BENCH_ROUNDS, at least 20), so drift
 *    and ordering land on all cases alike; medians with quartiles and run counts.
 *  - Realistic data (scripts/support/bench-data.ts): 1-2 KB messages, every third exchange a tool round with
 *    tool_use / tool_result / document blocks; many users, and one heavy user with 1,000 threads.
 *  - The bare call does exactly the route's work: the same commands (a write's count on its caller's rate-limit
 *    window included: its own command, or for an append a statement of the append's command), and the answer serialised as JSON (a route must write its body). Command monitoring compares
 *    each bare call's commands with its route's (name, collection, statement count): the bench fails if they differ.
 *    Only the handler call is timed; checking its response happens outside the timing.
 *  - Round trips: commands the route sends, counted with the driver's command monitoring.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { AnyBulkWriteOperation, CommandStartedEvent } from 'mongodb';
import type { ThreadDoc } from '#lib/threads/types.js';
import { benchEnvironment, shuffle } from '#support/bench.js';
import { realisticThread, spread } from '#support/bench-data.js';
import { countRequest, countStatement } from '#support/cold-floor.js';
import { startMongoServer } from '#support/mongo-server.js';

const ROUNDS = Math.max(20, Number(process.env.BENCH_ROUNDS ?? 40));
const HEAVY_THREADS = 1_000;
const USERS = 300;

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;

interface Case {
  name: string;
  /** The route call (timed), answering its status. */
  route: () => Promise<number>;
  /** The same work through the bare driver (timed), or none. */
  bare?: () => Promise<unknown>;
  /** Read routes must stay within 1.3x of their bare call. */
  read?: boolean;
}

const context = { awsRequestId: 'bench', getRemainingTimeInMillis: () => 29_000, callbackWaitsForEmptyEventLoop: false };
function event(
  method: string,
  path: string,
  token: string,
  opts: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
) {
  const headers: Record<string, string> = {
    authorization: `Bearer ${token}`,
    ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  return {
    resource: path,
    path,
    httpMethod: method,
    headers,
    multiValueHeaders: {},
    queryStringParameters: opts.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: opts.params ?? null,
    stageVariables: null,
    body: opts.body === undefined ? null : JSON.stringify(opts.body),
    isBase64Encoded: false,
    requestContext: { requestId: 'bench', stage: 'bench', httpMethod: method, path, identity: { sourceIp: '127.0.0.1' } },
  };
}

async function main(): Promise<void> {
  benchEnvironment('threads');
  const mongo = await startMongoServer({ log: (m) => console.log(`[bench] ${m}`) });
  process.env.MONGODB_URI = `${mongo.uri}${mongo.uri.includes('?') ? '&' : '?'}monitorCommands=true`;

  const { getDb, getMongoClient, closeMongo } = await import('#lib/db/mongo.js');
  const { ensureIndexes } = await import('#lib/db/indexes.js');
  const { SUMMARY_PROJECTION, LIST_SORT, threadsCollection } = await import('#lib/threads/mongo-store.js');
  const { tokenFor } = await import('#support/auth.js');
  const h = {
    list: (await import('#functions/list-threads.js')).handler as unknown as Handler,
    get: (await import('#functions/get-thread.js')).handler as unknown as Handler,
    create: (await import('#functions/create-thread.js')).handler as unknown as Handler,
    rename: (await import('#functions/rename-thread.js')).handler as unknown as Handler,
    delete: (await import('#functions/delete-thread.js')).handler as unknown as Handler,
    add: (await import('#functions/add-message.js')).handler as unknown as (e: unknown, s: unknown, c: unknown) => Promise<void>,
  };
  const { LocalResponseStream } = await import('#support/lambda-streaming.js');
  const db = await getDb();
  await ensureIndexes(db);
  const col = await threadsCollection();
  const chunks = db.collection('thread_message_chunks');

  // Many users with a few threads each, one heavy user with 1,000 threads, one light user with 1,000 one-message
  // threads (the list must not cost more for threads with more messages), and one long thread.
  console.log(`[bench] seeding ${USERS} users x 10 threads, a heavy user with ${HEAVY_THREADS} threads, a 1,000-thread light user ...`);
  for (let u = 0; u < USERS; u += 30) {
    const docs = Array.from({ length: 30 }, () => randomUUID()).flatMap((user) =>
      Array.from({ length: 10 }, (_, i) => realisticThread(user, i, 4)),
    );
    await col.insertMany(docs);
  }
  const heavy = randomUUID();
  const light = randomUUID();
  for (let i = 0; i < HEAVY_THREADS; i += 100) {
    await col.insertMany(Array.from({ length: 100 }, (_, j) => realisticThread(heavy, i + j, 8)));
    await col.insertMany(
      Array.from({ length: 100 }, (_, j) => realisticThread(light, i + j, 1)).map((t) => ({ ...t, messages: t.messages.slice(0, 1) })),
    );
  }
  const long = realisticThread(heavy, -1, 80);
  await col.insertOne(long);
  const heavyToken = await tokenFor(heavy);
  const lightToken = await tokenFor(light);
  const longId = long.thread_id;
  const longPath = { params: { thread_id: longId } };
  const messagesIn = long.messages.length;

  const stream = () =>
    new LocalResponseStream(
      () => undefined,
      () => undefined,
      () => undefined,
    );
  const callAdd = async (threadId: string, token: string, body: unknown) => {
    const s = stream();
    await h.add(event('POST', `/api/v3/threads/${threadId}`, token, { params: { thread_id: threadId }, body }), s, context);
    return s.prelude?.statusCode ?? 0;
  };
  const listBare = (user: string, limit?: number) => async () => {
    let cursor = col
      .find({ user_id: user }, { projection: SUMMARY_PROJECTION })
      .sort(LIST_SORT)
      .batchSize(limit ?? 50_000);
    if (limit) cursor = cursor.limit(limit);
    return JSON.stringify(await cursor.toArray());
  };
  // Threads for the write cases: each round appends to its own thread and deletes a fresh one (route and bare alike).
  const spare = async (n: number) => {
    const docs = Array.from({ length: n }, (_, i) => realisticThread(heavy, HEAVY_THREADS + i, 1));
    await col.insertMany(docs);
    return docs.map((d) => d.thread_id);
  };
  const deleteRoute = await spare(ROUNDS + 3);
  const deleteBare = await spare(ROUNDS + 3);
  const appendTarget = (await spare(1))[0]!;
  const q = {
    id: '',
    role: 'user' as const,
    content: [{ type: 'text', text: 'What is the nisab of zakat on gold?' }],
    created_at: new Date(),
  };

  const cases: Case[] = [
    {
      name: `GET /threads (heavy: ${HEAVY_THREADS} threads x ~21 messages)`,
      route: async () => (await h.list(event('GET', '/api/v3/threads', heavyToken), context)).statusCode,
      bare: listBare(heavy),
      read: true,
    },
    {
      name: `GET /threads (light: ${HEAVY_THREADS} threads x 1 message)`,
      route: async () => (await h.list(event('GET', '/api/v3/threads', lightToken), context)).statusCode,
      bare: listBare(light),
      read: true,
    },
    {
      name: 'GET /threads?limit=50 (heavy)',
      route: async () => (await h.list(event('GET', '/api/v3/threads', heavyToken, { query: { limit: '50' } }), context)).statusCode,
      bare: listBare(heavy, 51),
      read: true,
    },
    {
      name: `GET /threads/{id} (${messagesIn} messages)`,
      route: async () => (await h.get(event('GET', `/api/v3/threads/${longId}`, heavyToken, longPath), context)).statusCode,
      bare: async () => JSON.stringify(await col.findOne({ thread_id: longId, user_id: heavy }, { projection: { _id: 0 } })),
      read: true,
    },
    {
      name: `GET /threads/{id}?limit=20 (${messagesIn} messages)`,
      route: async () =>
        (await h.get(event('GET', `/api/v3/threads/${longId}`, heavyToken, { ...longPath, query: { limit: '20' } }), context)).statusCode,
      // The route's read: one message more than the page (it tells whether older ones exist), and the overflow count.
      bare: async () =>
        JSON.stringify(
          await col.findOne(
            { thread_id: longId, user_id: heavy },
            { projection: { ...SUMMARY_PROJECTION, metadata: 1, overflow_chunks: 1, messages: { $slice: -21 } } },
          ),
        ),
      read: true,
    },
    {
      name: 'POST /threads',
      route: async () => (await h.create(event('POST', '/api/v3/threads', heavyToken, { body: { name: 'bench' } }), context)).statusCode,
      bare: async () => {
        await countRequest(db, 'writes', heavy);
        const now = new Date();
        const doc = {
          thread_id: randomUUID(),
          name: 'bench',
          user_id: heavy,
          initial_source: 'web' as const,
          created_at: now,
          updated_at: now,
          metadata: {},
          messages: [],
          size_bytes: 0,
          overflow_chunks: 0,
        };
        await col.insertOne({ ...doc });
        return JSON.stringify(doc);
      },
    },
    {
      name: 'POST /threads/{id}/name',
      route: async () =>
        (await h.rename(event('POST', `/api/v3/threads/${longId}/name`, heavyToken, { ...longPath, body: { name: 'renamed' } }), context))
          .statusCode,
      bare: async () => {
        await countRequest(db, 'writes', heavy);
        return JSON.stringify(
          await col.findOneAndUpdate(
            { thread_id: longId, user_id: heavy },
            { $set: { name: 'renamed' } },
            { projection: SUMMARY_PROJECTION, returnDocument: 'after' },
          ),
        );
      },
    },
    {
      name: 'DELETE /threads/{id}',
      route: async () => {
        const id = deleteRoute.pop()!;
        return (await h.delete(event('DELETE', `/api/v3/threads/${id}`, heavyToken, { params: { thread_id: id } }), context)).statusCode;
      },
      bare: async () => {
        await countRequest(db, 'writes', heavy);
        const id = deleteBare.pop()!;
        await chunks.deleteMany({ thread_id: id, user_id: heavy });
        return col.deleteOne({ thread_id: id, user_id: heavy });
      },
    },
    {
      name: 'POST /threads/{id} respond:false',
      route: () => callAdd(appendTarget, heavyToken, { content: q.content[0]!.text, role: 'user', respond: false }),
      bare: async () => {
        const m = { ...q, id: randomUUID(), user_id: heavy, created_at: new Date() };
        const owned = { thread_id: appendTarget, user_id: heavy };
        // One ordered update: the write's count, the append, the naming (as the route sends them).
        await col.bulkWrite(
          [
            countStatement('writes', heavy) as unknown as AnyBulkWriteOperation<ThreadDoc>,
            {
              updateOne: {
                filter: {
                  ...owned,
                  'messages.id': { $ne: m.id },
                  $or: [{ size_bytes: { $lte: 12 * 1024 * 1024 } }, { size_bytes: { $exists: false } }],
                },
                update: { $push: { messages: { $each: [m] } }, $set: { updated_at: m.created_at }, $inc: { size_bytes: 200 } },
              },
            },
            { updateOne: { filter: { ...owned, 'messages.id': m.id, name: null }, update: { $set: { name: 'x' } } } },
          ],
          { ordered: true },
        );
        const { user_id: _owner, ...view } = m;
        return JSON.stringify(view);
      },
    },
  ];

  // Round trips per route call, outside the timed rounds.
  const client = await getMongoClient();
  const seen: CommandStartedEvent[] = [];
  client.on('commandStarted', (e) => seen.push(e));
  // And the most pool connections one request holds at once: what a Lambda container (one request at a time) needs.
  let inUse = 0;
  let maxInUse = 0;
  client.on('connectionCheckedOut', () => (maxInUse = Math.max(maxInUse, ++inUse)));
  client.on('connectionCheckedIn', () => inUse--);
  const trips = new Map<string, number>();
  // What each side sends, command by command: a bare call must send what its route sends.
  const shape = () => seen.map((e) => commandShape(e));
  const differs: string[] = [];
  for (const c of cases) {
    seen.length = 0;
    await c.route();
    trips.set(c.name, seen.length);
    const route = shape();
    seen.length = 0;
    await c.bare?.();
    const bare = shape();
    if (c.bare && route.join() !== bare.join()) differs.push(`${c.name}: route [${route.join(', ')}], bare [${bare.join(', ')}]`);
  }
  client.removeAllListeners('commandStarted');
  client.removeAllListeners('connectionCheckedOut');
  client.removeAllListeners('connectionCheckedIn');

  for (const c of cases) for (let i = 0; i < 3; i++) await Promise.all([c.route(), c.bare?.()]); // warm-up
  deleteRoute.push(...(await spare(6)));
  deleteBare.push(...(await spare(6)));
  const times = new Map<string, { route: number[]; bare: number[] }>(cases.map((c) => [c.name, { route: [], bare: [] }]));
  console.log(`[bench] ${ROUNDS} rounds, every case (route and bare) once per round in random order ...`);
  for (let round = 0; round < ROUNDS; round++) {
    const jobs = shuffle(cases.flatMap((c) => [{ c, bare: false }, ...(c.bare ? [{ c, bare: true }] : [])]));
    for (const { c, bare } of jobs) {
      const t0 = performance.now();
      const out = bare ? await c.bare!() : await c.route();
      const ms = performance.now() - t0;
      if (!bare && (out as number) >= 300) throw new Error(`${c.name} answered ${String(out)}`);
      times.get(c.name)![bare ? 'bare' : 'route'].push(ms);
    }
  }

  const f = (n: number) => n.toFixed(2);
  console.log(`\nWarm path: ${ROUNDS} rounds, cases interleaved in random order; ms, median [p25-p75]; n = ${ROUNDS} per cell.`);
  console.log(`| ${'case'.padEnd(44)} | route ms              | bare driver ms        | route / bare | round trips |`);
  console.log(`|${'-'.repeat(46)}|-----------------------|-----------------------|--------------|-------------|`);
  for (const c of cases) {
    const t = times.get(c.name)!;
    const r = spread(t.route);
    const b = t.bare.length ? spread(t.bare) : undefined;
    const ratio = b ? r.median / b.median : undefined;
    const verdict = ratio === undefined ? '' : c.read ? (ratio <= 1.3 ? ' ok' : ' OVER') : '';
    console.log(
      `| ${c.name.padEnd(44)} | ${`${f(r.median)} [${f(r.p25)}-${f(r.p75)}]`.padEnd(21)} | ${(b ? `${f(b.median)} [${f(b.p25)}-${f(b.p75)}]` : '').padEnd(21)} | ${(ratio ? `${ratio.toFixed(2)}x${verdict}` : '').padEnd(12)} | ${String(trips.get(c.name)).padStart(11)} |`,
    );
  }
  const heavyList = spread(times.get(cases[0]!.name)!.route).median;
  const lightList = spread(times.get(cases[1]!.name)!.route).median;
  console.log(
    `\nList cost of ~21-message threads vs 1-message threads: ${(heavyList / lightList).toFixed(2)}x (on mongo-java-server every find reads whole documents; a real mongod answers the list from the user_threads_list index).`,
  );
  console.log(
    `Pool connections one request held at once (any route): ${maxInUse}. Goals: read routes <= 1.3x their bare call; 1 round trip per read route; a write makes its own commands plus one on its caller's rate-limit window, except an append, which counts in its own command (respond:false: 1). MongoDB: ${mongo.kind}. Load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (2 cores).`,
  );
  await db.dropDatabase();
  await closeMongo();
  await mongo.stop();
  if (differs.length) {
    console.error(`\nA bare call does not send its route's commands:\n${differs.join('\n')}`);
    process.exit(1);
  }
  console.log("Every bare call sent its route's commands (name, collection and statement count, compared by command monitoring).");
}

/** A command as the comparison sees it: its name, its collection, and how many statements a write carries. */
function commandShape(e: CommandStartedEvent): string {
  const cmd = e.command as Record<string, unknown>;
  const statements = ['updates', 'deletes', 'documents'].map((k) => cmd[k]).find(Array.isArray);
  // getMore names its cursor (a different id on each side); its collection is the comparable part.
  const target = e.commandName === 'getMore' ? cmd.collection : cmd[e.commandName];
  return `${e.commandName} ${String(target)}${statements ? ` x${statements.length}` : ''}`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
