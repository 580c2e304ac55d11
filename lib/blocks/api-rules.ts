/** Messages API rules shared by the request history (agent/history.ts), the search tools and the legacy conversion. */
import type { Block } from './types.js';

/**
 * Content of the tool_result put in for a tool call whose output was never recorded: the API requires every
 * tool_use to be answered. The legacy conversion stores it in migrated threads, so changing it makes the
 * migration's verification see those threads as changed.
 */
export const MISSING_RESULT_TEXT = 'No result was recorded.';

/** The error tool_result answering a tool_use whose output was never recorded. */
export function missingToolResult(toolUseId: string): Block {
  return { type: 'tool_result', tool_use_id: toolUseId, content: MISSING_RESULT_TEXT, is_error: true };
}

/** Longest document title kept: the API fails on citation titles over 500 characters, and we keep a margin. */
const MAX_DOCUMENT_TITLE_CHARS = 450;

/**
 * A document title trimmed and, when longer than the cap, cut to it (in code points, so a surrogate pair is never
 * split) without trailing whitespace, ending in `cutMark` (which counts towards the cap).
 */
export function capDocumentTitle(title: string, cutMark = ''): string {
  const trimmed = title.trim();
  const chars = Array.from(trimmed);
  if (chars.length <= MAX_DOCUMENT_TITLE_CHARS) return trimmed;
  const keep = MAX_DOCUMENT_TITLE_CHARS - Array.from(cutMark).length;
  return `${chars.slice(0, keep).join('').trimEnd()}${cutMark}`;
}

const TOOL_ID_RE = /^[a-zA-Z0-9_-]+$/;

/**
 * A tool id matching the API's pattern `^[a-zA-Z0-9_-]+$`: other characters become `_`, a missing or empty id
 * becomes `toolu_unknown`. The same input always gives the same output, so both sides of a pair agree.
 */
export function sanitizeToolId(id: unknown): string {
  const s = typeof id === 'string' || typeof id === 'number' ? String(id) : '';
  if (TOOL_ID_RE.test(s)) return s;
  const cleaned = s.replace(/[^a-zA-Z0-9_-]/g, '_');
  return cleaned === '' ? 'toolu_unknown' : cleaned;
}
