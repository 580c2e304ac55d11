/** What the search tools share: block and definition types, the definition builder, ToolError, document and fetch helpers. */
import { capDocumentTitle } from '#lib/blocks/api-rules.js';
import type { Block } from '#lib/blocks/types.js';
import { isObj } from '#lib/json.js';

/** A plain-text document block with citations enabled, as a search tool returns it inside a tool_result. */
export interface DocumentBlock extends Block {
  type: 'document';
  source: { type: 'text'; media_type: 'text/plain'; data: string };
  title: string;
  context: string;
  citations: { enabled: true };
}

/** The answer to one tool_use: documents nested in `content`, or a short message with `is_error: true`. */
export interface ToolResultBlock extends Block {
  type: 'tool_result';
  tool_use_id: string;
  content: string | Block[];
  is_error?: true;
}

interface SearchToolDefinition {
  name: string;
  description: string;
  input_schema: {
    type: 'object';
    properties: { query: { type: 'string'; description: string } };
    required: ['query'];
  };
}

export interface SearchTool {
  name: string;
  /** What is sent to Claude in `tools`. */
  definition: SearchToolDefinition;
  /** Runs the search. Throws a ToolError (safe message) on failure; an empty array means no results. */
  search(query: string, signal: AbortSignal): Promise<DocumentBlock[]>;
}

/** A search tool: its name, the definition Claude gets (one required `query` string), and its search. */
export function searchTool(name: string, text: { description: string; query: string }, search: SearchTool['search']): SearchTool {
  return {
    name,
    definition: {
      name,
      description: text.description,
      input_schema: { type: 'object', properties: { query: { type: 'string', description: text.query } }, required: ['query'] },
    },
    search,
  };
}

type ToolErrorKind = 'http' | 'unreachable' | 'invalid_response' | 'timeout' | 'cancelled';

/** A search failure whose message can be shown to the model: no keys, URLs, bodies or stacks. */
export class ToolError extends Error {
  constructor(
    readonly kind: ToolErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

const ARABIC = /[\u0600-\u06FF]/;

/** True when the text's opening (first 50 characters, like the reference) contains Arabic script. */
function looksArabic(text: string): boolean {
  return ARABIC.test(text.slice(0, 50));
}

/**
 * The rendered form of the reference's `process_document_source_data`: "Arabic: …\n\nEnglish: …", either part
 * alone, or "Text: …" for text in another language.
 */
export function renderSourceData(parts: { ar?: string; en?: string; text?: string }): string {
  const out: string[] = [];
  if (parts.ar) out.push(`Arabic: ${parts.ar}`);
  if (parts.en) out.push(`English: ${parts.en}`);
  if (out.length === 0 && parts.text) out.push(`Text: ${parts.text}`);
  return out.join('\n\n');
}

/** Plain text of unknown language: Arabic script becomes "Arabic: …", anything else "Text: …". */
export function renderPlainText(text: string): string {
  return looksArabic(text) ? renderSourceData({ ar: text }) : renderSourceData({ text });
}

export function makeDocument(title: string, context: string, data: string): DocumentBlock {
  return {
    type: 'document',
    source: { type: 'text', media_type: 'text/plain', data },
    title: capDocumentTitle(title, '…'),
    context,
    citations: { enabled: true },
  };
}

/** A field of an untrusted JSON object as trimmed text ('' when absent or not a string/number). */
export function str(obj: unknown, key: string): string {
  if (!isObj(obj)) return '';
  const v = obj[key];
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return '';
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/**
 * fetch + JSON with failures mapped to ToolError. `signal` is the per-call signal (timeout combined with the
 * caller's); whether it fired because of the timeout is read from its reason.
 */
export async function fetchJson(url: string, init: RequestInit, signal: AbortSignal): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal, redirect: 'error' });
  } catch {
    throw abortError(signal) ?? new ToolError('unreachable', 'The search service could not be reached.');
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    const hint = res.status === 401 || res.status === 403 ? ' (the service refused the credentials)' : '';
    throw new ToolError('http', `The search service returned HTTP ${res.status}${hint}.`, res.status);
  }
  let text: string;
  try {
    text = await res.text();
  } catch {
    throw abortError(signal) ?? new ToolError('unreachable', 'The search service closed the connection.');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ToolError('invalid_response', 'The search service returned an invalid response.');
  }
}

function abortError(signal: AbortSignal): ToolError | undefined {
  if (!signal.aborted) return undefined;
  const reason: unknown = signal.reason;
  if (reason instanceof DOMException && reason.name === 'TimeoutError') {
    return new ToolError('timeout', 'The search timed out.');
  }
  return new ToolError('cancelled', 'The search was cancelled.');
}
