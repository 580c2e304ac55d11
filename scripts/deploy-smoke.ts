/**
 * `npm run deploy:smoke`: a real `serverless deploy` of a throwaway stage to moto's server (the AWS APIs, emulated
 * locally), with the stage's SSM parameters created first holding recognisable random values. Then every function's
 * configuration is read back through the Lambda API, and the stack's template through CloudFormation and from the
 * deployment bucket: none may contain a secret value, and each function names only the parameters it uses. Then
 * `serverless remove`, checked too. No AWS account or credentials: dummy ones, pointed at moto (MOTO_PORT to pick
 * its port). Deploying to moto needs the `motoCompat` param (scripts/serverless/moto-compat.cjs). Exits 1 on failure.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, LambdaClient, paginateListFunctions } from '@aws-sdk/client-lambda';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { MOTO_AWS_ENV, startMotoServer } from '#support/moto-server.js';
import { loadRoutes } from './dev-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SERVICE = 'ansari-threads';
const STAGE = 'smoke';
const PREFIX = `${SERVICE}-${STAGE}-`;

let failures = 0;
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Every secret of the stage, with a value no template or configuration could contain by chance. */
const marker = `smoke${randomBytes(6).toString('hex')}`;
const SECRETS: Record<string, string> = {
  'mongodb-uri': `mongodb+srv://ansari:${marker}-db@smoke.invalid/`,
  'secret-key': `${marker}-${randomBytes(24).toString('hex')}`,
  'legacy-database-url': `postgresql://ansari:${marker}-pg@smoke.invalid:5432/ansari`,
  'anthropic-api-key': `sk-ant-${marker}-model`,
  'kalimat-api-key': `${marker}-kalimat`,
  'vectara-api-key': `${marker}-vectara`,
  'usul-api-token': `${marker}-usul`,
};
/** Names of the secrets whose value appears in the text (any fragment carrying the marker counts too). */
function leaked(text: string): string[] {
  const found = Object.entries(SECRETS)
    .filter(([, value]) => text.includes(value))
    .map(([name]) => name);
  return found.length === 0 && text.includes(marker) ? ['a fragment of a secret'] : found;
}

function serverless(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const bin = path.join(ROOT, 'node_modules/.bin/serverless');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args, '--stage', STAGE], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`serverless ${args[0]} exited with code ${code}`))));
  });
}

const started = Date.now();
const moto = await startMotoServer({ port: process.env.MOTO_PORT ? Number(process.env.MOTO_PORT) : undefined, log: console.log });
// Dummy credentials, every SDK call to moto: osls (AWS SDK v3) and the clients below honour AWS_ENDPOINT_URL.
const env: NodeJS.ProcessEnv = { ...process.env, ...MOTO_AWS_ENV, AWS_ENDPOINT_URL: moto.endpoint };
for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_PROFILE']) delete env[name];
const aws = {
  endpoint: moto.endpoint,
  region: MOTO_AWS_ENV.AWS_REGION,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
};
Object.assign(process.env, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
const ssm = new SSMClient(aws);
const lambda = new LambdaClient(aws);
const cfn = new CloudFormationClient(aws);
const s3 = new S3Client({ ...aws, forcePathStyle: true });
const iam = new IAMClient(aws);
const timings: string[] = [];
let deployed = false;

try {
  for (const [name, value] of Object.entries(SECRETS)) {
    await ssm.send(new PutParameterCommand({ Name: `/${SERVICE}/${STAGE}/${name}`, Value: value, Type: 'SecureString', Overwrite: true }));
  }

  let t = Date.now();
  deployed = true;
  // legacy=true: the legacy database URL is one more secret to look for.
  await serverless(['deploy', '--param', 'motoCompat=true', '--param', 'legacy=true'], env);
  timings.push(`deploy ${seconds(t)}`);
  t = Date.now();

  const routes = loadRoutes();
  const names: string[] = [];
  for await (const page of paginateListFunctions({ client: lambda }, {})) {
    names.push(...(page.Functions ?? []).map((f) => f.FunctionName!).filter((n) => n.startsWith(PREFIX)));
  }
  check(names.length === routes.length, `${names.length} functions deployed (serverless.yml has ${routes.length})`);
  for (const name of names.sort()) {
    const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    const vars = configuration.Environment?.Variables ?? {};
    const found = leaked(JSON.stringify(configuration));
    check(found.length === 0, `${name}: no secret value in its configuration${found.length ? ` (found: ${found.join(', ')})` : ''}`);
    const params = Object.keys(vars).filter((k) => k.endsWith('_PARAM') && vars[k]);
    const model = params.includes('ANTHROPIC_API_KEY_PARAM');
    check(
      vars.MONGODB_URI_PARAM === `/${SERVICE}/${STAGE}/mongodb-uri` && model === name.endsWith('-addMessage'),
      `${name}: parameter names only, the model key for add-message alone (${params.join(', ')})`,
    );
  }

  const stackName = `${SERVICE}-${STAGE}`;
  const { TemplateBody = '' } = await cfn.send(new GetTemplateCommand({ StackName: stackName }));
  const inTemplate = leaked(TemplateBody);
  check(
    TemplateBody.length > 0 && inTemplate.length === 0,
    `stack template: no secret value${inTemplate.length ? ` (found: ${inTemplate.join(', ')})` : ''}`,
  );

  const stackResources = (await cfn.send(new ListStackResourcesCommand({ StackName: stackName }))).StackResourceSummaries ?? [];
  const bucket = stackResources.find((r) => r.LogicalResourceId === 'ServerlessDeploymentBucket')?.PhysicalResourceId;
  const keys = bucket ? ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!) : [];
  const templates = keys.filter((k) => k.endsWith('.json'));
  check(templates.length > 0, `deployment bucket holds the stack's template (${templates.length} JSON file(s) of ${keys.length})`);
  for (const key of templates) {
    const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
    const found = leaked(body);
    check(found.length === 0, `s3://${bucket}/${key}: no secret value${found.length ? ` (found: ${found.join(', ')})` : ''}`);
  }

  const role = stackResources.find((r) => r.ResourceType === 'AWS::IAM::Role')?.PhysicalResourceId;
  const policies = role ? ((await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? []) : [];
  const documents = await Promise.all(
    policies.map(async (p) =>
      decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: p }))).PolicyDocument ?? ''),
    ),
  );
  const granted = documents.join('\n');
  check(
    granted.includes(`:parameter/${SERVICE}/${STAGE}/*`) && granted.includes('kms:Decrypt') && !granted.includes('ssm:*'),
    `role ${role}: reads this stage's parameters only`,
  );
  timings.push(`checks ${seconds(t)}`);
} catch (err) {
  failures++;
  console.error(`FAIL ${(err as Error).message}`);
} finally {
  if (deployed) {
    const t = Date.now();
    try {
      await serverless(['remove'], env);
      const names: string[] = [];
      for await (const page of paginateListFunctions({ client: lambda }, {}))
        names.push(...(page.Functions ?? []).map((f) => f.FunctionName!));
      const stacks = await cfn.send(new DescribeStacksCommand({ StackName: `${SERVICE}-${STAGE}` })).then(
        (r) => (r.Stacks ?? []).filter((s) => s.StackStatus !== 'DELETE_COMPLETE'),
        () => [],
      );
      check(stacks.length === 0 && !names.some((n) => n.startsWith(PREFIX)), 'serverless remove: stack and functions gone');
    } catch (err) {
      failures++;
      console.error(`FAIL ${(err as Error).message}`);
    }
    timings.push(`remove ${seconds(t)}`);
  }
  for (const client of [ssm, lambda, cfn, s3, iam]) client.destroy();
  await moto.stop();
}

console.log(`deploy:smoke ${failures ? `FAILED (${failures})` : 'passed'}: ${timings.join(', ')}, total ${seconds(started)}`);
process.exit(failures ? 1 : 0);
