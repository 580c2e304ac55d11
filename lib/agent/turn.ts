/**
 * One assistant turn (the seeds' "AnsariClaudeHybrid"): Claude, with the Ansari search tools, answers the last
 * user message of a thread's history, streaming as it goes and storing everything it produces, in order.
 *
 * A round is one streamed Messages API call. Its assistant message (text written before a tool call included) is
 * stored when the round ends; when the model asked for tools, they run concurrently (lib/agent/tools), their
 * results are stored as one user message, and the next round starts, at most MAX_ROUNDS per turn (the last one
 * without tool use). The assistant message that ends the turn gets the id chosen before the turn started
 * (`replyId`), so the client can be told it in a response header.
 *
 * `ready` settles before anything is written to the client: it resolves at the model's first text, or when the
 * first round ends without text (a tool call), and rejects when the model fails before either. In that case the
 * turn has stored nothing (the route answers 502/503/504 with the user message stored). After it, a failure
 * stores the partial answer with `interrupted: true` and ends the turn with an `end` event carrying a short
 * reason. The turn never throws; `done` settles once everything is stored.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { Block, Citation, Message } from '#lib/blocks/types.js';
import { NotFoundError, ServiceUnavailableError, UpstreamError } from '#lib/errors.js';
import { newId } from '#lib/ids.js';
import { logger } from '#lib/observability.js';
import type { TurnEvent } from './events.js';
import { toModelMessages, withCacheBreakpoint } from './history.js';
import { describeModelError, modelFailure, TurnStop, type StopReason } from './model-errors.js';
import { SYSTEM_PROMPT } from './prompt.js';
import { countedCalls, runToolRound, type SearchTool, type ToolUse } from './tools/index.js';
import { TurnStats, type TurnOutcome } from './turn-stats.js';

/** Model calls per user turn; the last one is made with `tool_choice: none`, so the turn ends with an answer. */
const MAX_ROUNDS = 10;

export interface ModelSettings {
  model: string;
  maxTokens: number;
  /** Longest silence between two stream events before the round is given up (ms). */
  idleTimeoutMs: number;
  /** Time allowed to each tool call (ms). */
  toolTimeoutMs: number;
  /** Sent only when configured: the API version SDK 1.x speaks (2026-10-21) refuses sampling parameters. */
  temperature?: number;
}

export interface TurnOptions {
  client: Pick<Anthropic, 'messages'>;
  settings: ModelSettings;
  tools: SearchTool[];
  userId: string;
  /** The thread's stored messages, oldest first, the new user message last. */
  history: Message[];
  /** Id of the assistant message that will end the turn. */
  replyId: string;
  /** Aborted, with a TurnStop as reason, when the turn must stop (client gone, deadline). */
  signal: AbortSignal;
  emit(event: TurnEvent): void;
  /** Appends one message to the thread; false when the thread no longer exists. */
  store(message: Message): Promise<boolean>;
  system?: string;
  /** Fields for the turn's log lines (request id, thread id, user reference); never message text. */
  logContext?: Record<string, unknown>;
}

interface TurnSummary {
  outcome: TurnOutcome;
  rounds: number;
  stopReason?: StopReason | 'model_error';
  storedMessages: number;
}

export interface Turn {
  /**
   * Resolves once the reply has begun (the model's first text, or a first round that ended in tool calls);
   * rejects with an HttpError when the turn failed before, having stored nothing.
   */
  ready: Promise<void>;
  /** Settles (never rejects) when the turn is over and everything it produced is stored. */
  done: Promise<TurnSummary>;
}

const STOP_DETAIL: Record<StopReason | 'model_error', string> = {
  client_gone: 'The client disconnected.',
  deadline: 'The answer took too long and was cut short.',
  idle: 'The assistant stopped responding.',
  thread_gone: 'The thread was deleted.',
  storage_failed: 'The answer could not be saved.',
  model_error: 'The assistant failed in the middle of the answer.',
};

/** Starts a turn. */
export function runTurn(opts: TurnOptions): Turn {
  let markReady!: () => void;
  let failReady!: (err: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  ready.catch(() => undefined); // the caller may never look (the turn's result is in `done`)
  const done = new TurnRunner(opts, markReady, failReady).run().catch((err: unknown) => {
    // A bug, not a model or storage failure: never leave the caller hanging.
    logger.error('turn crashed', { ...opts.logContext, error: err as Error });
    failReady(err);
    opts.emit({ type: 'end', interrupted: true, detail: 'The answer failed.' });
    return { outcome: 'interrupted' as const, rounds: 0, storedMessages: 0 };
  });
  return { ready, done };
}

type PartialBlock =
  | { type: 'text'; text: string; citations: Citation[]; open: boolean }
  | { type: 'tool_use'; id: string; name: string; json: string; open: boolean }
  | { type: 'other'; open: boolean };

type RoundResult = { ok: true; message: Anthropic.Message } | { ok: false; error: unknown; started: boolean; partial: PartialBlock[] };

class TurnRunner {
  private readonly stored: Message[];
  private readonly priorCalls: string[] = [];
  private readonly stop = new AbortController();
  private started = false;
  private readonly stats = new TurnStats();

  constructor(
    private readonly opts: TurnOptions,
    private readonly markReady: () => void,
    private readonly failReady: (err: unknown) => void,
  ) {
    this.stored = [...opts.history];
    const forward = () => this.stop.abort(opts.signal.reason instanceof TurnStop ? opts.signal.reason : new TurnStop('client_gone'));
    if (opts.signal.aborted) forward();
    else opts.signal.addEventListener('abort', forward, { once: true });
  }

  private get stopReason(): StopReason | undefined {
    const r: unknown = this.stop.signal.reason;
    return this.stop.signal.aborted ? (r instanceof TurnStop ? r.reason : 'client_gone') : undefined;
  }

  async run(): Promise<TurnSummary> {
    const toolsAvailable = this.opts.tools.length > 0;
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      if (this.stop.signal.aborted) return await this.interrupt([], this.stopReason!);
      this.stats.rounds = round;
      const result = await this.streamRound(round, toolsAvailable);
      if (!result.ok) {
        const reason = this.stopReason ?? 'model_error';
        if (!this.started) {
          this.failReady(this.beforeStartError(result.error, reason));
          this.stats.report('failed_before_start', this.opts.logContext, reason, result.error);
          return this.summary('failed_before_start', reason);
        }
        if (reason === 'model_error') logger.warn('model stream failed', { ...this.opts.logContext, ...describeModelError(result.error) });
        return await this.interrupt(result.partial, reason);
      }

      const final = result.message;
      this.stats.countUsage(final.usage);
      const toolUses: ToolUse[] = final.content
        .filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')
        .map((b) => ({ id: b.id, name: b.name, input: b.input }));
      const continues = final.stop_reason === 'tool_use' && toolUses.length > 0 && toolsAvailable && round < MAX_ROUNDS;
      const message = this.assistantMessage(final, continues ? newId() : this.opts.replyId);
      if (!(await this.save(message))) return this.end(true, this.stopReason!);
      if (!continues) return this.end(false);

      const results = await runToolRound(this.opts.tools, toolUses, {
        timeoutMs: this.opts.settings.toolTimeoutMs,
        signal: this.stop.signal,
        priorCalls: this.priorCalls,
        onReport: (r) => this.stats.toolReports.push(r),
      });
      this.priorCalls.push(...countedCalls(toolUses, results));
      for (const block of results) this.opts.emit({ type: 'tool_result', block });
      const resultsMessage: Message = { id: newId(), role: 'user', content: results, created_at: new Date(), user_id: this.opts.userId };
      if (!(await this.save(resultsMessage))) return this.end(true, this.stopReason!);
    }
    // Unreachable: the last round offers no tools, so it always ends the turn above.
    return this.end(false);
  }

  /** One streamed model call; text is emitted as it arrives. Never throws. */
  private async streamRound(round: number, toolsAvailable: boolean): Promise<RoundResult> {
    const { client, settings, tools } = this.opts;
    const messages = withCacheBreakpoint(toModelMessages(this.stored, { toolsAvailable }));
    const body: Anthropic.MessageCreateParamsNonStreaming = {
      model: settings.model,
      max_tokens: settings.maxTokens,
      // Temperature only when configured (ANTHROPIC_TEMPERATURE): API version 2026-10-21 refuses sampling parameters.
      ...(settings.temperature !== undefined ? ({ temperature: settings.temperature } as object) : {}),
      system: [{ type: 'text', text: this.opts.system ?? SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }],
      messages: messages as unknown as Anthropic.MessageParam[],
    };
    if (toolsAvailable) {
      body.tools = tools.map((t) => t.definition as Anthropic.Tool);
      if (round === MAX_ROUNDS) body.tool_choice = { type: 'none' };
    }

    // Silence between events ends the round; before the first event the SDK's own timeout applies.
    const idle = new AbortController();
    const signal = AbortSignal.any([this.stop.signal, idle.signal]);
    let idleTimer: NodeJS.Timeout | undefined;
    const partial: PartialBlock[] = [];
    let started = false;
    const stream = client.messages.stream(body, { signal });
    stream.done().catch(() => undefined);
    try {
      for await (const event of stream) {
        if (!started) {
          started = true;
          idleTimer = setTimeout(() => idle.abort(new TurnStop('idle')), settings.idleTimeoutMs);
          this.opts.emit({ type: 'message_start' });
        } else idleTimer?.refresh();
        this.onStreamEvent(event, partial);
      }
      const message = await stream.finalMessage();
      this.begin();
      this.closeOpenBlocks(partial);
      this.opts.emit({ type: 'message_end' });
      return { ok: true, message };
    } catch (error) {
      if (idle.signal.aborted && !this.stop.signal.aborted) this.stop.abort(new TurnStop('idle'));
      if (started) {
        this.closeOpenBlocks(partial);
        this.opts.emit({ type: 'message_end' });
      }
      return { ok: false, error, started, partial };
    } finally {
      clearTimeout(idleTimer);
      if (!stream.ended) stream.abort(); // releases the connection of a round cut short
    }
  }

  private onStreamEvent(event: Anthropic.MessageStreamEvent, partial: PartialBlock[]): void {
    switch (event.type) {
      case 'content_block_start': {
        const b = event.content_block;
        if (b.type === 'text') {
          partial[event.index] = {
            type: 'text',
            text: b.text ?? '',
            citations: [...(b.citations ?? [])] as unknown as Citation[],
            open: true,
          };
          if (b.text) this.emitText(b.text);
        } else if (b.type === 'tool_use') {
          partial[event.index] = { type: 'tool_use', id: b.id, name: b.name, json: '', open: true };
        } else {
          partial[event.index] = { type: 'other', open: true };
        }
        return;
      }
      case 'content_block_delta': {
        const p = partial[event.index];
        const d = event.delta;
        if (d.type === 'text_delta' && p?.type === 'text') {
          p.text += d.text;
          this.emitText(d.text);
        } else if (d.type === 'citations_delta' && p?.type === 'text') {
          p.citations.push(d.citation as unknown as Citation);
        } else if (d.type === 'input_json_delta' && p?.type === 'tool_use') {
          p.json += d.partial_json;
        }
        return;
      }
      case 'content_block_stop': {
        const p = partial[event.index];
        if (p?.open) this.closeBlock(p);
        return;
      }
      default:
        return;
    }
  }

  /** The reply has begun: the route may now send its status line and headers. */
  private begin(): void {
    if (this.started) return;
    this.started = true;
    this.markReady();
  }

  private emitText(text: string): void {
    this.begin();
    this.opts.emit({ type: 'text', text });
  }

  private closeBlock(p: PartialBlock): void {
    p.open = false;
    if (p.type === 'text') {
      this.opts.emit({ type: 'text_block_end', citations: p.citations });
    } else if (p.type === 'tool_use') {
      let input: unknown;
      try {
        input = p.json.trim() === '' ? {} : JSON.parse(p.json);
      } catch {
        input = {};
      }
      this.opts.emit({ type: 'tool_use', block: { type: 'tool_use', id: p.id, name: p.name, input } });
    }
  }

  /** At the end of a message, or when it is cut short: text blocks still open end here (their markers follow). */
  private closeOpenBlocks(partial: PartialBlock[]): void {
    for (const p of partial) {
      if (p?.open) {
        if (p.type === 'tool_use')
          p.open = false; // an unfinished call is never reported or run
        else this.closeBlock(p);
      }
    }
  }

  /** Stores what there is of the answer, marked interrupted, and ends the turn. */
  private async interrupt(partial: PartialBlock[], reason: StopReason | 'model_error'): Promise<TurnSummary> {
    if (reason !== 'thread_gone' && reason !== 'storage_failed') {
      const content: Block[] = [];
      for (const p of partial) {
        if (p?.type !== 'text' || (p.text === '' && p.citations.length === 0)) continue;
        content.push(p.citations.length > 0 ? { type: 'text', text: p.text, citations: p.citations } : { type: 'text', text: p.text });
      }
      const message: Message = {
        id: this.opts.replyId,
        role: 'assistant',
        content,
        created_at: new Date(),
        user_id: this.opts.userId,
        model: this.opts.settings.model,
        stop_reason: null,
        interrupted: true,
      };
      await this.save(message);
    }
    return this.end(true, reason);
  }

  private end(interrupted: boolean, reason?: StopReason | 'model_error'): TurnSummary {
    const detail = interrupted ? STOP_DETAIL[reason ?? 'model_error'] : undefined;
    this.opts.emit(detail ? { type: 'end', interrupted, detail } : { type: 'end', interrupted });
    const outcome: TurnOutcome = interrupted ? 'interrupted' : 'complete';
    this.stats.report(outcome, this.opts.logContext, reason);
    return this.summary(outcome, reason);
  }

  private summary(outcome: TurnOutcome, reason?: StopReason | 'model_error'): TurnSummary {
    return { outcome, rounds: this.stats.rounds, storedMessages: this.stats.storedMessages, ...(reason ? { stopReason: reason } : {}) };
  }

  /** Appends one message; on failure the turn stops (the thread vanished, or the database failed). */
  private async save(message: Message): Promise<boolean> {
    let ok: boolean;
    try {
      ok = await this.opts.store(message);
    } catch (err) {
      logger.error('storing a turn message failed', { ...this.opts.logContext, error: err as Error });
      this.stop.abort(new TurnStop('storage_failed'));
      return false;
    }
    if (!ok) {
      this.stop.abort(new TurnStop('thread_gone'));
      return false;
    }
    this.stored.push(message);
    this.stats.storedMessages++;
    this.opts.emit({ type: 'stored', message });
    return true;
  }

  private assistantMessage(final: Anthropic.Message, id: string): Message {
    const content: Block[] = [];
    for (const block of final.content) {
      // A plain JSON copy: no SDK internals (non-enumerable buffers), no undefined values.
      const b = JSON.parse(JSON.stringify(block)) as Block;
      if (b.type === 'text') {
        const cited = Array.isArray(b.citations) && b.citations.length > 0;
        if (!cited) delete b.citations;
        if (b.text === '' && !cited) continue;
      }
      content.push(b);
    }
    const usage = Object.fromEntries(Object.entries(final.usage ?? {}).filter(([, v]) => v !== null && v !== undefined));
    return {
      id,
      role: 'assistant',
      content,
      created_at: new Date(),
      user_id: this.opts.userId,
      model: final.model,
      usage,
      stop_reason: final.stop_reason,
    };
  }

  private beforeStartError(error: unknown, reason: StopReason | 'model_error'): Error {
    switch (reason) {
      case 'model_error':
      case 'idle':
        return modelFailure(error);
      case 'deadline':
        return new UpstreamError('The assistant did not answer in time, please retry', 504);
      case 'thread_gone':
        return new NotFoundError('Thread not found');
      case 'storage_failed':
        return new ServiceUnavailableError();
      case 'client_gone':
        return new UpstreamError('The request was cancelled', 502);
    }
  }
}
