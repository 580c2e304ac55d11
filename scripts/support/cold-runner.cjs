'use strict';
/**
 * One cold start, run by `npm run bench` (scripts/bench-cold.ts) in a fresh `node` process: loads one bundle and
 * answers one request, then reports on stderr (`COLD {json}`) the time to load it and to the first answer, both
 * counted from the process's start (performance.timeOrigin), so Node's own start-up is in both. Plain CommonJS, run
 * without tsx, so the harness adds nearly nothing to what it measures.
 *  - `function`: the Lambda bundle's `handler` called with an API Gateway event (streaming handlers get a response
 *    stream through a minimal `awslambda` global, as the Lambda runtime provides);
 *  - `floor`: a bundle of the mongodb driver alone (scripts/support/cold-floor.ts) that connects and runs the same
 *    queries as the route.
 */
const { performance } = require('node:perf_hooks');
const { readFileSync } = require('node:fs');
const { Writable } = require('node:stream');
const { Buffer } = require('node:buffer');

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const report = (fields) => process.stderr.write(`COLD ${JSON.stringify(fields)}\n`);

globalThis.awslambda = {
  streamifyResponse: (fn) => Object.assign(fn, { streaming: true }),
  HttpResponseStream: { from: (stream, prelude) => Object.assign(stream, { prelude }) },
};

function context() {
  const deadline = Date.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'cold',
    awsRequestId: `cold-${process.pid}`,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

async function invoke(handler, event) {
  if (!handler.streaming) {
    const res = await handler(event, context());
    return { status: res.statusCode, bytes: Buffer.byteLength(res.body ?? '') };
  }
  let bytes = 0;
  const stream = new Writable({
    write(chunk, _enc, cb) {
      bytes += chunk.length;
      cb();
    },
  });
  await handler(event, stream, context());
  return { status: stream.prelude?.statusCode ?? 200, bytes };
}

async function main() {
  const started = performance.now();
  const mod = require(spec.bundle);
  const loaded = performance.now();
  const answer = spec.kind === 'floor' ? await mod.run(spec.floor) : await invoke(mod.handler, spec.event);
  const answered = performance.now();
  report({ startMs: started, loadMs: loaded, answerMs: answered, ...answer });
  process.exit(0);
}

main().catch((err) => {
  report({ error: String(err && err.stack ? err.stack : err) });
  process.exit(1);
});
