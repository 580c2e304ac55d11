/** Builders shared by the legacy conversion tests: legacy rows in, the messages and blocks expected out. */
import { MISSING_RESULT_TEXT } from '#lib/blocks/api-rules.js';
import type { Block, Message } from '#lib/blocks/types.js';
import type { LegacyMessageRow } from '#lib/legacy/convert/index.js';

/** Rows and messages of one user on one day; `at(s)` is second `s` of that day, so rows sort as their ids. */
export function legacyBuilders(user: string, year: number, month: number, day: number) {
  const at = (s: number): Date => new Date(Date.UTC(year, month, day, 0, 0, s));
  /** A legacy row with the columns a plain row has; `created_at` follows the id. */
  const row = (id: number, role: string, content: unknown, extra: Partial<LegacyMessageRow> = {}): LegacyMessageRow => ({
    id,
    role,
    content: content as string,
    tool_name: null,
    tool_details: null,
    ref_list: null,
    created_at: at(id),
    user_id: user,
    ...extra,
  });
  /** The expected converted message (id string, created_at Date, user_id). */
  const msg = (id: string | number, role: 'user' | 'assistant', content: Block[], createdAt: number, extra: object = {}): Message => ({
    id: String(id),
    role,
    content,
    created_at: at(createdAt),
    user_id: user,
    ...extra,
  });
  return { at, row, msg };
}

export const text = (t: string): Block => ({ type: 'text', text: t });
export const toolUse = (id: string, name: string, input: Record<string, unknown>): Block => ({ type: 'tool_use', id, name, input });
export const result = (id: string, content?: unknown, isError?: boolean): Block => ({
  type: 'tool_result',
  tool_use_id: id,
  ...(content === undefined ? {} : { content }),
  ...(isError === undefined ? {} : { is_error: isError }),
});
/** The result the conversion synthesises for a call whose result is missing. */
export const missing = (id: string): Block => result(id, MISSING_RESULT_TEXT, true);
