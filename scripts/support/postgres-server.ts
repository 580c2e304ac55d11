/**
 * A throwaway PostgreSQL server for the benchmark, when the machine has one installed (`initdb` and `postgres` on
 * PATH): a fresh cluster in a temporary directory, durability off, the legacy schema applied. Run as the `postgres`
 * user when this process is root (PostgreSQL refuses root). Returns null when PostgreSQL is not installed; the
 * benchmark then uses PGlite (scripts/support/legacy-dev-db.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { LEGACY_SCHEMA } from './legacy-dev-db.js';

const has = (bin: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Whether something already listens on the port (a leftover server must not be taken for ours). */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

export async function startThrowawayPostgres(port: number): Promise<{ url: string; stop(): Promise<void> } | null> {
  if (!has('initdb') || !has('postgres')) return null;
  if (await listening(port)) throw new Error(`port ${port} is taken: set BENCH_PG_PORT to a free one`);
  const dir = mkdtempSync(path.join(tmpdir(), 'ansari-legacy-pg-'));
  // As root, the server runs as the postgres user (spawned with its ids, so signals reach the server itself).
  const ids =
    process.getuid?.() === 0
      ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) }
      : {};
  if (ids.uid !== undefined) chownSync(dir, ids.uid, ids.gid!);
  const data = path.join(dir, 'data');
  execFileSync('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { stdio: 'ignore', cwd: dir, ...ids });
  const settings = ['listen_addresses=127.0.0.1', 'fsync=off', 'synchronous_commit=off', 'full_page_writes=off'];
  const server = spawn('postgres', ['-D', data, '-p', String(port), '-k', dir, ...settings.flatMap((x) => ['-c', x])], {
    stdio: 'ignore',
    cwd: dir,
    ...ids,
  });
  let exited: number | null = null;
  server.once('exit', (code) => (exited = code ?? -1));
  // A benchmark that dies before stop() must not leave the server behind.
  const orphan = () => server.kill('SIGINT');
  process.once('exit', orphan);
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
  for (let i = 0; ; i++) {
    // A server that stopped (its port taken, say) must not leave us talking to whatever answers there.
    if (exited !== null) throw new Error(`postgres exited with ${exited} (is port ${port} free?)`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query(readFileSync(LEGACY_SCHEMA, 'utf8'));
      await client.end();
      break;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (i >= 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        process.off('exit', orphan);
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (exited !== null) return done();
        server.once('exit', done);
        server.kill('SIGINT');
      }),
  };
}
