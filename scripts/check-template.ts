/**
 * CI check of the packaged CloudFormation template (`serverless package` first): every function of
 * serverless.yml is a Lambda function on the expected runtime, every http event is a REST API method on the
 * right resource path with an OPTIONS preflight, streaming routes use the response-streaming integration, and
 * every handler file in functions/ is deployed, API Gateway's own error answers carry CORS headers and a
 * {"detail"} body, and the optional shared-domain distribution routes /api/v3/* to this API.
 * Prints one line per check and exits non-zero when any fails.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

// Every handler in functions/ is deployed: a route written but left out of serverless.yml would be missing here.
const wired = new Set(loadRoutes().map((r) => path.relative(ROOT, r.handlerPath)));
for (const file of readdirSync(path.join(ROOT, 'functions')).filter((f) => f.endsWith('.ts'))) {
  check(wired.has(`functions/${file}`), `functions/${file} is a function of serverless.yml`);
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

// API Gateway's own answers: CORS headers and a {"detail"} body, so a browser sees the status (not a network error).
const gatewayResponses = Object.values(resources)
  .filter((r) => r.Type === 'AWS::ApiGateway::GatewayResponse')
  .map((r) => r.Properties!);
const expected: [type: string, status: string | undefined, extra?: string][] = [
  ['DEFAULT_4XX', undefined],
  ['DEFAULT_5XX', undefined],
  ['MISSING_AUTHENTICATION_TOKEN', '404'],
  ['RESOURCE_NOT_FOUND', '404'],
  ['THROTTLED', '429', 'Retry-After'],
  ['INTEGRATION_TIMEOUT', '504'],
];
for (const [type, status, extra] of expected) {
  const r = gatewayResponses.find((g) => g.ResponseType === type);
  const params = (r?.ResponseParameters ?? {}) as Record<string, string>;
  const header = (name: string) => params[`gatewayresponse.header.${name}`];
  const template = String(r?.ResponseTemplates?.['application/json'] ?? '');
  let detail: unknown;
  try {
    detail = (JSON.parse(template.replaceAll('$context.error.messageString', '"message"')) as { detail?: unknown }).detail;
  } catch {
    detail = undefined;
  }
  check(
    !!r && r.RestApiId?.Ref === 'ApiGatewayRestApi' && (status === undefined || r.StatusCode === status),
    `gateway response ${type}${status ? ` is a ${status}` : ''}`,
  );
  check(
    header('Access-Control-Allow-Origin') !== undefined && /X-Next-Cursor.*Retry-After/.test(header('Access-Control-Expose-Headers') ?? ''),
    `gateway response ${type} carries CORS headers`,
  );
  check(typeof detail === 'string' && Object.keys(r?.ResponseTemplates ?? {}).length === 1, `gateway response ${type} is {"detail"} JSON`);
  if (extra) check(/^'\d+'$/.test(header(extra) ?? ''), `gateway response ${type} sends ${extra}`);
}

// The optional shared domain (params sharedDomain…): /api/v3/* to this API's stage, the rest to the existing backend.
const deployedStage = Object.values(resources).find((r) => r.Type === 'AWS::ApiGateway::Deployment')?.Properties?.StageName as string;
const distribution = resources.SharedDomainDistribution as (Resource & { Condition?: string }) | undefined;
const config = distribution?.Properties?.DistributionConfig ?? {};
const apiOrigin = (config.Origins ?? []).find((o: any) => JSON.stringify(o.DomainName).includes('"Ref":"ApiGatewayRestApi"'));
const apiBehaviour = (config.CacheBehaviors ?? []).find((b: any) => b.PathPattern === '/api/v3/*');
const passesThrough = (b: any) =>
  b?.CachePolicyId === '4135ea2d-6df8-44a3-9df3-4b5a84be39ad' &&
  b?.OriginRequestPolicyId === 'b689b0a8-53d0-40ab-baf2-68738e2966ac' &&
  ['GET', 'POST', 'DELETE', 'OPTIONS'].every((m) => b?.AllowedMethods?.includes(m)) &&
  b?.Compress === false;
check(
  distribution?.Type === 'AWS::CloudFront::Distribution' &&
    distribution.Condition === 'SharedDomain' &&
    !!(template as any).Conditions?.SharedDomain,
  'shared-domain distribution, created only when configured',
);
check(
  apiOrigin?.OriginPath === `/${deployedStage}` && apiOrigin?.CustomOriginConfig?.OriginProtocolPolicy === 'https-only',
  "shared domain: this API's origin is its stage over HTTPS",
);
check(
  apiBehaviour?.TargetOriginId === apiOrigin?.Id && passesThrough(apiBehaviour),
  'shared domain: /api/v3/* goes to this API uncached, all methods, headers but Host forwarded, uncompressed',
);
check(
  config.DefaultCacheBehavior?.TargetOriginId !== apiOrigin?.Id && passesThrough(config.DefaultCacheBehavior),
  'shared domain: everything else goes to the existing backend, uncached',
);

console.log(failures ? `${failures} template check(s) failed` : 'template checks passed');
process.exit(failures ? 1 : 0);
