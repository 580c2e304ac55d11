import { z } from 'zod';
import { isUuid } from '#lib/ids.js';
import { normaliseName } from './names.js';
import { SOURCES } from './types.js';

export const ThreadIdSchema = z
  .string()
  .refine(isUuid, 'must be a UUID')
  .transform((s) => s.toLowerCase());

export const ThreadPathSchema = z.object({ thread_id: ThreadIdSchema });

/** A name: a string, trimmed, not blank, cut to 100 characters. */
export const NameSchema = z
  .string()
  .max(10_000)
  .transform(normaliseName)
  .refine((s) => s.length > 0, 'must not be blank');

const MAX_METADATA_BYTES = 16 * 1024;

/**
 * The first key MongoDB would read as an operator or a path ("$…", "a.b", or holding a NUL), at any depth, or a
 * marker when the value nests deeper than `maxDepth`; undefined when every key is safe. Used for every client value
 * stored as it is (metadata, message content).
 */
export function unsafeKey(value: unknown, maxDepth: number, depth = 0): string | undefined {
  if (depth > maxDepth) return '(nesting too deep)';
  if (Array.isArray(value)) {
    for (const v of value) {
      const bad = unsafeKey(v, maxDepth, depth + 1);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith('$') || k.includes('.') || k.includes('\0')) return k;
      const bad = unsafeKey(v, maxDepth, depth + 1);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}

export const MetadataSchema = z
  .record(z.string(), z.unknown())
  .refine((m) => Buffer.byteLength(JSON.stringify(m), 'utf8') <= MAX_METADATA_BYTES, 'must be at most 16 KiB as JSON')
  .refine((m) => unsafeKey(m, 20) === undefined, 'keys must not start with "$" or contain "."');

export const CreateThreadBody = z
  .strictObject({
    name: NameSchema.optional(),
    initial_source: z.enum(SOURCES).default('web'),
    metadata: MetadataSchema.default({}),
  })
  .optional()
  .transform((b) => b ?? { initial_source: 'web' as const, metadata: {} });

export const RenameThreadBody = z.strictObject({ name: NameSchema });

const limit = z.coerce.number().int().min(1).max(500);

export const ListThreadsQuery = z.object({
  limit: limit.optional(),
  cursor: z.string().min(1).max(512).optional(),
});

export const GetThreadQuery = z.object({
  format: z.enum(['json', 'text']).default('json'),
  limit: limit.optional(),
  before: z.string().min(1).max(64).optional(),
});
