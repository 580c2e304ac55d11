/**
 * fast-check arbitraries of stored thread content for the property tests: every block shape a thread can hold
 * (text with and without citations, empty and whitespace-only text, tool_use, tool_result with string or block
 * content, documents of every source type, thinking, images, search results, unknown types, debris), tool rounds
 * whose results answer, miss or outnumber their calls, orphan results, interrupted partial answers. `Tally` counts
 * what a run generated, so a test can show (and assert) the variety it covered.
 */
import fc from 'fast-check';
import type { Block, Citation, Message } from '#lib/blocks/types.js';

/** A small pool of tool ids, so results often answer a call of the thread, sometimes the wrong one; some are not API-valid. */
const TOOL_IDS = ['toolu_a', 'toolu_b', 'toolu_c', 'toolu_d', 'call:x.1', 'call_x_1', 'bad id', ''];
const toolId = fc.constantFrom(...TOOL_IDS);
const toolName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('search_quran', 'search_hadith', 'search_mawsuah', 'search_tafsir_encyc') },
  { weight: 1, arbitrary: fc.constantFrom('bad name!', '', 'x'.repeat(65)) },
);

/** Pieces that make display text interesting: blanks, newlines, multibyte and RTL text, markers look-alikes. */
const PIECES = ['', ' ', '\n', '\n\n', '\t', 'word', ' ﷺ ', '🌙', 'نص عربي', '.', '  x', 'Answer', ' [1]', '**', 'é'];
export const arbText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...PIECES), { maxLength: 6 }).map((a) => a.join('')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

export const arbCitation: fc.Arbitrary<Citation> = fc.record(
  {
    type: fc.constantFrom('char_location', 'page_location', 'content_block_location', 'search_result_location'),
    cited_text: fc.oneof(arbText, fc.constant(undefined)),
    document_title: fc.oneof(fc.constantFrom('Quran 2:153', 'Sahih al-Bukhari 1', '  ', 'Tafsir Ibn Kathir'), fc.constant(null)),
    document_index: fc.nat(20),
  },
  { requiredKeys: ['type'] },
) as fc.Arbitrary<Citation>;

/** A text block: sometimes empty or blank, sometimes cited (citations null, empty or a list). */
export const arbTextBlock: fc.Arbitrary<Block> = fc.record(
  {
    type: fc.constant('text'),
    text: arbText,
    citations: fc.oneof(fc.constant(null), fc.array(arbCitation, { maxLength: 3 })),
  },
  { requiredKeys: ['type', 'text'] },
);

const arbDocumentSource = fc.oneof(
  { weight: 6, arbitrary: fc.record({ type: fc.constant('text'), media_type: fc.constant('text/plain'), data: arbText }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('text'), media_type: fc.constant('text/plain'), data: fc.constant({ a: 1 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('base64'), media_type: fc.constant('application/pdf'), data: fc.constant('JVBERi0=') }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('content'), content: fc.constant([{ type: 'text', text: 'inner' }]) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('url'), url: fc.constant('https://example.org/a.pdf') }) },
  // Imported with `respond: false`, whose blocks are only required to have a type: sources the API would refuse.
  {
    weight: 1,
    arbitrary: fc.constantFrom({ type: 'text', data: 'no media type' }, { type: 'file' }, { type: 'scroll', data: 'x' }, 'not an object'),
  },
);

export const arbDocument: fc.Arbitrary<Block> = fc.record(
  {
    type: fc.constant('document'),
    source: arbDocumentSource,
    title: fc.oneof(fc.constantFrom('Quran 1:1', 'Sahih Muslim 2', '   '), fc.constant('t'.repeat(600)), fc.constant(null)),
    context: fc.constantFrom('Retrieved from the Holy Quran', ''),
    citations: fc.oneof(fc.constant({ enabled: true }), fc.constant({ enabled: false })),
  },
  { requiredKeys: ['type', 'source'] },
);

const arbImage: fc.Arbitrary<Block> = fc.constantFrom(
  { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
  { type: 'image', source: { type: 'url', url: 'https://example.org/a.png' } },
  { type: 'image', source: { type: 'base64', media_type: 'image/tiff', data: 'SUkq' } },
  { type: 'image', source: { type: 'text', data: 'not an image' } },
);
const arbSearchResult: fc.Arbitrary<Block> = fc.record({
  type: fc.constant('search_result'),
  source: fc.constant('https://example.org'),
  title: fc.constant('A result'),
  content: fc.array(arbTextBlock, { maxLength: 2 }),
});
export const arbThinking: fc.Arbitrary<Block> = fc.oneof(
  fc.record({ type: fc.constant('thinking'), thinking: arbText, signature: fc.constant('sig') }),
  fc.constant({ type: 'redacted_thinking', data: 'xyz' }),
);
/** What old writers and imports left behind: bare strings, nulls, numbers, unknown and server-side block types. */
const arbDebris: fc.Arbitrary<unknown> = fc.constantFrom(
  'a bare string',
  '   ',
  null,
  42,
  { type: 'mystery_future_block', x: 1 },
  { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} },
  { no_type: true },
);

export const arbToolUse = (id: fc.Arbitrary<string> = toolId): fc.Arbitrary<Block> =>
  fc.record({
    type: fc.constant('tool_use'),
    id,
    name: toolName,
    input: fc.oneof(
      { weight: 5, arbitrary: fc.record({ query: arbText }) },
      { weight: 1, arbitrary: fc.constantFrom(null, 'not an object', []) },
    ),
  });

/** What a tool_result may hold: text, documents (as the tools nest them), search results, images, debris. */
const arbResultContent: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: arbText },
  {
    weight: 5,
    arbitrary: fc.array(fc.oneof({ weight: 3, arbitrary: arbDocument }, arbTextBlock, arbSearchResult, arbImage, arbDebris, arbToolUse()), {
      maxLength: 5,
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null) },
);

export const arbToolResult = (id: fc.Arbitrary<string> = toolId): fc.Arbitrary<Block> =>
  fc.record(
    { type: fc.constant('tool_result'), tool_use_id: id, content: arbResultContent, is_error: fc.boolean() },
    { requiredKeys: ['type', 'tool_use_id'] },
  );

/** Any block a stored message may hold, whatever its role (the normaliser must cope with blocks in the wrong role). */
export const arbAnyBlock: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: arbTextBlock },
  { weight: 3, arbitrary: arbToolUse() },
  { weight: 3, arbitrary: arbToolResult() },
  { weight: 3, arbitrary: arbDocument },
  { weight: 1, arbitrary: arbThinking },
  { weight: 1, arbitrary: arbImage },
  { weight: 1, arbitrary: arbSearchResult },
  { weight: 1, arbitrary: arbDebris },
);

const at = new Date(Date.UTC(2026, 0, 1));
let seq = 0;
const message = (role: string, content: unknown, extra: Record<string, unknown> = {}): Message =>
  ({ id: `m${++seq}`, role, content, created_at: at, user_id: 'owner', ...extra }) as Message;

/** One stored message of any shape: either role (rarely another), block list or legacy string, maybe interrupted. */
const arbLooseMessage: fc.Arbitrary<Message[]> = fc
  .record({
    role: fc.oneof({ weight: 10, arbitrary: fc.constantFrom('user', 'assistant') }, { weight: 1, arbitrary: fc.constant('system') }),
    content: fc.oneof({ weight: 6, arbitrary: fc.array(arbAnyBlock, { maxLength: 5 }) }, { weight: 1, arbitrary: arbText }),
    interrupted: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    extra: fc.constantFrom(
      {},
      { model: 'claude', usage: { input_tokens: 1 }, stop_reason: 'end_turn' },
      { feedback: { class: 'thumbsup' } },
    ),
  })
  .map(({ role, content, interrupted, extra }) => [message(role, content, { ...extra, ...(interrupted ? { interrupted } : {}) })]);

/**
 * A tool round as the agent stores it, or damaged: an assistant message with text and calls, then (or not) a user
 * message whose results answer some of them, in any order, with duplicates, strays and a question after them.
 */
const arbRound: fc.Arbitrary<Message[]> = fc
  .record({
    preface: fc.array(arbTextBlock, { maxLength: 2 }),
    ids: fc.uniqueArray(toolId, { minLength: 1, maxLength: 3 }),
    calls: fc.array(arbToolUse(), { minLength: 1, maxLength: 3 }),
    answered: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    results: fc.array(arbToolResult(), { minLength: 3, maxLength: 3 }),
    strays: fc.array(arbToolResult(), { maxLength: 2 }),
    shuffle: fc.boolean(),
    after: fc.array(fc.oneof(arbTextBlock, arbDocument), { maxLength: 2 }),
    interrupted: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    resultMessage: fc.oneof({ weight: 6, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  })
  .map(({ preface, ids, calls, answered, results, strays, shuffle, after, interrupted, resultMessage }) => {
    const uses = ids.map((id, i) => ({ ...calls[i % calls.length]!, id }));
    const answers = ids.flatMap((id, i) => (answered[i] ? [{ ...results[i]!, tool_use_id: id }] : []));
    const blocks = [...(shuffle ? answers.reverse() : answers), ...strays, ...after];
    const out = [message('assistant', [...preface, ...uses], interrupted ? { interrupted: true, stop_reason: null } : {})];
    if (resultMessage) out.push(message('user', blocks));
    return out;
  });

/** A stored thread: loose messages and tool rounds in any order, then the new user question (as a turn sees it). */
export const arbStoredThread: fc.Arbitrary<Message[]> = fc
  .record({
    parts: fc.array(fc.oneof({ weight: 3, arbitrary: arbLooseMessage }, { weight: 2, arbitrary: arbRound }), { maxLength: 10 }),
    question: fc.oneof(
      arbText.filter((t) => t.trim() !== ''),
      fc.constant('The new question'),
    ),
  })
  .map(({ parts, question }) => [...parts.flat(), message('user', [{ type: 'text', text: question }])]);

/** Counts of what a property run generated, by name; `summary()` for the log, `at(name)` for assertions. */
export class Tally {
  private readonly counts = new Map<string, number>();
  add(name: string, n = 1): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + n);
  }
  at(name: string): number {
    return this.counts.get(name) ?? 0;
  }
  summary(): string {
    return [...this.counts.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Tallies the stored blocks of a thread by type (nested tool_result content too), and its message shapes. */
export function tallyThread(t: Tally, thread: readonly Message[]): void {
  t.add('threads');
  t.add('messages', thread.length);
  for (const m of thread) {
    if (m.interrupted) t.add('interrupted messages');
    if (typeof m.content === 'string') t.add('string contents');
    const blocks: unknown[] = Array.isArray(m.content) ? m.content : [];
    for (const b of blocks) {
      if (!isObj(b) || typeof b.type !== 'string') {
        t.add('debris');
        continue;
      }
      t.add(b.type);
      if (b.type === 'text' && typeof b.text === 'string' && b.text.trim() === '') t.add('blank texts');
      if (b.type === 'text' && Array.isArray(b.citations) && b.citations.length > 0) t.add('cited texts');
      if (b.type === 'tool_result' && Array.isArray(b.content)) {
        for (const x of b.content) if (isObj(x) && x.type === 'document') t.add('document (in tool_result)');
      }
    }
  }
}

// ---- Legacy PostgreSQL rows (lib/legacy/convert): the row shapes of every era of the old backend, in any order ----

/** A legacy row without its id and time (given by position). */
export type LegacyRowShape = {
  role: string;
  content: string;
  tool_name: string | null;
  tool_details: unknown;
  ref_list: unknown;
  kind: string;
};

const legacyId = fc.constantFrom('toolu_01A', 'toolu_01B', 'call_abc', 'call:odd.id', 'toolu_01A');
const legacyName = fc.constantFrom('search_quran', 'search_hadith', 'search_vectara', '');
const args = fc.oneof(
  fc.record({ query: arbText }).map((o) => JSON.stringify(o)),
  fc.constantFrom('', 'not json', '{"query": "unterminated', 'null', '[]'),
);
const legacyDoc = fc.record({
  type: fc.constant('document'),
  source: fc.oneof(
    fc.record({ type: fc.constant('text'), media_type: fc.constant('text/plain'), data: arbText }),
    fc.record({ type: fc.constant('text'), media_type: fc.constant('text/plain'), data: fc.constant(['multi', 'lingual']) }),
  ),
  title: fc.oneof(fc.constantFrom('Quran 2:153', '', 'Sahih Muslim 1'), fc.constant('t'.repeat(700))),
  context: fc.constant('Retrieved from the Holy Quran'),
});
/** JSON text, JSONB as pg parses it, or a double-encoded string: the forms the columns were written in. */
const encoded = <T>(v: T) => fc.constantFrom<unknown>(v, JSON.stringify(v), JSON.stringify(JSON.stringify(v)));

const shapes: Record<string, fc.Arbitrary<LegacyRowShape>> = {
  userText: arbText.map((t) => ({ role: 'user', content: t, tool_name: null, tool_details: null, ref_list: null, kind: 'user text' })),
  userJsonLooking: fc
    .constantFrom('[1, 2]', '{"a": 1}', '[]', '["just", "strings"]')
    .map((t) => ({ role: 'user', content: t, tool_name: null, tool_details: null, ref_list: null, kind: 'user json-looking text' })),
  assistantText: arbText.map((t) => ({
    role: 'assistant',
    content: t,
    tool_name: null,
    tool_details: null,
    ref_list: null,
    kind: 'assistant text',
  })),
  assistantBlocks: fc
    .record({
      blocks: fc.array(
        fc.oneof(
          arbTextBlock,
          fc.record({
            type: fc.constant('tool_use'),
            id: legacyId,
            name: legacyName,
            input: fc.oneof(fc.record({ query: arbText }), fc.constant({})),
          }),
          fc.constant('a bare string'),
          fc.constant({ type: 'thinking', thinking: 'hmm', signature: 's' }),
        ),
        { maxLength: 4 },
      ),
      details: fc.oneof(fc.constant(null), fc.record({ id: legacyId, input: fc.record({ query: arbText }) })),
    })
    .chain(({ blocks, details }) =>
      encoded(details).map((td) => ({
        role: 'assistant',
        content: JSON.stringify(blocks),
        tool_name: details ? 'search_quran' : null,
        tool_details: td,
        ref_list: null,
        kind: 'assistant blocks (Claude era)',
      })),
    ),
  openAiCall: fc.record({ id: legacyId, name: legacyName, args }).chain(({ id, name, args: a }) =>
    encoded({ type: 'function', id, function: { name, arguments: a } }).map((td) => ({
      role: 'assistant',
      content: '',
      tool_name: name || null,
      tool_details: td,
      ref_list: null,
      kind: 'assistant call (OpenAI era)',
    })),
  ),
  toolOutput: fc
    .record({
      role: fc.constantFrom('tool', 'function'),
      id: fc.oneof(legacyId, fc.constant(undefined)),
      name: legacyName,
      args,
      out: arbText,
      full: fc.boolean(),
    })
    .map(({ role, id, name, args: a, out, full }) => ({
      role,
      content: out,
      tool_name: name || null,
      tool_details: full
        ? {
            internal_message: { role: 'assistant', content: '', tool_calls: [{ type: 'function', id, function: { name, arguments: a } }] },
            tool_message: { role: 'tool', content: out, tool_call_id: id },
          }
        : {},
      ref_list: null,
      kind: 'tool output (OpenAI era)',
    })),
  claudeResults: fc
    .record({
      results: fc.array(
        fc.record(
          {
            type: fc.constant('tool_result'),
            tool_use_id: fc.oneof(legacyId, fc.constant(undefined)),
            content: fc.oneof(arbText, fc.array(fc.oneof(arbTextBlock, legacyDoc), { maxLength: 3 })),
          },
          { requiredKeys: ['type', 'content'] },
        ),
        { minLength: 1, maxLength: 3 },
      ),
      siblings: fc.array(fc.oneof(legacyDoc, fc.constant('No results found.')), { maxLength: 3 }),
      refs: fc.oneof(fc.constant(null), fc.array(legacyDoc, { maxLength: 3 })),
    })
    .chain(({ results, siblings, refs }) =>
      encoded(refs).map((refList) => ({
        role: 'user',
        content: JSON.stringify([...results, ...siblings]),
        tool_name: null,
        tool_details: null,
        ref_list: refList,
        kind: 'tool results (Claude era)',
      })),
    ),
  system: fc.constant({ role: 'system', content: 'You are Ansari.', tool_name: null, tool_details: null, ref_list: null, kind: 'system' }),
};

/** A legacy thread's rows in thread order: questions, answers, calls and their outputs of every era, mixed and damaged. */
export const arbLegacyRows: fc.Arbitrary<LegacyRowShape[]> = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: shapes.userText! },
    { weight: 1, arbitrary: shapes.userJsonLooking! },
    { weight: 3, arbitrary: shapes.assistantText! },
    { weight: 3, arbitrary: shapes.assistantBlocks! },
    { weight: 2, arbitrary: shapes.openAiCall! },
    { weight: 2, arbitrary: shapes.toolOutput! },
    { weight: 3, arbitrary: shapes.claudeResults! },
    { weight: 1, arbitrary: shapes.system! },
  ),
  { maxLength: 14 },
);
