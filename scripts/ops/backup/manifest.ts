/** What a backup is: the collections backed up, the manifest's schema and checksum definition, reading and writing it. */
/*
 * A backup is a directory (`npm run backup` / `npm run restore`; the runbook is docs/disaster-recovery.md):
 *
 *   manifest.json                 written last, atomically: a directory without it is not a backup
 *   <collection>.ejson.gz         gzip of one canonical Extended JSON v2 document per line, sorted by _id
 *
 * Canonical EJSON (`relaxed: false`) keeps every BSON type: Int32/Int64/Double/Decimal128, Date, ObjectId, Binary,
 * regexes, timestamps. Documents are read without promoting numbers to JS numbers (`EXACT_READ`), so an Int64 that
 * fits in a double is still an Int64 in the backup.
 *
 * The manifest's `checksum` of a collection is the SHA-256 of the uncompressed file, i.e. of every document as
 * `EJSON.stringify(doc, {relaxed: false}) + "\n"` in ascending `_id` order. Verification recomputes it from the
 * database the same way; `file_sha256` is the SHA-256 of the .gz file as written, checked before any restore.
 *
 * The modules of this folder take a `Db` and never read the environment, so tests and the CLIs (scripts/backup.ts,
 * scripts/restore.ts) share them.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Document } from 'mongodb';
import * as z from 'zod';
import { WINDOW_IDS } from '#lib/db/indexes.js';
import { BackupIntegrityError, writeFileAtomic } from './files.js';

export const MANIFEST_FILE = 'manifest.json';
const BACKUP_FORMAT = 'ansari-threads-backup';
const BACKUP_FORMAT_VERSION = 1;

/**
 * What is backed up, and the natural key a restore upserts by (each collection's unique index). Names as in
 * lib/threads/mongo-store.ts (`THREADS`), lib/share/snapshot.ts (`SHARES`) and lib/threads/overflow.ts (`CHUNKS`);
 * not imported, as those modules read the configuration at import. `optional` collections are backed up only when
 * they exist. `only` is the part of a collection that is backed up (and compared by the verification).
 */
export const BACKUP_COLLECTIONS: ReadonlyArray<{ name: string; key: readonly string[]; optional: boolean; only?: Document }> = [
  // The threads without the rate-limit windows kept beside them: counters of the day, not data (lib/db/rate-limits.ts).
  { name: 'threads', key: ['thread_id'], optional: false, only: { _id: { $not: WINDOW_IDS } } },
  { name: 'shared_threads', key: ['share_id'], optional: false },
  { name: 'thread_message_chunks', key: ['thread_id', 'seq'], optional: true },
];

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

const CollectionEntrySchema = z.object({
  file: z.string().regex(/^[A-Za-z0-9_.-]+\.ejson\.gz$/, 'must be a plain file name ending in .ejson.gz'),
  /** The restore key: these fields together (a document lacking one is restored by `_id`). */
  key: z.array(z.string().regex(/^(_id|[A-Za-z][A-Za-z0-9_]*)$/)).min(1),
  count: z.number().int().min(0),
  checksum: sha256Hex,
  file_sha256: sha256Hex,
  file_bytes: z.number().int().min(0),
  /** `listIndexes` of the source collection, as relaxed EJSON (the `_id_` index included). */
  indexes: z.array(z.record(z.string(), z.unknown())),
  /** Documents whose EJSON does not read back identically (field names such as `$date` in user data). */
  not_round_trippable: z.number().int().min(0),
  started_at: z.string(),
  finished_at: z.string(),
});

const ManifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  format_version: z.literal(BACKUP_FORMAT_VERSION),
  tool_version: z.string(),
  database: z.string(),
  created_at: z.string(),
  completed_at: z.string(),
  checksum_definition: z.string(),
  collections: z.record(z.string().regex(/^[A-Za-z0-9_]+$/), CollectionEntrySchema),
});

export type BackupManifest = z.infer<typeof ManifestSchema>;
export type CollectionEntry = z.infer<typeof CollectionEntrySchema>;

const CHECKSUM_DEFINITION =
  'sha256 (hex) of the uncompressed file: each document as EJSON.stringify(doc, {relaxed: false}) + "\\n", in ascending _id order';

const TOOL_VERSION = (() => {
  try {
    // The repository's package.json, three folders up from scripts/ops/backup/.
    return String((createRequire(import.meta.url)('../../../package.json') as { version?: string }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
})();

export async function readManifest(dir: string): Promise<BackupManifest> {
  const file = path.join(path.resolve(dir), MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new BackupIntegrityError(`no backup at ${path.resolve(dir)}: cannot read ${MANIFEST_FILE} (${(err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BackupIntegrityError(`${file} is not valid JSON`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new BackupIntegrityError(`${file} is not a ${BACKUP_FORMAT} v${BACKUP_FORMAT_VERSION} manifest: ${issues}`);
  }
  return parsed.data;
}

/**
 * Writes `<dir>/manifest.json` for the collections written, completed now. The manifest is the commit point: written
 * last and atomically, so a crash never leaves one for a partial backup.
 */
export async function writeManifest(
  dir: string,
  database: string,
  createdAt: Date,
  collections: Record<string, CollectionEntry>,
): Promise<BackupManifest> {
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    format_version: BACKUP_FORMAT_VERSION,
    tool_version: TOOL_VERSION,
    database,
    created_at: createdAt.toISOString(),
    completed_at: new Date().toISOString(),
    checksum_definition: CHECKSUM_DEFINITION,
    collections,
  };
  await writeFileAtomic(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The collections asked for (default: all the backup holds); refuses any the backup does not hold. */
export function selectCollections(manifest: BackupManifest, wanted: string[] | undefined): string[] {
  const available = Object.keys(manifest.collections);
  if (!wanted) return available;
  const unknown = wanted.filter((n) => !available.includes(n));
  if (unknown.length > 0) throw new Error(`not in this backup: ${unknown.join(', ')} (it holds ${available.join(', ')})`);
  return wanted;
}
