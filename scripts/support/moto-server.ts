/**
 * Provisions moto's server, an emulator of the AWS APIs (SSM, KMS, CloudFormation, Lambda, S3, API Gateway, IAM...),
 * for the secrets tests and `npm run deploy:smoke`: MOTO_ENDPOINT when set (a server already running), else
 * `python -m moto.server` from a virtualenv in .cache/ holding the pinned moto, created with python3 on first use.
 * `tsx scripts/support/moto-server.ts install` only creates the virtualenv (CI does it before the tests).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './mongo-server.js';

const MOTO_VERSION = '5.2.5';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VENV = path.join(ROOT, '.cache', `moto-${MOTO_VERSION}`);
const PYTHON = path.join(VENV, 'bin', 'python');

export interface MotoHandle {
  /** e.g. http://127.0.0.1:5105 (an IP, not `localhost`: S3 would address buckets as subdomains of a host name). */
  endpoint: string;
  stop(): Promise<void>;
}

/** Dummy credentials and region for SDK clients pointed at moto (never real ones). */
export const MOTO_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  // Here Node is 20; the SDK's notice about its future Node 22 minimum is noise (Lambda runs nodejs22.x).
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const;

/** Creates the virtualenv with moto[server] unless it exists; built aside and renamed, so an interrupted install leaves nothing half-made. */
async function ensureMoto(log: (msg: string) => void = () => undefined): Promise<string> {
  if (existsSync(PYTHON)) return PYTHON;
  const tmp = `${VENV}.tmp-${process.pid}`;
  log(`moto: installing moto[server]==${MOTO_VERSION} into ${path.relative(ROOT, VENV)} (once, about a minute or two)`);
  mkdirSync(path.dirname(VENV), { recursive: true });
  rmSync(tmp, { recursive: true, force: true });
  try {
    const run = promisify(execFile);
    await run('python3', ['-m', 'venv', tmp]);
    await run(
      path.join(tmp, 'bin', 'python'),
      ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', `moto[server]==${MOTO_VERSION}`],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    // A concurrent install may have won the race; either copy is good.
    if (!existsSync(PYTHON)) renameSync(tmp, VENV);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return PYTHON;
}

// Runs moto's server and exits when our end of its stdin closes, so a killed test run leaves no server behind.
const LAUNCHER = [
  'import os, sys, threading',
  'threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()',
  'from moto.server import main',
  "sys.argv = ['moto_server'] + sys.argv[1:]",
  'main()',
].join('\n');

async function waitUntilUp(endpoint: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited with code ${child.exitCode}`);
    try {
      await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error('moto did not answer within 30 s');
}

export async function startMotoServer(opts: { port?: number; log?: (msg: string) => void } = {}): Promise<MotoHandle> {
  const log = opts.log ?? (() => undefined);
  if (process.env.MOTO_ENDPOINT) {
    log(`moto: using MOTO_ENDPOINT ${process.env.MOTO_ENDPOINT}`);
    return { endpoint: process.env.MOTO_ENDPOINT.replace(/\/+$/, ''), stop: async () => undefined };
  }
  const python = await ensureMoto(log);
  const port = opts.port ?? (await freePort());
  const child = spawn(python, ['-c', LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(endpoint, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`, { cause: err });
  }
  log(`moto: ${MOTO_VERSION} on ${endpoint}`);
  return {
    endpoint,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === 'install') {
  await ensureMoto(console.log);
  console.log(`moto ${MOTO_VERSION}: ${path.relative(ROOT, PYTHON)}`);
}
