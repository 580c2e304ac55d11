/** OpenAI-era tool-output rows (role `tool`, oldest `function`) -> a user piece holding one tool_result and the call it answers. */
import { sanitizeToolId } from '#lib/blocks/api-rules.js';
import type { Block } from '#lib/blocks/types.js';
import { isObj } from '#lib/json.js';
import { UNKNOWN_TOOL_NAME, cleanNestedContent, makeResult, nestInto, parseToolInput, rawArguments } from './blocks.js';
import { asArray, asObject, parseContent, str, type LegacyMessageRow, type Meta, type Piece } from './rows.js';

/** Role `tool` / `function` rows: the OpenAI-era tool output. */
export function toolOutputPiece(row: LegacyMessageRow, meta: Meta): Piece {
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
