/**
 * Application-level backup and restore of the MongoDB collections (`npm run backup` / `npm run restore`; the
 * runbook is docs/disaster-recovery.md). A backup is a directory:
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
 * Restore upserts by natural key (`thread_id`, `share_id`, `(thread_id, seq)` for overflow chunks; `_id` for a
 * document lacking its key): a document absent from the target is inserted with its original `_id`; one present is
 * replaced, keeping the target's `_id`. Re-running a restore therefore changes nothing, and restoring into a
 * database that holds other documents keeps them.
 *
 * This module takes a `Db` and never reads the environment, so tests and the CLIs (scripts/backup.ts,
 * scripts/restore.ts) share it.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pipeline as pipelineStreams, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip } from 'node:zlib';
import { BSON, MongoBulkWriteError, type AnyBulkWriteOperation, type Collection, type Db, type Document } from 'mongodb';
import { z } from 'zod';
import { ensureIndexes, INDEXES } from './db/indexes.js';

const { EJSON } = BSON;

export const MANIFEST_FILE = 'manifest.json';
export const BACKUP_FORMAT = 'ansari-threads-backup';
export const BACKUP_FORMAT_VERSION = 1;

/**
 * What is backed up, and the natural key a restore upserts by (each collection's unique index). Names as in
 * lib/threads/mongo-store.ts (`THREADS`), lib/share/snapshot.ts (`SHARES`) and lib/threads/overflow.ts (`CHUNKS`);
 * not imported, as those modules read the configuration at import. `optional` collections are backed up only when
 * they exist.
 */
export const BACKUP_COLLECTIONS: ReadonlyArray<{ name: string; key: readonly string[]; optional: boolean }> = [
  { name: 'threads', key: ['thread_id'], optional: false },
  { name: 'shared_threads', key: ['share_id'], optional: false },
  { name: 'thread_message_chunks', key: ['thread_id', 'seq'], optional: true },
];

/** Read documents exactly as stored: no promotion of Int32/Int64/Double to JS numbers, regexes as BSONRegExp. */
export const EXACT_READ = { promoteValues: false, promoteBuffers: false, bsonRegExp: true, useBigInt64: false } as const;

const DEFAULT_BATCH_SIZE = 500;
const MAX_BATCH_CHARS = 8 * 1024 * 1024;
const DEFAULT_PROGRESS_EVERY = 5_000;
const SAMPLE_LIMIT = 10;

export type Log = (line: string) => void;
const silent: Log = () => undefined;

/** The backup directory is unusable: tampered, truncated, or not a backup of this format. Nothing was written. */
export class BackupIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupIntegrityError';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Manifest

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
    return String((createRequire(import.meta.url)('../package.json') as { version?: string }).version ?? 'unknown');
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

// ---------------------------------------------------------------------------------------------------------------
// Documents and lines

/** A document as one backup line (without the newline). */
export const canonicalJson = (value: unknown): string => EJSON.stringify(value as Document, { relaxed: false });

const parseCanonical = (line: string): unknown => EJSON.parse(line, { relaxed: false });

interface RestoreKey {
  /** The fields used: the collection's key, or `_id` for a document lacking one of them. */
  fields: string[];
  filter: Document;
  /** Identity for maps and sets; relaxed EJSON, so numbers compare across BSON types as MongoDB's equality does. */
  id: string;
  /** For reports: `thread_id 0190…`, `thread_id 0190…, seq 2`. */
  label: string;
}

const keyId = (fields: readonly string[], doc: Document) =>
  `${fields.join(',')}=${EJSON.stringify(
    fields.map((f) => doc[f]),
    { relaxed: true },
  )}`;

/** The restore key of a document: its natural key, or `_id` when the document lacks part of it. */
function keyOf(doc: Document, key: readonly string[]): RestoreKey {
  const natural = key.every((f) => doc[f] !== undefined && doc[f] !== null);
  const fields = natural ? [...key] : ['_id'];
  const show = (v: unknown) => (typeof v === 'string' ? v : EJSON.stringify(v as Document, { relaxed: true }));
  return {
    fields,
    filter: Object.fromEntries(fields.map((f) => [f, doc[f]])),
    id: keyId(fields, doc),
    label: fields.map((f) => `${f} ${show(doc[f])}`).join(', '),
  };
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .map((k) => [k, sortKeysDeep(obj[k])]),
    );
  }
  return value;
}

/** Canonical EJSON with every object's keys sorted: equal when two documents differ only in field order. */
const orderFreeJson = (canonical: string): string => JSON.stringify(sortKeysDeep(JSON.parse(canonical)));

/** Splits a byte stream into lines (UTF-8), hashing the raw bytes; a last line without "\n" means truncation. */
async function* readLines(source: AsyncIterable<Buffer>, hash: Hash | undefined, what: string): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of source) {
    hash?.update(chunk);
    rest += decoder.write(chunk);
    let start = 0;
    for (let nl = rest.indexOf('\n'); nl >= 0; nl = rest.indexOf('\n', start)) {
      yield rest.slice(start, nl);
      start = nl + 1;
    }
    rest = rest.slice(start);
  }
  rest += decoder.end();
  if (rest.length > 0) throw new BackupIntegrityError(`${what}: the last line has no newline (truncated file)`);
}

/** The lines of a .ejson.gz file; stopping early or an error anywhere closes the file. */
function openLines(file: string, hash?: Hash): AsyncGenerator<string> {
  const gunzip = pipelineStreams(createReadStream(file), createGunzip(), () => undefined);
  return readLines(gunzip, hash, path.basename(file));
}

function parseLine(line: string, file: string, lineNo: number): Document {
  let doc: unknown;
  try {
    doc = parseCanonical(line);
  } catch (err) {
    throw new BackupIntegrityError(`${file}:${lineNo}: not Extended JSON (${(err as Error).message})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || !('_id' in doc)) {
    throw new BackupIntegrityError(`${file}:${lineNo}: not a document with an _id`);
  }
  return doc as Document;
}

/** Passes bytes through unchanged, hashing and counting them. */
function tap(hash: Hash, onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      hash.update(chunk);
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
}

async function fsyncPath(p: string): Promise<void> {
  const handle = await open(p, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Write to a temporary name, flush to disk, rename over the target (atomic on one file system). */
async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  await fsyncPath(path.dirname(file)).catch(() => undefined); // directory entry durability; not all platforms allow it
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

const documents = (n: number) => `${n} document${n === 1 ? '' : 's'}`;

// ---------------------------------------------------------------------------------------------------------------
// Backup

export interface BackupOptions {
  /** Collections to back up (default: threads, shared_threads and thread_message_chunks when it exists). */
  collections?: string[];
  log?: Log;
  /** Progress line every N documents. */
  progressEvery?: number;
}

function specFor(name: string) {
  const spec = BACKUP_COLLECTIONS.find((c) => c.name === name);
  if (!spec) throw new Error(`unknown collection "${name}" (known: ${BACKUP_COLLECTIONS.map((c) => c.name).join(', ')})`);
  return spec;
}

/** Streams every collection to `<dir>/<collection>.ejson.gz`, then writes the manifest. Refuses a directory that already holds a backup. */
export async function backupDatabase(db: Db, outDir: string, opts: BackupOptions = {}): Promise<BackupManifest> {
  const log = opts.log ?? silent;
  const dir = path.resolve(outDir);
  if (await exists(path.join(dir, MANIFEST_FILE))) {
    throw new Error(`${dir} already holds a backup (${MANIFEST_FILE}); write each backup to a new directory`);
  }
  await mkdir(dir, { recursive: true });
  const present = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  const names = opts.collections ?? BACKUP_COLLECTIONS.filter((c) => !c.optional || present.has(c.name)).map((c) => c.name);
  const specs = names.map(specFor);
  const createdAt = new Date();
  log(`Backing up database "${db.databaseName}" to ${dir}: ${names.join(', ')}`);

  const collections: Record<string, CollectionEntry> = {};
  for (const spec of specs) {
    collections[spec.name] = await backupCollection(
      db,
      dir,
      spec,
      present.has(spec.name),
      log,
      opts.progressEvery ?? DEFAULT_PROGRESS_EVERY,
    );
  }
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    format_version: BACKUP_FORMAT_VERSION,
    tool_version: TOOL_VERSION,
    database: db.databaseName,
    created_at: createdAt.toISOString(),
    completed_at: new Date().toISOString(),
    checksum_definition: CHECKSUM_DEFINITION,
    collections,
  };
  // The manifest is the commit point: written last and atomically, so a crash never leaves one for a partial backup.
  await writeFileAtomic(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

async function backupCollection(
  db: Db,
  dir: string,
  spec: { name: string; key: readonly string[] },
  present: boolean,
  log: Log,
  progressEvery: number,
): Promise<CollectionEntry> {
  const startedAt = new Date();
  const col = db.collection(spec.name);
  const file = `${spec.name}.ejson.gz`;
  const partial = path.join(dir, `${file}.partial`);
  const indexes = present ? (await col.listIndexes().toArray()).map((ix) => EJSON.serialize(ix, { relaxed: true })) : [];
  const estimate = present ? await col.estimatedDocumentCount() : 0;
  log(present ? `  ${spec.name}: about ${documents(estimate)}` : `  ${spec.name}: collection does not exist; writing an empty file`);

  const content = createHash('sha256');
  const fileHash = createHash('sha256');
  let count = 0;
  let fileBytes = 0;
  let notRoundTrippable = 0;

  // Sorted by _id: the _id index serves it, and a document updated during the scan cannot be seen twice.
  const cursor = col.find({}, { sort: { _id: 1 }, ...EXACT_READ });
  async function* lines(): AsyncGenerator<Buffer> {
    try {
      for await (const doc of cursor) {
        const line = canonicalJson(doc);
        if (canonicalJson(parseCanonical(line)) !== line) {
          notRoundTrippable += 1;
          log(`  WARNING ${spec.name}: ${keyOf(doc, spec.key).label} does not read back identically from Extended JSON`);
        }
        const bytes = Buffer.from(`${line}\n`, 'utf8');
        content.update(bytes);
        count += 1;
        if (count % progressEvery === 0) log(`  ${spec.name}: ${count} / ~${estimate}`);
        yield bytes;
      }
    } finally {
      await cursor.close();
    }
  }
  // pipeline() propagates backpressure: the cursor is pulled only as fast as gzip and the disk take the lines.
  try {
    await pipeline(
      Readable.from(lines()),
      createGzip(),
      tap(fileHash, (n) => (fileBytes += n)),
      createWriteStream(partial),
    );
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  await fsyncPath(partial);
  await rename(partial, path.join(dir, file));
  log(`  ${spec.name}: ${documents(count)}, ${fileBytes} bytes compressed -> ${file}`);
  return {
    file,
    key: [...spec.key],
    count,
    checksum: content.digest('hex'),
    file_sha256: fileHash.digest('hex'),
    file_bytes: fileBytes,
    indexes,
    not_round_trippable: notRoundTrippable,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Integrity of the files

export interface FileCheck {
  collection: string;
  file: string;
  ok: boolean;
  problems: string[];
}

/** Checks a backup file against its manifest entry: SHA-256 of the .gz bytes, then the uncompressed content and line count. */
export async function checkBackupFile(dir: string, collection: string, entry: CollectionEntry): Promise<FileCheck> {
  const file = path.join(path.resolve(dir), entry.file);
  if (!(await exists(file))) return { collection, file: entry.file, ok: false, problems: ['file is missing'] };
  const problems: string[] = [];
  const fileHash = createHash('sha256');
  for await (const chunk of createReadStream(file)) fileHash.update(chunk as Buffer);
  const fileSha = fileHash.digest('hex');
  if (fileSha !== entry.file_sha256) problems.push(`file sha256 is ${fileSha}, the manifest says ${entry.file_sha256}`);

  const content = createHash('sha256');
  let lines = 0;
  try {
    await pipeline(createReadStream(file), createGunzip(), async (source: AsyncIterable<Buffer>) => {
      for await (const buf of source) {
        content.update(buf);
        for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) lines += 1;
      }
    });
    const checksum = content.digest('hex');
    if (checksum !== entry.checksum) problems.push(`content checksum is ${checksum}, the manifest says ${entry.checksum}`);
    if (lines !== entry.count) problems.push(`holds ${documents(lines)}, the manifest says ${entry.count}`);
  } catch (err) {
    problems.push(`cannot be decompressed (${(err as Error).message})`);
  }
  return { collection, file: entry.file, ok: problems.length === 0, problems };
}

function selectCollections(manifest: BackupManifest, wanted: string[] | undefined): string[] {
  const available = Object.keys(manifest.collections);
  if (!wanted) return available;
  const unknown = wanted.filter((n) => !available.includes(n));
  if (unknown.length > 0) throw new Error(`not in this backup: ${unknown.join(', ')} (it holds ${available.join(', ')})`);
  return wanted;
}

async function checkAllFiles(dir: string, manifest: BackupManifest, names: string[], log: Log): Promise<void> {
  const checks: FileCheck[] = [];
  for (const name of names) {
    const check = await checkBackupFile(dir, name, manifest.collections[name]!);
    log(`  ${check.file}: ${check.ok ? 'sha256 and checksum OK' : check.problems.join('; ')}`);
    checks.push(check);
  }
  const bad = checks.filter((c) => !c.ok);
  if (bad.length > 0) {
    throw new BackupIntegrityError(`refusing to use this backup: ${bad.map((c) => `${c.file}: ${c.problems.join('; ')}`).join(' | ')}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Restore

export interface RestoreOptions {
  collections?: string[];
  /** Read and validate everything, look up which documents exist, write nothing. */
  dryRun?: boolean;
  /** Verify the database against the backup after restoring (default true; never in a dry run). */
  verify?: boolean;
  batchSize?: number;
  log?: Log;
  progressEvery?: number;
  /** The clock used to tell expired shares (default: now). */
  now?: Date;
}

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

/**
 * Restores a backup into `db`: checks every file first (refusing the whole backup on any mismatch), ensures the
 * indexes, then upserts in batches and verifies. Idempotent; documents the backup does not hold are left alone.
 */
export async function restoreBackup(db: Db, fromDir: string, opts: RestoreOptions = {}): Promise<RestoreReport> {
  const log = opts.log ?? silent;
  const dir = path.resolve(fromDir);
  const dryRun = opts.dryRun ?? false;
  const manifest = await readManifest(dir);
  const names = selectCollections(manifest, opts.collections);
  log(
    `${dryRun ? 'Dry run: checking' : 'Restoring'} backup ${dir} (database "${manifest.database}", taken ${manifest.created_at}) ` +
      `into database "${db.databaseName}": ${names.join(', ')}`,
  );
  await checkAllFiles(dir, manifest, names, log);

  const indexWarnings: string[] = [];
  if (!dryRun) {
    await ensureIndexes(db);
    for (const name of names) indexWarnings.push(...(await recreateSourceIndexes(db, name, manifest.collections[name]!, log)));
  }

  const collections: CollectionRestoreReport[] = [];
  for (const name of names) {
    collections.push(
      await restoreCollection(db, dir, name, manifest.collections[name]!, {
        dryRun,
        batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
        log,
        progressEvery: opts.progressEvery ?? DEFAULT_PROGRESS_EVERY,
      }),
    );
  }

  const report: RestoreReport = {
    ok: collections.every((c) => c.errors === 0),
    dryRun,
    source: { dir, database: manifest.database, createdAt: manifest.created_at },
    database: db.databaseName,
    collections,
    indexWarnings,
  };
  if (!dryRun && opts.verify !== false) {
    report.verify = await verifyBackup(db, dir, { collections: names, log, now: opts.now, checkFiles: false, batchSize: opts.batchSize });
    report.ok &&= report.verify.ok;
  }
  return report;
}

/** Creates the source's indexes that the target lacks (by name); the contract's own come from ensureIndexes. */
async function recreateSourceIndexes(db: Db, name: string, entry: CollectionEntry, log: Log): Promise<string[]> {
  const warnings: string[] = [];
  const col = db.collection(name);
  const have = new Set(
    (
      await col
        .listIndexes()
        .toArray()
        .catch(() => [] as Document[])
    ).map((ix) => String(ix.name)),
  );
  for (const raw of entry.indexes) {
    const { v: _v, ns: _ns, key, name: indexName, ...options } = EJSON.deserialize(raw, { relaxed: true }) as Document;
    if (typeof indexName !== 'string' || indexName === '_id_' || have.has(indexName)) continue;
    try {
      await col.createIndexes([{ key, name: indexName, ...options }]);
      log(`  ${name}: created index ${indexName} from the backup`);
    } catch (err) {
      warnings.push(`${name}: index ${indexName} not created (${(err as Error).message})`);
    }
  }
  return warnings;
}

async function restoreCollection(
  db: Db,
  dir: string,
  name: string,
  entry: CollectionEntry,
  opts: { dryRun: boolean; batchSize: number; log: Log; progressEvery: number },
): Promise<CollectionRestoreReport> {
  const col = db.collection(name);
  const report: CollectionRestoreReport = {
    collection: name,
    documents: 0,
    inserted: 0,
    replaced: 0,
    replacedUnderTargetId: 0,
    errors: 0,
    errorSamples: [],
  };
  const content = createHash('sha256');
  let batch: Document[] = [];
  let batchChars = 0;
  let nextProgress = opts.progressEvery;
  const flush = async () => {
    if (batch.length === 0) return;
    await applyBatch(col, entry.key, batch, opts.dryRun, report, true);
    batch = [];
    batchChars = 0;
    if (report.documents >= nextProgress) {
      opts.log(`  ${name}: ${report.documents} / ${entry.count}`);
      nextProgress += opts.progressEvery;
    }
  };
  for await (const line of openLines(path.join(dir, entry.file), content)) {
    batch.push(parseLine(line, entry.file, report.documents + 1));
    report.documents += 1;
    batchChars += line.length;
    if (batch.length >= opts.batchSize || batchChars >= MAX_BATCH_CHARS) await flush();
  }
  await flush();
  // The files were checked before any write; this only guards against a file changed since.
  const checksum = content.digest('hex');
  if (checksum !== entry.checksum || report.documents !== entry.count) {
    report.errors += 1;
    report.errorSamples.push(`${entry.file} changed while being restored (checksum or count differs from the manifest)`);
  }
  const verb = opts.dryRun ? 'would insert' : 'inserted';
  opts.log(
    `  ${name}: ${documents(report.documents)}; ${verb} ${report.inserted}, ${opts.dryRun ? 'would replace' : 'replaced'} ${report.replaced}` +
      (report.replacedUnderTargetId ? ` (${report.replacedUnderTargetId} under the target's _id)` : '') +
      (report.errors ? `; ${report.errors} errors` : ''),
  );
  return report;
}

/** The target's documents matching a batch by restore key (first match per key), by `RestoreKey.id`. */
async function lookupByKey(
  col: Collection,
  key: readonly string[],
  docs: Document[],
  projectKeyOnly: boolean,
): Promise<Map<string, Document>> {
  const groups = new Map<string, { fields: string[]; filters: Document[] }>();
  for (const doc of docs) {
    const k = keyOf(doc, key);
    const group = groups.get(k.fields.join(',')) ?? { fields: k.fields, filters: [] };
    group.filters.push(k.filter);
    groups.set(k.fields.join(','), group);
  }
  const found = new Map<string, Document>();
  for (const { fields, filters } of groups.values()) {
    const query = fields.length === 1 ? { [fields[0]!]: { $in: filters.map((f) => f[fields[0]!]) } } : { $or: filters };
    const projection = projectKeyOnly ? Object.fromEntries([['_id', 1], ...fields.map((f) => [f, 1])]) : undefined;
    for await (const d of col.find(query, { projection, ...EXACT_READ })) {
      const id = keyId(fields, d);
      if (!found.has(id)) found.set(id, d);
    }
  }
  return found;
}

/**
 * Absent documents are inserted as they are (original _id, field order kept); present ones are replaced by key,
 * with the _id left out when the target holds the key under another _id (an _id cannot change).
 */
async function applyBatch(
  col: Collection,
  key: readonly string[],
  docs: Document[],
  dryRun: boolean,
  report: CollectionRestoreReport,
  retryDuplicates: boolean,
): Promise<void> {
  const found = await lookupByKey(col, key, docs, true);
  const ops: AnyBulkWriteOperation[] = [];
  const kinds: Array<'insert' | 'replace' | 'replace-target-id'> = [];
  for (const doc of docs) {
    const k = keyOf(doc, key);
    if (!found.has(k.id)) {
      ops.push({ insertOne: { document: doc } });
      kinds.push('insert');
    } else if (canonicalJson(found.get(k.id)!._id) === canonicalJson(doc._id)) {
      ops.push({ replaceOne: { filter: k.filter, replacement: doc, upsert: true } });
      kinds.push('replace');
    } else {
      const { _id: _backupId, ...withoutId } = doc;
      ops.push({ replaceOne: { filter: k.filter, replacement: withoutId, upsert: true } });
      kinds.push('replace-target-id');
    }
  }
  const tally = (i: number) => {
    if (kinds[i] === 'insert') report.inserted += 1;
    else report.replaced += 1;
    if (kinds[i] === 'replace-target-id') report.replacedUnderTargetId += 1;
  };
  if (dryRun) {
    kinds.forEach((_, i) => tally(i));
    return;
  }

  const failed = new Map<number, { code: unknown; message: string }>();
  let result: { insertedCount: number; matchedCount: number; upsertedCount: number };
  try {
    result = await col.bulkWrite(ops, { ordered: false });
  } catch (err) {
    if (!(err instanceof MongoBulkWriteError)) throw err;
    const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    for (const we of writeErrors) failed.set(we.index, { code: we.code, message: we.errmsg ?? String(we.code) });
    if (writeErrors.length === 0) throw err; // e.g. a write concern error: nothing tells which writes held
    result = err.result;
  }

  // Check the result: every operation either succeeded or is listed as failed. (With failed inserts the inserted
  // count is not checked: mongo-java-server counts attempted inserts; the listed errors are what matters then.)
  const inserts = kinds.filter((k) => k === 'insert').length;
  const failedInserts = [...failed.keys()].filter((i) => kinds[i] === 'insert').length;
  const expectedInserted = inserts - failedInserts;
  const expectedReplaced = ops.length - inserts - (failed.size - failedInserts);
  const insertedOk = failedInserts === 0 ? result.insertedCount === expectedInserted : result.insertedCount >= expectedInserted;
  if (!insertedOk || result.matchedCount + result.upsertedCount !== expectedReplaced) {
    throw new Error(
      `${col.collectionName}: bulk write result does not add up (inserted ${result.insertedCount}/${expectedInserted}, ` +
        `replaced ${result.matchedCount + result.upsertedCount}/${expectedReplaced})`,
    );
  }
  const retry: Document[] = [];
  kinds.forEach((kind, i) => {
    const failure = failed.get(i);
    if (!failure) return tally(i);
    // An insert that lost a race with a concurrent writer of the same key: look it up again, once.
    if (retryDuplicates && kind === 'insert' && failure.code === 11000) return void retry.push(docs[i]!);
    report.errors += 1;
    if (report.errorSamples.length < SAMPLE_LIMIT) report.errorSamples.push(`${keyOf(docs[i]!, key).label}: ${failure.message}`);
  });
  if (retry.length > 0) await applyBatch(col, key, retry, false, report, false);
}

// ---------------------------------------------------------------------------------------------------------------
// Verify

export interface VerifyOptions {
  collections?: string[];
  log?: Log;
  now?: Date;
  /** Check the backup files' sha256 first (default true; restore has just done it). */
  checkFiles?: boolean;
  batchSize?: number;
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

/** Count and checksum of a collection computed exactly as the backup defines them. */
export async function digestCollection(db: Db, name: string): Promise<{ count: number; checksum: string }> {
  const hash = createHash('sha256');
  let count = 0;
  for await (const doc of db.collection(name).find({}, { sort: { _id: 1 }, ...EXACT_READ })) {
    hash.update(`${canonicalJson(doc)}\n`, 'utf8');
    count += 1;
  }
  return { count, checksum: hash.digest('hex') };
}

/**
 * Compares the database with a backup. Exact when count and checksum match; otherwise document by document, so a
 * database holding more than the backup is reported as such (with its extra documents) rather than as a failure.
 */
export async function verifyBackup(db: Db, fromDir: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const log = opts.log ?? silent;
  const dir = path.resolve(fromDir);
  const manifest = await readManifest(dir);
  const names = selectCollections(manifest, opts.collections);
  log(`Verifying database "${db.databaseName}" against backup ${dir}`);
  if (opts.checkFiles !== false) await checkAllFiles(dir, manifest, names, log);
  const collections: CollectionVerifyReport[] = [];
  for (const name of names) {
    const report = await verifyCollection(
      db,
      dir,
      name,
      manifest.collections[name]!,
      opts.now ?? new Date(),
      opts.batchSize ?? DEFAULT_BATCH_SIZE,
    );
    log(`  ${name}: ${report.status}`);
    collections.push(report);
  }
  return { ok: collections.every((c) => c.status !== 'mismatch'), database: db.databaseName, collections };
}

/** TTL indexes of the collection (from the backup and from the contract): field -> seconds after which a document expires. */
function ttlFields(name: string, entry: CollectionEntry): Map<string, number> {
  const ttl = new Map<string, number>();
  const specs: Array<Record<string, unknown>> = [...entry.indexes, ...((INDEXES[name] ?? []) as unknown as Array<Record<string, unknown>>)];
  for (const ix of specs) {
    const keys = Object.keys((ix.key ?? {}) as object);
    if (typeof ix.expireAfterSeconds === 'number' && keys.length === 1) ttl.set(keys[0]!, ix.expireAfterSeconds);
  }
  return ttl;
}

async function verifyCollection(
  db: Db,
  dir: string,
  name: string,
  entry: CollectionEntry,
  now: Date,
  batchSize: number,
): Promise<CollectionVerifyReport> {
  const actual = await digestCollection(db, name);
  const report: CollectionVerifyReport = {
    collection: name,
    key: entry.key,
    status: 'exact',
    expected: { count: entry.count, checksum: entry.checksum },
    actual,
    equal: entry.count,
    underOtherId: 0,
    fieldOrderDiffers: 0,
    expiredGone: 0,
    missing: 0,
    different: 0,
    extra: 0,
    samples: { missing: [], different: [], extra: [] },
  };
  if (actual.count === entry.count && actual.checksum === entry.checksum) return report;

  // Document by document.
  report.equal = 0;
  const col = db.collection(name);
  const ttl = ttlFields(name, entry);
  const expired = (doc: Document) =>
    [...ttl].some(([field, seconds]) => doc[field] instanceof Date && (doc[field] as Date).getTime() + seconds * 1000 <= now.getTime());
  const sample = (list: string[], doc: Document) => void (list.length < SAMPLE_LIMIT && list.push(keyOf(doc, entry.key).label));
  const backupKeys = new Set<string>();

  const compare = async (docs: Document[]) => {
    const inDb = await lookupByKey(col, entry.key, docs, false);
    for (const doc of docs) {
      const current = inDb.get(keyOf(doc, entry.key).id);
      if (!current) {
        if (expired(doc)) report.expiredGone += 1;
        else {
          report.missing += 1;
          sample(report.samples.missing, doc);
        }
        continue;
      }
      const want = canonicalJson(doc);
      const got = canonicalJson(current);
      if (want === got) {
        report.equal += 1;
        continue;
      }
      const { _id: _a, ...wantBody } = doc;
      const { _id: _b, ...gotBody } = current;
      const wantNoId = canonicalJson(wantBody);
      const gotNoId = canonicalJson(gotBody);
      const sameId = canonicalJson(doc._id) === canonicalJson(current._id);
      const bodyEqual = wantNoId === gotNoId;
      if (bodyEqual || orderFreeJson(wantNoId) === orderFreeJson(gotNoId)) {
        report.equal += 1;
        if (!sameId) report.underOtherId += 1;
        // Same _id and same body yet different strings: only the position of _id differs.
        if (!bodyEqual || sameId) report.fieldOrderDiffers += 1;
        continue;
      }
      report.different += 1;
      sample(report.samples.different, doc);
    }
  };

  let batch: Document[] = [];
  let lineNo = 0;
  for await (const line of openLines(path.join(dir, entry.file))) {
    const doc = parseLine(line, entry.file, ++lineNo);
    backupKeys.add(keyOf(doc, entry.key).id);
    batch.push(doc);
    if (batch.length >= batchSize) {
      await compare(batch);
      batch = [];
    }
  }
  await compare(batch);

  const projection = Object.fromEntries([['_id', 1], ...entry.key.map((f) => [f, 1])]);
  for await (const d of col.find({}, { projection, sort: { _id: 1 }, ...EXACT_READ })) {
    if (backupKeys.has(keyOf(d, entry.key).id)) continue;
    report.extra += 1;
    sample(report.samples.extra, d);
  }
  report.status = report.missing > 0 || report.different > 0 ? 'mismatch' : 'contains-backup';
  return report;
}

// ---------------------------------------------------------------------------------------------------------------
// Reports for the CLIs

export function formatVerifyLine(r: CollectionVerifyReport): string {
  const head = `${r.collection}: ${r.status.toUpperCase()}`;
  if (r.status === 'exact') return `${head} (${documents(r.actual.count)}, checksum ${r.actual.checksum.slice(0, 12)}… matches the backup)`;
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
  const lines = [
    `${report.dryRun ? 'Dry run (nothing written)' : 'Restore'} of ${report.source.dir} into "${report.database}": ${report.ok ? 'OK' : 'FAILED'}`,
  ];
  for (const c of report.collections) {
    lines.push(
      `  ${c.collection.padEnd(22)} ${String(c.documents).padStart(9)} documents  ${report.dryRun ? 'would insert' : 'inserted'} ${c.inserted}  ` +
        `${report.dryRun ? 'would replace' : 'replaced'} ${c.replaced}` +
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
