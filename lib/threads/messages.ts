/**
 * Adding a message to a thread (POST /api/v3/threads/{thread_id}): store it, and with `respond: true` (the default)
 * run the assistant and stream its reply. See ../../README.md and the contract (shared/v3-api.md).
 */
import { z } from 'zod';
import type { Block, Message, Role } from '#lib/blocks/types.js';
import { config } from '#lib/config.js';
import { NotFoundError } from '#lib/errors.js';
import type { HttpResult, StreamResult } from '#lib/http/middleware.js';
import { newId } from '#lib/ids.js';
import { logger, userRef } from '#lib/observability.js';
import { anthropicClient } from '#lib/agent/client.js';
import { encoderFor, replyFormat, type TurnEvent } from '#lib/agent/events.js';
import { TurnStop } from '#lib/agent/model-errors.js';
import { ReplyBody } from '#lib/agent/reply-body.js';
import { runTurn, type ModelSettings } from '#lib/agent/turn.js';
import { configuredTools, type SearchTool } from '#lib/agent/tools/index.js';
import { mongoThreadStore } from './mongo-store.js';
import { normaliseName } from './names.js';
import { unsafeKey } from './schemas.js';
import { requireMongoThread, THREAD_NOT_FOUND } from './service.js';
import { messageView } from './views.js';

// ---------------------------------------------------------------------------------------------------------------
// Request body

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

export interface AddMessageOptions {
  /** The request's Accept header: `application/x-ndjson` selects the event stream. */
  accept?: string;
  /** Time left before the function's own timeout (ms); the reply is cut short, and stored, before it. */
  remainingMs?: number;
  /** For the turn's logs, which outlive the request's own log context. */
  requestId?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// The route's one service call

/** Stores the message; with `respond: true`, starts the assistant and returns its streamed reply. */
export async function addMessage(
  userId: string,
  threadId: string,
  input: AddMessageInput,
  opts: AddMessageOptions = {},
): Promise<HttpResult | StreamResult> {
  if (!input.respond) return { status: 201, body: messageView(await storeMessage(userId, threadId, input)) };
  return startReply(userId, threadId, input, opts);
}

function newMessage(userId: string, role: Role, content: string | Block[]): Message {
  return {
    id: newId(),
    role,
    content: typeof content === 'string' ? [{ type: 'text', text: content }] : structuredClone(content),
    created_at: new Date(),
    user_id: userId,
  };
}

/** The name a thread gets from a user message: its text, trimmed and cut to 100 characters ('' when none). */
function nameFrom(message: Message): string {
  const text = message.content
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join(' ');
  return normaliseName(text.replace(/\s+/g, ' '));
}

const firstUserMessage = (messages: Message[]): Message | undefined =>
  messages.find((m) => m.role === 'user' && Array.isArray(m.content) && nameFrom(m) !== '');

async function nameThread(userId: string, threadId: string, message: Message): Promise<void> {
  const name = nameFrom(message);
  if (!name) return;
  try {
    await mongoThreadStore.nameIfUnset(userId, threadId, name);
  } catch (err) {
    // The name is cosmetic: the message is stored; the next message names the thread.
    logger.warn('naming the thread failed', { error: err as Error });
  }
}

/** `respond: false`: one `$push` (a legacy thread is first copied into MongoDB); 404 when not the caller's. */
async function storeMessage(userId: string, threadId: string, input: AddMessageInput): Promise<Message> {
  const message = newMessage(userId, input.role, input.content);
  let stored = await mongoThreadStore.appendMessages(userId, threadId, [message], message.created_at);
  if (!stored) {
    await requireMongoThread(userId, threadId); // copies a legacy thread, or 404
    stored = await mongoThreadStore.appendMessages(userId, threadId, [message], message.created_at);
    if (!stored) throw new NotFoundError(THREAD_NOT_FOUND);
  }
  if (message.role === 'user') await nameThread(userId, threadId, message);
  return message;
}

// ---------------------------------------------------------------------------------------------------------------
// respond: true

let tools: SearchTool[] | undefined;
const searchTools = (): SearchTool[] => (tools ??= configuredTools(config));

const settings = (): ModelSettings => ({
  model: config.ANTHROPIC_MODEL,
  maxTokens: config.ANTHROPIC_MAX_TOKENS,
  idleTimeoutMs: config.ANTHROPIC_TIMEOUT_MS,
  toolTimeoutMs: config.TOOL_TIMEOUT_MS,
  ...(config.ANTHROPIC_TEMPERATURE !== undefined ? { temperature: config.ANTHROPIC_TEMPERATURE } : {}),
});

/** Time kept before the function's timeout to store a reply cut short by it. */
const DEADLINE_MARGIN_MS = 5_000;

/** Turns still running in this process (a turn outlives its response when the client left). */
const running = new Set<Promise<unknown>>();

/** Resolves when every turn started in this process has stored what it produced (tests, benchmarks, shutdown). */
export async function repliesSettled(): Promise<void> {
  while (running.size > 0) await Promise.allSettled([...running]);
}

async function startReply(userId: string, threadId: string, input: AddMessageInput, opts: AddMessageOptions): Promise<StreamResult> {
  const thread = await requireMongoThread(userId, threadId);
  const userMessage = newMessage(userId, 'user', input.content);
  const [stored] = await Promise.all([
    mongoThreadStore.appendMessages(userId, threadId, [userMessage], userMessage.created_at),
    // Named from its first user message (an imported thread may have one already).
    thread.name === null ? nameThread(userId, threadId, firstUserMessage(thread.messages) ?? userMessage) : undefined,
  ]);
  if (!stored) throw new NotFoundError(THREAD_NOT_FOUND);

  const format = replyFormat(opts.accept);
  const encoder = encoderFor(format);
  const stop = new AbortController();
  const body = new ReplyBody(() => stop.abort(new TurnStop('client_gone')));
  const emit = (event: TurnEvent) => {
    body.send(encoder.encode(event));
    if (event.type === 'end') body.finish();
  };
  emit({ type: 'stored', message: userMessage });

  const remaining = opts.remainingMs ?? 900_000;
  const deadline = setTimeout(() => stop.abort(new TurnStop('deadline')), Math.max(1_000, remaining - DEADLINE_MARGIN_MS));
  deadline.unref();

  const replyId = newId();
  const turn = runTurn({
    client: anthropicClient(),
    settings: settings(),
    tools: searchTools(),
    userId,
    history: [...thread.messages, userMessage],
    replyId,
    signal: stop.signal,
    emit,
    store: (m) => mongoThreadStore.appendMessages(userId, threadId, [m], m.created_at),
    logContext: {
      route: 'POST /threads/{thread_id}',
      threadId,
      user: userRef(userId),
      ...(opts.requestId ? { requestId: opts.requestId } : {}),
    },
  });
  const done = turn.done.finally(() => {
    clearTimeout(deadline);
    running.delete(done);
  });
  running.add(done);

  try {
    // The status line is only sent once the reply has begun: a model failure before that is a clean 502/503.
    await turn.ready;
  } catch (err) {
    body.destroy();
    throw err;
  }
  return {
    statusCode: 200,
    headers: {
      'Content-Type': format === 'ndjson' ? 'application/x-ndjson; charset=utf-8' : 'text/plain; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
      'X-Message-Id': userMessage.id,
      'X-Reply-Message-Id': replyId,
    },
    body,
    settled: done,
  };
}
