/**
 * The overflow tests' setting: a small MAX_THREAD_DOC_BYTES (the test server does not enforce MongoDB's 16 MB limit,
 * so our own threshold is what is tested), a MongoDB database of the file's own with its indexes, and big messages.
 * Call at the top of the file, before importing lib/ (the configuration is read once, at the first import).
 */
import { afterAll, beforeAll } from 'vitest';
import type { Message } from '#lib/blocks/types.js';

export const OVERFLOW_LIMIT = 64 * 1024;

export function smallThreadDocs(name: string): void {
  process.env.MAX_THREAD_DOC_BYTES = String(OVERFLOW_LIMIT);
  process.env.MONGODB_DB = `${process.env.MONGODB_DB}_${name}`;
  beforeAll(async () => {
    const { getDb } = await import('#lib/db/mongo.js');
    await (await import('#lib/db/indexes.js')).ensureIndexes(await getDb());
  });
  afterAll(async () => {
    await (await import('#lib/db/mongo.js')).closeMongo();
  });
}

/** A message of about `kb` KiB (Arabic text, so multi-byte characters are counted as bytes); odd numbers are the assistant's. */
export const bigMessage = (i: number, kb: number): Message => ({
  id: `m${String(i).padStart(3, '0')}`,
  role: i % 2 ? 'assistant' : 'user',
  content: [{ type: 'text', text: `${i}: ${'ب'.repeat(kb * 512)}` }],
  created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
});
