/**
 * `npm run backup -- --out DIR [--collections threads,shared_threads]`: streams the collections to
 * DIR/<collection>.ejson.gz (canonical Extended JSON, one document per line) and writes DIR/manifest.json last.
 * Reads MONGODB_URI / MONGODB_DB through lib/config.ts. Runbook: docs/disaster-recovery.md.
 */
import { parseArgs } from 'node:util';
import { backupDatabase } from '#scripts/ops/backup/backup.js';
import { BACKUP_COLLECTIONS } from '#scripts/ops/backup/manifest.js';
import { formatBackupSummary } from '#scripts/ops/backup/report.js';

const USAGE = `Usage: npm run backup -- --out DIR [--collections ${BACKUP_COLLECTIONS.map((c) => c.name).join(',')}]

  --out DIR           a new (or empty) directory; refused if it already holds a backup
  --collections LIST  comma-separated subset (default: threads, shared_threads, and thread_message_chunks if it exists)

Environment: MONGODB_URI (required), MONGODB_DB (default ansari).`;

let values: { out?: string; collections?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: { out: { type: 'string' }, collections: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
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
if (!values.out) {
  console.error(`--out DIR is required\n\n${USAGE}`);
  process.exit(2);
}
const collections = values.collections
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);

// Imported only now: lib/config.ts validates the environment at import, and --help should not need one.
let mongo: typeof import('#lib/db/mongo.js');
try {
  mongo = await import('#lib/db/mongo.js');
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}

try {
  const manifest = await backupDatabase(await mongo.getDb(), values.out, { collections, log: (line) => console.log(line) });
  console.log(formatBackupSummary(manifest, values.out));
  if (Object.values(manifest.collections).some((c) => c.not_round_trippable > 0)) process.exitCode = 1;
} catch (err) {
  console.error(`backup failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await mongo.closeMongo();
}
