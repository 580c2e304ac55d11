/**
 * `npx tsx scripts/bench-agent.ts`: the add-message route's overhead, printed as a table (not a test; numbers
 * depend on the machine). Runs the real handler in process, with the real SDK against a local streaming Messages
 * server and the real search tools against the fake search APIs, on a MongoDB wire-protocol server.
 *  - first token -> first byte: from the moment the model server writes the first text delta of a turn to the
 *    moment the handler's response stream receives its first byte (p50 / p95 over BENCH_TURNS turns);
 *  - database round trips per turn, counted with the driver's command monitoring (`commandStarted` events on the
 *    client of lib/db/mongo.ts).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { buildStreamEvents, type FakeScript, type RecordedBody } from '#support/fake-anthropic.js';
import { startFakeSearch } from '#support/fake-search.js';
import { installAwsLambdaPolyfill } from '#support/lambda-streaming.js';
import { BENCH_RATE_LIMITS, percentile } from '#support/bench.js';
import { startMongoServer } from '#support/mongo-server.js';

const TURNS = Number(process.env.BENCH_TURNS ?? 30);
const DELTA_GAP_MS = 5;

/** A minimal streaming Messages server that timestamps the first text delta of each turn. */
async function startTimedModel(script: (body: RecordedBody) => FakeScript) {
  const state = { firstTokenAt: undefined as number | undefined, requests: 0 };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    });
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.parse(await read(req)) as RecordedBody;
    state.requests++;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    let texts = 0;
    for (const [name, data] of buildStreamEvents(script(body), String(body.model))) {
      const delta = (data as { delta?: { type?: string } }).delta;
      const isText = name === 'content_block_delta' && delta?.type === 'text_delta';
      if (isText && texts++ > 0) await sleep(DELTA_GAP_MS);
      await new Promise<void>((resolve) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`, () => resolve()));
      if (isText && state.firstTokenAt === undefined) state.firstTokenAt = performance.now();
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const answer = 'Patience (sabr) is praised throughout the Quran: Allah is with the patient, and with hardship comes ease. '.repeat(3);

/** Answers with a search first when the scenario wants one (and the last message is the question), else text. */
function scriptFor(body: RecordedBody, withTool: boolean): FakeScript {
  const last = body.messages?.[body.messages.length - 1];
  const afterTool = Array.isArray(last?.content) && (last.content as Array<{ type?: string }>).some((b) => b.type === 'tool_result');
  if (withTool && !afterTool) return { blocks: [{ type: 'tool_use', name: 'search_quran', input: { query: 'patience' } }] };
  return { blocks: [{ type: 'text', text: answer }], chunkSize: 6 };
}

async function main(): Promise<void> {
  installAwsLambdaPolyfill();
  let scenarioUsesTool = false;
  // The size of what a turn sends the model (docs/capacity.md prices it): the last request of each scenario.
  let lastBody: RecordedBody | undefined;
  const model = await startTimedModel((body) => {
    lastBody = body;
    return scriptFor(body, scenarioUsesTool);
  });
  const sizes: string[] = [];
  const search = await startFakeSearch();
  const mongo = await startMongoServer({ log: (m) => console.log(`[bench] ${m}`) });
  Object.assign(process.env, {
    STAGE: 'test',
    POWERTOOLS_METRICS_DISABLED: 'true',
    LOG_LEVEL: 'ERROR',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    MONGODB_DB: process.env.MONGODB_DB ?? `ansari_bench_agent_${process.pid}`,
    // Command monitoring on every connection of the route's own client (lib/db/mongo.ts).
    MONGODB_URI: `${mongo.uri}${mongo.uri.includes('?') ? '&' : '?'}monitorCommands=true`,
    ANTHROPIC_BASE_URL: model.url,
    ANTHROPIC_API_KEY: 'bench',
    ANTHROPIC_MAX_RETRIES: '0',
    ...BENCH_RATE_LIMITS,
    ...Object.fromEntries(Object.entries(search.toolsConfig()).map(([k, v]) => [k, String(v)])),
  });

  const { getMongoClient, getDb, closeMongo } = await import('#lib/db/mongo.js');
  const { ensureIndexes } = await import('#lib/db/indexes.js');
  const { threadsCollection } = await import('#lib/threads/mongo-store.js');
  const { repliesSettled } = await import('#lib/agent/reply.js');
  const { handler } = await import('#functions/add-message.js');
  const { callStreaming } = await import('#support/lambda.js');
  const { tokenFor } = await import('#support/auth.js');
  await ensureIndexes(await getDb());
  const client = await getMongoClient();
  let commands: string[] = [];
  client.on('commandStarted', (e) => {
    if (!['hello', 'isMaster', 'ismaster', 'ping', 'endSessions'].includes(e.commandName)) commands.push(e.commandName);
  });

  const user = randomUUID();
  const token = await tokenFor(user);
  const col = await threadsCollection();
  const newThread = async () => {
    const now = new Date();
    const thread_id = randomUUID();
    await col.insertOne({
      thread_id,
      name: null,
      user_id: user,
      initial_source: 'web',
      created_at: now,
      updated_at: now,
      metadata: {},
      messages: [],
    });
    return thread_id;
  };

  interface Row {
    scenario: string;
    delays: number[];
    trips: number[];
    ops: string;
    modelCalls: number[];
  }
  const rows: Row[] = [];

  async function scenario(name: string, withTool: boolean, thread: () => Promise<string>) {
    scenarioUsesTool = withTool;
    const row: Row = { scenario: name, delays: [], trips: [], ops: '', modelCalls: [] };
    for (let i = -3; i < TURNS; i++) {
      const threadId = await thread();
      model.state.firstTokenAt = undefined;
      model.state.requests = 0;
      commands = [];
      let firstByteAt: number | undefined;
      const res = await callStreaming(
        handler,
        {
          method: 'POST',
          path: `/api/v3/threads/${threadId}`,
          resource: '/api/v3/threads/{thread_id}',
          pathParameters: { thread_id: threadId },
          token,
          headers: { Accept: 'text/event-stream' },
          body: { content: 'What does the Quran say about patience?', role: 'user' },
        },
        () => {
          firstByteAt ??= performance.now();
        },
      );
      await repliesSettled();
      if (res.status !== 200) throw new Error(`turn failed: ${res.status} ${res.body}`);
      if (i < 0) continue; // warm-up: cold imports, connection pool, SDK
      row.delays.push(firstByteAt! - model.state.firstTokenAt!);
      row.trips.push(commands.length);
      row.ops = commands.join(', ');
      row.modelCalls.push(model.state.requests);
    }
    rows.push(row);
    const chars = (v: unknown) => JSON.stringify(v ?? '').length;
    sizes.push(
      `${name}: system ${chars(lastBody?.system)} chars, tools ${chars((lastBody as { tools?: unknown } | undefined)?.tools)} chars, ` +
        `messages ${chars(lastBody?.messages)} chars (${lastBody?.messages?.length ?? 0} messages)`,
    );
  }

  const oneThread = await newThread();
  await scenario('first message of a thread, plain answer', false, newThread);
  await scenario('follow-up in a named thread, plain answer', false, async () => oneThread);
  await scenario('first message, one search round then the answer', true, newThread);

  const fmt = (n: number) => n.toFixed(2).padStart(8);
  console.log(`\nadd-message, ${TURNS} turns per row (after 3 warm-up turns)`);
  console.log(
    `| ${'scenario'.padEnd(50)} | token->byte p50 (ms) | p95 (ms) | DB round trips/turn | model calls | database commands of one turn`,
  );
  console.log(`|${'-'.repeat(52)}|---------------------|----------|---------------------|-------------|------`);
  for (const r of rows) {
    const trips = [...new Set(r.trips)].join('/');
    console.log(
      `| ${r.scenario.padEnd(50)} |${fmt(percentile(r.delays, 0.5)).padStart(20)} |${fmt(percentile(r.delays, 0.95)).padStart(9)} | ${trips.padStart(19)} | ${String(percentile(r.modelCalls, 0.5)).padStart(11)} | ${r.ops}`,
    );
  }
  console.log('\nThe follow-up thread grows by two messages per turn; the read of the whole thread is one round trip.');
  console.log(`Model request of the last turn of each row (JSON characters):\n  ${sizes.join('\n  ')}`);

  await closeMongo();
  await model.close();
  await search.close();
  await mongo.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
