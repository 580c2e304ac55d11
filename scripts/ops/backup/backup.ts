/** Backing up: streams each collection, in _id order, to `<dir>/<collection>.ejson.gz`, then writes the manifest. */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { BSON, type Db, type Document } from 'mongodb';
import { canonicalJson, EXACT_READ, exists, parseCanonical, writeGzipFile } from './files.js';
import { keyOf } from './keys.js';
import { BACKUP_COLLECTIONS, MANIFEST_FILE, writeManifest, type BackupManifest, type CollectionEntry } from './manifest.js';
import { DEFAULT_PROGRESS_EVERY, documents, silent, type Log } from './report.js';

const { EJSON } = BSON;

interface BackupOptions {
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
  return writeManifest(dir, db.databaseName, createdAt, collections);
}

async function backupCollection(
  db: Db,
  dir: string,
  spec: { name: string; key: readonly string[]; only?: Document },
  present: boolean,
  log: Log,
  progressEvery: number,
): Promise<CollectionEntry> {
  const startedAt = new Date();
  const col = db.collection(spec.name);
  const file = `${spec.name}.ejson.gz`;
  const indexes = present ? (await col.listIndexes().toArray()).map((ix) => EJSON.serialize(ix, { relaxed: true })) : [];
  const estimate = present ? await col.estimatedDocumentCount() : 0;
  log(present ? `  ${spec.name}: about ${documents(estimate)}` : `  ${spec.name}: collection does not exist; writing an empty file`);

  const content = createHash('sha256');
  let count = 0;
  let notRoundTrippable = 0;

  // Sorted by _id: the _id index serves it, and a document updated during the scan cannot be seen twice.
  const cursor = col.find(spec.only ?? {}, { sort: { _id: 1 }, ...EXACT_READ });
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
  const written = await writeGzipFile(path.join(dir, file), lines());
  log(`  ${spec.name}: ${documents(count)}, ${written.bytes} bytes compressed -> ${file}`);
  return {
    file,
    key: [...spec.key],
    count,
    checksum: content.digest('hex'),
    file_sha256: written.sha256,
    file_bytes: written.bytes,
    indexes,
    not_round_trippable: notRoundTrippable,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
  };
}
