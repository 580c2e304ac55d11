/** The backup's files: documents as canonical Extended JSON lines, gzip in and out, SHA-256, atomic writes with fsync. */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline as pipelineStreams, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip } from 'node:zlib';
import { BSON, type Document } from 'mongodb';

const { EJSON } = BSON;

/** Read documents exactly as stored: no promotion of Int32/Int64/Double to JS numbers, regexes as BSONRegExp. */
export const EXACT_READ = { promoteValues: false, promoteBuffers: false, bsonRegExp: true, useBigInt64: false } as const;

/** The backup directory is unusable: tampered, truncated, or not a backup of this format. Nothing was written. */
export class BackupIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupIntegrityError';
  }
}

/** A document as one backup line (without the newline). */
export const canonicalJson = (value: unknown): string => EJSON.stringify(value as Document, { relaxed: false });

export const parseCanonical = (line: string): unknown => EJSON.parse(line, { relaxed: false });

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
export function openLines(file: string, hash?: Hash): AsyncGenerator<string> {
  const gunzip = pipelineStreams(createReadStream(file), createGunzip(), () => undefined);
  return readLines(gunzip, hash, path.basename(file));
}

export function parseLine(line: string, file: string, lineNo: number): Document {
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

/**
 * Gzips `lines` into `<file>.partial`, flushes it to disk and renames it to `file`; removes the partial file on any
 * error. Returns the SHA-256 and size of the .gz bytes as written.
 */
export async function writeGzipFile(file: string, lines: AsyncIterable<Buffer>): Promise<{ sha256: string; bytes: number }> {
  const partial = `${file}.partial`;
  const fileHash = createHash('sha256');
  let bytes = 0;
  // pipeline() propagates backpressure: the source is pulled only as fast as gzip and the disk take the lines.
  try {
    await pipeline(
      Readable.from(lines),
      createGzip(),
      tap(fileHash, (n) => (bytes += n)),
      createWriteStream(partial),
    );
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  await fsyncPath(partial);
  await rename(partial, file);
  return { sha256: fileHash.digest('hex'), bytes };
}

/** SHA-256 (hex) of a file's bytes. */
export async function sha256File(file: string): Promise<string> {
  const fileHash = createHash('sha256');
  for await (const chunk of createReadStream(file)) fileHash.update(chunk as Buffer);
  return fileHash.digest('hex');
}

/** SHA-256 (hex) and line count of a .gz file's uncompressed content; throws when it cannot be decompressed. */
export async function digestGzipContent(file: string): Promise<{ sha256: string; lines: number }> {
  const content = createHash('sha256');
  let lines = 0;
  await pipeline(createReadStream(file), createGunzip(), async (source: AsyncIterable<Buffer>) => {
    for await (const buf of source) {
      content.update(buf);
      for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) lines += 1;
    }
  });
  return { sha256: content.digest('hex'), lines };
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
export async function writeFileAtomic(file: string, text: string): Promise<void> {
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

export const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );
