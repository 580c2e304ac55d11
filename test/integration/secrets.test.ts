/**
 * Deployed stages read their secrets from SSM Parameter Store at run time. Here SSM is moto's server (the real SSM
 * API, provisioned and started by this file) and the real AWS SDK and Powertools talk to it: a function's secrets
 * load at cold start, a rotated value is seen after the max age without a new cold start, a missing or invalid
 * parameter fails the cold start with a message naming it, and a failed re-read later keeps the values in hand.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEV_SECRET_KEY } from '#lib/dev-secret.js';
import { startLegacyDb, type LegacyDbHandle } from '#support/legacy-dev-db.js';
import { startFakeAnthropic } from '#support/fake-anthropic.js';
import { call, callStreaming } from '#support/lambda.js';
import { MOTO_AWS_ENV, startMotoServer, type MotoHandle } from '#support/moto-server.js';
import { mintToken } from '#support/tokens.js';

const mongoUri = process.env.MONGODB_URI!;
const path = `/ansari-threads/moto-${process.pid}`;
const MAX_AGE_MS = 1_000;
const SECRET_ENV = ['MONGODB_URI', 'SECRET_KEY', 'LEGACY_DATABASE_URL', 'ANTHROPIC_API_KEY'];

let moto: MotoHandle;
let ssm: SSMClient;
let legacy: LegacyDbHandle | undefined;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  // The first run on a machine creates moto's virtualenv (pip), which can take minutes.
  moto = await startMotoServer({ log: (m) => console.log(`[secrets test] ${m}`) });
  Object.assign(process.env, MOTO_AWS_ENV, { AWS_ENDPOINT_URL_SSM: moto.endpoint });
  ssm = new SSMClient({ endpoint: moto.endpoint, region: MOTO_AWS_ENV.AWS_REGION });
}, 600_000);

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  await legacy?.stop();
  ssm?.destroy();
  await moto?.stop();
});

const put = (name: string, value: string) =>
  ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const newKey = () => randomBytes(30).toString('base64url');

/** A fresh module graph with the environment of a deployed function: parameter names only, no secret values. */
async function coldStart(params: Record<string, string>) {
  vi.resetModules();
  for (const name of SECRET_ENV) {
    delete process.env[name];
    delete process.env[`${name}_PARAM`];
  }
  Object.assign(process.env, {
    STAGE: 'moto',
    MONGODB_DB: `ansari_secrets_${process.pid}`,
    SECRETS_MAX_AGE_SECONDS: String(MAX_AGE_MS / 1000),
    MONGODB_TIMEOUT_MS: '1000',
    DB_RETRY_BUDGET_MS: '4000',
    ...params,
  });
  const fn = {
    listThreads: (await import('#functions/list-threads.js')).handler,
    createThread: (await import('#functions/create-thread.js')).handler,
    getThread: (await import('#functions/get-thread.js')).handler,
    secrets: (await import('#lib/secrets.js')).secrets,
    mongo: await import('#lib/db/mongo.js'),
    logger: (await import('#lib/observability.js')).logger,
  };
  cleanups.push(
    () => fn.mongo.closeMongo(),
    async () => (await import('#lib/db/pg.js')).closeLegacyPool(),
  );
  return fn;
}

/** A function deployed with its own parameters (names unique to the test): the database URI and a token key. */
async function deployed(extra: Record<string, string> = {}) {
  const dir = `${path}/${randomUUID().slice(0, 8)}`;
  const key = newKey();
  await put(`${dir}/mongodb-uri`, mongoUri);
  await put(`${dir}/secret-key`, key);
  const fn = await coldStart({ MONGODB_URI_PARAM: `${dir}/mongodb-uri`, SECRET_KEY_PARAM: `${dir}/secret-key`, ...extra });
  return { fn, dir, key };
}

describe('secrets from SSM Parameter Store (moto)', () => {
  it('loads a function’s secrets at cold start: the database URI and the token key come from SSM', async () => {
    const { fn, key } = await deployed();
    const user = randomUUID();
    const token = await mintToken(user, { secret: key });

    const created = await call(fn.createThread, { method: 'POST', token, body: { name: 'from SSM' } });
    expect(created.status).toBe(201);
    const list = await call(fn.listThreads, { token });
    expect(list.status).toBe(200);
    expect(list.json.map((t: { thread_name: string }) => t.thread_name)).toEqual(['from SSM']);
    // The development key is not a fallback in a deployed stage.
    expect((await call(fn.listThreads, { token: await mintToken(user, { secret: DEV_SECRET_KEY }) })).status).toBe(401);
  });

  it('sees a rotated SECRET_KEY once the max age has passed, without a new cold start', async () => {
    const { fn, dir, key } = await deployed();
    const user = randomUUID();
    const tokenA = await mintToken(user, { secret: key });
    const rotated = newKey();
    const tokenB = await mintToken(user, { secret: rotated });
    expect((await call(fn.listThreads, { token: tokenA })).status).toBe(200);

    await put(`${dir}/secret-key`, rotated);
    // Within the max age the value in hand is still used.
    expect((await call(fn.listThreads, { token: tokenA })).status).toBe(200);
    expect((await call(fn.listThreads, { token: tokenB })).status).toBe(401);

    await sleep(MAX_AGE_MS + 200);
    expect((await call(fn.listThreads, { token: tokenB })).status).toBe(200);
    expect((await call(fn.listThreads, { token: tokenA })).status).toBe(401);
  });

  it('connects with a rotated MongoDB URI: the next request after the max age uses a new client', async () => {
    const { fn, dir, key } = await deployed();
    const token = await mintToken(randomUUID(), { secret: key });
    expect((await call(fn.listThreads, { token })).status).toBe(200);
    const before = await fn.mongo.getMongoClient();

    // Rotated to a server that is not there: the function now fails as that URI would (503), so it is in use.
    await put(`${dir}/mongodb-uri`, 'mongodb://127.0.0.1:9/');
    await sleep(MAX_AGE_MS + 200);
    expect((await call(fn.listThreads, { token })).status).toBe(503);

    await put(`${dir}/mongodb-uri`, mongoUri);
    await sleep(MAX_AGE_MS + 200);
    expect((await call(fn.listThreads, { token })).status).toBe(200);
    expect(await fn.mongo.getMongoClient()).not.toBe(before);
  });

  it('fails the cold start when a parameter is missing, naming the parameter (500 to the client, the name in the log)', async () => {
    const { dir, key } = await deployed();
    const missing = `${dir}/no-such-mongodb-uri`;
    const broken = await coldStart({ MONGODB_URI_PARAM: missing, SECRET_KEY_PARAM: `${dir}/secret-key` });
    const logged = vi.spyOn(broken.logger, 'error');
    const token = await mintToken(randomUUID(), { secret: key });

    await expect(broken.secrets.refresh()).rejects.toThrow(`${missing} (MONGODB_URI): parameter not found`);
    const res = await call(broken.listThreads, { token });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ detail: 'Internal server error' });
    const messages = logged.mock.calls.map(([, fields]) => String((fields as { error?: Error } | undefined)?.error?.message));
    expect(messages.some((m) => m.includes(`${missing} (MONGODB_URI)`))).toBe(true);

    // Created afterwards, the parameter is picked up by the next request: no new deploy, no new container.
    await put(missing, mongoUri);
    expect((await call(broken.listThreads, { token })).status).toBe(200);
  });

  it('refuses an invalid secret value at cold start, naming the parameter and never echoing the value', async () => {
    const { dir } = await deployed();
    await put(`${dir}/short-key`, 'too-short');
    const weak = await coldStart({ MONGODB_URI_PARAM: `${dir}/mongodb-uri`, SECRET_KEY_PARAM: `${dir}/short-key` });
    const err = await weak.secrets.refresh().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain(`${dir}/short-key (SECRET_KEY): must be at least 32 characters`);
    expect(err?.message).not.toContain('too-short');
  });

  it('reads only the parameters a function is given; an absent search key turns its tool off, an absent model key fails', async () => {
    const dir = `${path}/${randomUUID().slice(0, 8)}`;
    await put(`${dir}/anthropic-api-key`, 'sk-ant-from-ssm');
    await put(`${dir}/kalimat-api-key`, 'kalimat-from-ssm');
    const { Secrets } = await import('#lib/secrets.js');
    const sources = (parameters: Record<string, string>) => ({ values: {}, parameters, maxAgeSeconds: 60, isLocal: false });
    const assistant = new Secrets(
      sources({
        ANTHROPIC_API_KEY: `${dir}/anthropic-api-key`,
        KALIMAT_API_KEY: `${dir}/kalimat-api-key`,
        VECTARA_API_KEY: `${dir}/no-vectara-key`,
      }),
    );
    await assistant.refresh();
    expect(assistant.get('ANTHROPIC_API_KEY')).toBe('sk-ant-from-ssm');
    expect(assistant.get('KALIMAT_API_KEY')).toBe('kalimat-from-ssm');
    expect(assistant.get('VECTARA_API_KEY')).toBeUndefined();
    // Not configured for this function: never read, and not available.
    expect(assistant.has('SECRET_KEY')).toBe(false);
    expect(assistant.get('SECRET_KEY')).toBeUndefined();

    const noModel = new Secrets(sources({ ANTHROPIC_API_KEY: `${dir}/no-anthropic-key` }));
    await expect(noModel.refresh()).rejects.toThrow(`${dir}/no-anthropic-key (ANTHROPIC_API_KEY): parameter not found`);
  });

  it('keeps the values in hand, with a warning, when a re-read fails after a complete load', async () => {
    const dir = `${path}/${randomUUID().slice(0, 8)}`;
    await put(`${dir}/model-key`, 'model-key-v1');
    const { Secrets } = await import('#lib/secrets.js');
    const { logger } = await import('#lib/observability.js');
    const warned = vi.spyOn(logger, 'warn');
    const s = new Secrets({ values: {}, parameters: { ANTHROPIC_API_KEY: `${dir}/model-key` }, maxAgeSeconds: 1, isLocal: false });
    await s.refresh();
    await ssm.send(new DeleteParameterCommand({ Name: `${dir}/model-key` }));
    await sleep(MAX_AGE_MS + 200);
    await s.refresh();
    expect(s.get('ANTHROPIC_API_KEY')).toBe('model-key-v1');
    expect(warned).toHaveBeenCalledWith('secrets could not be read again; keeping the values in hand', {
      error: expect.stringContaining(`${dir}/model-key (ANTHROPIC_API_KEY): parameter not found`),
    });
  });

  it('gives add-message its model and search keys from SSM, and a new model client once the key is rotated', async () => {
    const fake = await startFakeAnthropic();
    cleanups.push(() => fake.close());
    const dir = `${path}/${randomUUID().slice(0, 8)}`;
    await put(`${dir}/anthropic-api-key`, 'sk-ant-model-key-one');
    await put(`${dir}/kalimat-api-key`, 'kalimat-key-from-ssm');
    process.env.ANTHROPIC_BASE_URL = fake.url;
    const { fn, key } = await deployed({
      ANTHROPIC_API_KEY_PARAM: `${dir}/anthropic-api-key`,
      KALIMAT_API_KEY_PARAM: `${dir}/kalimat-api-key`,
      VECTARA_API_KEY_PARAM: `${dir}/no-vectara-key`,
    });
    delete process.env.ANTHROPIC_BASE_URL;
    const { handler: addMessage } = await import('#functions/add-message.js');
    cleanups.push(async () => (await import('#lib/agent/reply.js')).repliesSettled());
    const token = await mintToken(randomUUID(), { secret: key });
    const threadId = (await call(fn.createThread, { method: 'POST', token, body: {} })).json.thread_id as string;
    const ask = () =>
      callStreaming(addMessage, {
        method: 'POST',
        path: `/api/v3/threads/${threadId}`,
        resource: '/api/v3/threads/{thread_id}',
        pathParameters: { thread_id: threadId },
        token,
        body: { role: 'user', content: 'salam' },
      });

    expect((await ask()).status).toBe(200);
    expect(fake.lastRequest()?.headers['x-api-key']).toBe('sk-ant-model-key-one');
    // Kalimat's key exists (search_quran, search_hadith); Vectara's does not (no search_mawsuah).
    expect(fake.lastRequest()?.body?.tools?.map((t) => t.name)).toEqual(['search_quran', 'search_hadith']);

    await put(`${dir}/anthropic-api-key`, 'sk-ant-model-key-two');
    await sleep(MAX_AGE_MS + 200);
    expect((await ask()).status).toBe(200);
    expect(fake.lastRequest()?.headers['x-api-key']).toBe('sk-ant-model-key-two');
  });

  it('starts the public share function without the token key, and refuses to start an authenticated one without it', async () => {
    const { dir } = await deployed();
    vi.resetModules();
    delete process.env.SECRET_KEY_PARAM;
    process.env.MONGODB_URI_PARAM = `${dir}/mongodb-uri`;
    const { handler: getShare } = await import('#functions/get-share.js');
    cleanups.push(async () => (await import('#lib/db/mongo.js')).closeMongo());
    const shareId = randomBytes(16).toString('base64url');
    const res = await call(getShare, { path: `/api/v3/share/${shareId}`, resource: '/api/v3/share/{id}', pathParameters: { id: shareId } });
    expect(res.status).toBe(404);
    await expect(import('#functions/list-threads.js')).rejects.toThrow('SECRET_KEY: is required in stage "moto" (or SECRET_KEY_PARAM)');
  });

  it('reads LEGACY_DATABASE_URL from SSM for the legacy store (a legacy-only read reaches PostgreSQL)', async () => {
    legacy = await startLegacyDb();
    const dir = `${path}/${randomUUID().slice(0, 8)}`;
    await put(`${dir}/legacy-database-url`, legacy.url);
    const { fn, key } = await deployed({ LEGACY_DATABASE_URL_PARAM: `${dir}/legacy-database-url` });
    const token = await mintToken(randomUUID(), { secret: key });
    // Unknown to both stores: 404 needs an answer from PostgreSQL (an unreachable legacy store gives 503).
    expect((await call(fn.getThread, { token, pathParameters: { thread_id: randomUUID() } })).status).toBe(404);
  });
});
