/** Restoring: checks every file, ensures the indexes, upserts each collection by natural key in batches, then verifies. */
/*
 * Restore upserts by natural key (`thread_id`, `share_id`, `(thread_id, seq)` for overflow chunks; `_id` for a
 * document lacking its key): a document absent from the target is inserted with its original `_id`; one present is
 * replaced, keeping the target's `_id`. Re-running a restore therefore changes nothing, and restoring into a
 * database that holds other documents keeps them.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { BSON, MongoBulkWriteError, type AnyBulkWriteOperation, type Collection, type Db, type Document } from 'mongodb';
import { ensureIndexes } from '#lib/db/indexes.js';
import { canonicalJson, openLines, parseLine } from './files.js';
import { DEFAULT_BATCH_SIZE, keyOf, lookupByKey } from './keys.js';
import { readManifest, selectCollections, type CollectionEntry } from './manifest.js';
import {
  DEFAULT_PROGRESS_EVERY,
  documents,
  SAMPLE_LIMIT,
  silent,
  type CollectionRestoreReport,
  type Log,
  type RestoreReport,
} from './report.js';
import { checkAllFiles, verifyBackup } from './verify.js';

const { EJSON } = BSON;

const MAX_BATCH_CHARS = 8 * 1024 * 1024;

interface RestoreOptions {
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
  const [insert, replace] = opts.dryRun ? ['would insert', 'would replace'] : ['inserted', 'replaced'];
  opts.log(
    `  ${name}: ${documents(report.documents)}; ${insert} ${report.inserted}, ${replace} ${report.replaced}` +
      (report.replacedUnderTargetId ? ` (${report.replacedUnderTargetId} under the target's _id)` : '') +
      (report.errors ? `; ${report.errors} errors` : ''),
  );
  return report;
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
