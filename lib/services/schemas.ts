/** The request schemas of every route (path, query, body), validated at the edge by the middleware. */
import * as z from 'zod';
import type { Block, Role } from '#lib/blocks/types.js';
import { unsafeKey } from '#lib/db/keys.js';
import { isUuid } from '#lib/ids.js';
import { normaliseName } from '#lib/threads/names.js';
import { SOURCES } from '#lib/threads/types.js';

const ThreadIdSchema = z
  .string()
  .refine(isUuid, 'must be a UUID')
  .transform((s) => s.toLowerCase());

export const ThreadPathSchema = z.object({ thread_id: ThreadIdSchema });

/** A name: a string, trimmed, not blank, cut to 100 characters. */
const NameSchema = z
  .string()
  .max(10_000)
  .transform(normaliseName)
  .refine((s) => s.length > 0, 'must not be blank');

const MAX_METADATA_BYTES = 16 * 1024;

const MetadataSchema = z
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

/** A query-string count: plain decimal digits only (no hex, exponent, sign or spaces), then 1..500. */
const limit = z
  .string()
  .regex(/^[0-9]{1,6}$/, 'must be a decimal integer')
  .transform(Number)
  .pipe(z.number().int().min(1).max(500));

export const ListThreadsQuery = z.object({
  limit: limit.optional(),
  cursor: z.string().min(1).max(512).optional(),
});

export const GetThreadQuery = z.object({
  format: z.enum(['json', 'text']).default('json'),
  limit: limit.optional(),
  before: z.string().min(1).max(64).optional(),
});

// POST /threads/{thread_id}: add a message

const MAX_BLOCKS = 100;
const MAX_DEPTH = 32;

/** Block types a user message may carry when the assistant is to answer it (what the Messages API accepts). */
const USER_BLOCK_TYPES = new Set(['text', 'image', 'document', 'search_result']);

/** A content block: an object with a `type` string; everything else is kept as sent. */
const BlockSchema = z.looseObject(
  { type: z.string().min(1).max(64) },
  { error: 'must be a content block (an object with a "type" string)' },
);

export const AddMessageBody = z
  .strictObject({
    role: z.enum(['user', 'assistant']),
    content: z.union(
      [
        z.string().max(200_000),
        z
          .array(z.unknown())
          .min(1, { error: 'must not be empty' })
          .max(MAX_BLOCKS, { error: `at most ${MAX_BLOCKS} blocks` }),
      ],
      {
        error: `must be a string or a list of 1 to ${MAX_BLOCKS} content blocks`,
      },
    ),
    respond: z.boolean().default(true),
  })
  .superRefine((body, ctx) => {
    if (typeof body.content === 'string') {
      if (body.content.trim() === '') ctx.addIssue({ code: 'custom', path: ['content'], message: 'must not be empty' });
      return;
    }
    const blocks: Block[] = [];
    body.content.forEach((raw, i) => {
      const parsed = BlockSchema.safeParse(raw);
      if (parsed.success) blocks.push(parsed.data);
      else ctx.addIssue({ code: 'custom', path: ['content', i], message: 'must be a content block (an object with a "type" string)' });
    });
    if (blocks.length === body.content.length) {
      const bad = unsafeKey(body.content, MAX_DEPTH);
      if (bad !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['content'], message: 'keys must not start with "$" or contain "."' });
      }
      blocks.forEach((b, i) => {
        if (b.type === 'text' && (typeof b.text !== 'string' || b.text.trim() === '')) {
          ctx.addIssue({ code: 'custom', path: ['content', i, 'text'], message: 'must be a non-empty string' });
        }
        if (body.respond && !USER_BLOCK_TYPES.has(b.type)) {
          ctx.addIssue({ code: 'custom', path: ['content', i, 'type'], message: `"${b.type}" blocks are not accepted in a question` });
        }
      });
    }
  })
  .superRefine((body, ctx) => {
    if (body.respond && body.role !== 'user') {
      ctx.addIssue({
        code: 'custom',
        path: ['role'],
        message: 'must be "user" when the assistant is to respond (use respond: false to add an assistant message)',
      });
    }
  })
  // Every element of a content list was checked against BlockSchema above.
  .transform((body): AddMessageInput => body as AddMessageInput);

export interface AddMessageInput {
  role: Role;
  content: string | Block[];
  respond: boolean;
}

// Shares. API Gateway allows one variable name per path level, so both share routes name it {id}.
export const ShareThreadPath = z.object({ id: ThreadIdSchema });
export const ShareThreadBody = z
  .strictObject({ expires_in_days: z.number().int().min(1).max(365).optional() })
  .optional()
  .transform((b) => b ?? {});
export const SharePath = z.object({ id: z.string() });
export const ShareQuery = z.object({ format: z.enum(['json', 'text']).default('json') });

// A person's data: the export's format (the erase takes no input: the user comes from the token).
export const ExportThreadsQuery = z.object({ format: z.enum(['ndjson', 'markdown']).default('ndjson') });
