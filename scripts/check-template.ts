/**
 * CI check of the packaged CloudFormation template (`serverless package` first; the template path may be given as
 * the first argument): every function of serverless.yml is a Lambda function on the expected runtime, every http
 * event is a REST API method on the right resource path with an OPTIONS preflight, streaming routes use the
 * response-streaming integration, and every handler file in functions/ is deployed. Secrets: no secret value
 * anywhere in the template, each function's environment only non-secret settings and the parameter names of the
 * secrets it uses, and IAM exactly scoped to this stage's parameters. Capacity: every function has reserved
 * concurrency and all of it fits the MongoDB connection budget (custom.capacity); no function runs with source-map
 * support; each zip holds one minified bundle within its size goal and no source map. API Gateway's own error
 * answers carry CORS headers and a {"detail"} body; the optional shared-domain distribution routes /api/v3/* to this
 * API. Prints one line per check and exits non-zero when any fails.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadRoutes } from './dev-server.js';
import { codeSizeGoal, MIB } from '#support/code-size.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
type Resource = { Type: string; Properties?: Record<string, any> };
const templateFile = path.resolve(process.argv[2] ?? path.join(ROOT, '.serverless/cloudformation-template-update-stack.json'));
const templateText = readFileSync(templateFile, 'utf8');
const template = JSON.parse(templateText) as { Resources: Record<string, Resource> };
console.log(`template: ${path.relative(process.cwd(), templateFile)}`);
const resources = template.Resources;
let failures = 0;
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};

const logicalId = (name: string) => `${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`;

/** A CloudFormation value as text: `Ref`s as ${Name}, `Fn::Join` joined, `Fn::Sub` as written; lists comma-joined. */
function render(value: any): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  if (value && typeof value === 'object') {
    if ('Ref' in value) return `\${${value.Ref}}`;
    if ('Fn::Join' in value) return (value['Fn::Join'][1] as any[]).map(render).join(value['Fn::Join'][0]);
    if ('Fn::Sub' in value && typeof value['Fn::Sub'] === 'string') return value['Fn::Sub'];
  }
  return JSON.stringify(value ?? null);
}

/** What secret values and package-time secret look-ups look like (the template is stored in the deployment bucket). */
const SECRET_PATTERNS: [string, RegExp][] = [
  ['MongoDB URI', /mongodb(\+srv)?:\/\//i],
  ['PostgreSQL URL', /postgres(ql)?:\/\//i],
  ['Anthropic key', /sk-ant-/],
  ['AWS access key', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['development signing key', /ansari-local-development-secret/],
  ['resolved SSM/Secrets Manager reference', /\{\{resolve:(ssm|ssm-secure|secretsmanager):/],
  ['unresolved ${ssm:} variable', /\$\{ssm:/],
];

/** A setting's value that looks like a credential: a long unbroken token mixing letters and digits. */
function looksSecret(value: string): boolean {
  if (SECRET_PATTERNS.some(([, re]) => re.test(value))) return true;
  return value.length >= 24 && /^[A-Za-z0-9+/=_.~-]+$/.test(value) && /[0-9]/.test(value) && /[A-Za-z]/.test(value);
}

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
  const logical = logicalId(route.name);
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
    // A streamed body may outlast API Gateway's 29 s: the function and the integration must allow it.
    check(
      Number(fn?.Properties?.Timeout) > 29 && Number(m?.props.Integration?.TimeoutInMillis) > 29_000,
      `${route.method} ${route.resource} may stream past 29 s (function timeout ${fn?.Properties?.Timeout} s)`,
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
const actionsOf = (st: any): string[] => (Array.isArray(st.Action) ? st.Action : [st.Action]);
const logStatements = statements.filter((st) => actionsOf(st).every((a) => a.startsWith('logs:')));
const otherStatements = statements.filter((st) => !logStatements.includes(st));
check(
  logStatements.length > 0 && logStatements.every((st) => /log-group:\/aws\/lambda\/ansari-threads-/.test(render(st.Resource))),
  'log permissions only on the service’s own log groups (EMF metrics travel in logs)',
);
check(
  statements.every((st) => st.Effect === 'Allow' && !st.NotAction && !st.NotResource && JSON.stringify(st.Resource) !== '"*"'),
  'no IAM statement on Resource "*", no NotAction/NotResource',
);

// Secrets: read at run time from this stage's SSM parameters, never present in the template.
const stage = String(functions[0]?.[1].Properties?.Environment?.Variables?.STAGE ?? '');
check(
  /^[a-z][a-z0-9-]*$/i.test(stage) && functions.every(([, f]) => f.Properties?.Environment?.Variables?.STAGE === stage),
  `one stage: ${stage}`,
);
const stageParameters = `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/ansari-threads/${stage}/*`;
check(
  otherStatements.length === 2,
  `beyond logs, exactly two IAM statements (SSM read, KMS decrypt): ${otherStatements.map((st) => actionsOf(st).join('+')).join(', ')}`,
);
const ssmRead = otherStatements.find((st) => actionsOf(st).some((a) => a.startsWith('ssm:')));
check(
  JSON.stringify([...actionsOf(ssmRead ?? {})].sort()) === JSON.stringify(['ssm:GetParameter', 'ssm:GetParameters']) &&
    render(ssmRead?.Resource) === stageParameters &&
    ssmRead?.Condition === undefined,
  `ssm:GetParameter(s) on exactly ${stageParameters}`,
);
const kmsDecrypt = otherStatements.find((st) => actionsOf(st).some((a) => a.startsWith('kms:')));
const kmsResource = render(kmsDecrypt?.Resource);
check(
  JSON.stringify(actionsOf(kmsDecrypt ?? {})) === JSON.stringify(['kms:Decrypt']) &&
    /^arn:\$\{AWS::Partition\}:kms:\$\{AWS::Region\}:\$\{AWS::AccountId\}:key\/(\*|[0-9a-f-]{36}|mrk-[0-9a-f]{32})$/.test(kmsResource) &&
    JSON.stringify(Object.keys(kmsDecrypt?.Condition ?? {}).sort()) === '["StringEquals","StringLike"]' &&
    JSON.stringify(Object.keys(kmsDecrypt.Condition.StringEquals)) === '["kms:ViaService"]' &&
    render(kmsDecrypt.Condition.StringEquals['kms:ViaService']) === 'ssm.${AWS::Region}.${AWS::URLSuffix}' &&
    JSON.stringify(Object.keys(kmsDecrypt.Condition.StringLike)) === '["kms:EncryptionContext:PARAMETER_ARN"]' &&
    render(kmsDecrypt.Condition.StringLike['kms:EncryptionContext:PARAMETER_ARN']) === stageParameters,
  `kms:Decrypt on ${kmsResource} only through SSM and only for this stage's parameters`,
);

// Each function's environment: known non-secret settings, and the parameter names of the secrets it uses.
const SETTINGS = new Set([
  'STAGE',
  'NODE_OPTIONS',
  'POWERTOOLS_SERVICE_NAME',
  'MONGODB_DB',
  'CORS_ORIGINS',
  'REQUIRE_TOKEN_IN_DB',
  'SHARE_DEFAULT_EXPIRES_DAYS',
  'ANTHROPIC_MODEL',
  'LOG_LEVEL',
  'SECRETS_MAX_AGE_SECONDS',
]);
const MODEL_AND_SEARCH = ['ANTHROPIC_API_KEY_PARAM', 'KALIMAT_API_KEY_PARAM', 'VECTARA_API_KEY_PARAM', 'USUL_API_TOKEN_PARAM'];
/** The public routes: no access token, so no token key. */
const PUBLIC = new Set(['getShare', 'openApi']);
/** Functions that hold no MongoDB connection (the OpenAPI document): outside the connection budget. */
const NO_DATABASE = new Set(['OpenApiLambdaFunction']);
/** Which secrets each function reads: every one the database; all but the public routes the token key; add-message alone the model and search keys. */
const expectedParams = (name: string): string[] => [
  'MONGODB_URI_PARAM',
  'LEGACY_DATABASE_URL_PARAM',
  ...(PUBLIC.has(name) ? [] : ['SECRET_KEY_PARAM']),
  ...(name === 'addMessage' ? MODEL_AND_SEARCH : []),
];
for (const route of loadRoutes()) {
  const vars: Record<string, string> = functions.find(([id]) => id === logicalId(route.name))?.[1].Properties?.Environment?.Variables ?? {};
  const params = Object.keys(vars).filter((k) => k.endsWith('_PARAM'));
  const unknown = Object.keys(vars).filter((k) => !k.endsWith('_PARAM') && !SETTINGS.has(k));
  check(
    unknown.length === 0,
    `${route.name}: environment holds only known non-secret settings${unknown.length ? ` (not: ${unknown.join(', ')})` : ''}`,
  );
  check(
    JSON.stringify([...params].sort()) === JSON.stringify(expectedParams(route.name).sort()),
    `${route.name}: reads only the secrets it uses (${params.join(', ')})`,
  );
  const badNames = params.filter((k) => vars[k] !== '' && !new RegExp(`^/ansari-threads/${stage}/[a-z0-9-]+$`).test(vars[k]!));
  check(badNames.length === 0, `${route.name}: every secret parameter is under /ansari-threads/${stage}/`);
  const suspicious = Object.entries(vars).filter(([k, v]) => !k.endsWith('_PARAM') && looksSecret(v));
  check(
    suspicious.length === 0,
    `${route.name}: no secret-looking value in the environment${suspicious.length ? ` (${suspicious.map(([k]) => k).join(', ')})` : ''}`,
  );
}
const leaks = SECRET_PATTERNS.filter(([, re]) => re.test(templateText)).map(([what]) => what);
check(
  leaks.length === 0,
  `no secret value or package-time secret lookup anywhere in the template${leaks.length ? ` (found: ${leaks.join(', ')})` : ''}`,
);
check(!Object.values(resources).some((r) => /^AWS::(SSM|SecretsManager)::/.test(r.Type)), 'no parameter or secret resources in the stack');
check(
  methods
    .filter((m) => m.method === 'OPTIONS')
    .every((m) => m.props.Integration?.Type === 'MOCK' && !('IntegrationHttpMethod' in m.props.Integration)),
  'preflights are plain MOCK integrations (no moto-compat placeholders)',
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
  ['INTEGRATION_FAILURE', '503', 'Retry-After'],
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

// The optional shared domain (params sharedDomain…): in the stack only when set (stage ci sets placeholders, so CI
// checks it); /api/v3/* to this API's stage, the rest to the existing backend.
const deployedStage = Object.values(resources).find((r) => r.Type === 'AWS::ApiGateway::Deployment')?.Properties?.StageName as string;
const distribution = resources.SharedDomainDistribution;
if (distribution || deployedStage === 'ci') {
  const config = distribution?.Properties?.DistributionConfig ?? {};
  const apiOrigin = (config.Origins ?? []).find((o: any) => JSON.stringify(o.DomainName).includes('"Ref":"ApiGatewayRestApi"'));
  const apiBehaviour = (config.CacheBehaviors ?? []).find((b: any) => b.PathPattern === '/api/v3/*');
  const passesThrough = (b: any) =>
    b?.CachePolicyId === '4135ea2d-6df8-44a3-9df3-4b5a84be39ad' &&
    b?.OriginRequestPolicyId === 'b689b0a8-53d0-40ab-baf2-68738e2966ac' &&
    ['GET', 'POST', 'DELETE', 'OPTIONS'].every((m) => b?.AllowedMethods?.includes(m)) &&
    b?.Compress === false;
  check(distribution?.Type === 'AWS::CloudFront::Distribution', 'shared-domain distribution present (its params are set)');
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
} else {
  console.log('     shared domain: not set for this stage');
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
  if (!NO_DATABASE.has(id)) reserved += n > 0 ? n : 0;
  const options = String(fn.Properties?.Environment?.Variables?.NODE_OPTIONS ?? '');
  check(!options.includes('source-maps'), `${id} runs without --enable-source-maps`);
}
const budget = Math.floor(capacity.atlasConnectionLimit * capacity.budgetShare);
check(
  reserved * capacity.connectionsPerContainer <= budget,
  `connection budget: ${reserved} reserved x ${capacity.connectionsPerContainer} connections = ${reserved * capacity.connectionsPerContainer} <= ${budget}`,
);
for (const route of new Map(loadRoutes().map((r) => [r.name, r])).values()) {
  const zip = path.join(path.dirname(templateFile), `${route.name}.zip`); // the package the template came from
  const entries = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).trim().split('\n');
  // One bundle, and beside it only the vendor files it requires on first use (scripts/serverless/vendor-files.cjs).
  const bundles = entries.filter((e) => e.endsWith('.cjs') && !e.includes('/vendor/'));
  const vendors = entries.filter((e) => /^functions\/vendor\/[a-z-]+\.cjs$/.test(e));
  check(
    bundles.length === 1 && bundles.length + vendors.length === entries.length,
    `${route.name}.zip holds one bundle, vendor files (${vendors.map((v) => path.basename(v)).join(', ') || 'none'}) and nothing else`,
  );
  const files = [...bundles, ...vendors].map((name) => ({ name, code: execFileSync('unzip', ['-p', zip, name], { maxBuffer: 64 * MIB }) }));
  const size = files.reduce((n, f) => n + f.code.length, 0);
  const limit = codeSizeGoal(route.name);
  check(size <= limit, `${route.name} code (bundle and vendor files) ${(size / 1024).toFixed(0)} KiB <= ${limit / MIB} MiB`);
  // A minified file has few lines; an unminified one has tens of thousands. No map comment: nothing loads a map.
  for (const f of files) {
    const text = f.code.toString('utf8');
    check(
      text.split('\n').length < 2_000 && !text.includes('sourceMappingURL'),
      `${route.name} ${path.basename(f.name)} is minified, with no source map comment`,
    );
  }
}

console.log(failures ? `${failures} template check(s) failed` : 'template checks passed');
process.exit(failures ? 1 : 0);
