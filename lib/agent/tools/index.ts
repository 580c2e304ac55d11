/**
 * The Ansari search tools offered to Claude (Quran, hadith, fiqh encyclopedia, tafsir encyclopedia) and the
 * execution of one round of tool calls. Kept free of lib/config.ts: everything comes in a ToolsConfig.
 */
import type { Block } from '#lib/blocks/types.js';
import { type SearchTool, type ToolResultBlock, ToolError } from './common.js';
import { hadithTool, quranTool } from './kalimat.js';
import { mawsuahTool } from './mawsuah.js';
import { tafsirTool } from './tafsir.js';

export type { DocumentBlock, SearchTool, ToolResultBlock } from './common.js';
export { mawsuahRequestBody } from './mawsuah.js';

export interface ToolsConfig {
  KALIMAT_API_KEY?: string;
  KALIMAT_BASE_URL: string;
  VECTARA_API_KEY?: string;
  VECTARA_BASE_URL: string;
  MAWSUAH_VECTARA_CORPUS_KEY: string;
  USUL_API_TOKEN?: string;
  USUL_BASE_URL: string;
  TAFSIR_ENCYC_BOOK_ID: string;
  TAFSIR_ENCYC_VERSION_ID: string;
  TOOL_TIMEOUT_MS: number;
}

/** The tools whose key is configured, in a fixed order. No key, no tool: Claude is never offered a dead tool. */
export function configuredTools(cfg: ToolsConfig): SearchTool[] {
  const tools: SearchTool[] = [];
  const kalimatKey = cfg.KALIMAT_API_KEY?.trim();
  if (kalimatKey) {
    const k = { apiKey: kalimatKey, baseUrl: cfg.KALIMAT_BASE_URL };
    tools.push(quranTool(k), hadithTool(k));
  }
  const vectaraKey = cfg.VECTARA_API_KEY?.trim();
  if (vectaraKey) {
    tools.push(mawsuahTool({ apiKey: vectaraKey, baseUrl: cfg.VECTARA_BASE_URL, corpusKey: cfg.MAWSUAH_VECTARA_CORPUS_KEY }));
  }
  const usulToken = cfg.USUL_API_TOKEN?.trim();
  if (usulToken) {
    tools.push(
      tafsirTool({
        apiToken: usulToken,
        baseUrl: cfg.USUL_BASE_URL,
        bookId: cfg.TAFSIR_ENCYC_BOOK_ID,
        versionId: cfg.TAFSIR_ENCYC_VERSION_ID,
      }),
    );
  }
  return tools;
}

export interface ToolUse {
  id: string;
  name: string;
  input: unknown;
}

/** One finished tool call, for logs and metrics (never the query text, documents or keys). */
export interface ToolCallReport {
  tool_use_id: string;
  name: string;
  outcome: 'ok' | 'limited' | 'unknown_tool' | 'invalid_input' | 'no_results' | ToolError['kind'] | 'error';
  documents: number;
  status?: number;
  durationMs: number;
}

export interface RunToolRoundOptions {
  /** Time allowed to each call (AbortSignal.timeout), e.g. config TOOL_TIMEOUT_MS. */
  timeoutMs: number;
  /** Aborts every call of the round (client gone, turn cancelled). */
  signal?: AbortSignal;
  /** Names of the tools already called earlier in this user turn, oldest first (for the usage limits). */
  priorCalls?: string[];
  /** Called once per tool_use when it finishes; exceptions thrown by it are ignored. */
  onReport?: (report: ToolCallReport) => void;
}

/** At most this many tool calls run in one user turn (the reference's `_check_tool_limit`). */
const MAX_TOOL_CALLS_PER_TURN = 9;
/** The same tool may run at most this many times in a row. */
const MAX_CONSECUTIVE_SAME_TOOL = 3;
const MAX_QUERY_CHARS = 1000;

export const TOOL_LIMIT_MESSAGE =
  "Tool usage limit reached. Please synthesize a complete answer based on the information you've already " +
  'gathered, maintaining any requested format.';
export const REFERENCES_INTRO = 'Please see the references below.';
export const NO_RESULTS_MESSAGE =
  'No results found for this query. Try different or fewer keywords (in English or Arabic), or another source.';

/** True when running `name` now would break a limit, given the calls that ran before it in this turn. */
function toolLimitReached(history: readonly string[], name: string): boolean {
  if (history.length >= MAX_TOOL_CALLS_PER_TURN) return true;
  if (history.length >= MAX_CONSECUTIVE_SAME_TOOL) {
    const tail = history.slice(-MAX_CONSECUTIVE_SAME_TOOL);
    if (tail.every((n) => n === name)) return true;
  }
  return false;
}

/**
 * Runs the tool calls of one assistant message concurrently, each with its own timeout, and answers every
 * tool_use, in order, with one tool_result. Never throws and never rejects.
 *
 * Limits are decided in tool_use order before anything runs: a call refused by a limit gets an is_error result
 * and, like in the reference, does not count as a call; every other call (unknown tool and bad input included)
 * does.
 */
export async function runToolRound(tools: SearchTool[], toolUses: ToolUse[], opts: RunToolRoundOptions): Promise<ToolResultBlock[]> {
  const byName = new Map(tools.map((t) => [t.name, t]));
  const history = [...(opts.priorCalls ?? [])];
  const limited = toolUses.map((use) => {
    if (toolLimitReached(history, use.name)) return true;
    history.push(use.name);
    return false;
  });
  return Promise.all(
    toolUses.map((use, i) =>
      limited[i]
        ? Promise.resolve(finish(opts, use, Date.now(), { outcome: 'limited', documents: 0 }, errorResult(use.id, TOOL_LIMIT_MESSAGE)))
        : runOne(byName, use, opts),
    ),
  );
}

/**
 * The names to append to `priorCalls` after a round: every tool_use except those refused by a limit (which, as in
 * the reference, do not count).
 */
export function countedCalls(toolUses: ToolUse[], results: ToolResultBlock[]): string[] {
  return toolUses
    .filter((_use, i) => !(results[i]?.is_error === true && results[i]?.content === TOOL_LIMIT_MESSAGE))
    .map((use) => use.name);
}

async function runOne(byName: Map<string, SearchTool>, use: ToolUse, opts: RunToolRoundOptions): Promise<ToolResultBlock> {
  const started = Date.now();
  const id = typeof use.id === 'string' ? use.id : String(use.id);
  let timeout: AbortSignal | undefined;
  try {
    const tool = byName.get(use.name);
    if (!tool) {
      const shown = String(use.name).slice(0, 64);
      return finish(opts, use, started, { outcome: 'unknown_tool', documents: 0 }, errorResult(id, `Unknown tool: ${shown}`));
    }
    const query = readQuery(use.input);
    if (query === undefined) {
      return finish(
        opts,
        use,
        started,
        { outcome: 'invalid_input', documents: 0 },
        errorResult(id, 'Invalid tool input: a non-empty "query" string is required.'),
      );
    }
    if (query.length > MAX_QUERY_CHARS) {
      return finish(
        opts,
        use,
        started,
        { outcome: 'invalid_input', documents: 0 },
        errorResult(id, `Invalid tool input: the query is longer than ${MAX_QUERY_CHARS} characters.`),
      );
    }
    if (opts.signal?.aborted) {
      return finish(opts, use, started, { outcome: 'cancelled', documents: 0 }, errorResult(id, 'The search was cancelled.'));
    }

    timeout = AbortSignal.timeout(Math.max(1, Math.floor(opts.timeoutMs)));
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    const documents = await tool.search(query, signal);
    if (documents.length === 0) {
      return finish(opts, use, started, { outcome: 'no_results', documents: 0 }, errorResult(id, NO_RESULTS_MESSAGE));
    }
    const content: Block[] = [{ type: 'text', text: REFERENCES_INTRO }, ...documents];
    return finish(opts, use, started, { outcome: 'ok', documents: documents.length }, { type: 'tool_result', tool_use_id: id, content });
  } catch (err) {
    if (err instanceof ToolError) {
      let kind = err.kind;
      let message = err.message;
      if (kind === 'timeout' || kind === 'cancelled') {
        // Which signal fired decides: our own timeout, or the caller's signal.
        kind = timeout?.aborted ? 'timeout' : 'cancelled';
        message = kind === 'timeout' ? `The search timed out after ${opts.timeoutMs} ms.` : 'The search was cancelled.';
      }
      const report = { outcome: kind, documents: 0, ...(err.status !== undefined ? { status: err.status } : {}) };
      return finish(opts, use, started, report, errorResult(id, message));
    }
    return finish(opts, use, started, { outcome: 'error', documents: 0 }, errorResult(id, 'The search failed.'));
  }
}

function readQuery(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const q = (input as Record<string, unknown>).query;
  if (typeof q !== 'string') return undefined;
  const trimmed = q.trim();
  return trimmed === '' ? undefined : trimmed;
}

function errorResult(toolUseId: string, message: string): ToolResultBlock {
  return { type: 'tool_result', tool_use_id: toolUseId, content: message, is_error: true };
}

function finish(
  opts: RunToolRoundOptions,
  use: ToolUse,
  started: number,
  report: Pick<ToolCallReport, 'outcome' | 'documents' | 'status'>,
  result: ToolResultBlock,
): ToolResultBlock {
  if (opts.onReport) {
    try {
      opts.onReport({ tool_use_id: result.tool_use_id, name: String(use.name), durationMs: Date.now() - started, ...report });
    } catch {
      // reporting must never break a round
    }
  }
  return result;
}
