/**
 * The container's database clients (lib/db/mongo.ts, lib/db/pg.ts): the options they are made with, a new client or
 * pool after the URI secret rotates (the old one closed), a failed connect not cached, and closing them. The secret
 * values are swapped by spying on the secrets store, as a rotation read from SSM would change them.
 */
import net from 'node:net';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';

// Short, so a connect to nothing fails fast; read when config loads below.
process.env.MONGODB_TIMEOUT_MS = '400';
process.env.MONGODB_DB = `${process.env.MONGODB_DB}_db_clients`;
const { closeMongo, getMongoClient } = await import('#lib/db/mongo.js');
const { closeLegacyPool, getLegacyPool } = await import('#lib/db/pg.js');
const { secrets } = await import('#lib/secrets.js');
const { config } = await import('#lib/config.js');
const { logger } = await import('#lib/observability.js');

const realGet = secrets.get.bind(secrets);
/** Makes the secrets store answer `values` for the names given (undefined: not configured). */
const secretsSay = (values: Record<string, string | undefined>) =>
  vi.spyOn(secrets, 'get').mockImplementation((name) => (name in values ? values[name] : realGet(name)));

/** Resolves when the client's topology has closed (the driver emits this for every client). */
const closed = (client: { once(event: 'topologyClosed', fn: () => void): unknown }) =>
  new Promise<true>((resolve) => client.once('topologyClosed', () => resolve(true)));

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

afterEach(() => vi.restoreAllMocks());
afterAll(async () => {
  await closeMongo();
  await closeLegacyPool();
});

describe('the MongoDB client', () => {
  it('is made with the service name, the configured pool and timeouts, and retryable reads and writes', async () => {
    const { options } = await getMongoClient();
    expect(options).toMatchObject({
      appName: 'ansari-threads',
      maxPoolSize: config.MONGODB_MAX_POOL_SIZE,
      minPoolSize: 0,
      maxIdleTimeMS: 60_000,
      serverSelectionTimeoutMS: 400,
      connectTimeoutMS: 400,
      socketTimeoutMS: 800,
      waitQueueTimeoutMS: 400,
      retryReads: true,
      retryWrites: true,
    });
  });

  it('connects with a rotated URI on the next call, and closes the old client', async () => {
    const old = await getMongoClient();
    const oldClosed = closed(old);
    const uri = realGet('MONGODB_URI')!;
    secretsSay({ MONGODB_URI: `${uri}${uri.includes('?') ? '&' : '?'}maxConnecting=3` });
    const rotated = await getMongoClient();
    expect(rotated).not.toBe(old);
    expect(rotated.options.maxConnecting).toBe(3);
    expect(await oldClosed).toBe(true);
    expect(await getMongoClient()).toBe(rotated); // the same URI again: the same client
  });

  it('does not keep a failed connect: the next call with the same URI connects afresh', async () => {
    // A port nothing listens on yet; the second call finds a forwarder to the test server there.
    const port = await freePort();
    secretsSay({ MONGODB_URI: `mongodb://127.0.0.1:${port}/?directConnection=true` });
    await expect(getMongoClient()).rejects.toThrow();
    const target = new URL(realGet('MONGODB_URI')!.replace(/^mongodb:/, 'http:'));
    const forwarder = net.createServer((sock) => {
      const up = net.connect(Number(target.port), target.hostname);
      sock.pipe(up).pipe(sock);
      sock.on('error', () => up.destroy());
      up.on('error', () => sock.destroy());
    });
    await new Promise<void>((resolve) => forwarder.listen(port, '127.0.0.1', resolve));
    try {
      const client = await getMongoClient();
      expect((await client.db('admin').command({ ping: 1 })).ok).toBe(1);
      await closeMongo();
    } finally {
      forwarder.close();
    }
  });

  it('closes the cached client, and closes quietly while a connect is failing', async () => {
    const client = await getMongoClient();
    const wasClosed = closed(client);
    await closeMongo();
    expect(await wasClosed).toBe(true);

    secretsSay({ MONGODB_URI: `mongodb://127.0.0.1:${await freePort()}/?directConnection=true` });
    const connecting = getMongoClient();
    const closing = closeMongo();
    await expect(connecting).rejects.toThrow();
    await expect(closing).resolves.toBeUndefined();
  });
});

describe('the legacy PostgreSQL pool', () => {
  const A = 'postgres://legacy:pw@127.0.0.1:1/a';
  const B = 'postgres://legacy:pw@127.0.0.1:1/b';

  it('is refused without a URL', () => {
    secretsSay({ LEGACY_DATABASE_URL: undefined });
    expect(() => getLegacyPool()).toThrow(new Error('LEGACY_DATABASE_URL is not configured'));
  });

  it('is one small pool per URL: the same while the URL holds, a new one after it rotates, the old one ended', async () => {
    const say = secretsSay({ LEGACY_DATABASE_URL: A });
    const first = getLegacyPool();
    expect(getLegacyPool()).toBe(first);
    expect(first.options).toMatchObject({
      connectionString: A,
      max: 2,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 400,
      statement_timeout: 10_000,
      query_timeout: 15_000,
      allowExitOnIdle: true,
    });
    say.mockImplementation((name) => (name === 'LEGACY_DATABASE_URL' ? B : realGet(name)));
    const second = getLegacyPool();
    expect(second).not.toBe(first);
    expect(second.options.connectionString).toBe(B);
    expect(first.ending).toBe(true);
    expect(getLegacyPool()).toBe(second);
    await closeLegacyPool();
  });

  it('is ended by closing it, and made again after; closing with none is harmless', async () => {
    secretsSay({ LEGACY_DATABASE_URL: A });
    const pool = getLegacyPool();
    await closeLegacyPool();
    expect(pool.ending).toBe(true);
    await expect(closeLegacyPool()).resolves.toBeUndefined();
    const again = getLegacyPool();
    expect(again).not.toBe(pool);
    await closeLegacyPool();
  });

  it('logs an idle client losing its connection instead of crashing', async () => {
    secretsSay({ LEGACY_DATABASE_URL: A });
    const warn = vi.spyOn(logger, 'warn');
    const pool = getLegacyPool();
    expect(pool.emit('error', new Error('terminating connection due to administrator command'))).toBe(true);
    expect(warn).toHaveBeenCalledWith('legacy pool client error', { error: 'terminating connection due to administrator command' });
    await closeLegacyPool();
  });
});
