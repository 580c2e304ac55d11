/**
 * An embedded legacy PostgreSQL for `npm start`, the seed and migration commands, tests and the benchmark:
 * PGlite (PostgreSQL compiled to WASM) with the legacy schema (scripts/legacy/schema.sql), served on a local TCP
 * port through @electric-sql/pglite-socket so the `pg` driver (lib/db/pg.ts) connects to it like to any
 * PostgreSQL.
 *
 * PGlite has ONE backend session. The socket server multiplexes several client connections onto it, one query at a
 * time, and while a client is inside a transaction the others wait: our SQL never holds a transaction open across
 * round trips (every write is one statement), so a small pool (lib/db/pg.ts, max 2) is safe.
 *
 * The dev database lives in `.data/legacy-pg`. Only one process may open that directory, so the process serving it
 * writes `.data/legacy-pg.json` (its pid, the URL, and the MongoDB URI of `npm start`); the seed and migration
 * commands connect to that server when it runs, and open the directory themselves when it does not.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LEGACY_DEV_DIR = path.join(ROOT, '.data/legacy-pg');
const LEGACY_DEV_STATE = path.join(ROOT, '.data/legacy-pg.json');
export const LEGACY_SCHEMA = path.join(ROOT, 'scripts/legacy/schema.sql');

/** Connections the socket server accepts (each `pg` pool holds up to 2; tools may run beside `npm start`). */
const MAX_CONNECTIONS = 16;

export interface LegacyDbHandle {
  /** A `postgresql://` URL for LEGACY_DATABASE_URL. */
  url: string;
  db: PGlite;
  stop(): Promise<void>;
}

interface DevState {
  pid: number;
  url: string;
  mongodbUri?: string;
}

async function applyLegacySchema(db: PGlite): Promise<void> {
  await db.exec(await readFile(LEGACY_SCHEMA, 'utf8'));
}

/**
 * Starts PGlite (in memory, or persisted in `dataDir`), applies the legacy schema (re-runnable) and serves it on
 * 127.0.0.1 (`port` 0 picks a free one).
 */
export async function startLegacyDb(opts: { dataDir?: string; port?: number } = {}): Promise<LegacyDbHandle> {
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const db = opts.dataDir ? await PGlite.create(opts.dataDir) : await PGlite.create();
  await applyLegacySchema(db);
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: opts.port ?? 0, maxConnections: MAX_CONNECTIONS });
  await server.start();
  const url = `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  return {
    url,
    db,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Whether something accepts connections at the URL's host and port (a stale state file may name a reused pid). */
function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

function readState(): DevState | undefined {
  try {
    const state = JSON.parse(readFileSync(LEGACY_DEV_STATE, 'utf8')) as DevState;
    return typeof state.pid === 'number' && typeof state.url === 'string' ? state : undefined;
  } catch {
    return undefined;
  }
}

/** The dev database served by another running process (`npm start`, a seed or migration run), when there is one. */
async function runningLegacyDevDb(): Promise<DevState | undefined> {
  const state = existsSync(LEGACY_DEV_STATE) ? readState() : undefined;
  if (!state || state.pid === process.pid || !alive(state.pid)) return undefined;
  return (await answers(state.url)) ? state : undefined;
}

/**
 * The dev legacy database: the one a running process already serves, or `.data/legacy-pg` opened and served here
 * (then recorded in `.data/legacy-pg.json` until stopped). `mongodbUri` is recorded for the tools that need the
 * same MongoDB as `npm start`.
 */
export async function openLegacyDevDb(
  opts: { mongodbUri?: string; log?: (msg: string) => void } = {},
): Promise<{ url: string; owned: boolean; mongodbUri?: string; stop(): Promise<void> }> {
  const log = opts.log ?? (() => undefined);
  const running = await runningLegacyDevDb();
  if (running) {
    log(`legacy PostgreSQL: using the dev database served by process ${running.pid} (${running.url})`);
    return {
      url: running.url,
      owned: false,
      ...(running.mongodbUri ? { mongodbUri: running.mongodbUri } : {}),
      stop: async () => undefined,
    };
  }
  const handle = await startLegacyDb({ dataDir: LEGACY_DEV_DIR });
  const state: DevState = { pid: process.pid, url: handle.url, ...(opts.mongodbUri ? { mongodbUri: opts.mongodbUri } : {}) };
  writeFileSync(LEGACY_DEV_STATE, `${JSON.stringify(state)}\n`);
  log(
    `legacy PostgreSQL: PGlite on ${handle.url.replace(/^.*@/, '').replace(/\/.*$/, '')} (data in ${path.relative(ROOT, LEGACY_DEV_DIR)})`,
  );
  return {
    url: handle.url,
    owned: true,
    stop: async () => {
      if (readState()?.pid === process.pid) rmSync(LEGACY_DEV_STATE, { force: true });
      await handle.stop();
    },
  };
}

/**
 * The `npm start` starter (scripts/support/dev-services.ts): LEGACY_DATABASE_URL when set (`off`: no legacy layer),
 * else the embedded dev database, whose URL it puts in LEGACY_DATABASE_URL for lib/ to read.
 */
export async function startLegacyDevService(log: (msg: string) => void): Promise<{ stop(): Promise<void> }> {
  // `LEGACY_DATABASE_URL=off npm start`: the API as it runs after the cutover, on the same MongoDB data.
  if (process.env.LEGACY_DATABASE_URL === 'off') {
    delete process.env.LEGACY_DATABASE_URL;
    log('legacy PostgreSQL: off (LEGACY_DATABASE_URL=off): MongoDB only, as after the cutover');
    return { stop: async () => undefined };
  }
  if (process.env.LEGACY_DATABASE_URL) {
    log('legacy PostgreSQL: using LEGACY_DATABASE_URL');
    return { stop: async () => undefined };
  }
  const dev = await openLegacyDevDb({ log, ...(process.env.MONGODB_URI ? { mongodbUri: process.env.MONGODB_URI } : {}) });
  process.env.LEGACY_DATABASE_URL = dev.url;
  log('legacy PostgreSQL: load the sample legacy threads with `npm run legacy:seed`');
  return dev;
}

/**
 * An in-memory legacy database served by a child process (the benchmark's: PostgreSQL's work then runs beside this
 * process, as a real server's would, not on its event loop). Stopped with `stop()`, or when this process exits.
 */
export async function startLegacyDbProcess(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve-legacy-db'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => l.startsWith('postgresql://'));
      if (line) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`legacy database process exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
      }),
  };
}

// Child mode: serve an in-memory legacy database until stdin closes.
if (process.argv[2] === '--serve-legacy-db' && process.argv[1] === fileURLToPath(import.meta.url)) {
  const handle = await startLegacyDb();
  process.stdout.write(`${handle.url}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void handle.stop().then(() => process.exit(0)));
}
