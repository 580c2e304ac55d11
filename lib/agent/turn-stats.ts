/** What one turn did (rounds, stored messages, model tokens, tool calls, duration), logged and published once at its end. */
import type Anthropic from '@anthropic-ai/sdk';
import { logger, publishRecord } from '#lib/observability.js';
import { describeModelError, type StopReason } from './model-errors.js';
import type { ToolCallReport } from './tools/index.js';

export type TurnOutcome = 'complete' | 'failed_before_start' | 'interrupted';

export class TurnStats {
  rounds = 0;
  storedMessages = 0;
  readonly toolReports: ToolCallReport[] = [];
  private readonly tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
  private readonly startedAt = Date.now();

  countUsage(u: Anthropic.Usage | undefined): void {
    if (!u) return;
    this.tokens.input += u.input_tokens ?? 0;
    this.tokens.output += u.output_tokens ?? 0;
    this.tokens.cacheRead += u.cache_read_input_tokens ?? 0;
    this.tokens.cacheWrite += u.cache_creation_input_tokens ?? 0;
  }

  /**
   * One log line and one EMF record per turn, published here because a streamed turn outlives the request the
   * middleware measures. Never message text.
   */
  report(
    outcome: TurnOutcome,
    logContext: Record<string, unknown> | undefined,
    reason?: StopReason | 'model_error',
    error?: unknown,
  ): void {
    const durationMs = Date.now() - this.startedAt;
    publishRecord({ outcome }, [
      ['StreamDuration', 'Milliseconds', durationMs],
      ['ModelInputTokens', 'Count', this.tokens.input],
      ['ModelOutputTokens', 'Count', this.tokens.output],
      ['ModelCacheReadTokens', 'Count', this.tokens.cacheRead],
      ['ModelCacheWriteTokens', 'Count', this.tokens.cacheWrite],
      ['ToolCalls', 'Count', this.toolReports.length],
      ['ToolErrors', 'Count', this.toolReports.filter((r) => r.outcome !== 'ok').length],
      ['Rounds', 'Count', this.rounds],
    ]);
    logger.info('assistant turn', {
      ...logContext,
      outcome,
      ...(reason ? { stopReason: reason } : {}),
      ...(error ? { modelError: describeModelError(error) } : {}),
      rounds: this.rounds,
      storedMessages: this.storedMessages,
      durationMs,
      tokens: this.tokens,
      toolCalls: this.toolReports.map((r) => ({ name: r.name, outcome: r.outcome, documents: r.documents, durationMs: r.durationMs })),
    });
  }
}
