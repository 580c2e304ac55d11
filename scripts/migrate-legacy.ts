/**
 * `npm run migrate:legacy -- [--dry-run] [--batch N] [--since DATE] [--thread ID] [--restart] [--verify-only]
 *                              [--mismatches-only]`
 *
 * Copies the legacy PostgreSQL threads (messages converted to blocks, feedback in its message) into MongoDB, then
 * verifies every thread in scope and prints a report; the exit code is 1 when any thread mismatches, 2 when the run
 * fails. Insert-only, idempotent, resumable from the checkpoint in the `migrations` collection, safe beside live
 * traffic; it never deletes SQL data. The logic is scripts/ops/migrate/ (copy, checkpoint, verification).
 *
 * Databases: LEGACY_DATABASE_URL and MONGODB_URI when set. Otherwise the local ones of `npm start`: the running
 * server's when it runs, else the dev data in .data/ opened here (the embedded PGlite and mongo-java-server).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openLegacyDevDb } from '#support/legacy-dev-db.js';
import { startMongoServer } from '#support/mongo-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const USAGE = `usage: npm run migrate:legacy -- [options]
  --dry-run           read, convert and report; write nothing (no threads, no checkpoint)
  --batch N           threads per batch (default 100)
  --since DATE        only threads updated at or after DATE (ISO 8601, e.g. 2025-01-01)
  --thread ID         only this thread (no checkpoint)
  --restart           ignore an unfinished checkpoint and start from the newest thread
  --verify-only       skip the copy; only verify and report
  --mismatches-only   list only the threads that mismatch in the report`;

interface Args {
  dryRun: boolean;
  batch: number;
  since?: Date;
  thread?: string;
  restart: boolean;
  verifyOnly: boolean;
  mismatchesOnly: boolean;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      'dry-run': { type: 'boolean', default: false },
      batch: { type: 'string' },
      since: { type: 'string' },
      thread: { type: 'string' },
      restart: { type: 'boolean', default: false },
      'verify-only': { type: 'boolean', default: false },
      'mismatches-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const batch = values.batch === undefined ? 100 : Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) throw new Error('--batch must be an integer from 1 to 10000');
  let since: Date | undefined;
  if (values.since !== undefined) {
    since = new Date(values.since);
    if (Number.isNaN(since.getTime())) throw new Error(`--since: not a date: ${values.since}`);
  }
  if (values.thread !== undefined && !UUID_RE.test(values.thread)) throw new Error(`--thread: not a UUID: ${values.thread}`);
  return {
    dryRun: values['dry-run'],
    batch,
    ...(since ? { since } : {}),
    ...(values.thread ? { thread: values.thread.toLowerCase() } : {}),
    restart: values.restart,
    verifyOnly: values['verify-only'],
    mismatchesOnly: values['mismatches-only'],
  };
}

const num = (n: number) => n.toLocaleString('en-US');

/** A progress line on stderr: redrawn in place on a terminal, one line per batch otherwise. */
function progressPrinter() {
  const tty = process.stderr.isTTY === true;
  let drawn = false;
  return {
    update(line: string) {
      if (tty) {
        process.stderr.write(`\r${line}\x1b[K`);
        drawn = true;
      } else {
        process.stderr.write(`${line}\n`);
      }
    },
    done() {
      if (tty && drawn) process.stderr.write('\n');
      drawn = false;
    },
  };
}

function bar(done: number, total: number, width = 30): string {
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(frac * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

type MigrateResult = Awaited<ReturnType<typeof import('#scripts/ops/migrate/migrate.js').migrateLegacy>>;
type VerifyReport = Awaited<ReturnType<typeof import('#scripts/ops/migrate/verify.js').verifyLegacy>>;

function printMigration(r: MigrateResult, dryRun: boolean, log: (m: string) => void): void {
  for (const w of r.warnings) log(`warning: ${w}`);
  if (r.resumedFrom) {
    log(`resumed after thread ${r.resumedFrom.threadId} (updated_at ${r.resumedFrom.updatedAt.toISOString()}); --restart starts over`);
  }
  console.log(
    `${dryRun ? 'DRY RUN: ' : ''}${num(r.threads)} threads read, ${dryRun ? 'would insert' : 'inserted'} ${num(r.inserted)} ` +
      `(${num(r.messages)} messages), ${dryRun ? 'would update' : 'updated'} ${num(r.updated)} changed in SQL since their copy` +
      `${r.appended ? ` (${num(r.appended)} messages appended)` : ''}, ${num(r.skipped)} already in MongoDB and unchanged` +
      `${r.removed ? `, ${num(r.removed)} copies removed (deleted in SQL meanwhile)` : ''} in ${(r.elapsedMs / 1000).toFixed(1)} s` +
      (r.catchUpPasses ? `; ${r.catchUpPasses} catch-up pass${r.catchUpPasses > 1 ? 'es' : ''} over threads changed during the run` : ''),
  );
  const steps = Object.entries(r.timings).map(([step, ms]) => `${step} ${(ms / 1000).toFixed(1)} s`);
  if (steps.length) log(`time by step: ${steps.join(', ')}`);
  if (r.resumedFrom) {
    console.log(
      `whole run (across resumes): ${num(r.run.inserted)} threads inserted (${num(r.run.messages)} messages), ${num(r.run.updated)} updated`,
    );
  }
  if (r.kept.length) {
    console.log(
      `kept as v3 wrote them (also changed in SQL): ${r.kept.slice(0, 20).join('; ')}${r.kept.length > 20 ? ` and ${num(r.kept.length - 20)} more` : ''}`,
    );
  }
  if (r.usersMarked !== null)
    console.log(`${num(r.usersMarked)} users marked fully migrated (the list no longer asks PostgreSQL for them)`);
  if (r.shares) {
    console.log(
      `shares: ${num(r.shares.shares)} read, ${dryRun ? 'would insert' : 'inserted'} ${num(r.shares.inserted)}, ` +
        `${num(r.shares.skipped)} copied before, ${num(r.shares.unreadable)} not share documents (404 either way)` +
        (r.shares.removed ? `, ${num(r.shares.removed)} copies removed (revoked or erased in SQL meanwhile)` : ''),
    );
  }
}

function printReport(report: VerifyReport, args: Args): void {
  const rows = args.mismatchesOnly ? report.threads.filter((t) => t.status === 'mismatch' || t.status === 'missing') : report.threads;
  if (rows.length > 0) {
    console.log(`\n| ${'thread_id'.padEnd(36)} | SQL rows | converted | MongoDB from SQL | MongoDB total | status`);
    console.log(`|${'-'.repeat(38)}|----------|-----------|------------------|---------------|--------`);
    const cell = (v: number | null, w: number) => (v === null ? '-' : num(v)).padStart(w);
    for (const t of rows) {
      console.log(
        `| ${t.thread_id} | ${cell(t.sql_rows, 8)} | ${cell(t.expected, 9)} | ${cell(t.mongo, 16)} | ${cell(t.mongo_total, 13)} | ${t.status}` +
          (t.problems.length ? `: ${t.problems.join('; ')}` : '') +
          (t.kept.length ? ` (kept from v3: ${t.kept.join(', ')})` : ''),
      );
    }
  }
  const shareIssues = (report.shares ?? []).filter((s) => s.status === 'missing' || s.status === 'mismatch');
  for (const s of shareIssues) console.log(`| share ${s.share_id} | ${s.status}: ${s.problems.join('; ')}`);
  const shares = report.shares;
  const count = (status: string) => num((shares ?? []).filter((s) => s.status === status).length);
  console.log(
    `\nverification: ${num(report.threads.length)} threads, ${num(report.ok)} ok, ${num(report.mismatches)} mismatched` +
      (args.dryRun ? `, ${num(report.pending)} not yet in MongoDB (dry run)` : '') +
      `; ${num(report.messages)} messages and ${num(report.feedback)} feedback items checked` +
      (shares
        ? `; shares: ${num(shares.length)}, ${count('ok')} ok, ${count('revoked')} revoked through v3, ${count('unreadable')} not share documents, ${num(shareIssues.length)} missing or different`
        : ''),
  );
  console.log(
    'counts: "converted" is the number of messages the SQL rows convert to (tool rows merged, missing tool results and\n' +
      'opening questions added); "MongoDB from SQL" counts the messages whose ids came from the conversion, so messages\n' +
      'appended through v3 are only in "MongoDB total".',
  );
  const scope = args.thread
    ? 'this thread'
    : args.since
      ? 'the threads updated since --since (shares not checked)'
      : 'every thread and share';
  if (report.clean) {
    console.log(
      `\nVERDICT: CLEAN for ${scope}: every thread, message, feedback item${shares ? ' and share' : ''} is in MongoDB and equal, ` +
        'names and times included.' +
        (args.thread || args.since ? '' : ' The legacy layer can be switched off (README, "Cutover").'),
    );
  } else if (args.dryRun) {
    console.log(`\nVERDICT (dry run): ${num(report.pending)} threads not yet in MongoDB, ${num(report.mismatches)} differing copies.`);
  } else {
    console.log(
      `\nVERDICT: NOT CLEAN for ${scope}: ${num(report.mismatches)} threads and ${num(shareIssues.length)} shares differ or are ` +
        'missing (listed above). Rerun `npm run migrate:legacy` (it brings SQL changes across), then verify again.',
    );
  }
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  const log = (m: string) => console.error(`[migrate] ${m}`);
  process.env.STAGE ??= 'local';
  process.env.LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

  const cleanups: (() => Promise<void>)[] = [];
  try {
    if (!process.env.LEGACY_DATABASE_URL) {
      const dev = await openLegacyDevDb({ log });
      process.env.LEGACY_DATABASE_URL = dev.url;
      if (!process.env.MONGODB_URI && dev.mongodbUri) {
        process.env.MONGODB_URI = dev.mongodbUri;
        log('MongoDB: the one `npm start` uses');
      }
      cleanups.push(dev.stop);
    }
    if (!process.env.MONGODB_URI) {
      const mongo = await startMongoServer({ persistFile: path.join(ROOT, '.data/mongo-dev'), log, allowMongod: false });
      process.env.MONGODB_URI = mongo.uri;
      cleanups.push(mongo.stop);
    }
    // lib/ reads its configuration on first import, after the environment above is complete.
    const { migrateLegacy } = await import('#scripts/ops/migrate/migrate.js');
    const { verifyLegacy } = await import('#scripts/ops/migrate/verify.js');
    const { closeMongo } = await import('#lib/db/mongo.js');
    const { closeLegacyPool } = await import('#lib/db/pg.js');
    cleanups.unshift(closeMongo, closeLegacyPool);

    const progress = progressPrinter();
    const scope = { ...(args.since ? { since: args.since } : {}), ...(args.thread ? { threadId: args.thread } : {}) };
    if (!args.verifyOnly) {
      const result = await migrateLegacy({
        ...scope,
        dryRun: args.dryRun,
        batchSize: args.batch,
        restart: args.restart,
        onProgress: (p) => {
          const rate = p.elapsedMs > 0 ? Math.round((p.messages * 1000) / p.elapsedMs) : 0;
          progress.update(
            `${bar(p.threadsDone, p.threadsTotal)} ${num(p.threadsDone)}/${num(p.threadsTotal)} threads, ` +
              `${num(p.messages)} messages, ${num(rate)} msg/s (${num(p.inserted)} ${args.dryRun ? 'to insert' : 'inserted'}, ` +
              `${num(p.updated)} ${args.dryRun ? 'to update' : 'updated'}, ${num(p.skipped)} unchanged)${p.pass > 0 ? ` [catch-up pass ${p.pass}]` : ''}`,
          );
        },
      });
      progress.done();
      printMigration(result, args.dryRun, log);
    }

    const report = await verifyLegacy({
      ...scope,
      batchSize: args.batch,
      dryRun: args.dryRun,
      onProgress: (done) => progress.update(`verifying ${num(done)} threads`),
    });
    progress.done();
    printReport(report, args);
    return report.clean || (args.dryRun && report.mismatches === 0) ? 0 : 1;
  } finally {
    for (const c of cleanups) await c().catch(() => undefined);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`migrate:legacy failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  },
);
