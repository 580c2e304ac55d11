/** Legacy blocks cleaned one by one into blocks the Messages API accepts (text, documents, tool calls and results).
 *
 * Block rules (each fixes something the Messages API rejects or the reference got wrong):
 *   - Empty or whitespace-only text blocks are dropped: the API rejects them ("text content blocks must be
 *     non-empty"), and the old logger wrote `[{"type":"text","text":""}]` for tool-only turns.
 *   - Bare strings inside content lists become text blocks (empty ones are dropped). At the top level of a user
 *     tool-result row they are debris of the tool's output, so they are nested into the preceding tool_result
 *     like sibling documents; inside `tool_result.content` they become text blocks in place. We keep the text
 *     (rather than delete it as the reference does) because "No results found." is what the model was told.
 *   - Documents are always nested in a `tool_result.content` (`[text?, document...]`), never siblings of it:
 *     siblings were the old format, and the document cap and citation handling only work on nested ones. ref_list
 *     documents go to the row's tool_result (the one whose id is `tool_details.id`, else the last one); a document
 *     equal to one already nested is not added twice (old rows hold the same documents in content and ref_list).
 *   - Every document gets `citations: {enabled: true}` (the API rejects mixed values in one request; the old "No
 *     Results" fallback had `false`), and its title is cut to at most 450 characters without a cut mark
 *     (capDocumentTitle); a blank or non-string title is removed. A "document" without a `source` object is unusable and is dropped.
 *   - `tool_use.input` is always an object: an object is kept; a JSON string is parsed; a JSON string that is not
 *     an object, or text that is not JSON, becomes `{query: <the string>}` (every Ansari tool takes `query`);
 *     missing, null or empty becomes `{}`. The reference wrote `input: null` here.
 *   - Tool ids are made to match the API's pattern `^[a-zA-Z0-9_-]+$` (other characters become `_`, on both the
 *     tool_use and the tool_result side); a call without an id gets `toolu_legacy_<row id>[_<n>]`.
 *   - Blocks a role cannot carry are dropped: tool_use/thinking in user messages; tool_result, document and image
 *     in assistant messages (Claude-era assistant `ref_list` documents are dropped for the same reason: the same
 *     documents are in the following tool_result row). Non-block values (numbers, objects without a `type`) are
 *     dropped. Unknown block types are kept as they are.
 *   - A user tool_result with no content, or with content that cleans up to nothing, loses its `content` key
 *     (the current backend writes that shape for "no documents", and the API accepts it).
 *   - `cache_control` is removed from stored blocks (it belongs to a request, and the API allows only 4); a text
 *     document whose `source.data` is not a string gets its JSON text.
 */
import { capDocumentTitle, sanitizeToolId } from '#lib/blocks/api-rules.js';
import type { Block } from '#lib/blocks/types.js';
import { isObj, stableJson, type Obj } from '#lib/json.js';
import { isBlockLike, str } from './rows.js';

/** Name of a re-created tool_use when the row does not say which tool ran. */
export const UNKNOWN_TOOL_NAME = 'legacy_tool';

/**
 * Deep copy of a JSON-like value (keeps Dates), so the output never shares objects with the input rows. A plain
 * walk: the values are parsed JSON, and structuredClone costs several times more (a quarter of a migration's
 * conversion time).
 */
export function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as T;
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (v === null || typeof v !== 'object') return v;
  const out: Obj = {};
  for (const k of Object.keys(v)) {
    const value = clone((v as Obj)[k]);
    // An own "__proto__" field stays a field (assignment would set the prototype instead).
    if (k === '__proto__') Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
    else out[k] = value;
  }
  return out as T;
}

/** A copy of a stored block without `cache_control` (only ever added to request copies; the API allows 4). */
export function copyBlock(b: Block): Block {
  const out = clone(b);
  delete out.cache_control;
  return out;
}

/** `tool_use.input`, never null: see the module comment for the rule. */
export function parseToolInput(raw: unknown): Obj {
  if (isObj(raw)) return clone(raw);
  if (typeof raw !== 'string') return {};
  const t = raw.trim();
  if (t === '') return {};
  try {
    const parsed: unknown = JSON.parse(t);
    if (isObj(parsed)) return parsed;
    if (typeof parsed === 'string') return parsed.trim() === '' ? {} : { query: parsed };
    return { query: raw };
  } catch {
    return { query: raw };
  }
}

/** The stored arguments of a call in any of its historical spellings. */
export function rawArguments(call: Obj): unknown {
  const fn = isObj(call.function) ? call.function : undefined;
  for (const v of [fn?.arguments, fn?.args, fn?.input, call.arguments, call.args, call.input]) {
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

export function textBlock(text: string): Block | null {
  return text.trim() === '' ? null : { type: 'text', text };
}

export function cleanText(b: Block): Block | null {
  if (typeof b.text !== 'string' || b.text.trim() === '') return null;
  return copyBlock(b);
}

export function cleanDocument(b: Block): Block | null {
  if (!isObj(b.source)) return null;
  const doc: Block = copyBlock(b);
  const source = doc.source as Obj;
  // A text source's data must be a string (multilingual data was stored as JSON text; never an array).
  if (source.type === 'text' && typeof source.data !== 'string') {
    source.data = source.data == null ? '' : JSON.stringify(source.data);
  }
  const citations = isObj(doc.citations) ? doc.citations : {};
  doc.citations = { ...citations, enabled: true };
  if (typeof doc.title === 'string' && doc.title.trim() !== '') doc.title = capDocumentTitle(doc.title);
  else delete doc.title;
  return doc;
}

export function cleanToolUse(b: Block, fallbackId: string): Block {
  const out: Block = copyBlock(b);
  out.id = sanitizeToolId(str(b.id) ?? fallbackId);
  out.name = str(b.name) ?? UNKNOWN_TOOL_NAME;
  out.input = parseToolInput(b.input);
  return out;
}

/** Blocks allowed inside `tool_result.content`: text, document, image, search_result and unknown future types. */
export function cleanNestedContent(items: unknown[]): Block[] {
  const out: Block[] = [];
  for (const item of items) {
    if (typeof item === 'string') {
      const t = textBlock(item);
      if (t) out.push(t);
      continue;
    }
    if (!isBlockLike(item)) continue;
    switch (item.type) {
      case 'text': {
        const t = cleanText(item);
        if (t) out.push(t);
        break;
      }
      case 'document': {
        const d = cleanDocument(item);
        if (d) out.push(d);
        break;
      }
      case 'tool_use':
      case 'tool_result':
      case 'thinking':
      case 'redacted_thinking':
        break;
      default:
        out.push(copyBlock(item));
    }
  }
  return out;
}

/** Normalises `tool_result.content` to a non-empty string, a non-empty block list, or nothing. */
function normaliseResultContent(content: unknown): string | Block[] | undefined {
  if (typeof content === 'string') return content.trim() === '' ? undefined : content;
  if (Array.isArray(content)) {
    const blocks = cleanNestedContent(content);
    return blocks.length > 0 ? blocks : undefined;
  }
  if (isBlockLike(content)) {
    const blocks = cleanNestedContent([content]);
    return blocks.length > 0 ? blocks : undefined;
  }
  return undefined;
}

function lengthOf(v: unknown): string | null {
  return typeof v === 'string' ? String(v.length) : v === undefined ? 'u' : null;
}

/**
 * A cheap summary of a block that two blocks with equal stableJson always share (type, the length of its text and of
 * its source data), or null when a field is not a plain string or absent (then every block is a candidate). Blocks are
 * parsed JSON, so no value has a toJSON of its own.
 */
function fingerprint(b: Block): string | null {
  const text = lengthOf(b.text);
  const source = b.source === undefined ? 'u' : isObj(b.source) ? lengthOf(b.source.data) : null;
  return typeof b.type === 'string' && text !== null && source !== null ? `${b.type}|${text}|${source}` : null;
}

function fileBlock(buckets: Map<string | null, Block[]>, b: Block, fp: string | null): void {
  const bucket = buckets.get(fp);
  if (bucket) bucket.push(b);
  else buckets.set(fp, [b]);
}

/** stableJson of a block, computed once per nestInto call. */
function keyOf(keys: Map<Block, string>, b: Block): string {
  let k = keys.get(b);
  if (k === undefined) keys.set(b, (k = stableJson(b)));
  return k;
}

/**
 * Appends blocks to a tool_result's content (turning string content into a leading text block), skipping duplicates
 * (equal stableJson). Only blocks with the same fingerprint are serialised and compared: a result can hold many
 * documents, and serialising each of them on every call cost a tenth of a migration's conversion.
 */
export function nestInto(result: Block, extra: Block[]): void {
  if (extra.length === 0) return;
  const current = result.content;
  const blocks: Block[] =
    typeof current === 'string' ? [{ type: 'text', text: current }] : Array.isArray(current) ? (current as Block[]) : [];
  const buckets = new Map<string | null, Block[]>();
  for (const b of blocks) fileBlock(buckets, b, fingerprint(b));
  const keys = new Map<Block, string>();
  for (const b of extra) {
    const fp = fingerprint(b);
    const candidates = fp === null ? blocks : [...(buckets.get(fp) ?? []), ...(buckets.get(null) ?? [])];
    if (candidates.length > 0) {
      const k = keyOf(keys, b);
      if (candidates.some((c) => keyOf(keys, c) === k)) continue;
    }
    fileBlock(buckets, b, fp);
    blocks.push(b);
  }
  if (blocks.length > 0) result.content = blocks;
}

export function makeResult(toolUseId: string, content: unknown, isError?: unknown): Block {
  const out: Block = { type: 'tool_result', tool_use_id: toolUseId };
  const c = normaliseResultContent(content);
  if (c !== undefined) out.content = c;
  if (typeof isError === 'boolean') out.is_error = isError;
  return out;
}

/** An orphan tool_result's content as ordinary user blocks (text and top-level documents). */
export function orphanToUserBlocks(result: Block): Block[] {
  const c = result.content;
  if (typeof c === 'string') {
    const t = textBlock(c);
    return t ? [t] : [];
  }
  if (!Array.isArray(c)) return [];
  return (c as Block[]).filter((b) => b.type === 'text' || b.type === 'document' || b.type === 'image');
}
