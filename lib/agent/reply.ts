/**
 * The assistant's reply to a thread's newest user message: the model settings and tools of this deployment, the
 * turn with its deadline, and the streamed body in the format the client asked for (display text or NDJSON).
 */
import type { Readable } from 'node:stream';
import type { Message } from '#lib/blocks/types.js';
import { config } from '#lib/config.js';
import { withDbBudget } from '#lib/db/retry.js';
import { newId } from '#lib/ids.js';
import { userRef } from '#lib/observability.js';
import { secret } from '#lib/secrets.js';
import { anthropicClient } from './client.js';
import { encoderFor, replyFormat, type ReplyFormat, type TurnEvent } from './events.js';
import { TurnStop } from './model-errors.js';
import { ReplyBody } from './reply-body.js';
import { configuredTools, type SearchTool } from './tools/index.js';
import { runTurn, type ModelSettings } from './turn.js';

export interface ReplyRequest {
  userId: string;
  threadId: string;
  /** The thread's messages before the new user message, oldest first. */
  history: Message[];
  /** The new user message, already stored. */
  userMessage: Message;
  /** Appends one message of the turn to the thread; false when the thread no longer exists. */
  store(message: Message): Promise<boolean>;
  /** The request's Accept header: `application/x-ndjson` selects the event stream. */
  accept?: string;
  /** Time left before the function's own timeout (ms); the reply is cut short, and stored, before it. */
  remainingMs?: number;
  /** For the turn's logs, which outlive the request's own log context. */
  requestId?: string;
}

export interface Reply {
  format: ReplyFormat;
  /** The id the turn's final assistant message will be stored under. */
  replyId: string;
  body: Readable;
  /** Settles once everything the turn produced is stored (the invocation must last until then). */
  settled: Promise<unknown>;
}

// Built per turn from the keys in hand, so a rotated (or newly created) key takes effect.
const searchTools = (): SearchTool[] =>
  configuredTools({
    ...config,
    KALIMAT_API_KEY: secret('KALIMAT_API_KEY'),
    VECTARA_API_KEY: secret('VECTARA_API_KEY'),
    USUL_API_TOKEN: secret('USUL_API_TOKEN'),
  });

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

/**
 * Starts the turn and returns once the reply has begun (its first text, or a first round of tool calls), so a
 * model failure before that is an HttpError (502/503/504) instead of a broken stream.
 */
export async function startReply(req: ReplyRequest): Promise<Reply> {
  const format = replyFormat(req.accept);
  const encoder = encoderFor(format);
  const stop = new AbortController();
  const body = new ReplyBody(() => stop.abort(new TurnStop('client_gone')));
  const emit = (event: TurnEvent) => {
    body.send(encoder.encode(event));
    if (event.type === 'end') body.finish();
  };
  emit({ type: 'stored', message: req.userMessage });

  const remaining = req.remainingMs ?? 900_000;
  const deadline = setTimeout(() => stop.abort(new TurnStop('deadline')), Math.max(1_000, remaining - DEADLINE_MARGIN_MS));
  deadline.unref();

  const replyId = newId();
  const turn = runTurn({
    client: anthropicClient(),
    settings: settings(),
    tools: searchTools(),
    userId: req.userId,
    history: [...req.history, req.userMessage],
    replyId,
    signal: stop.signal,
    emit,
    // Each stored message gets a database budget of its own: the turn outlives the request's.
    store: (m) => withDbBudget(() => req.store(m)),
    logContext: {
      route: 'POST /threads/{thread_id}',
      threadId: req.threadId,
      user: userRef(req.userId),
      ...(req.requestId ? { requestId: req.requestId } : {}),
    },
  });
  const done = turn.done.finally(() => {
    clearTimeout(deadline);
    running.delete(done);
  });
  running.add(done);

  try {
    await turn.ready;
  } catch (err) {
    body.destroy();
    throw err;
  }
  return { format, replyId, body, settled: done };
}
