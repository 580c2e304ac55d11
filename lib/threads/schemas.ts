import { z } from 'zod';
import { isUuid } from '../ids.js';
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

/** Rejects keys MongoDB would read as operators or paths ("$…", "a.b"), at any depth. */
function safeKeys(value: unknown, depth = 0): boolean {
  if (depth > 20) return false;
  if (Array.isArray(value)) return value.every((v) => safeKeys(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.entries(value).every(([k, v]) => !k.startsWith('$') && !k.includes('.') && !k.includes('\0') && safeKeys(v, depth + 1));
  }
  return true;
}

export const MetadataSchema = z
  .record(z.string(), z.unknown())
  .refine((m) => Buffer.byteLength(JSON.stringify(m), 'utf8') <= MAX_METADATA_BYTES, 'must be at most 16 KiB as JSON')
  .refine((m) => safeKeys(m), 'keys must not start with "$" or contain "."');

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
