/** Assistant rows -> an assistant piece: plain or block-list content, and the tool call of an OpenAI- or Claude-era row's tool_details. */
import { sanitizeToolId } from '#lib/blocks/api-rules.js';
import type { Block } from '#lib/blocks/types.js';
import { isObj, type Obj } from '#lib/json.js';
import { UNKNOWN_TOOL_NAME, cleanText, cleanToolUse, copyBlock, parseToolInput, rawArguments, textBlock } from './blocks.js';
import { asObject, isBlockLike, parseContent, str, type LegacyMessageRow, type Meta, type Piece } from './rows.js';

/**
 * Fallback tool ids of one row: `toolu_legacy_<row id>`, then `_1`, `_2`... (a counter, not a closure per row: under
 * tsx each named closure costs a `__name` call, a measurable share of a migration's conversion).
 */
interface FallbackIds {
  row: number;
  n: number;
}

function nextId(ids: FallbackIds): string {
  const n = ids.n++;
  return `toolu_legacy_${ids.row}${n === 0 ? '' : `_${n}`}`;
}

/** The call a tool_details value describes (OpenAI/Claude-era call shapes), or null. */
function callFromDetails(td: Obj | null, toolName: string | null, ids: FallbackIds): Block | null {
  if (!td) return null;
  const fn = isObj(td.function) ? td.function : undefined;
  const id = str(td.id) ?? str(fn?.id);
  const args = rawArguments(td);
  if (id === undefined && fn === undefined && args === undefined) return null;
  return {
    type: 'tool_use',
    id: sanitizeToolId(id ?? nextId(ids)),
    name: str(fn?.name) ?? str(td.name) ?? str(toolName) ?? UNKNOWN_TOOL_NAME,
    input: parseToolInput(args),
  };
}

export function assistantPiece(row: LegacyMessageRow, meta: Meta): Piece {
  const parsed = parseContent(row.content);
  const blocks: Block[] = [];
  const ids: FallbackIds = { row: row.id, n: 0 };
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
          blocks.push(cleanToolUse(item, nextId(ids)));
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
  let call = callFromDetails(td, row.tool_name, ids);
  if (!call && str(row.tool_name) && !hasText && !blocks.some((b) => b.type === 'tool_use')) {
    call = { type: 'tool_use', id: nextId(ids), name: str(row.tool_name), input: {} };
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
  // Every block here is a fresh object (textBlock, or a copy), so it is trimmed in place.
  for (const b of blocks) if (b.type === 'text' && typeof b.text === 'string') b.text = b.text.trimEnd();
  return { role: 'assistant', meta, blocks };
}
