/** What backup, restore and verify tell the operator: progress lines, the reports' shapes, the summaries the CLIs print. */
import path from 'node:path';
import type { BackupManifest } from './manifest.js';

export type Log = (line: string) => void;
export const silent: Log = () => undefined;

/** A progress line every this many documents. */
export const DEFAULT_PROGRESS_EVERY = 5_000;
/** At most this many examples per kind of problem in a report. */
export const SAMPLE_LIMIT = 10;

export const documents = (n: number) => `${n} document${n === 1 ? '' : 's'}`;

export interface CollectionRestoreReport {
  collection: string;
  /** Documents read from the backup. */
  documents: number;
  /** Absent from the target: inserted with their original _id (in a dry run: would be). */
  inserted: number;
  /** Present in the target: replaced (in a dry run: would be). */
  replaced: number;
  /** Of `replaced`: the target held the key under another _id, which was kept. */
  replacedUnderTargetId: number;
  errors: number;
  errorSamples: string[];
}

export interface RestoreReport {
  ok: boolean;
  dryRun: boolean;
  source: { dir: string; database: string; createdAt: string };
  database: string;
  collections: CollectionRestoreReport[];
  indexWarnings: string[];
  verify?: VerifyReport;
}

export interface CollectionVerifyReport {
  collection: string;
  key: string[];
  /**
   * `exact`: the collection is the backup, byte for byte (count and checksum equal).
   * `contains-backup`: every backed-up document is present and equal, but the collection also holds other
   *   documents, or some documents sit under another _id, or expired shares are gone (the TTL index removes them).
   * `mismatch`: backed-up documents are missing or different.
   */
  status: 'exact' | 'contains-backup' | 'mismatch';
  expected: { count: number; checksum: string };
  actual: { count: number; checksum: string };
  /** Backed-up documents found equal (including those under another _id or in another field order). */
  equal: number;
  underOtherId: number;
  fieldOrderDiffers: number;
  /** Backed-up documents past their TTL expiry that are gone: expected, not an error. */
  expiredGone: number;
  missing: number;
  different: number;
  /** Documents in the database that the backup does not hold. */
  extra: number;
  samples: { missing: string[]; different: string[]; extra: string[] };
}

export interface VerifyReport {
  ok: boolean;
  database: string;
  collections: CollectionVerifyReport[];
}

export function formatVerifyLine(r: CollectionVerifyReport): string {
  const head = `${r.collection}: ${r.status.toUpperCase()}`;
  if (r.status === 'exact') {
    return `${head} (${documents(r.actual.count)}, checksum ${r.actual.checksum.slice(0, 12)}… matches the backup)`;
  }
  const parts = [
    `backup ${r.expected.count}, database ${r.actual.count}`,
    `${r.equal} equal`,
    r.underOtherId && `${r.underOtherId} under another _id`,
    r.fieldOrderDiffers && `${r.fieldOrderDiffers} in another field order`,
    r.expiredGone && `${r.expiredGone} expired and removed (TTL)`,
    r.missing && `${r.missing} MISSING (e.g. ${r.samples.missing.join(', ')})`,
    r.different && `${r.different} DIFFERENT (e.g. ${r.samples.different.join(', ')})`,
    r.extra && `${r.extra} extra in the database, not in the backup (e.g. ${r.samples.extra.join(', ')})`,
  ].filter(Boolean);
  return `${head}: ${parts.join('; ')}`;
}

export function formatBackupSummary(manifest: BackupManifest, dir: string): string {
  const rows = Object.entries(manifest.collections).map(
    ([name, e]) => `  ${name.padEnd(22)} ${String(e.count).padStart(9)} documents  ${String(e.file_bytes).padStart(12)} bytes  ${e.file}`,
  );
  const lossy = Object.entries(manifest.collections).filter(([, e]) => e.not_round_trippable > 0);
  return [
    `Backup of "${manifest.database}" complete: ${path.resolve(dir)}`,
    ...rows,
    `  manifest.json written ${manifest.completed_at}`,
    ...lossy.map(([name, e]) => `  WARNING ${name}: ${documents(e.not_round_trippable)} do not round-trip through Extended JSON`),
  ].join('\n');
}

export function formatRestoreSummary(report: RestoreReport): string {
  const what = report.dryRun ? 'Dry run (nothing written)' : 'Restore';
  const [insert, replace] = report.dryRun ? ['would insert', 'would replace'] : ['inserted', 'replaced'];
  const lines = [`${what} of ${report.source.dir} into "${report.database}": ${report.ok ? 'OK' : 'FAILED'}`];
  for (const c of report.collections) {
    lines.push(
      `  ${c.collection.padEnd(22)} ${String(c.documents).padStart(9)} documents  ${insert} ${c.inserted}  ${replace} ${c.replaced}` +
        (c.replacedUnderTargetId ? ` (${c.replacedUnderTargetId} kept the target's _id)` : '') +
        (c.errors ? `  ${c.errors} ERRORS: ${c.errorSamples.join('; ')}` : ''),
    );
  }
  for (const w of report.indexWarnings) lines.push(`  WARNING ${w}`);
  if (report.verify) lines.push(formatVerifySummary(report.verify));
  return lines.join('\n');
}

export function formatVerifySummary(report: VerifyReport): string {
  return [
    `Verification of "${report.database}": ${report.ok ? 'OK' : 'MISMATCH'}`,
    ...report.collections.map((c) => `  ${formatVerifyLine(c)}`),
  ].join('\n');
}
