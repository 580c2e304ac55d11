/**
 * Provisions a MongoDB wire-protocol server for tests and `npm start`, in this order:
 *  1. MONGODB_URI when set (a real mongod, Atlas, ...): used as is;
 *  2. a real `mongod` through mongodb-memory-server, when its binary is cached or its download host answers;
 *  3. mongo-java-server (from Maven Central, run with the JDK), in memory or persisted to an H2 file.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MongoServerHandle {
  uri: string;
  kind: 'external' | 'mongod' | 'mongo-java-server';
  port?: number;
  stop(): Promise<void>;
  /** Starts the server again on the same port (fault tests); in-memory data does not survive. */
  restart?(): Promise<void>;
  /** Freezes the server process (SIGSTOP): connections stay open and nothing answers, as with a hung database. */
  pause?(): void;
  /** Lets a paused server run again (SIGCONT). */
  resume?(): void;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LAUNCHER_DIR = path.join(ROOT, 'scripts/mongo-java-server');
const CACHE_DIR = path.join(ROOT, '.cache');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function tryMongod(log: (msg: string) => void): Promise<MongoServerHandle | undefined> {
  const binDir = path.join(homedir(), '.cache/mongodb-binaries');
  const cached = existsSync(binDir) && readdirSync(binDir).some((f) => f.startsWith('mongod'));
  if (!cached && !process.env.MONGOMS_SYSTEM_BINARY) {
    const host = new URL(process.env.MONGOMS_DOWNLOAD_MIRROR ?? 'https://fastdl.mongodb.org').hostname;
    const reachable = await withTimeout(
      lookup(host).then(
        () => true,
        () => false,
      ),
      2_000,
    );
    if (!reachable) return undefined;
  }
  try {
    const { MongoMemoryServer } = await import('mongodb-memory-server-core');
    const server = await withTimeout(MongoMemoryServer.create(), 120_000);
    if (!server) return undefined;
    log('MongoDB: real mongod via mongodb-memory-server');
    return { uri: server.getUri(), kind: 'mongod', stop: async () => void (await server.stop()) };
  } catch (err) {
    log(`MongoDB: mongod unavailable (${String(err).split('\n')[0]}); using mongo-java-server`);
    return undefined;
  }
}

/** Resolves (and on first use downloads through Maven) the mongo-java-server classpath. */
function javaClasspath(): string {
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = path.join(CACHE_DIR, 'mongo-java-server.classpath');
  const pom = path.join(LAUNCHER_DIR, 'pom.xml');
  const fresh = existsSync(file) && statSync(file).mtimeMs >= statSync(pom).mtimeMs;
  if (
    !fresh ||
    !readFileSync(file, 'utf8')
      .split(path.delimiter)
      .every((jar) => existsSync(jar))
  ) {
    execFileSync('mvn', ['-q', '-B', '-f', pom, 'dependency:build-classpath', `-Dmdep.outputFile=${file}`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return readFileSync(file, 'utf8').trim();
}

function launchJava(classpath: string, port: number, persistFile?: string): Promise<ChildProcess> {
  const args = ['-Xss4m', '-cp', classpath, path.join(LAUNCHER_DIR, 'MongoServerLauncher.java'), String(port)];
  if (persistFile) args.push(persistFile);
  const child = spawn('java', args, { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('mongo-java-server did not start within 60 s')), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(`listening ${port}`)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      const hint = persistFile ? ` (is another \`npm start\` using ${path.relative(ROOT, persistFile)}? stop it, or set MONGODB_URI)` : '';
      reject(new Error(`mongo-java-server exited with code ${code}${hint}`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end(); // the launcher exits when its stdin closes
  if (
    !(await withTimeout(
      exited.then(() => true),
      5_000,
    ))
  ) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function startJava(persistFile: string | undefined, log: (msg: string) => void): Promise<MongoServerHandle> {
  const classpath = javaClasspath();
  const port = await freePort();
  if (persistFile) mkdirSync(path.dirname(persistFile), { recursive: true });
  let child = await launchJava(classpath, port, persistFile);
  child.once('exit', () => undefined);
  log(`MongoDB: mongo-java-server on 127.0.0.1:${port}${persistFile ? ` (data in ${path.relative(ROOT, persistFile)})` : ' (in memory)'}`);
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    kind: 'mongo-java-server',
    port,
    stop: () => stopChild(child),
    restart: async () => {
      await stopChild(child);
      child = await launchJava(classpath, port, persistFile);
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
  };
}

export async function startMongoServer(
  opts: { persistFile?: string; log?: (msg: string) => void; allowMongod?: boolean; ignoreUri?: boolean } = {},
): Promise<MongoServerHandle> {
  const log = opts.log ?? (() => undefined);
  if (process.env.MONGODB_URI && !opts.ignoreUri) {
    log('MongoDB: using MONGODB_URI');
    return { uri: process.env.MONGODB_URI, kind: 'external', stop: async () => undefined };
  }
  if (opts.allowMongod !== false) {
    const mongod = await tryMongod(log);
    if (mongod) return mongod;
  }
  return startJava(opts.persistFile, log);
}
