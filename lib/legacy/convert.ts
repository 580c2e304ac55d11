/**
 * Legacy PostgreSQL message rows -> Anthropic block messages (the contract's "Legacy data" rules).
 *
 * Pure and deterministic: no I/O, no clock, no randomness; the input rows are never mutated (every block in the
 * output is a fresh object). The rows must arrive in thread order (the caller sorts them, by `timestamp` then `id`
 * as the old backend did); this module does not re-order them.
 *
 * Row shapes handled (reference/ansari-backend.md §1.3 and §2.2):
 *   1. user, plain string                          -> [text]
 *   2. assistant, plain string or JSON block list  -> [text] / the blocks, cleaned
 *   3. OpenAI-era tool call: assistant, content "", tool_name, tool_details {function:{name, arguments}, id, type}
 *      -> [tool_use] with `input` parsed from `function.arguments` (or `args` / `input` / `arguments`)
 *   4. OpenAI-era tool output: role `tool` (oldest: `function`), content = joined result strings, tool_details
 *      {internal_message:{tool_calls:[...]}, tool_message:{tool_call_id, content}} (or `{}` in the oldest rows)
 *      -> a user message [tool_result] answering the matching tool_use
 *   5. Claude-era assistant: JSON list of text + tool_use blocks (tool_details repeats the first tool_use), or the
 *      intermediate logger's `[{"type":"text","text":""}]` with the tool_use only in tool_details {id, input}
 *   6. Claude-era tool results: user row, JSON list starting with tool_result blocks, documents either as siblings
 *      in the content (old format) or in `ref_list` (or both), bare-string debris such as "No results found."
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
 *     Results" fallback had `false`), and its title is cut to at most 450 characters, without a cut mark (capDocumentTitle);
 *     a blank or non-string title is removed. A "document" without a `source` object is unusable and is dropped.
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
 *
 * Sequence rules (the API's structural rules, applied after the per-row conversion):
 *   - Every tool_use is answered by exactly one tool_result in the very next message, tool_results first in that
 *     message and in tool_use order. Missing results are synthesised as
 *     `{type:'tool_result', tool_use_id, content: MISSING_RESULT_TEXT, is_error:true}` (lib/blocks/api-rules.ts); no tool turn is
 *     dropped (the migration of the reference dropped them all).
 *   - Consecutive tool-result rows answering one assistant message are merged into ONE user message.
 *   - A user message that follows an assistant message whose tool_uses are still open (the tool output was never
 *     logged, or a question follows the tool results) is merged into the tool-result message: results first,
 *     then the question's blocks. The merged message keeps the id of its first row.
 *   - A tool-output row whose call is not in the preceding assistant message (the OpenAI logger of 2025-02 wrote
 *     only the `tool` row, with the call in `internal_message.tool_calls`; the oldest `function` rows have no ids
 *     at all) gets its tool_use re-created: appended to the preceding assistant message when there is one that is
 *     still open, otherwise in a new assistant message with id `<row id>-tool_use`. A tool-output row without an
 *     id first answers the first unanswered tool_use of the preceding assistant message (same name preferred).
 *   - Consecutive assistant rows where the first has open tool_uses: a row holding only tool_use blocks is a
 *     parallel call of the same round and is merged into the first; any other row closes the first (missing
 *     results synthesised in a message with id `<assistant id>-tool_result`) and starts a new message.
 *   - A Claude-era tool_result with no matching tool_use (and no call data to re-create one) is an orphan: its
 *     text and documents are kept as ordinary user content (text blocks, top-level documents) instead of an
 *     invalid tool_result.
 *   - Duplicate results for one tool_use: the first answers it, later ones are treated as orphans.
 *   - Other consecutive same-role messages (a user asking twice with no answer logged, two answers in a row) are
 *     kept as they are, each with its own id and feedback: the API accepts them (it combines consecutive turns),
 *     and merging them would change what the user sees and where feedback belongs.
 *   - tool_use ids are unique in the thread (the API rejects duplicates): a repeated id gets a `_2`, `_3`...
 *     suffix, and the results that follow are paired with the renamed copy.
 *   - A message left with no blocks is dropped.
 *   - A history that starts with an assistant message (its question row is missing) gets a user message with id
 *     `<assistant id>-context` and the text MISSING_QUESTION_TEXT before it: the API requires a user message first,
 *     and dropping the answer would lose what the user saw.
 *   - Trailing whitespace is cut from assistant text blocks (the API rejects it at the end of the final message).
 *   - A thread ending with an open tool_use gets the synthesised result message, so a new user turn can follow.
 *   - Rows with a role other than user/assistant/tool/function (`system`) are not part of the conversation and
 *     are dropped.
 */
import { capDocumentTitle, missingToolResult, sanitizeToolId } from '#lib/blocks/api-rules.js';
import type { Block, Message, Role } from '#lib/blocks/types.js';
import { isObj, stableJson, type Obj } from '#lib/json.js';

export interface LegacyFeedback {
  class: string;
  comment: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface LegacyMessageRow {
  id: number;
  role: string;
  content: string;
  tool_name: string | null;
  tool_details: unknown;
  ref_list: unknown;
  created_at: Date;
  user_id?: string;
  feedback?: LegacyFeedback | null;
}

/** Text of the user message put before a history that starts with an assistant message (the API needs a user first). */
export const MISSING_QUESTION_TEXT = '(The message that started this conversation was not recorded.)';
/** Name of a re-created tool_use when the row does not say which tool ran. */
export const UNKNOWN_TOOL_NAME = 'legacy_tool';

// ---------------------------------------------------------------------------------------------------------------
// Value helpers
// ---------------------------------------------------------------------------------------------------------------

const isBlockLike = (v: unknown): v is Block => isObj(v) && typeof v.type === 'string' && v.type !== '';

/** Deep copy of a JSON-like value (keeps Dates), so the output never shares objects with the input rows. */
function clone<T>(v: T): T {
  return structuredClone(v);
}

/** A copy of a stored block without `cache_control` (only ever added to request copies; the API allows 4). */
function copyBlock(b: Block): Block {
  const out = clone(b);
  delete out.cache_control;
  return out;
}

/**
 * A JSONB value as it may arrive: parsed by `pg`, a JSON string (the Python backend `json.dumps`-ed values, and a
 * string inserted into a JSONB column stays a JSON string), double-encoded, null, or empty. Unparsable strings are
 * returned as they are.
 */
function parseJsonValue(v: unknown): unknown {
  let cur = v;
  for (let i = 0; i < 3 && typeof cur === 'string'; i++) {
    const t = cur.trim();
    if (t === '') return null;
    if (!(t.startsWith('[') || t.startsWith('{') || t.startsWith('"'))) return cur;
    try {
      cur = JSON.parse(t);
    } catch {
      return cur;
    }
  }
  return cur;
}

const asObject = (v: unknown): Obj | null => {
  const p = parseJsonValue(v);
  return isObj(p) && Object.keys(p).length > 0 ? p : null;
};

const asArray = (v: unknown): unknown[] => {
  const p = parseJsonValue(v);
  if (Array.isArray(p)) return p;
  if (isBlockLike(p)) return [p];
  return [];
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `tool_use.input`, never null: see the header for the rule. */
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
function rawArguments(call: Obj): unknown {
  const fn = isObj(call.function) ? call.function : undefined;
  for (const v of [fn?.arguments, fn?.args, fn?.input, call.arguments, call.args, call.input]) {
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Block cleaning
// ---------------------------------------------------------------------------------------------------------------

function textBlock(text: string): Block | null {
  return text.trim() === '' ? null : { type: 'text', text };
}

function cleanText(b: Block): Block | null {
  if (typeof b.text !== 'string' || b.text.trim() === '') return null;
  return copyBlock(b);
}

function cleanDocument(b: Block): Block | null {
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

function cleanToolUse(b: Block, fallbackId: string): Block {
  const out: Block = copyBlock(b);
  out.id = sanitizeToolId(str(b.id) ?? fallbackId);
  out.name = str(b.name) ?? UNKNOWN_TOOL_NAME;
  out.input = parseToolInput(b.input);
  return out;
}

/** Blocks allowed inside `tool_result.content`: text, document, image, search_result and unknown future types. */
function cleanNestedContent(items: unknown[]): Block[] {
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

/** Appends blocks to a tool_result's content (turning string content into a leading text block), skipping duplicates. */
function nestInto(result: Block, extra: Block[]): void {
  if (extra.length === 0) return;
  const current = result.content;
  const blocks: Block[] =
    typeof current === 'string' ? [{ type: 'text', text: current }] : Array.isArray(current) ? (current as Block[]) : [];
  const seen = new Set(blocks.map(stableJson));
  for (const b of extra) {
    const k = stableJson(b);
    if (seen.has(k)) continue;
    seen.add(k);
    blocks.push(b);
  }
  if (blocks.length > 0) result.content = blocks;
}

function makeResult(toolUseId: string, content: unknown, isError?: unknown): Block {
  const out: Block = { type: 'tool_result', tool_use_id: toolUseId };
  const c = normaliseResultContent(content);
  if (c !== undefined) out.content = c;
  if (typeof isError === 'boolean') out.is_error = isError;
  return out;
}

/** An orphan tool_result's content as ordinary user blocks (text and top-level documents). */
function orphanToUserBlocks(result: Block): Block[] {
  const c = result.content;
  if (typeof c === 'string') {
    const t = textBlock(c);
    return t ? [t] : [];
  }
  if (!Array.isArray(c)) return [];
  return (c as Block[]).filter((b) => b.type === 'text' || b.type === 'document' || b.type === 'image');
}

// ---------------------------------------------------------------------------------------------------------------
// Rows -> pieces
// ---------------------------------------------------------------------------------------------------------------

interface Meta {
  id: string;
  created_at: Date;
  user_id?: string;
  feedback?: Record<string, unknown>;
}

/** A tool_result of a user piece, with what is needed to pair it with a tool_use. */
interface ResultEntry {
  block: Block;
  /** The id was unknown: answer the first unanswered tool_use of the preceding assistant message. */
  bindAny: boolean;
  /** Tool name, to prefer when binding by position. */
  name?: string;
  /** The call, re-creatable when the preceding assistant message does not hold it. */
  call?: Block;
}

type Piece = { role: 'assistant'; meta: Meta; blocks: Block[] } | { role: 'user'; meta: Meta; results: ResultEntry[]; others: Block[] };

function metaOf(row: LegacyMessageRow): Meta {
  const meta: Meta = { id: String(row.id), created_at: toDate(row.created_at) };
  if (typeof row.user_id === 'string' && row.user_id !== '') meta.user_id = row.user_id;
  const fb = row.feedback;
  if (fb && typeof fb.class === 'string') {
    meta.feedback = {
      class: fb.class,
      comment: fb.comment ?? null,
      created_at: toDate(fb.created_at),
      updated_at: toDate(fb.updated_at ?? fb.created_at),
    };
  }
  return meta;
}

function toDate(v: unknown): Date {
  if (v instanceof Date) return new Date(v.getTime());
  if (typeof v === 'string' || typeof v === 'number') return new Date(v);
  return new Date(0);
}

/**
 * A content column: a block list (JSON array of typed blocks and/or strings, or a single typed block), or plain
 * text. A user who typed something JSON-looking that is not a block list (`[1, 2]`, `{"a": 1}`) keeps it as text.
 */
function parseContent(content: unknown): { blocks: unknown[] } | { text: string } {
  if (Array.isArray(content)) return { blocks: content };
  if (isBlockLike(content)) return { blocks: [content] };
  const s = typeof content === 'string' ? content : content == null ? '' : String(content);
  const t = s.trim();
  if (t.startsWith('[') || t.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(t);
      if (Array.isArray(parsed)) {
        const blockList = parsed.length === 0 || (parsed.some(isBlockLike) && parsed.every((x) => isBlockLike(x) || typeof x === 'string'));
        if (blockList) return { blocks: parsed };
      } else if (isBlockLike(parsed)) {
        return { blocks: [parsed] };
      }
    } catch {
      // not JSON: plain text
    }
  }
  return { text: s };
}

/** The call a tool_details value describes (OpenAI/Claude-era call shapes), or null. */
function callFromDetails(td: Obj | null, toolName: string | null, fallbackId: () => string): Block | null {
  if (!td) return null;
  const fn = isObj(td.function) ? td.function : undefined;
  const id = str(td.id) ?? str(fn?.id);
  const args = rawArguments(td);
  if (id === undefined && fn === undefined && args === undefined) return null;
  return {
    type: 'tool_use',
    id: sanitizeToolId(id ?? fallbackId()),
    name: str(fn?.name) ?? str(td.name) ?? str(toolName) ?? UNKNOWN_TOOL_NAME,
    input: parseToolInput(args),
  };
}

function assistantPiece(row: LegacyMessageRow, meta: Meta): Piece {
  const parsed = parseContent(row.content);
  const blocks: Block[] = [];
  let n = 0;
  const nextId = () => `toolu_legacy_${row.id}${n++ === 0 ? '' : `_${n - 1}`}`;
  if ('text' in parsed) {
    const t = textBlock(parsed.text);
    if (t) blocks.push(t);
  } else {
    for (const item of parsed.blocks) {
      if (typeof item === 'string') {
        const t = textBlock(item);
        if (t) blocks.push(t);
        continue;
      }
      if (!isBlockLike(item)) continue;
      switch (item.type) {
        case 'text': {
          const t = cleanText(item);
          if (t) blocks.push(t);
          break;
        }
        case 'tool_use':
          blocks.push(cleanToolUse(item, nextId()));
          break;
        case 'tool_result':
        case 'document':
        case 'image':
          break;
        default:
          blocks.push(copyBlock(item));
      }
    }
  }

  // tool_name + tool_details: the call, unless the content already holds it (Claude-era rows repeat the first
  // tool_use there). A tool-only row (no text) with a tool_name but no details is still a call.
  const td = asObject(row.tool_details);
  const hasText = blocks.some((b) => b.type === 'text');
  let call = callFromDetails(td, row.tool_name, nextId);
  if (!call && str(row.tool_name) && !hasText && !blocks.some((b) => b.type === 'tool_use')) {
    call = { type: 'tool_use', id: nextId(), name: str(row.tool_name), input: {} };
  }
  if (call) {
    // The content's copy wins (matched by id, or by name when the details carry no id); an empty input there is
    // completed from the details.
    const detailsId = td ? (str(td.id) ?? (isObj(td.function) ? str(td.function.id) : undefined)) : undefined;
    const existing = blocks.find((b) => b.type === 'tool_use' && (b.id === call.id || (detailsId === undefined && b.name === call.name)));
    if (existing) {
      if (Object.keys(existing.input as Obj).length === 0) existing.input = call.input;
    } else {
      blocks.push(call);
    }
  }
  // Trailing whitespace is cut from assistant text: the API rejects it at the end of a final assistant message,
  // and a legacy thread usually ends with one.
  const trimmed = blocks.map((b) => (b.type === 'text' && typeof b.text === 'string' ? { ...b, text: b.text.trimEnd() } : b));
  return { role: 'assistant', meta, blocks: trimmed };
}

/** Role `tool` / `function` rows: the OpenAI-era tool output. */
function toolOutputPiece(row: LegacyMessageRow, meta: Meta): Piece {
  const td = asObject(row.tool_details);
  const toolMessage = td && isObj(td.tool_message) ? td.tool_message : undefined;
  const internal = td && isObj(td.internal_message) ? td.internal_message : undefined;
  const calls = internal && Array.isArray(internal.tool_calls) ? internal.tool_calls.filter(isObj) : [];

  const rawId = str(toolMessage?.tool_call_id) ?? str(td?.tool_call_id) ?? str(td?.id);
  const callObj =
    (rawId !== undefined ? calls.find((c) => str(c.id) === rawId) : undefined) ?? (rawId === undefined ? calls[0] : undefined);
  const id = rawId ?? str(callObj?.id);
  const fallbackId = `toolu_legacy_${row.id}`;

  const fn = callObj && isObj(callObj.function) ? callObj.function : undefined;
  const name = str(fn?.name) ?? str(row.tool_name) ?? str(td?.name) ?? UNKNOWN_TOOL_NAME;
  const call: Block = {
    type: 'tool_use',
    id: sanitizeToolId(id ?? fallbackId),
    name,
    input: parseToolInput(callObj ? rawArguments(callObj) : undefined),
  };

  const text = row.content !== '' ? row.content : (str(toolMessage?.content) ?? '');
  const parsed = parseContent(text);
  const content = 'text' in parsed ? parsed.text : parsed.blocks;
  const block = makeResult(call.id as string, content);
  nestInto(block, cleanNestedContent(asArray(row.ref_list)));
  return {
    role: 'user',
    meta,
    results: [{ block, bindAny: id === undefined, name, call }],
    others: [],
  };
}

function userPiece(row: LegacyMessageRow, meta: Meta): Piece {
  const parsed = parseContent(row.content);
  const td = asObject(row.tool_details);
  const refDocs = cleanNestedContent(asArray(row.ref_list)).filter((b) => b.type === 'document');
  const toolName = str(row.tool_name);

  // A plain-text user row with a tool_name is a tool output written as a user row (the reference wrapped these as
  // tool_result for tool_details.id).
  if ('text' in parsed) {
    if (toolName) {
      const piece = toolOutputPiece(row, meta);
      return piece;
    }
    const t = textBlock(parsed.text);
    const others = t ? [t] : [];
    return { role: 'user', meta, results: [], others: [...others, ...refDocs] };
  }

  let items = parsed.blocks;
  // The Claude-era logger kept tool_result blocks in tool_details (a list) and may have left content empty.
  if (!items.some((b) => isBlockLike(b) && b.type === 'tool_result')) {
    const fromDetails = asArray(row.tool_details).filter((b) => isBlockLike(b) && b.type === 'tool_result');
    if (fromDetails.length > 0) items = [...fromDetails, ...items];
  }

  const results: ResultEntry[] = [];
  const others: Block[] = [];
  let current: Block | null = null;
  let n = 0;
  for (const item of items) {
    if (typeof item === 'string') {
      const t = textBlock(item);
      if (!t) continue;
      if (current) nestInto(current, [t]);
      else others.push(t);
      continue;
    }
    if (!isBlockLike(item)) continue;
    switch (item.type) {
      case 'tool_result': {
        const rawId = str(item.tool_use_id);
        const id = sanitizeToolId(rawId ?? `toolu_legacy_${row.id}${n === 0 ? '' : `_${n}`}`);
        n++;
        current = makeResult(id, item.content, item.is_error);
        results.push({ block: current, bindAny: rawId === undefined });
        break;
      }
      case 'document': {
        const d = cleanDocument(item);
        if (!d) break;
        if (current) nestInto(current, [d]);
        else others.push(d);
        break;
      }
      case 'text': {
        const t = cleanText(item);
        if (t) others.push(t);
        break;
      }
      case 'tool_use':
      case 'thinking':
      case 'redacted_thinking':
        break;
      default:
        others.push(copyBlock(item));
    }
  }

  if (results.length === 0 && toolName && td) {
    // A tool output row whose content is a block list without tool_result (e.g. `[]` or only documents).
    const piece = toolOutputPiece({ ...row, content: '' }, meta);
    if (piece.role === 'user') {
      const only = piece.results[0];
      if (only)
        nestInto(
          only.block,
          others.filter((b) => b.type === 'document' || b.type === 'text'),
        );
      return piece;
    }
  }

  if (refDocs.length > 0) {
    const wanted = td ? str(td.id) : undefined;
    const target =
      (wanted !== undefined ? results.find((r) => r.block.tool_use_id === sanitizeToolId(wanted)) : undefined) ?? results.at(-1);
    if (target) nestInto(target.block, refDocs);
    else others.push(...refDocs);
  }
  return { role: 'user', meta, results, others };
}

function rowToPiece(row: LegacyMessageRow): Piece | null {
  const meta = metaOf(row);
  switch (row.role) {
    case 'user':
      return userPiece(row, meta);
    case 'assistant':
      return assistantPiece(row, meta);
    case 'tool':
    case 'function':
      return toolOutputPiece(row, meta);
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Sequence repair
// ---------------------------------------------------------------------------------------------------------------

function newMessage(role: Role, meta: Meta, content: Block[]): Message {
  const m: Message = { id: meta.id, role, content, created_at: new Date(meta.created_at.getTime()) };
  if (meta.user_id !== undefined) m.user_id = meta.user_id;
  if (meta.feedback !== undefined) m.feedback = meta.feedback;
  return m;
}

function derivedMeta(from: { id: string; created_at: Date; user_id?: string }, suffix: string): Meta {
  const meta: Meta = { id: `${from.id}-${suffix}`, created_at: from.created_at };
  if (from.user_id !== undefined) meta.user_id = from.user_id;
  return meta;
}

const toolUses = (m: Message): Block[] => m.content.filter((b) => b.type === 'tool_use');
const leadingResults = (m: Message): number => {
  let i = 0;
  while (i < m.content.length && m.content[i]?.type === 'tool_result') i++;
  return i;
};

function carryFeedback(into: Message, meta: Meta): void {
  if (into.feedback === undefined && meta.feedback !== undefined) into.feedback = meta.feedback;
}

interface Open {
  /** The assistant message whose tool_uses await their results. */
  assistant: Message;
  /** Its tool-result message, once started (always the last message of the output while open). */
  results: Message | null;
  /** Renamed duplicate tool_use ids: original id -> the ids given to its later copies. */
  aliases: Map<string, string[]>;
}

class Builder {
  readonly out: Message[] = [];
  private open: Open | null = null;
  private readonly seenToolUseIds = new Set<string>();

  /** Gives each tool_use an id unique in the thread (the API rejects duplicates), recording renames. */
  private register(uses: Block[], aliases: Map<string, string[]>): void {
    for (const u of uses) {
      const id = u.id as string;
      let unique = id;
      for (let n = 2; this.seenToolUseIds.has(unique); n++) unique = `${id}_${n}`;
      this.seenToolUseIds.add(unique);
      if (unique !== id) {
        u.id = unique;
        aliases.set(id, [...(aliases.get(id) ?? []), unique]);
      }
    }
  }

  /** Fills the open assistant message's missing results (results first, in tool_use order) and closes it. */
  private close(): void {
    const open = this.open;
    if (!open) return;
    this.open = null;
    let results = open.results;
    if (!results) {
      results = newMessage('user', derivedMeta(open.assistant, 'tool_result'), []);
      this.out.push(results);
    }
    const count = leadingResults(results);
    const answered = new Map<string, Block>();
    for (const b of results.content.slice(0, count)) answered.set(b.tool_use_id as string, b);
    const ordered = toolUses(open.assistant).map((u) => answered.get(u.id as string) ?? missingToolResult(u.id as string));
    results.content.splice(0, count, ...ordered);
  }

  addAssistant(meta: Meta, blocks: Block[]): void {
    if (blocks.length === 0) return;
    const open = this.open;
    if (open && open.results === null && blocks.every((b) => b.type === 'tool_use')) {
      // A parallel call of the same round: one assistant turn.
      this.register(blocks, open.aliases);
      open.assistant.content.push(...blocks);
      carryFeedback(open.assistant, meta);
      return;
    }
    this.close();
    const m = newMessage('assistant', meta, blocks);
    this.out.push(m);
    const uses = toolUses(m);
    if (uses.length > 0) {
      this.open = { assistant: m, results: null, aliases: new Map() };
      this.register(uses, this.open.aliases);
    }
  }

  /** Re-creates a call: in the open assistant message, or in a new assistant message `<row id>-tool_use`. */
  private recreate(call: Block, meta: Meta): void {
    if (!this.open) {
      const m = newMessage('assistant', derivedMeta(meta, 'tool_use'), []);
      this.out.push(m);
      this.open = { assistant: m, results: null, aliases: new Map() };
    }
    this.register([call], this.open.aliases);
    this.open.assistant.content.push(call);
  }

  private answeredIds(): Set<string> {
    const res = this.open?.results;
    if (!res) return new Set();
    return new Set(res.content.slice(0, leadingResults(res)).map((b) => b.tool_use_id as string));
  }

  private resultsMessage(meta: Meta): Message {
    const open = this.open!;
    if (!open.results) {
      open.results = newMessage('user', meta, []);
      this.out.push(open.results);
    }
    carryFeedback(open.results, meta);
    return open.results;
  }

  addUser(meta: Meta, results: ResultEntry[], others: Block[]): void {
    const extra: Block[] = [];
    let answeredAny = false;
    for (const entry of results) {
      const r = entry.block;
      const answered = this.answeredIds();
      const uses = this.open ? toolUses(this.open.assistant) : [];
      const original = r.tool_use_id as string;
      const candidates = [original, ...(this.open?.aliases.get(original) ?? [])];
      let target: Block | undefined;
      let duplicate = false;
      for (const id of candidates) {
        const u = uses.find((x) => x.id === id);
        if (!u) continue;
        if (answered.has(id)) duplicate = true;
        else {
          target = u;
          break;
        }
      }
      if (!target && duplicate) {
        extra.push(...orphanToUserBlocks(r));
        continue;
      }
      if (!target && entry.bindAny) {
        const free = uses.filter((u) => !answered.has(u.id as string));
        target = free.find((u) => u.name === entry.name) ?? free[0];
      }
      if (!target && entry.call) {
        target = clone(entry.call);
        this.recreate(target, meta);
      }
      if (!target) {
        extra.push(...orphanToUserBlocks(r));
        continue;
      }
      r.tool_use_id = target.id;
      const msg = this.resultsMessage(meta);
      msg.content.splice(leadingResults(msg), 0, r);
      answeredAny = true;
    }

    const rest = [...extra, ...others];
    if (answeredAny) {
      // Siblings of the results (debris, orphans): after them, in the same message; more result rows may follow.
      this.open!.results!.content.push(...rest);
      return;
    }
    if (rest.length === 0) return;
    if (this.open) {
      // A question (or orphan content) while tool_uses are open: it joins the tool-result message, which closes.
      this.resultsMessage(meta).content.push(...rest);
      this.close();
      return;
    }
    this.out.push(newMessage('user', meta, rest));
  }

  finish(): Message[] {
    this.close();
    const out = this.out.filter((m) => m.content.length > 0);
    const first = out[0];
    if (first && first.role === 'assistant') {
      out.unshift(newMessage('user', derivedMeta(first, 'context'), [{ type: 'text', text: MISSING_QUESTION_TEXT }]));
    }
    return out;
  }
}

/** Converts the rows of one legacy thread (in thread order) to a valid Anthropic block history. */
export function convertLegacyMessages(rows: LegacyMessageRow[]): Message[] {
  const b = new Builder();
  for (const row of rows) {
    const piece = rowToPiece(row);
    if (!piece) continue;
    if (piece.role === 'assistant') b.addAssistant(piece.meta, piece.blocks);
    else b.addUser(piece.meta, piece.results, piece.others);
  }
  return b.finish();
}
