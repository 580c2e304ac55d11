/** The request schemas of every route (path, query, body), validated at the edge by the middleware. */
import * as z from 'zod';
import type { Block, Role } from '#lib/blocks/types.js';
import { unsafeKey } from '#lib/db/keys.js';
import { isUuid } from '#lib/ids.js';
import { normaliseName } from '#lib/threads/names.js';
import { FEEDBACK_CLASSES, SOURCES } from '#lib/threads/types.js';

const ThreadIdSchema = z
  .string()
  .refine(isUuid, 'must be a UUID')
  .transform((s) => s.toLowerCase())
  .meta({ format: 'uuid', description: 'A thread id' });

export const ThreadPathSchema = z.object({ thread_id: ThreadIdSchema });

/** A name: a string, trimmed, not blank, cut to 100 characters. */
const NameSchema = z
  .string()
  .max(10_000)
  .transform(normaliseName)
  .refine((s) => s.length > 0, 'must not be blank')
  .meta({ description: 'Trimmed; blank is refused; cut to 100 characters' });

const MAX_METADATA_BYTES = 16 * 1024;

const MetadataSchema = z
  .record(z.string(), z.unknown())
  .refine((m) => Buffer.byteLength(JSON.stringify(m), 'utf8') <= MAX_METADATA_BYTES, 'must be at most 16 KiB as JSON')
  .refine((m) => unsafeKey(m, 20) === undefined, 'keys must not start with "$" or contain "."')
  .meta({ description: 'At most 16 KiB as JSON; keys may not start with "$" or contain "."' });

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
  .pipe(z.number().int().min(1).max(500))
  .meta({ description: '1 to 500, plain decimal digits' });

export const ListThreadsQuery = z.object({
  limit: limit.optional(),
  cursor: z.string().min(1).max(512).optional().meta({ description: 'The `X-Next-Cursor` of the previous page' }),
});

const FormatSchema = z
  .enum(['json', 'text'])
  .default('json')
  .meta({ description: '`text`: display messages, one per reply (what older clients render)' });

export const GetThreadQuery = z.object({
  format: FormatSchema,
  limit: limit.optional().meta({ description: 'The N most recent messages (display messages with `format=text`)' }),
  before: z.string().min(1).max(64).optional().meta({ description: 'Only messages older than this message id' }),
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
          .max(MAX_BLOCKS, { error: `at most ${MAX_BLOCKS} blocks` })
          .meta({ description: 'Content blocks (`Block`): a question may hold text, image, document and search_result blocks' }),
      ],
      {
        error: `must be a string or a list of 1 to ${MAX_BLOCKS} content blocks`,
      },
    ),
    respond: z.boolean().default(true).meta({ description: 'false: only store the message (201), no reply' }),
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
  .strictObject({
    expires_in_days: z.number().int().min(1).max(365).optional().meta({ description: 'Default: the deployment’s, else no expiry' }),
  })
  .optional()
  .transform((b) => b ?? {});
export const SharePath = z.object({ id: z.string().meta({ description: 'A share id' }) });
export const ShareQuery = z.object({ format: FormatSchema });

// Feedback on a message. Message ids: UUIDs, legacy row ids ("102", "301-tool_use"), the old backend's hex ids.
const MessageIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a message id')
  .meta({ description: 'Any message id the API gives out (stored, `format=text` reply, `X-Reply-Message-Id`)' });
export const MessagePathSchema = z.object({ thread_id: ThreadIdSchema, message_id: MessageIdSchema });

const MAX_COMMENT_CHARS = 2_000;

/** A comment: trimmed, at most 2,000 characters (code points); blank, null or absent is no comment. */
const CommentSchema = z
  .string()
  .transform((s) => s.trim())
  .refine((s) => Array.from(s).length <= MAX_COMMENT_CHARS, `must be at most ${MAX_COMMENT_CHARS} characters`)
  .meta({ description: 'Trimmed, at most 2,000 characters; blank or null is no comment' });

export const FeedbackBody = z
  .strictObject({ class: z.enum(FEEDBACK_CLASSES), comment: CommentSchema.nullable().optional() })
  .transform((b) => ({ class: b.class, comment: b.comment ? b.comment : null }));
