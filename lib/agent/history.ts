/**
 * The thread's stored block messages -> the `messages` array of a Messages API request.
 *
 * Stored messages are kept as they were written (ids, owners, usage, interrupted partials, imported blocks,
 * legacy shapes); the API accepts only `{role, content}` with blocks it knows, in a strict structure. This module
 * is the one place that bridges the two. It is pure: the input is never mutated, every block in the output is a
 * fresh object, and no clock or randomness is involved.
 *
 * Rules (each fixes something the API would reject, or that makes requests grow without bound):
 *   - Only `role` and `content` are sent; every other message field (id, created_at, user_id, model, usage,
 *     stop_reason, interrupted, feedback, ...) and every non-API block field is left out.
 *   - Legacy string content becomes one text block. Empty and whitespace-only text blocks are dropped, and so is a
 *     message left with no blocks.
 *   - An interrupted partial answer (`interrupted: true`) is kept as its text only: its tool calls never ran.
 *   - Blocks a role cannot carry are dropped (tool_result in assistant messages, tool_use in user messages), and
 *     so are block types this agent does not send back (thinking blocks: thinking is not enabled; unknown types).
 *   - Citations on earlier answers' text blocks are not sent back: they point at documents by position in the
 *     request, which changes as old documents are dropped. The text itself is kept.
 *   - Every tool_use is answered by its tool_result in the very next message, results first and in tool_use order:
 *     a missing result is synthesised (`is_error: true`), a result with no tool_use right before it is dropped,
 *     a duplicate tool_use id is dropped. Tool ids are made to match the API's pattern.
 *   - At most `maxDocuments` (100) documents per request, counting those nested in tool_result content: the oldest
 *     are replaced by a short note. Every document gets `citations: {enabled: true}` (the API rejects a mix) and a
 *     title of at most 450 characters.
 *   - An image or document whose source the API would refuse (an import only had to name a block type) is left out.
 *   - The first message is a user message (leading assistant messages are dropped).
 *   - Without tools (none configured), tool calls are dropped and tool results are unwrapped into plain user
 *     content, because the API rejects tool blocks in a request that defines no tools.
 */
import { capDocumentTitle, missingToolResult, sanitizeToolId } from '#lib/blocks/api-rules.js';
import type { Block, Message } from '#lib/blocks/types.js';
import { isObj, type Obj } from '#lib/json.js';
import { REFERENCES_INTRO } from './tools/index.js';

export interface ModelMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

export interface HistoryOptions {
  /** Whether the request defines tools (tool blocks are unwrapped otherwise). Default true. */
  toolsAvailable?: boolean;
  /** Most documents sent in one request (default 100). */
  maxDocuments?: number;
}

export const MAX_DOCUMENTS = 100;
export const OMITTED_DOCUMENTS_TEXT = 'Earlier search results were removed here to keep the conversation within limits.';

const nonBlank = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

const TOOL_NAME_RE = /^[a-zA-Z0-9_-]{1,64}$/;

const text = (t: string): Block => ({ type: 'text', text: t });

function cleanText(b: Obj): Block | undefined {
  return nonBlank(b.text) ? text(b.text) : undefined;
}

const filled = (v: unknown): v is string => typeof v === 'string' && v !== '';
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/**
 * A copy of an image or document source the API accepts, or undefined. Stored blocks may come from an import
 * (`respond: false`) that only had to name a block type: one bad source would make every later turn of the thread
 * fail, so such a block is left out of the request (it stays stored).
 */
function apiSource(kind: 'image' | 'document', source: unknown): Obj | undefined {
  if (!isObj(source)) return undefined;
  switch (source.type) {
    case 'text': {
      if (kind !== 'document') return undefined;
      const data = typeof source.data === 'string' ? source.data : JSON.stringify(source.data ?? '');
      return { ...source, media_type: 'text/plain', data };
    }
    case 'base64': {
      const mediaOk = kind === 'image' ? IMAGE_TYPES.has(source.media_type as string) : source.media_type === 'application/pdf';
      return mediaOk && filled(source.data) ? { ...source } : undefined;
    }
    case 'url':
      return typeof source.url === 'string' ? { ...source } : undefined;
    case 'file':
      return typeof source.file_id === 'string' ? { ...source } : undefined;
    case 'content': {
      if (kind !== 'document') return undefined;
      if (typeof source.content === 'string') return source.content !== '' ? { ...source } : undefined;
      if (!Array.isArray(source.content)) return undefined;
      const content = source.content.filter(isObj).flatMap((x) => {
        const c = x.type === 'text' ? cleanText(x) : x.type === 'image' ? cleanImage(x) : undefined;
        return c ? [c] : [];
      });
      return content.length > 0 ? { ...source, content } : undefined;
    }
    default:
      return undefined;
  }
}

function cleanImage(b: Obj): Block | undefined {
  const source = apiSource('image', b.source);
  return source ? { type: 'image', source } : undefined;
}

function cleanDocument(b: Obj): Block | undefined {
  const source = apiSource('document', b.source);
  if (!source) return undefined;
  const out: Block = { type: 'document', source };
  if (nonBlank(b.title)) out.title = capDocumentTitle(b.title, '…');
  if (nonBlank(b.context)) out.context = b.context;
  out.citations = { enabled: true };
  return out;
}

function cleanSearchResult(b: Obj): Block | undefined {
  if (typeof b.source !== 'string' || typeof b.title !== 'string' || !Array.isArray(b.content)) return undefined;
  const content = b.content
    .filter(isObj)
    .map(cleanText)
    .filter((x): x is Block => x !== undefined);
  if (content.length === 0) return undefined;
  return { type: 'search_result', source: b.source, title: b.title, content };
}

/** Blocks allowed inside tool_result content (and at the top level of a user message). */
function cleanContentBlock(b: unknown): Block | undefined {
  if (typeof b === 'string') return nonBlank(b) ? text(b) : undefined;
  if (!isObj(b)) return undefined;
  switch (b.type) {
    case 'text':
      return cleanText(b);
    case 'image':
      return cleanImage(b);
    case 'document':
      return cleanDocument(b);
    case 'search_result':
      return cleanSearchResult(b);
    default:
      return undefined;
  }
}

function cleanToolUse(b: Obj): Block | undefined {
  if (typeof b.name !== 'string' || !TOOL_NAME_RE.test(b.name)) return undefined;
  return { type: 'tool_use', id: sanitizeToolId(b.id), name: b.name, input: isObj(b.input) ? structuredClone(b.input) : {} };
}

function cleanToolResult(b: Obj): Block {
  const out: Block = { type: 'tool_result', tool_use_id: sanitizeToolId(b.tool_use_id) };
  if (typeof b.content === 'string') {
    if (nonBlank(b.content)) out.content = b.content;
  } else if (Array.isArray(b.content)) {
    const content = b.content.map(cleanContentBlock).filter((x): x is Block => x !== undefined);
    if (content.length > 0) out.content = content;
  }
  if (b.is_error === true) out.is_error = true;
  return out;
}

/** What a tool_result holds, as plain user content (for requests without tools). */
function unwrapToolResult(b: Obj): Block[] {
  if (b.is_error === true) return [];
  if (typeof b.content === 'string') return nonBlank(b.content) ? [text(b.content)] : [];
  if (!Array.isArray(b.content)) return [];
  return b.content.map(cleanContentBlock).filter((x): x is Block => x !== undefined);
}

function contentOf(m: Message): unknown[] {
  const c = (m as { content?: unknown }).content;
  if (typeof c === 'string') return [{ type: 'text', text: c }];
  return Array.isArray(c) ? c : [];
}

/** Step 1: each message on its own, cleaned block by block. */
function cleanMessage(m: Message, toolsAvailable: boolean): ModelMessage | undefined {
  if (m.role !== 'user' && m.role !== 'assistant') return undefined;
  const blocks: Block[] = [];
  for (const raw of contentOf(m)) {
    if (typeof raw === 'string') {
      if (nonBlank(raw)) blocks.push(text(raw));
      continue;
    }
    if (!isObj(raw)) continue;
    if (m.role === 'assistant') {
      if (raw.type === 'text') {
        const t = cleanText(raw);
        if (t) blocks.push(t);
      } else if (raw.type === 'tool_use' && toolsAvailable && m.interrupted !== true) {
        const t = cleanToolUse(raw);
        if (t) blocks.push(t);
      }
      // thinking, redacted_thinking, server-tool and unknown blocks are not sent back
      continue;
    }
    if (raw.type === 'tool_result') {
      if (toolsAvailable) blocks.push(cleanToolResult(raw));
      else blocks.push(...unwrapToolResult(raw));
      continue;
    }
    const b = cleanContentBlock(raw);
    if (b) blocks.push(b);
  }
  return { role: m.role, content: blocks };
}

/** Step 2: the structure: first message from the user, every tool_use answered in the very next message. */
function pairTools(messages: ModelMessage[]): ModelMessage[] {
  const out: ModelMessage[] = [];
  const seenToolIds = new Set<string>();
  let pending: string[] = []; // tool_use ids of the last assistant message, awaiting results

  for (const m of messages) {
    if (m.role === 'assistant') {
      if (out.length === 0) continue; // the API wants a user message first
      if (pending.length > 0) {
        out.push({ role: 'user', content: pending.map(missingToolResult) });
        pending = [];
      }
      const content: Block[] = [];
      for (const b of m.content) {
        if (b.type === 'tool_use') {
          const id = b.id as string;
          if (seenToolIds.has(id)) continue;
          seenToolIds.add(id);
          pending.push(id);
        }
        content.push(b);
      }
      if (content.length === 0) continue;
      out.push({ role: 'assistant', content });
      continue;
    }
    const results = new Map<string, Block>();
    const rest: Block[] = [];
    for (const b of m.content) {
      if (b.type !== 'tool_result') rest.push(b);
      else if (pending.includes(b.tool_use_id as string) && !results.has(b.tool_use_id as string)) results.set(b.tool_use_id as string, b);
      // any other tool_result answers nothing in the previous message: dropped
    }
    const content = [...pending.map((id) => results.get(id) ?? missingToolResult(id)), ...rest];
    pending = [];
    if (content.length === 0) continue;
    out.push({ role: 'user', content });
  }
  if (pending.length > 0) out.push({ role: 'user', content: pending.map(missingToolResult) });
  return out;
}

/** Step 3: keep the newest `max` documents; older ones give way to a note. */
function limitDocuments(messages: ModelMessage[], max: number): ModelMessage[] {
  let total = 0;
  for (const m of messages) {
    for (const b of m.content) {
      if (b.type === 'document') total++;
      else if (b.type === 'tool_result' && Array.isArray(b.content))
        total += (b.content as Block[]).filter((x) => x.type === 'document').length;
    }
  }
  let toDrop = Math.max(0, total - max);
  if (toDrop === 0) return messages;

  const note = (): Block => text(OMITTED_DOCUMENTS_TEXT);
  const out: ModelMessage[] = [];
  for (const m of messages) {
    if (toDrop === 0 || m.role !== 'user') {
      out.push(m);
      continue;
    }
    const content: Block[] = [];
    let droppedTopLevel = false;
    for (const b of m.content) {
      if (toDrop > 0 && b.type === 'document') {
        toDrop--;
        droppedTopLevel = true;
        continue;
      }
      if (toDrop > 0 && b.type === 'tool_result' && Array.isArray(b.content)) {
        const inner: Block[] = [];
        let dropped = false;
        for (const x of b.content as Block[]) {
          if (toDrop > 0 && x.type === 'document') {
            toDrop--;
            dropped = true;
          } else inner.push(x);
        }
        if (!dropped) {
          content.push(b);
          continue;
        }
        const left = inner.some((x) => x.type === 'document')
          ? inner
          : [...inner.filter((x) => !(x.type === 'text' && x.text === REFERENCES_INTRO)), note()];
        content.push({ ...b, content: left });
        continue;
      }
      content.push(b);
    }
    if (droppedTopLevel) content.push(note());
    out.push({ role: m.role, content });
  }
  return out;
}

/**
 * The request's `messages` for a thread's stored messages (oldest first), ready for the API: see the module
 * comment for the rules. Prompt-cache breakpoints are added separately (`withCacheBreakpoint`).
 */
export function toModelMessages(stored: readonly Message[], opts: HistoryOptions = {}): ModelMessage[] {
  const toolsAvailable = opts.toolsAvailable ?? true;
  const cleaned = stored
    .map((m) => cleanMessage(m, toolsAvailable))
    .filter((m): m is ModelMessage => m !== undefined && m.content.length > 0);
  return limitDocuments(pairTools(cleaned), opts.maxDocuments ?? MAX_DOCUMENTS);
}

/** A copy with `cache_control: {type:'ephemeral'}` on the last block of the last message (the prompt cache's end). */
export function withCacheBreakpoint(messages: ModelMessage[]): ModelMessage[] {
  const last = messages[messages.length - 1];
  if (!last || last.content.length === 0) return messages;
  const content = [...last.content];
  content[content.length - 1] = { ...content[content.length - 1]!, cache_control: { type: 'ephemeral' } };
  return [...messages.slice(0, -1), { role: last.role, content }];
}

/** Whether any message carries tool blocks (the API then requires `tools` in the request). */
export function usesTools(messages: readonly ModelMessage[]): boolean {
  return messages.some((m) => m.content.some((b) => b.type === 'tool_use' || b.type === 'tool_result'));
}
