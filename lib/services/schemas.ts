/** The request schemas of every route (path, query, body), validated at the edge by the middleware. */
import * as z from 'zod/mini';
import type { Block, Role } from '#lib/blocks/types.js';
import { unsafeKey } from '#lib/db/keys.js';
import { isUuid } from '#lib/ids.js';
import { normaliseName } from '#lib/threads/names.js';
import { FEEDBACK_CLASSES, SOURCES, type Source } from '#lib/threads/types.js';

/** Describes a schema in the OpenAPI document (zod's global registry; read by scripts/openapi.ts, never at run time). */
function described<S extends z.ZodMiniType>(schema: S, meta: { description: string; format?: string }): S {
  z.globalRegistry.add(schema, meta);
  return schema;
}

const ThreadIdSchema = described(
  z.pipe(
    z.string().check(z.refine(isUuid, 'must be a UUID')),
    z.transform((s: string) => s.toLowerCase()),
  ),
  { format: 'uuid', description: 'A thread id' },
);

export const ThreadPathSchema = z.object({ thread_id: ThreadIdSchema });

/** A name: a string, trimmed, not blank, cut to 100 characters. */
const NameSchema = described(
  z.pipe(
    z.pipe(z.string().check(z.maxLength(10_000)), z.transform(normaliseName)),
    z.string().check(z.refine((s) => s.length > 0, 'must not be blank')),
  ),
  { description: 'Trimmed; blank is refused; cut to 100 characters' },
);

const MAX_METADATA_BYTES = 16 * 1024;

const MetadataSchema = described(
  z.record(z.string(), z.unknown()).check(
    z.refine((m) => Buffer.byteLength(JSON.stringify(m), 'utf8') <= MAX_METADATA_BYTES, 'must be at most 16 KiB as JSON'),
    z.refine((m) => unsafeKey(m, 20) === undefined, 'keys must not start with "$" or contain "."'),
  ),
  { description: 'At most 16 KiB as JSON; keys may not start with "$" or contain "."' },
);

export const CreateThreadBody = z.pipe(
  z.optional(
    z.strictObject({
      name: z.optional(NameSchema),
      initial_source: z._default(z.enum(SOURCES), 'web'),
      metadata: z._default(MetadataSchema, {}),
    }),
  ),
  z.transform(
    (b: { name?: string; initial_source: Source; metadata: Record<string, unknown> } | undefined) =>
      b ?? { initial_source: 'web' as const, metadata: {} },
  ),
);

export const RenameThreadBody = z.strictObject({ name: NameSchema });

/** A query-string count: plain decimal digits only (no hex, exponent, sign or spaces), then 1..500. */
const limit = z.pipe(
  z.pipe(z.string().check(z.regex(/^[0-9]{1,6}$/, 'must be a decimal integer')), z.transform(Number)),
  z.int().check(z.minimum(1), z.maximum(500)),
);
const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

export const ListThreadsQuery = z.object({
  limit: described(z.optional(limit), { description: '1 to 500 threads (plain decimal digits)' }),
  cursor: described(z.optional(text(512)), { description: 'The `X-Next-Cursor` of the previous page' }),
});

const FormatSchema = described(z._default(z.enum(['json', 'text']), 'json'), {
  description: '`text`: display messages, one per reply (what older clients render)',
});

export const GetThreadQuery = z.object({
  format: FormatSchema,
  limit: described(z.optional(limit), { description: 'The N most recent messages, 1 to 500 (display messages with `format=text`)' }),
  before: described(z.optional(text(64)), { description: 'Only messages older than this message id' }),
});

// POST /threads/{thread_id}: add a message

const MAX_BLOCKS = 100;
const MAX_DEPTH = 32;

/** Block types a user message may carry when the assistant is to answer it (what the Messages API accepts). */
const USER_BLOCK_TYPES = new Set(['text', 'image', 'document', 'search_result']);

/** A content block: an object with a `type` string; everything else is kept as sent. */
const BlockSchema = z.looseObject({ type: text(64) }, { error: 'must be a content block (an object with a "type" string)' });

const AddMessageFields = z.strictObject({
  role: z.enum(['user', 'assistant']),
  content: z.union(
    [
      z.string().check(z.maxLength(200_000)),
      described(
        z
          .array(z.unknown())
          .check(z.minLength(1, { error: 'must not be empty' }), z.maxLength(MAX_BLOCKS, { error: `at most ${MAX_BLOCKS} blocks` })),
        { description: 'Content blocks (`Block`): a question may hold text, image, document and search_result blocks' },
      ),
    ],
    {
      error: `must be a string or a list of 1 to ${MAX_BLOCKS} content blocks`,
    },
  ),
  respond: described(z._default(z.boolean(), true), { description: 'false: only store the message (201), no reply' }),
});

export const AddMessageBody = z.pipe(
  AddMessageFields.check(
    z.superRefine((body, ctx) => {
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
    }),
    z.superRefine((body, ctx) => {
      if (body.respond && body.role !== 'user') {
        ctx.addIssue({
          code: 'custom',
          path: ['role'],
          message: 'must be "user" when the assistant is to respond (use respond: false to add an assistant message)',
        });
      }
    }),
  ),
  // Every element of a content list was checked against BlockSchema above.
  z.transform((body: z.output<typeof AddMessageFields>): AddMessageInput => body as AddMessageInput),
);

export interface AddMessageInput {
  role: Role;
  content: string | Block[];
  respond: boolean;
}

// Shares. API Gateway allows one variable name per path level, so both share routes name it {id}.
export const ShareThreadPath = z.object({ id: ThreadIdSchema });
export const ShareThreadBody = z.pipe(
  z.optional(
    z.strictObject({
      expires_in_days: described(z.optional(z.int().check(z.minimum(1), z.maximum(365))), {
        description: 'Default: the deployment’s, else no expiry',
      }),
    }),
  ),
  z.transform((b: { expires_in_days?: number } | undefined) => b ?? {}),
);
export const SharePath = z.object({ id: described(z.string(), { description: 'A share id' }) });
export const ShareQuery = z.object({ format: FormatSchema });

// Feedback on a message. Message ids: UUIDs, legacy row ids ("102", "301-tool_use"), the old backend's hex ids.
const MessageIdSchema = described(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a message id')), {
  description: 'Any message id the API gives out (stored, `format=text` reply, `X-Reply-Message-Id`)',
});
export const MessagePathSchema = z.object({ thread_id: ThreadIdSchema, message_id: MessageIdSchema });

const MAX_COMMENT_CHARS = 2_000;

/** A comment: trimmed, at most 2,000 characters (code points); blank, null or absent is no comment. */
const CommentSchema = z
  .pipe(
    z.string(),
    z.transform((s: string) => s.trim()),
  )
  .check(z.refine((s: string) => Array.from(s).length <= MAX_COMMENT_CHARS, `must be at most ${MAX_COMMENT_CHARS} characters`))
  .register(z.globalRegistry, { description: 'Trimmed, at most 2,000 characters; blank or null is no comment' });

export const FeedbackBody = z.pipe(
  z.strictObject({ class: z.enum(FEEDBACK_CLASSES), comment: z.optional(z.nullable(CommentSchema)) }),
  z.transform((b: { class: (typeof FEEDBACK_CLASSES)[number]; comment?: string | null }) => ({
    class: b.class,
    comment: b.comment ? b.comment : null,
  })),
);

// A person's data: the export's format (the erase takes no input: the user comes from the token).
export const ExportThreadsQuery = z.object({ format: z._default(z.enum(['ndjson', 'markdown']), 'ndjson') });
