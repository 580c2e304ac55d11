/**
 * The response bodies of every route, as clients receive them (JSON): the contract the OpenAPI document publishes
 * and the contract tests check. The views (lib/threads/views.ts) and handlers produce them; nothing validates them
 * at run time. Named schemas (`meta({ id })`) become `components/schemas` of the document.
 */
import * as z from 'zod';
import { FEEDBACK_CLASSES } from '#lib/threads/types.js';

/** Dates are serialised by JSON.stringify: ISO 8601 UTC with milliseconds and `Z`. */
const Timestamp = z.iso
  .datetime()
  .meta({ id: 'Timestamp', description: 'ISO 8601 UTC time with milliseconds', examples: ['2026-11-23T17:04:05.123Z'] });
const Uuid = z.guid().meta({ description: 'A lower-case UUID' });

const BlockSchema = z
  .looseObject({ type: z.string().meta({ description: 'text, tool_use, tool_result, document, image, thinking, …' }) })
  .meta({
    id: 'Block',
    description: 'An Anthropic Messages API content block, stored and returned as it is (unknown types are kept)',
  });

export const FeedbackSchema = z
  .strictObject({
    class: z.enum(FEEDBACK_CLASSES),
    comment: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Feedback', description: 'Feedback on an assistant message (the owner’s views only; shares hold none)' });

export const MessageSchema = z
  .strictObject({
    id: z.string().meta({ description: 'A UUID, or a legacy row id such as "102" or "301-tool_use"' }),
    role: z.enum(['user', 'assistant']),
    content: z.array(BlockSchema),
    created_at: Timestamp,
    feedback: FeedbackSchema.optional(),
    model: z.string().optional(),
    usage: z.record(z.string(), z.unknown()).optional().meta({ description: 'Token usage of the model call (never in shares)' }),
    stop_reason: z.string().nullable().optional(),
    interrupted: z.literal(true).optional().meta({ description: 'The answer was cut short; this is what there was of it' }),
  })
  .meta({ id: 'Message', description: 'A stored message in block form' });

const TextMessageSchema = z
  .strictObject({
    id: z.string().meta({ description: 'A user message’s id, or the id of the last stored message of a reply' }),
    role: z.enum(['user', 'assistant']),
    content: z.string().meta({ description: 'Display text: text blocks joined, ` [n]` citation markers, a `**Citations**:` appendix' }),
    created_at: Timestamp,
    feedback: FeedbackSchema.optional(),
  })
  .meta({ id: 'TextMessage', description: 'A display message of `?format=text`: one per user message, one per assistant reply' });

const Metadata = z.record(z.string(), z.unknown()).meta({ description: 'Client metadata given at creation (at most 16 KiB as JSON)' });

const summaryFields = {
  thread_id: Uuid,
  thread_name: z.string().nullable(),
  created_at: Timestamp,
  /** The time of the last message: a rename does not move it. */
  updated_at: Timestamp,
  initial_source: z.string().meta({ description: 'web, ios, android, whatsapp or mcp (legacy threads keep theirs)' }),
  storage: z.enum(['mongodb', 'legacy']),
};

export const ThreadSummarySchema = z
  .strictObject(summaryFields)
  .meta({ id: 'ThreadSummary', description: 'A thread without its messages' });

export const ThreadSchema = z
  .strictObject({ ...summaryFields, metadata: Metadata, messages: z.array(MessageSchema), has_more: z.boolean() })
  .meta({ id: 'Thread', description: 'A thread with (a page of) its messages in block form, oldest first' });

export const TextThreadSchema = z
  .strictObject({ ...summaryFields, metadata: Metadata, messages: z.array(TextMessageSchema), has_more: z.boolean() })
  .meta({ id: 'TextThread', description: 'A thread with (a page of) its display messages (`?format=text`)' });

export const NewThreadSchema = z
  .strictObject({ ...summaryFields, storage: z.literal('mongodb'), metadata: Metadata, messages: z.array(MessageSchema).max(0) })
  .meta({ id: 'NewThread', description: 'A thread just created: no messages yet' });

export const ShareCreatedSchema = z
  .strictObject({
    status: z.literal('success'),
    share_id: z.string(),
    thread_id: Uuid,
    created_at: Timestamp,
    expires_at: Timestamp.nullable(),
  })
  .meta({ id: 'ShareCreated', description: 'A new share of a thread' });

// Legacy shares (SQL rows) have no time of their own, and a message whose row is gone has none either: null.
const sharedFields = {
  share_id: z.string(),
  thread_name: z.string().nullable(),
  created_at: Timestamp.nullable().meta({ description: 'null for a legacy share (its row has no time)' }),
  expires_at: Timestamp.nullable(),
};
const sharedTime = { created_at: Timestamp.nullable().meta({ description: 'null in a legacy share when the message row is gone' }) };

const SharedMessageSchema = MessageSchema.omit({ feedback: true, usage: true })
  .extend(sharedTime)
  .meta({ id: 'SharedMessage', description: 'A message of a share: no feedback, no token usage' });

const SharedTextMessageSchema = TextMessageSchema.omit({ feedback: true })
  .extend(sharedTime)
  .meta({ id: 'SharedTextMessage', description: 'A display message of a share' });

export const SharedThreadSchema = z
  .strictObject({ ...sharedFields, messages: z.array(SharedMessageSchema) })
  .meta({ id: 'SharedThread', description: 'A public share: the frozen copy of a thread, without owner, feedback or usage' });

export const SharedTextThreadSchema = z
  .strictObject({ ...sharedFields, messages: z.array(SharedTextMessageSchema) })
  .meta({ id: 'SharedTextThread', description: 'A public share in display form (`?format=text`)' });

const ShareSummarySchema = z
  .strictObject({
    share_id: z.string(),
    created_at: Timestamp,
    expires_at: Timestamp.nullable(),
    path: z.string().meta({ description: 'The public path, /api/v3/share/{share_id}' }),
  })
  .meta({ id: 'ShareSummary', description: 'An active share of one of the caller’s threads' });

/** One line of the NDJSON reply stream (`Accept: application/x-ndjson`), as lib/agent/events.ts writes it. */
export const ReplyEventSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('text'), text: z.string() }).meta({ description: 'Reply text, as the model writes it' }),
    z
      .looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() })
      .meta({ description: 'A search the assistant runs' }),
    z.looseObject({ type: z.literal('tool_result'), tool_use_id: z.string() }).meta({ description: 'What the search gave' }),
    z
      .strictObject({ type: z.literal('message'), message: MessageSchema })
      .meta({ description: 'A message was stored (the user message first)' }),
    z
      .strictObject({ type: z.literal('error'), detail: z.string() })
      .meta({ description: 'The reply ended early (its partial answer is stored)' }),
    z.strictObject({ type: z.literal('done') }).meta({ description: 'The last line' }),
  ])
  .meta({ id: 'ReplyEvent', description: 'One line of the NDJSON reply stream' });

export const OpenApiDocumentSchema = z
  .looseObject({
    openapi: z.string(),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'OpenApiDocument', description: 'This document' });

export const ThreadListSchema = z.array(ThreadSummarySchema);
export const ShareListSchema = z.array(ShareSummarySchema);
export const ReplyTextSchema = z.string().meta({
  id: 'ReplyText',
  description:
    'The reply’s display text as raw UTF-8, written as the model produces it: the whole equals the reply’s `format=text` content',
});
