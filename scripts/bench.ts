/**
 * `npm run bench`: latency of the thread routes against a MongoDB wire-protocol server (MONGODB_URI, or one it
 * starts), printed as a table. Not a test: numbers depend on the machine.
 *  - list for one user with 1,000 threads of 1 message vs 200 messages each (must stay within 1.5x);
 *  - get-thread of a 200-message thread;
 *  - each route's overhead over the bare driver call doing the same work.
 */
import { randomUUID } from 'node:crypto';
import { benchEnvironment, ITERATIONS, measure } from '#support/bench.js';
import { startMongoServer } from '#support/mongo-server.js';

const THREADS = 1_000;

interface Row {
  name: string;
  p50: number;
  p95: number;
  note?: string;
}

function printTable(rows: Row[]): void {
  const fmt = (n: number) => n.toFixed(2).padStart(9);
  console.log(`\n| ${'measurement'.padEnd(58)} | p50 (ms) | p95 (ms) | note`);
  console.log(`|${'-'.repeat(60)}|----------|----------|------`);
  for (const r of rows) console.log(`| ${r.name.padEnd(58)} |${fmt(r.p50)} |${fmt(r.p95)} | ${r.note ?? ''}`);
}

async function main(): Promise<void> {
  benchEnvironment('threads');
  const mongo = await startMongoServer({ log: (m) => console.log(`[bench] ${m}`) });
  process.env.MONGODB_URI = mongo.uri;

  const { getDb, closeMongo } = await import('#lib/db/mongo.js');
  const { ensureIndexes } = await import('#lib/db/indexes.js');
  const { threadsCollection } = await import('#lib/threads/mongo-store.js');
  const { call } = await import('#support/lambda.js');
  const { tokenFor } = await import('#support/auth.js');
  const fns = {
    list: (await import('#functions/list-threads.js')).handler,
    get: (await import('#functions/get-thread.js')).handler,
    create: (await import('#functions/create-thread.js')).handler,
    rename: (await import('#functions/rename-thread.js')).handler,
    delete: (await import('#functions/delete-thread.js')).handler,
  };
  const db = await getDb();
  await ensureIndexes(db);
  const col = await threadsCollection();

  const seed = async (userId: string, messagesPerThread: number) => {
    const base = Date.now() - THREADS * 1000;
    const messages = Array.from({ length: messagesPerThread }, (_, i) => ({
      id: randomUUID(),
      role: (i % 2 ? 'assistant' : 'user') as 'user' | 'assistant',
      content: [{ type: 'text', text: `Message ${i}: ${'lorem ipsum dolor sit amet '.repeat(8)}` }],
      created_at: new Date(base),
    }));
    for (let start = 0; start < THREADS; start += 50) {
      const batch = Array.from({ length: Math.min(50, THREADS - start) }, (_, j) => ({
        thread_id: randomUUID(),
        name: `Thread ${start + j}`,
        user_id: userId,
        initial_source: 'web' as const,
        created_at: new Date(base + (start + j) * 1000),
        updated_at: new Date(base + (start + j) * 1000),
        metadata: {},
        messages,
      }));
      await col.insertMany(batch);
    }
  };

  console.log(`[bench] seeding 2 users x ${THREADS} threads (1 and 200 messages each)...`);
  const small = randomUUID();
  const large = randomUUID();
  await seed(small, 1);
  await seed(large, 200);
  const tokenSmall = await tokenFor(small);
  const tokenLarge = await tokenFor(large);
  const one = await col.findOne({ user_id: large }, { projection: { thread_id: 1 } });
  const threadId = one!.thread_id;
  const threadPath = { path: `/api/v3/threads/${threadId}`, pathParameters: { thread_id: threadId } };

  const bareList = (userId: string) => () =>
    col
      .find({ user_id: userId }, { projection: { _id: 0, thread_id: 1, name: 1, initial_source: 1, created_at: 1, updated_at: 1 } })
      .sort({ updated_at: -1, thread_id: -1 })
      .toArray();
  const rows: Row[] = [];
  const listSmall = await measure(() => call(fns.list, { token: tokenSmall }));
  const listLarge = await measure(() => call(fns.list, { token: tokenLarge }));
  const ratio = listLarge.p50 / listSmall.p50;
  rows.push({ name: `GET /threads, ${THREADS} threads x 1 message`, ...listSmall });
  rows.push({
    name: `GET /threads, ${THREADS} threads x 200 messages`,
    ...listLarge,
    note: `${ratio.toFixed(2)}x of 1-message (limit 1.5x): ${ratio <= 1.5 ? 'ok' : 'OVER'}`,
  });
  const bareLarge = await measure(bareList(large));
  rows.push({
    name: '  bare driver find+projection+sort (200 messages)',
    ...bareLarge,
    note: `route overhead p50 ${(listLarge.p50 - bareLarge.p50).toFixed(2)} ms`,
  });
  const listPage = await measure(() => call(fns.list, { token: tokenLarge, query: { limit: '50' } }));
  rows.push({ name: 'GET /threads?limit=50 (200 messages)', ...listPage });

  const getRoute = await measure(() => call(fns.get, { token: tokenLarge, ...threadPath }));
  const getBare = await measure(() => col.findOne({ thread_id: threadId, user_id: large }, { projection: { _id: 0 } }));
  rows.push({ name: 'GET /threads/{id} (200 messages)', ...getRoute });
  rows.push({ name: '  bare driver findOne', ...getBare, note: `route overhead p50 ${(getRoute.p50 - getBare.p50).toFixed(2)} ms` });
  const getPage = await measure(() => call(fns.get, { token: tokenLarge, ...threadPath, query: { limit: '20' } }));
  rows.push({ name: 'GET /threads/{id}?limit=20 (200 messages)', ...getPage });

  const createRoute = await measure(() => call(fns.create, { method: 'POST', token: tokenSmall, body: { name: 'bench' } }));
  const createBare = await measure(() =>
    col.insertOne({
      thread_id: randomUUID(),
      name: 'bench',
      user_id: small,
      initial_source: 'web',
      created_at: new Date(),
      updated_at: new Date(),
      metadata: {},
      messages: [],
    }),
  );
  rows.push({ name: 'POST /threads', ...createRoute });
  rows.push({
    name: '  bare driver insertOne',
    ...createBare,
    note: `route overhead p50 ${(createRoute.p50 - createBare.p50).toFixed(2)} ms`,
  });

  const renameRoute = await measure(() =>
    call(fns.rename, { method: 'POST', token: tokenLarge, ...threadPath, body: { name: 'renamed' } }),
  );
  const renameBare = await measure(() =>
    col.findOneAndUpdate(
      { thread_id: threadId, user_id: large },
      { $set: { name: 'renamed' } },
      { returnDocument: 'after', projection: { messages: 0 } },
    ),
  );
  rows.push({ name: 'POST /threads/{id}/name', ...renameRoute });
  rows.push({
    name: '  bare driver findOneAndUpdate',
    ...renameBare,
    note: `route overhead p50 ${(renameRoute.p50 - renameBare.p50).toFixed(2)} ms`,
  });

  // Delete: each iteration removes a thread seeded for it (route vs bare deleteOne, on separate threads).
  const fresh = async (n: number) => {
    const ids = Array.from({ length: n }, () => randomUUID());
    await col.insertMany(
      ids.map((thread_id) => ({
        thread_id,
        name: null,
        user_id: small,
        initial_source: 'web' as const,
        created_at: new Date(),
        updated_at: new Date(),
        metadata: {},
        messages: [],
      })),
    );
    return ids;
  };
  const forRoute = await fresh(ITERATIONS + 3);
  const forBare = await fresh(ITERATIONS + 3);
  const deleteRoute = await measure(() => {
    const id = forRoute.pop()!;
    return call(fns.delete, { method: 'DELETE', token: tokenSmall, path: `/api/v3/threads/${id}`, pathParameters: { thread_id: id } });
  });
  const deleteBare = await measure(() => col.deleteOne({ thread_id: forBare.pop()!, user_id: small }));
  rows.push({ name: 'DELETE /threads/{id}', ...deleteRoute });
  rows.push({
    name: '  bare driver deleteOne',
    ...deleteBare,
    note: `route overhead p50 ${(deleteRoute.p50 - deleteBare.p50).toFixed(2)} ms`,
  });

  printTable(rows);
  console.log(`\nMongoDB: ${mongo.kind}; ${ITERATIONS} iterations per row after 3 warm-up calls.`);
  await db.dropDatabase();
  await closeMongo();
  await mongo.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
