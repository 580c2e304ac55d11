/**
 * `npm run purge-user -- <user_id> [--dry-run]`: erases a person's data from the command line, as DELETE
 * /api/v3/threads does for the person (lib/services/account.ts): every thread in MongoDB (with overflow chunks) and
 * in the legacy PostgreSQL (messages, feedback), every share of theirs in both, their rate-limit counters. For a
 * deletion request that arrives by email, or an account deleted without the app. Prints what it removes;
 * `--dry-run` counts it and deletes nothing. Idempotent: run it again after a failure.
 *
 * Databases: MONGODB_URI, and LEGACY_DATABASE_URL when the legacy layer is on. With neither set, the local ones of
 * `npm start` (as `migrate:legacy`); with only MONGODB_URI set, MongoDB alone (it says so: SQL data is not touched).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isUuid } from '#lib/ids.js';
import { openLegacyDevDb } from '#support/legacy-dev-db.js';
import { startMongoServer } from '#support/mongo-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = 'usage: npm run purge-user -- <user_id> [--dry-run]';

function parse(argv: string[]): { userId: string; dryRun: boolean } {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { 'dry-run': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const [userId, ...rest] = positionals;
  if (!userId || rest.length > 0) throw new Error(USAGE);
  if (!isUuid(userId)) throw new Error(`not a user id (a UUID): ${userId}`);
  return { userId: userId.toLowerCase(), dryRun: values['dry-run'] };
}

const LABELS: [string, string][] = [
  ['threads', 'MongoDB threads (with their reply leases)'],
  ['overflow_chunks', 'MongoDB overflow chunks'],
  ['shares', 'MongoDB shares'],
  ['legacy_threads', 'legacy SQL threads'],
  ['legacy_messages', 'legacy SQL messages (with their feedback)'],
  ['legacy_shares', 'legacy SQL shares'],
  ['rate_limit_counters', 'rate-limit counters'],
];

const table = (counts: Record<string, number>) =>
  LABELS.map(([key, label]) => `  ${String(counts[key] ?? 0).padStart(8)}  ${label}`).join('\n');

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  const log = (m: string) => console.error(`[purge-user] ${m}`);
  process.env.STAGE ??= 'local';
  process.env.LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

  const cleanups: (() => Promise<void>)[] = [];
  try {
    if (!process.env.MONGODB_URI && !process.env.LEGACY_DATABASE_URL) {
      const dev = await openLegacyDevDb({ log });
      process.env.LEGACY_DATABASE_URL = dev.url;
      cleanups.push(dev.stop);
      if (dev.mongodbUri) process.env.MONGODB_URI = dev.mongodbUri;
      else {
        const mongo = await startMongoServer({ persistFile: path.join(ROOT, '.data/mongo-dev'), log, allowMongod: false });
        process.env.MONGODB_URI = mongo.uri;
        cleanups.push(mongo.stop);
      }
      log('using the local databases of `npm start`');
    } else if (!process.env.MONGODB_URI) {
      throw new Error('LEGACY_DATABASE_URL is set but MONGODB_URI is not: set both');
    } else if (!process.env.LEGACY_DATABASE_URL) {
      log('LEGACY_DATABASE_URL is not set: MongoDB only, nothing in the legacy PostgreSQL database is touched');
    }
    // lib/ reads its configuration on first import, after the environment above is complete.
    const { countUserData, eraseUserData } = await import('#lib/services/account.js');
    const { closeMongo } = await import('#lib/db/mongo.js');
    const { closeLegacyPool } = await import('#lib/db/pg.js');
    cleanups.unshift(closeMongo, closeLegacyPool);

    if (args.dryRun) {
      console.log(`DRY RUN: would remove for user ${args.userId}:\n${table({ ...(await countUserData(args.userId)) })}`);
      return 0;
    }
    const total: Record<string, number> = {};
    for (let call = 1; ; call++) {
      const { complete, deleted } = await eraseUserData(args.userId, { via: 'operator' });
      for (const [k, v] of Object.entries(deleted)) total[k] = (total[k] ?? 0) + v;
      log(`batch ${call}: ${deleted.threads + deleted.legacy_threads} threads removed${complete ? '' : ', more to go'}`);
      if (complete) break;
    }
    console.log(`removed for user ${args.userId}:\n${table(total)}`);
    return 0;
  } finally {
    for (const c of cleanups) await c().catch(() => undefined);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`purge-user failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
