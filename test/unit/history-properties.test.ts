/**
 * Properties of the history normaliser (lib/agent/history.ts) over arbitrary stored threads (fast-check): whatever
 * the thread holds, the request history is one the Messages API accepts, keeps the user's words, invents nothing,
 * never replays a call of an interrupted answer, and leaves the stored thread alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MISSING_RESULT_TEXT, sanitizeToolId } from '#lib/blocks/api-rules.js';
import type { Block, Message } from '#lib/blocks/types.js';
import { OMITTED_DOCUMENTS_TEXT, toModelMessages, usesTools, withCacheBreakpoint, type ModelMessage } from '#lib/agent/history.js';
import { validateMessageHistory } from '#support/messages-validator.js';
import { arbStoredThread, Tally, tallyThread } from '#test/support/arbitraries.js';

const RUNS = 1500;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonBlank = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** The user's own words, in order: text blocks, bare strings and legacy string content of user messages. */
function userTexts(stored: readonly Message[]): string[] {
  const out: string[] = [];
  for (const m of stored) {
    if (m.role !== 'user') continue;
    const content: unknown = m.content;
    if (typeof content === 'string') {
      if (nonBlank(content)) out.push(content);
      continue;
    }
    for (const b of Array.isArray(content) ? content : []) {
      if (nonBlank(b)) out.push(b);
      else if (isObj(b) && b.type === 'text' && nonBlank(b.text)) out.push(b.text);
    }
  }
  return out;
}

const topLevelTexts = (messages: ModelMessage[], role: 'user' | 'assistant') =>
  messages
    .filter((m) => m.role === role)
    .flatMap((m) => m.content)
    .filter((b) => b.type === 'text' && b.text !== OMITTED_DOCUMENTS_TEXT)
    .map((b) => b.text as string);

function documentsIn(messages: ModelMessage[]): number {
  let n = 0;
  for (const b of messages.flatMap((m) => m.content)) {
    if (b.type === 'document') n++;
    if (b.type === 'tool_result' && Array.isArray(b.content)) n += (b.content as Block[]).filter((x) => x.type === 'document').length;
  }
  return n;
}

/** Every string anywhere in a value (to check that the output invents no text). */
function stringsIn(v: unknown, into = new Set<string>()): Set<string> {
  if (typeof v === 'string') into.add(v);
  else if (Array.isArray(v)) v.forEach((x) => stringsIn(x, into));
  else if (isObj(v)) Object.values(v).forEach((x) => stringsIn(x, into));
  return into;
}

describe('toModelMessages, over arbitrary stored threads', () => {
  it('always yields a history the Messages API accepts, with tools and without, under any document cap', () => {
    const tally = new Tally();
    fc.assert(
      fc.property(arbStoredThread, fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 6 })), (stored, maxDocuments) => {
        tallyThread(tally, stored);
        for (const toolsAvailable of [true, false]) {
          const out = toModelMessages(stored, { toolsAvailable, maxDocuments });
          expect(validateMessageHistory(withCacheBreakpoint(out))).toEqual([]);
          expect(out[out.length - 1]!.role).toBe('user');
          expect(documentsIn(out)).toBeLessThanOrEqual(maxDocuments ?? 100);
          if (!toolsAvailable) expect(usesTools(out)).toBe(false);
          for (const b of out.flatMap((m) => m.content)) {
            tally.add(`out ${b.type}`);
            if (b.type === 'tool_result' && b.content === MISSING_RESULT_TEXT) tally.add('out synthesised result');
          }
        }
      }),
      { numRuns: RUNS },
    );
    console.info(`history property cases: ${tally.summary()}`);
    // The generator reaches every shape the rules are about, in numbers (the hand-rolled one made no tool block at all).
    for (const kind of ['tool_use', 'tool_result', 'document', 'document (in tool_result)', 'cited texts', 'blank texts']) {
      expect(tally.at(kind), kind).toBeGreaterThan(RUNS / 2);
    }
    expect(tally.at('interrupted messages')).toBeGreaterThan(RUNS / 4);
    expect(tally.at('thinking')).toBeGreaterThan(RUNS / 10);
    expect(tally.at('out tool_use')).toBeGreaterThan(RUNS / 2);
    expect(tally.at('out tool_result')).toBeGreaterThan(RUNS / 2);
    expect(tally.at('out synthesised result')).toBeGreaterThan(RUNS / 10);
    expect(tally.at('out document')).toBeGreaterThan(RUNS / 4);
  });

  it("keeps every word the user wrote, in order, and invents no text but the rules' notes", () => {
    fc.assert(
      fc.property(arbStoredThread, (stored) => {
        const out = toModelMessages(stored);
        expect(topLevelTexts(out, 'user')).toEqual(userTexts(stored));
        const known = stringsIn(stored);
        for (const s of stringsIn(out)) {
          if (known.has(s) || s === MISSING_RESULT_TEXT || s === OMITTED_DOCUMENTS_TEXT) continue;
          // Made from stored values: sanitised tool ids, capped titles, serialised document data, the fixed shapes.
          const derived =
            [...known].some((k) => sanitizeToolId(k) === s || (s.endsWith('…') && k.startsWith(s.slice(0, -1).trimEnd()))) ||
            s === 'toolu_unknown' ||
            [...known].some((k) => s === JSON.stringify(k)) ||
            /^(user|assistant|text|document|tool_use|tool_result|image|search_result|ephemeral|text\/plain|\{.*\}|"")$/.test(s);
          expect(derived, `invented text ${JSON.stringify(s)}`).toBe(true);
        }
      }),
      { numRuns: RUNS / 3 },
    );
  });

  it('never replays a call of an interrupted answer, and sends back only calls that were stored', () => {
    fc.assert(
      fc.property(arbStoredThread, (stored) => {
        const ran = new Set(
          stored
            .filter((m) => m.role === 'assistant' && m.interrupted !== true && Array.isArray(m.content))
            .flatMap((m) => m.content)
            .filter((b) => isObj(b) && b.type === 'tool_use')
            .map((b) => sanitizeToolId(b.id)),
        );
        const sent = toModelMessages(stored)
          .flatMap((m) => m.content)
          .filter((b) => b.type === 'tool_use')
          .map((b) => b.id as string);
        for (const id of sent) expect(ran.has(id), id).toBe(true);
      }),
      { numRuns: RUNS / 3 },
    );
  });

  it('is pure: the stored thread is unchanged and the same thread gives the same history', () => {
    fc.assert(
      fc.property(arbStoredThread, (stored) => {
        const before = structuredClone(stored);
        const a = toModelMessages(stored, { maxDocuments: 2 });
        withCacheBreakpoint(a);
        expect(stored).toEqual(before);
        expect(toModelMessages(stored, { maxDocuments: 2 })).toEqual(a);
      }),
      { numRuns: RUNS / 5 },
    );
  });
});
