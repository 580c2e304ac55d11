/** Verifying: a backup's files against its manifest, and a database against the backup (checksums, then document by document). */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Db, Document } from 'mongodb';
import { INDEXES } from '#lib/db/indexes.js';
import { stableJson } from '#lib/json.js';
import { BackupIntegrityError, canonicalJson, digestGzipContent, EXACT_READ, exists, openLines, parseLine, sha256File } from './files.js';
import { DEFAULT_BATCH_SIZE, keyOf, lookupByKey } from './keys.js';
import { BACKUP_COLLECTIONS, readManifest, selectCollections, type BackupManifest, type CollectionEntry } from './manifest.js';
import { documents, SAMPLE_LIMIT, silent, type CollectionVerifyReport, type Log, type VerifyReport } from './report.js';

interface VerifyOptions {
  collections?: string[];
  log?: Log;
  now?: Date;
  /** Check the backup files' sha256 first (default true; restore has just done it). */
  checkFiles?: boolean;
  batchSize?: number;
}

interface FileCheck {
  collection: string;
  file: string;
  ok: boolean;
  problems: string[];
}

/** Checks a backup file against its manifest entry: SHA-256 of the .gz bytes, then the uncompressed content and line count. */
async function checkBackupFile(dir: string, collection: string, entry: CollectionEntry): Promise<FileCheck> {
  const file = path.join(path.resolve(dir), entry.file);
  if (!(await exists(file))) return { collection, file: entry.file, ok: false, problems: ['file is missing'] };
  const problems: string[] = [];
  const fileSha = await sha256File(file);
  if (fileSha !== entry.file_sha256) problems.push(`file sha256 is ${fileSha}, the manifest says ${entry.file_sha256}`);
  try {
    const { sha256: checksum, lines } = await digestGzipContent(file);
    if (checksum !== entry.checksum) problems.push(`content checksum is ${checksum}, the manifest says ${entry.checksum}`);
    if (lines !== entry.count) problems.push(`holds ${documents(lines)}, the manifest says ${entry.count}`);
  } catch (err) {
    problems.push(`cannot be decompressed (${(err as Error).message})`);
  }
  return { collection, file: entry.file, ok: problems.length === 0, problems };
}

/** Checks every named collection's file; refuses the whole backup (BackupIntegrityError) if any does not match. */
export async function checkAllFiles(dir: string, manifest: BackupManifest, names: string[], log: Log): Promise<void> {
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

/** The part of a collection a backup holds (the threads without their rate-limit windows). */
const backedUp = (name: string): Document => BACKUP_COLLECTIONS.find((c) => c.name === name)?.only ?? {};

/** Count and checksum of a collection computed exactly as the backup defines them. */
async function digestCollection(db: Db, name: string): Promise<{ count: number; checksum: string }> {
  const hash = createHash('sha256');
  let count = 0;
  for await (const doc of db.collection(name).find(backedUp(name), { sort: { _id: 1 }, ...EXACT_READ })) {
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

/** Canonical EJSON compared with every object's keys sorted: equal when two documents differ only in field order. */
const orderFree = (canonical: string): string => stableJson(JSON.parse(canonical));

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
      if (bodyEqual || orderFree(wantNoId) === orderFree(gotNoId)) {
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
  for await (const d of col.find(backedUp(name), { projection, sort: { _id: 1 }, ...EXACT_READ })) {
    if (backupKeys.has(keyOf(d, entry.key).id)) continue;
    report.extra += 1;
    sample(report.samples.extra, d);
  }
  report.status = report.missing > 0 || report.different > 0 ? 'mismatch' : 'contains-backup';
  return report;
}
