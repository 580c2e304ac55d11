/**
 * `npm run restore -- --from DIR [--dry-run | --verify-only] [--collections threads,shared_threads]`: restores a
 * backup written by `npm run backup` into MONGODB_DB (upsert by thread_id / share_id, idempotent), then verifies it.
 * Exit code 0 when everything matches, 1 on any refusal, write error or mismatch, 2 on bad usage or configuration.
 * Runbook: docs/disaster-recovery.md.
 */
import { parseArgs } from 'node:util';
import { formatRestoreSummary, formatVerifySummary } from '#scripts/ops/backup/report.js';
import { restoreBackup } from '#scripts/ops/backup/restore.js';
import { verifyBackup } from '#scripts/ops/backup/verify.js';

const USAGE = `Usage: npm run restore -- --from DIR [--dry-run | --verify-only] [--collections threads,shared_threads]

  --from DIR          a backup directory (holding manifest.json)
  --dry-run           check the files, parse every document, report what would be inserted or replaced; write nothing
  --verify-only       compare the database with the backup (counts, checksums, then document by document); write nothing
  --collections LIST  comma-separated subset of the backup's collections

Environment: MONGODB_URI (required), MONGODB_DB (default ansari): the database restored into.`;

let values: { from?: string; 'dry-run'?: boolean; 'verify-only'?: boolean; collections?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      from: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'verify-only': { type: 'boolean' },
      collections: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (err) {
  console.error(`${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.from || (values['dry-run'] && values['verify-only'])) {
  console.error(`${values.from ? '--dry-run and --verify-only exclude each other' : '--from DIR is required'}\n\n${USAGE}`);
  process.exit(2);
}
const from = values.from;
const collections = values.collections
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const log = (line: string) => console.log(line);

// Imported only now: lib/config.ts validates the environment at import, and --help should not need one.
let mongo: typeof import('#lib/db/mongo.js');
try {
  mongo = await import('#lib/db/mongo.js');
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}

try {
  const db = await mongo.getDb();
  if (values['verify-only']) {
    const report = await verifyBackup(db, from, { collections, log });
    console.log(formatVerifySummary(report));
    if (!report.ok) process.exitCode = 1;
  } else {
    const report = await restoreBackup(db, from, { collections, dryRun: values['dry-run'] ?? false, log });
    console.log(formatRestoreSummary(report));
    if (!report.ok) process.exitCode = 1;
  }
} catch (err) {
  console.error(`restore failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await mongo.closeMongo();
}
