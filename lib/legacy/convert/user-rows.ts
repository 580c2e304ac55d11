/** User rows -> a user piece: a question, or Claude-era tool_result blocks with their documents and debris. */
import { sanitizeToolId } from '#lib/blocks/api-rules.js';
import type { Block } from '#lib/blocks/types.js';
import { cleanDocument, cleanNestedContent, cleanText, copyBlock, makeResult, nestInto, textBlock } from './blocks.js';
import {
  asArray,
  asObject,
  isBlockLike,
  parseContent,
  str,
  type LegacyMessageRow,
  type Meta,
  type Piece,
  type ResultEntry,
} from './rows.js';
import { toolOutputPiece } from './tool-output-rows.js';

export function userPiece(row: LegacyMessageRow, meta: Meta): Piece {
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
