/**
 * Properties of the legacy conversion (lib/legacy/convert/) over arbitrary legacy threads (fast-check): rows of every
 * era of the old backend, mixed, reordered and damaged, always convert to a history the Messages API accepts (and
 * one a new turn can continue), keep every question and answer the user saw, in order, under ids that name their
 * rows, and leave the rows alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toModelMessages, withCacheBreakpoint } from '#lib/agent/history.js';
import { MISSING_RESULT_TEXT } from '#lib/blocks/api-rules.js';
import type { Block, Message } from '#lib/blocks/types.js';
import { convertLegacyMessages, type LegacyMessageRow } from '#lib/legacy/convert/index.js';
import { validateMessageHistory } from '#support/messages-validator.js';
import { arbLegacyRows, Tally, type LegacyRowShape } from '#test/support/arbitraries.js';

const RUNS = 1500;
const USER = '00000000-0000-4000-8000-000000000001';

const rowsOf = (shapes: LegacyRowShape[]): LegacyMessageRow[] =>
  shapes.map(({ kind: _kind, ...s }, i) => ({ id: 100 + i, ...s, created_at: new Date(Date.UTC(2025, 2, 1, 0, 0, i)), user_id: USER }));

const forApi = (messages: Message[]) => messages.map(({ role, content }) => ({ role, content }));
const texts = (messages: Message[], role: 'user' | 'assistant') =>
  messages
    .filter((m) => m.role === role)
    .flatMap((m) => m.content)
    .filter((b) => b.type === 'text')
    .map((b) => b.text as string);
const JSON_LOOKING_EMPTY = new Set(['[]']); // the logger's empty block list, not a question

/** Whether `want` appears in `have` in order (not necessarily next to each other). */
function inOrder(want: string[], have: string[]): boolean {
  let i = 0;
  for (const h of have) if (i < want.length && h === want[i]) i++;
  return i === want.length;
}

describe('convertLegacyMessages, over arbitrary legacy threads', () => {
  it('always yields a valid history, which a new question continues validly', () => {
    const tally = new Tally();
    fc.assert(
      fc.property(arbLegacyRows, (shapes) => {
        for (const s of shapes) tally.add(s.kind);
        const out = convertLegacyMessages(rowsOf(shapes));
        if (out.length > 0) expect(validateMessageHistory(forApi(out))).toEqual([]);
        for (const b of out.flatMap((m) => m.content)) {
          tally.add(`out ${b.type}`);
          if (b.type === 'tool_use') expect(b.input).toEqual(expect.any(Object));
          if (b.type === 'tool_result' && b.content === MISSING_RESULT_TEXT) tally.add('out synthesised result');
        }
        const next: Message = { id: 'next', role: 'user', content: [{ type: 'text', text: 'And then?' }], created_at: new Date() };
        expect(validateMessageHistory(withCacheBreakpoint(toModelMessages([...out, next])))).toEqual([]);
      }),
      { numRuns: RUNS },
    );
    console.info(`legacy conversion property cases: ${tally.summary()}`);
    for (const kind of [
      'user text',
      'assistant text',
      'assistant blocks (Claude era)',
      'assistant call (OpenAI era)',
      'tool output (OpenAI era)',
      'tool results (Claude era)',
    ]) {
      expect(tally.at(kind), kind).toBeGreaterThan(RUNS / 4);
    }
    for (const kind of ['out tool_use', 'out tool_result', 'out document', 'out synthesised result'])
      expect(tally.at(kind), kind).toBeGreaterThan(RUNS / 2);
  });

  it('keeps every question and answer, in order, under ids naming their rows in thread order', () => {
    fc.assert(
      fc.property(arbLegacyRows, (shapes) => {
        const rows = rowsOf(shapes);
        const out = convertLegacyMessages(rows);
        const questions = rows.filter(
          (r, i) =>
            r.role === 'user' && shapes[i]!.kind.startsWith('user') && r.content.trim() !== '' && !JSON_LOOKING_EMPTY.has(r.content.trim()),
        );
        const answers = rows.filter((r, i) => shapes[i]!.kind === 'assistant text' && r.content.trim() !== '');
        expect(
          inOrder(
            questions.map((r) => r.content),
            texts(out, 'user'),
          ),
        ).toBe(true);
        expect(
          inOrder(
            answers.map((r) => r.content.trimEnd()),
            texts(out, 'assistant'),
          ),
        ).toBe(true);
        const ids = out.map((m) => m.id);
        expect(new Set(ids).size).toBe(ids.length);
        const rowIds = ids.map((id) => {
          const m = /^(\d+)(?:-(?:context|tool_use|tool_result))*$/.exec(id);
          expect(m, id).not.toBeNull();
          return Number(m![1]);
        });
        expect(rowIds).toEqual([...rowIds].sort((a, b) => a - b));
        for (const id of rowIds) expect(rows.some((r) => r.id === id)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('is pure: the rows are unchanged and the same rows convert the same', () => {
    fc.assert(
      fc.property(arbLegacyRows, (shapes) => {
        const rows = rowsOf(shapes);
        const before = structuredClone(rows);
        const out = convertLegacyMessages(rows);
        expect(rows).toEqual(before);
        expect(convertLegacyMessages(rows)).toEqual(out);
        // Output blocks are fresh objects: changing them leaves a second conversion as it was.
        for (const b of out.flatMap((m) => m.content) as Block[]) b.mutated = true;
        expect(
          convertLegacyMessages(rows)
            .flatMap((m) => m.content)
            .some((b) => 'mutated' in b),
        ).toBe(false);
      }),
      { numRuns: RUNS / 3 },
    );
  });
});
