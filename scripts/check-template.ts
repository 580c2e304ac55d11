/**
 * CI check of the packaged CloudFormation template (`serverless package` first): every function of
 * serverless.yml is a Lambda function on the expected runtime, every http event is a REST API method on the
 * right resource path with an OPTIONS preflight, and streaming routes use the response-streaming integration;
 * every function has reserved concurrency and all of it fits the MongoDB connection budget (custom.capacity); no
 * function runs with source-map support; each zip holds one minified bundle within its size goal and no source map.
 * Prints one line per check and exits non-zero when any fails.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadRoutes } from './dev-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
type Resource = { Type: string; Properties?: Record<string, any> };
const template = JSON.parse(readFileSync(path.join(ROOT, '.serverless/cloudformation-template-update-stack.json'), 'utf8')) as {
  Resources: Record<string, Resource>;
};
const resources = template.Resources;
let failures = 0;
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};

/** Rebuilds a method's full path by walking its AWS::ApiGateway::Resource parents. */
function resourcePath(ref: any): string {
  if (!ref || typeof ref !== 'object' || !('Ref' in ref)) return '';
  const res = resources[ref.Ref as string];
  if (!res?.Properties) return '';
  return `${resourcePath(res.Properties.ParentId)}/${res.Properties.PathPart}`;
}

const methods = Object.values(resources)
  .filter((r) => r.Type === 'AWS::ApiGateway::Method')
  .map((r) => ({ method: r.Properties!.HttpMethod as string, path: resourcePath(r.Properties!.ResourceId), props: r.Properties! }));
const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
check(Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::RestApi').length === 1, 'exactly one REST API');

for (const route of loadRoutes()) {
  const logical = `${route.name[0]!.toUpperCase()}${route.name.slice(1)}LambdaFunction`;
  const fn = functions.find(([id]) => id === logical)?.[1];
  check(!!fn, `function ${route.name} present (${logical})`);
  check(fn?.Properties?.Runtime === 'nodejs22.x', `function ${route.name} runs on nodejs22.x`);
  check(
    fn?.Properties?.Handler === route.handlerPath.replace(`${ROOT}/`, '').replace(/\.ts$/, `.${route.handlerExport}`),
    `function ${route.name} handler`,
  );
  const m = methods.find((x) => x.method === route.method && x.path === route.resource);
  check(!!m, `method ${route.method} ${route.resource} present`);
  check(
    methods.some((x) => x.method === 'OPTIONS' && x.path === route.resource),
    `OPTIONS preflight for ${route.resource}`,
  );
  const uri = JSON.stringify(m?.props.Integration?.Uri ?? '');
  if (route.streaming) {
    check(
      uri.includes('response-streaming-invocations') && m?.props.Integration?.ResponseTransferMode === 'STREAM',
      `${route.method} ${route.resource} streams`,
    );
  } else {
    check(m?.props.Integration?.Type === 'AWS_PROXY', `${route.method} ${route.resource} is a Lambda proxy integration`);
  }
}

// Operations: least privilege, log retention, stage throttling, alarms.
const statements = Object.values(resources)
  .filter((r) => r.Type === 'AWS::IAM::Role')
  .flatMap((r) => (r.Properties?.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement as any[]));
const actions = statements.flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]) as string[]);
check(
  actions.length > 0 && actions.every((a) => a.startsWith('logs:')),
  `functions may only write logs (EMF metrics travel in logs): ${[...new Set(actions)].join(', ')}`,
);
check(
  statements.every((st) => JSON.stringify(st.Resource) !== '"*"'),
  'no IAM statement on Resource "*"',
);
for (const route of loadRoutes()) {
  const group = resources[`${route.name[0]!.toUpperCase()}${route.name.slice(1)}LogGroup`];
  check(Number(group?.Properties?.RetentionInDays) > 0, `log retention set for ${route.name}`);
}
const stageDescription = Object.values(resources).find((r) => r.Type === 'AWS::ApiGateway::Deployment')?.Properties?.StageDescription;
check(stageDescription?.ThrottlingRateLimit > 0 && stageDescription?.ThrottlingBurstLimit > 0, 'stage throttling (rate and burst)');
for (const name of ['Api5xxRateAlarm', 'LatencyP95Alarm', 'ThrottlesAlarm']) {
  check(resources[name]?.Type === 'AWS::CloudWatch::Alarm', `alarm ${name}`);
}

// Cold starts and capacity (docs/capacity.md): reserved concurrency within the connection budget, no source-map
// support at run time, small minified bundles without their maps.
const capacity = (
  parseYaml(readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8')) as {
    custom: { capacity: { atlasConnectionLimit: number; connectionsPerContainer: number; budgetShare: number } };
  }
).custom.capacity;
let reserved = 0;
for (const [id, fn] of functions) {
  const n = Number(fn.Properties?.ReservedConcurrentExecutions);
  check(n > 0, `${id} has reserved concurrency (${n})`);
  reserved += n > 0 ? n : 0;
  const options = String(fn.Properties?.Environment?.Variables?.NODE_OPTIONS ?? '');
  check(!options.includes('source-maps'), `${id} runs without --enable-source-maps`);
}
const budget = Math.floor(capacity.atlasConnectionLimit * capacity.budgetShare);
check(
  reserved * capacity.connectionsPerContainer <= budget,
  `connection budget: ${reserved} reserved x ${capacity.connectionsPerContainer} connections = ${reserved * capacity.connectionsPerContainer} <= ${budget}`,
);
const MIB = 1024 * 1024;
for (const route of new Map(loadRoutes().map((r) => [r.name, r])).values()) {
  const zip = path.join(ROOT, '.serverless', `${route.name}.zip`);
  const entries = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trim().split('\n');
  const bundles = entries.filter((e) => e.endsWith('.cjs'));
  check(bundles.length === 1 && !entries.some((e) => e.endsWith('.map')), `${route.name}.zip holds one bundle and no source map`);
  const code = execFileSync('unzip', ['-p', zip, bundles[0] ?? ''], { maxBuffer: 64 * MIB });
  const limit = route.streaming ? 1.75 * MIB : 1.25 * MIB;
  check(code.length <= limit, `${route.name} bundle ${(code.length / 1024).toFixed(0)} KiB <= ${limit / MIB} MiB`);
  // A minified bundle has few lines; an unminified one has tens of thousands. No map comment: nothing loads a map.
  const text = code.toString('utf8');
  check(
    text.split('\n').length < 2_000 && !text.includes('sourceMappingURL'),
    `${route.name} bundle is minified, with no source map comment`,
  );
}

console.log(failures ? `${failures} template check(s) failed` : 'template checks passed');
process.exit(failures ? 1 : 0);
