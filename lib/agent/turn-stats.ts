/** What one turn did (rounds, stored messages, model tokens, tool calls, duration), logged and published once at its end. */
import type Anthropic from '@anthropic-ai/sdk';
import { logger, metrics } from '#lib/observability.js';
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
    const m = metrics.singleMetric();
    m.addDimension('outcome', outcome);
    m.addMetric('StreamDuration', 'Milliseconds', durationMs);
    m.addMetric('ModelInputTokens', 'Count', this.tokens.input);
    m.addMetric('ModelOutputTokens', 'Count', this.tokens.output);
    m.addMetric('ModelCacheReadTokens', 'Count', this.tokens.cacheRead);
    m.addMetric('ModelCacheWriteTokens', 'Count', this.tokens.cacheWrite);
    m.addMetric('ToolCalls', 'Count', this.toolReports.length);
    m.addMetric('ToolErrors', 'Count', this.toolReports.filter((r) => r.outcome !== 'ok').length);
    m.addMetric('Rounds', 'Count', this.rounds);
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
