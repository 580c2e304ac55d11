/**
 * The response bodies of every route, as clients receive them (JSON): the contract the OpenAPI document publishes
 * and the contract tests check. The views (lib/threads/views.ts) and handlers produce them; nothing validates them
 * at run time. Named schemas (`id` in zod's global registry) become `components/schemas` of the document.
 * They are built on first use (`responseSchemas()`), by the document and the contract tests only: a function's cold
 * start does not pay for them.
 */
import * as z from 'zod/mini';
import { FEEDBACK_CLASSES } from '#lib/threads/types.js';

/** Names and describes a schema for the document (zod's global registry; read by scripts/openapi.ts only). */
function named<S extends z.ZodMiniType>(schema: S, meta: { id?: string; description: string; examples?: unknown[] }): S {
  z.globalRegistry.add(schema, meta);
  return schema;
}

function build() {
  /** Dates are serialised by JSON.stringify: ISO 8601 UTC with milliseconds and `Z`. */
  const Timestamp = named(z.iso.datetime(), {
    id: 'Timestamp',
    description: 'ISO 8601 UTC time with milliseconds',
    examples: ['2026-11-23T17:04:05.123Z'],
  });
  const Uuid = named(z.guid(), { description: 'A lower-case UUID' });

  const BlockSchema = named(
    z.looseObject({ type: named(z.string(), { description: 'text, tool_use, tool_result, document, image, thinking, …' }) }),
    {
      id: 'Block',
      description: 'An Anthropic Messages API content block, stored and returned as it is (unknown types are kept)',
    },
  );

  const FeedbackSchema = named(
    z.strictObject({ class: z.enum(FEEDBACK_CLASSES), comment: z.nullable(z.string()), created_at: Timestamp, updated_at: Timestamp }),
    { id: 'Feedback', description: 'Feedback on an assistant message (the owner’s views only; shares hold none)' },
  );

  const messageFields = {
    id: named(z.string(), { description: 'A UUID, or a legacy row id such as "102" or "301-tool_use"' }),
    role: z.enum(['user', 'assistant']),
    content: z.array(BlockSchema),
    created_at: Timestamp,
    model: z.optional(z.string()),
    stop_reason: z.optional(z.nullable(z.string())),
    interrupted: named(z.optional(z.literal(true)), { description: 'The answer was cut short; this is what there was of it' }),
  };

  const MessageSchema = named(
    z.strictObject({
      ...messageFields,
      feedback: z.optional(FeedbackSchema),
      usage: named(z.optional(z.record(z.string(), z.unknown())), { description: 'Token usage of the model call (never in shares)' }),
    }),
    { id: 'Message', description: 'A stored message in block form' },
  );

  const textMessageFields = {
    id: named(z.string(), { description: 'A user message’s id, or the id of the last stored message of a reply' }),
    role: z.enum(['user', 'assistant']),
    content: named(z.string(), { description: 'Display text: text blocks joined, ` [n]` citation markers, a `**Citations**:` appendix' }),
    created_at: Timestamp,
  };

  const TextMessageSchema = named(z.strictObject({ ...textMessageFields, feedback: z.optional(FeedbackSchema) }), {
    id: 'TextMessage',
    description: 'A display message of `?format=text`: one per user message, one per assistant reply',
  });

  const Metadata = named(z.record(z.string(), z.unknown()), { description: 'Client metadata given at creation (at most 16 KiB as JSON)' });

  const summaryFields = {
    thread_id: Uuid,
    thread_name: z.nullable(z.string()),
    created_at: Timestamp,
    /** The time of the last message: a rename does not move it. */
    updated_at: Timestamp,
    initial_source: named(z.string(), { description: 'web, ios, android, whatsapp or mcp (legacy threads keep theirs)' }),
    storage: z.enum(['mongodb', 'legacy']),
  };

  const ThreadSummarySchema = named(z.strictObject(summaryFields), {
    id: 'ThreadSummary',
    description: 'A thread without its messages',
  });
  const ThreadListSchema = z.array(ThreadSummarySchema);

  const ThreadSchema = named(
    z.strictObject({ ...summaryFields, metadata: Metadata, messages: z.array(MessageSchema), has_more: z.boolean() }),
    {
      id: 'Thread',
      description: 'A thread with (a page of) its messages in block form, oldest first',
    },
  );

  const TextThreadSchema = named(
    z.strictObject({ ...summaryFields, metadata: Metadata, messages: z.array(TextMessageSchema), has_more: z.boolean() }),
    { id: 'TextThread', description: 'A thread with (a page of) its display messages (`?format=text`)' },
  );

  const AnyThreadSchema = z.union([ThreadSchema, TextThreadSchema]);

  const NewThreadSchema = named(
    z.strictObject({
      ...summaryFields,
      storage: z.literal('mongodb'),
      metadata: Metadata,
      messages: z.array(MessageSchema).check(z.maxLength(0)),
    }),
    { id: 'NewThread', description: 'A thread just created: no messages yet' },
  );

  const ShareCreatedSchema = named(
    z.strictObject({
      status: z.literal('success'),
      share_id: z.string(),
      thread_id: Uuid,
      created_at: Timestamp,
      expires_at: z.nullable(Timestamp),
    }),
    { id: 'ShareCreated', description: 'A new share of a thread' },
  );

  // Legacy shares (SQL rows) have no time of their own, and a message whose row is gone has none either: null.
  const sharedFields = {
    share_id: z.string(),
    thread_name: z.nullable(z.string()),
    created_at: named(z.nullable(Timestamp), { description: 'null for a legacy share (its row has no time)' }),
    expires_at: z.nullable(Timestamp),
  };
  const sharedTime = named(z.nullable(Timestamp), { description: 'null in a legacy share when the message row is gone' });

  const SharedMessageSchema = named(z.strictObject({ ...messageFields, created_at: sharedTime }), {
    id: 'SharedMessage',
    description: 'A message of a share: no feedback, no token usage',
  });

  const SharedTextMessageSchema = named(z.strictObject({ ...textMessageFields, created_at: sharedTime }), {
    id: 'SharedTextMessage',
    description: 'A display message of a share',
  });

  const SharedThreadSchema = named(z.strictObject({ ...sharedFields, messages: z.array(SharedMessageSchema) }), {
    id: 'SharedThread',
    description: 'A public share: the frozen copy of a thread, without owner, feedback or usage',
  });

  const SharedTextThreadSchema = named(z.strictObject({ ...sharedFields, messages: z.array(SharedTextMessageSchema) }), {
    id: 'SharedTextThread',
    description: 'A public share in display form (`?format=text`)',
  });

  const AnySharedThreadSchema = z.union([SharedThreadSchema, SharedTextThreadSchema]);

  const ShareSummarySchema = named(
    z.strictObject({
      share_id: z.string(),
      created_at: named(z.nullable(Timestamp), { description: 'null for a legacy share the migration copied (its row has no time)' }),
      expires_at: z.nullable(Timestamp),
      path: named(z.string(), { description: 'The public path, /api/v3/share/{share_id}' }),
    }),
    { id: 'ShareSummary', description: 'An active share of one of the caller’s threads' },
  );
  const ShareListSchema = z.array(ShareSummarySchema);

  /** One line of the NDJSON reply stream (`Accept: application/x-ndjson`), as lib/agent/events.ts writes it. */
  const ReplyEventSchema = named(
    z.discriminatedUnion('type', [
      named(z.strictObject({ type: z.literal('text'), text: z.string() }), { description: 'Reply text, as the model writes it' }),
      named(z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() }), {
        description: 'A search the assistant runs',
      }),
      named(z.looseObject({ type: z.literal('tool_result'), tool_use_id: z.string() }), { description: 'What the search gave' }),
      named(z.strictObject({ type: z.literal('message'), message: MessageSchema }), {
        description: 'A message was stored (the user message first)',
      }),
      named(z.strictObject({ type: z.literal('error'), detail: z.string() }), {
        description: 'The reply ended early (its partial answer is stored)',
      }),
      named(z.strictObject({ type: z.literal('done') }), { description: 'The last line' }),
    ]),
    { id: 'ReplyEvent', description: 'One line of the NDJSON reply stream' },
  );

  const ReplyTextSchema = named(z.string(), {
    id: 'ReplyText',
    description:
      'The reply’s display text as raw UTF-8, written as the model produces it: the whole equals the reply’s `format=text` content',
  });

  const Count = z.int().check(z.minimum(0));

  const EraseResultSchema = named(
    z.strictObject({
      complete: named(z.boolean(), { description: 'False when threads are left: call again until true' }),
      deleted: named(
        z.strictObject({
          threads: Count,
          overflow_chunks: Count,
          shares: Count,
          legacy_threads: Count,
          legacy_messages: Count,
          legacy_shares: Count,
          rate_limit_counters: Count,
        }),
        { description: 'What this call removed, each store counting its own' },
      ),
    }),
    { id: 'EraseResult', description: 'What one erase call removed, and whether anything is left' },
  );

  const ExportMarkdownSchema = named(z.string(), {
    id: 'ExportMarkdown',
    description: 'Every thread as one readable Markdown document: the text view, citations as footnotes',
  });

  const OpenApiDocumentSchema = named(
    z.looseObject({
      openapi: z.string(),
      info: z.looseObject({ title: z.string(), version: z.string() }),
      paths: z.record(z.string(), z.unknown()),
    }),
    { id: 'OpenApiDocument', description: 'This document' },
  );

  return {
    FeedbackSchema,
    MessageSchema,
    ThreadSummarySchema,
    ThreadListSchema,
    ThreadSchema,
    AnyThreadSchema,
    NewThreadSchema,
    ShareCreatedSchema,
    AnySharedThreadSchema,
    ShareListSchema,
    ReplyEventSchema,
    ReplyTextSchema,
    EraseResultSchema,
    ExportMarkdownSchema,
    OpenApiDocumentSchema,
  };
}

type ResponseSchemas = ReturnType<typeof build>;
let built: ResponseSchemas | undefined;
/** Every response schema, built (and named in the registry) on the first call. */
export const responseSchemas = (): ResponseSchemas => (built ??= build());
