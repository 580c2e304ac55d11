/** Legacy PostgreSQL message rows -> Anthropic block messages (the contract's "Legacy data" rules): the entry point.
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
 * Each row becomes a piece (assistant-rows.ts, tool-output-rows.ts, user-rows.ts, with the block rules of
 * blocks.ts); the pairing pass (pairing.ts) then builds the messages under the API's structural rules. Rows with
 * a role other than user/assistant/tool/function (`system`) are not part of the conversation and are dropped.
 */
import type { Message } from '#lib/blocks/types.js';
import { assistantPiece } from './assistant-rows.js';
import { Builder } from './pairing.js';
import { metaOf, type LegacyMessageRow, type Piece } from './rows.js';
import { toolOutputPiece } from './tool-output-rows.js';
import { userPiece } from './user-rows.js';

export type { LegacyMessageRow } from './rows.js';
export { parseToolInput } from './blocks.js';
export { MISSING_QUESTION_TEXT } from './pairing.js';

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
