/** The history normaliser always yields a history the Messages API accepts. */
import { describe, expect, it } from 'vitest';
import { MISSING_RESULT_TEXT, sanitizeToolId } from '#lib/blocks/api-rules.js';
import type { Block, Message } from '#lib/blocks/types.js';
import {
  MAX_DOCUMENTS,
  OMITTED_DOCUMENTS_TEXT,
  toModelMessages,
  usesTools,
  withCacheBreakpoint,
  type ModelMessage,
} from '#lib/agent/history.js';
import { validateMessageHistory } from '#support/messages-validator.js';

const at = new Date(Date.UTC(2026, 0, 1));
let seq = 0;
const msg = (role: 'user' | 'assistant', content: unknown, extra: Record<string, unknown> = {}): Message =>
  ({ id: `m${++seq}`, role, content, created_at: at, user_id: 'u1', ...extra }) as Message;
const text = (t: string, extra: Record<string, unknown> = {}): Block => ({ type: 'text', text: t, ...extra });
const toolUse = (id: string, name = 'search_quran', input: unknown = { query: 'q' }): Block => ({ type: 'tool_use', id, name, input });
const doc = (title: string, enabled: boolean | undefined = true): Block => ({
  type: 'document',
  source: { type: 'text', media_type: 'text/plain', data: `data of ${title}` },
  title,
  context: 'Retrieved from the Holy Quran',
  ...(enabled === undefined ? {} : { citations: { enabled } }),
});
const result = (
  id: string,
  content: unknown = [text('Please see the references below.'), doc('Quran 1:1')],
  extra: Record<string, unknown> = {},
): Block => ({
  type: 'tool_result',
  tool_use_id: id,
  content,
  ...extra,
});

/** The normaliser's output must always be a history the API accepts. */
function normalise(stored: Message[], opts?: Parameters<typeof toModelMessages>[1]): ModelMessage[] {
  const out = toModelMessages(stored, opts);
  expect(validateMessageHistory(out)).toEqual([]);
  return out;
}

describe('toModelMessages', () => {
  it('sends only role and content: every stored field is stripped, from messages and from blocks', () => {
    const stored = [
      msg('user', [text('Question', { cache_control: { type: 'ephemeral' }, extra: 1 })], { feedback: { class: 'good' } }),
      msg('assistant', [text('Answer', { citations: [{ type: 'char_location', cited_text: 'x', document_index: 0 }] })], {
        model: 'claude-sonnet-5-5',
        usage: { input_tokens: 1 },
        stop_reason: 'end_turn',
      }),
      msg('user', [text('Follow-up')]),
    ];
    expect(normalise(stored)).toEqual([
      { role: 'user', content: [text('Question')] },
      { role: 'assistant', content: [text('Answer')] },
      { role: 'user', content: [text('Follow-up')] },
    ]);
    // the input is never mutated
    expect(stored[0]!.content[0]).toHaveProperty('cache_control');
  });

  it('keeps the blocks (never flattens), turns legacy string content into a text block, drops empty text', () => {
    const out = normalise([
      msg('user', 'A legacy question'),
      msg('assistant', [text(''), text('  \n'), text('Part one.'), toolUse('toolu_1')]),
      msg('user', [result('toolu_1'), text('')]),
      msg('assistant', [text('Part two.')]),
      msg('user', [text('   ')]),
      msg('user', [text('Next')]),
    ]);
    expect(out).toEqual([
      { role: 'user', content: [text('A legacy question')] },
      { role: 'assistant', content: [text('Part one.'), toolUse('toolu_1')] },
      { role: 'user', content: [result('toolu_1')] },
      { role: 'assistant', content: [text('Part two.')] },
      { role: 'user', content: [text('Next')] },
    ]);
  });

  it('answers every tool_use in the next message: synthesises missing results, drops orphans, orders results first', () => {
    const out = normalise([
      msg('user', [text('Q1')]),
      msg('assistant', [toolUse('toolu_a'), toolUse('toolu_b', 'search_hadith')]),
      // b answered, a missing, an orphan, text before the results
      msg('user', [text('extra note'), result('toolu_b'), result('toolu_orphan')]),
      msg('assistant', [toolUse('toolu_c')]),
      // no answer at all: the next message is another assistant message
      msg('assistant', [text('I could not search.')]),
      msg('user', [result('toolu_zzz'), text('Q2')]),
    ]);
    expect(out).toEqual([
      { role: 'user', content: [text('Q1')] },
      { role: 'assistant', content: [toolUse('toolu_a'), toolUse('toolu_b', 'search_hadith')] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: MISSING_RESULT_TEXT, is_error: true },
          result('toolu_b'),
          text('extra note'),
        ],
      },
      { role: 'assistant', content: [toolUse('toolu_c')] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_c', content: MISSING_RESULT_TEXT, is_error: true }] },
      { role: 'assistant', content: [text('I could not search.')] },
      { role: 'user', content: [text('Q2')] },
    ]);
  });

  it('answers a tool_use left open at the end of the thread in front of the new question', () => {
    const out = normalise([
      msg('user', [text('Q1')]),
      msg('assistant', [text('Let me look.'), toolUse('toolu_open')]),
      msg('user', [text('Hello?')]),
    ]);
    expect(out[2]).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_open', content: MISSING_RESULT_TEXT, is_error: true }, text('Hello?')],
    });
  });

  it('keeps an interrupted partial answer as its text only', () => {
    const out = normalise([
      msg('user', [text('Q')]),
      msg('assistant', [text('Half an ans'), toolUse('toolu_never_ran')], { interrupted: true, stop_reason: null }),
      msg('assistant', [], { interrupted: true }),
      msg('user', [text('Go on')]),
    ]);
    expect(out).toEqual([
      { role: 'user', content: [text('Q')] },
      { role: 'assistant', content: [text('Half an ans')] },
      { role: 'user', content: [text('Go on')] },
    ]);
  });

  it('drops blocks a role cannot carry and types it does not send back', () => {
    const out = normalise([
      msg('assistant', [text('A leading assistant message is dropped')]),
      msg('user', [
        text('Q'),
        toolUse('toolu_in_user'),
        { type: 'thinking', thinking: 't', signature: 's' },
        { type: 'mystery', x: 1 },
        42,
        'bare string',
      ]),
      msg('assistant', [
        { type: 'thinking', thinking: 'hmm', signature: 'sig' },
        text('A'),
        doc('a document in an assistant message'),
        result('toolu_x'),
        { type: 'redacted_thinking', data: 'x' },
      ]),
      msg('user', [text('Q2', { citations: [{ type: 'char_location', cited_text: 'c' }] })]),
    ]);
    expect(out).toEqual([
      { role: 'user', content: [text('Q'), text('bare string')] },
      { role: 'assistant', content: [text('A')] },
      { role: 'user', content: [text('Q2')] },
    ]);
  });

  it('repairs tool blocks: ids made valid on both sides, input always an object, bad names and duplicates dropped', () => {
    expect(sanitizeToolId('call:abc.1')).toBe('call_abc_1');
    expect(sanitizeToolId(undefined)).toBe('toolu_unknown');
    const out = normalise([
      msg('user', [text('Q')]),
      msg('assistant', [toolUse('call:abc.1', 'search_quran', null), toolUse('toolu_bad_name', 'bad name!')]),
      msg('user', [result('call:abc.1', 'a plain string result'), result('toolu_bad_name')]),
      msg('assistant', [toolUse('call_abc_1'), text('dup id dropped')]),
      msg('user', [text('Q2')]),
    ]);
    expect(out).toEqual([
      { role: 'user', content: [text('Q')] },
      { role: 'assistant', content: [toolUse('call_abc_1', 'search_quran', {})] },
      { role: 'user', content: [result('call_abc_1', 'a plain string result')] },
      { role: 'assistant', content: [text('dup id dropped')] },
      { role: 'user', content: [text('Q2')] },
    ]);
  });

  it('cleans tool_result content: bare strings become text, empty content is left out, is_error kept', () => {
    const out = normalise([
      msg('user', [text('Q')]),
      msg('assistant', [toolUse('toolu_1'), toolUse('toolu_2'), toolUse('toolu_3')]),
      msg('user', [
        result('toolu_1', ['No results found.', text(''), { type: 'tool_use' }]),
        result('toolu_2', '   '),
        result('toolu_3', 'The search timed out.', { is_error: true }),
      ]),
    ]);
    expect(out[2]!.content).toEqual([
      { type: 'tool_result', tool_use_id: 'toolu_1', content: [text('No results found.')] },
      { type: 'tool_result', tool_use_id: 'toolu_2' },
      { type: 'tool_result', tool_use_id: 'toolu_3', content: 'The search timed out.', is_error: true },
    ]);
  });

  it('keeps citations.enabled uniform and document titles within the API limit', () => {
    const out = normalise([
      msg('user', [doc('An imported document without the flag', undefined), doc('x'.repeat(600), false), text('Q')]),
      msg('assistant', [toolUse('toolu_1')]),
      msg('user', [result('toolu_1')]),
    ]);
    const docs = [...out[0]!.content, ...((out[2]!.content[0]!.content as Block[]) ?? [])].filter((b) => b.type === 'document');
    expect(docs.map((d) => d.citations)).toEqual([{ enabled: true }, { enabled: true }, { enabled: true }]);
    expect((docs[1]!.title as string).length).toBeLessThanOrEqual(450);
  });

  it(`sends at most ${MAX_DOCUMENTS} documents, counting those nested in tool results, dropping the oldest`, () => {
    const stored: Message[] = [msg('user', [doc('top-level 0'), doc('top-level 1'), text('Q0')])];
    // 2 top-level + 12 rounds of 10 documents (11 in the last) = 123 documents: the 23 oldest must go
    for (let r = 0; r < 12; r++) {
      stored.push(msg('assistant', [toolUse(`toolu_${r}`)]));
      const count = r === 11 ? 11 : 10;
      stored.push(
        msg('user', [
          result(`toolu_${r}`, [
            text('Please see the references below.'),
            ...Array.from({ length: count }, (_, i) => doc(`round ${r} doc ${i}`)),
          ]),
        ]),
      );
    }
    stored.push(msg('assistant', [text('Answer')]), msg('user', [text('Next question')]));
    const out = normalise(stored);

    const titles: string[] = [];
    for (const m of out) {
      for (const b of m.content) {
        if (b.type === 'document') titles.push(b.title as string);
        if (b.type === 'tool_result' && Array.isArray(b.content)) {
          for (const x of b.content as Block[]) if (x.type === 'document') titles.push(x.title as string);
        }
      }
    }
    expect(titles).toHaveLength(MAX_DOCUMENTS);
    expect(titles[0]).toBe('round 2 doc 1'); // gone: the 2 top-level, the 20 of rounds 0 and 1, the first of round 2
    expect(titles[titles.length - 1]).toBe('round 11 doc 10');
    // What was removed is replaced by a note; no tool_result is left without content.
    expect(out[0]!.content).toEqual([text('Q0'), text(OMITTED_DOCUMENTS_TEXT)]);
    expect(out[2]!.content).toEqual([{ type: 'tool_result', tool_use_id: 'toolu_0', content: [text(OMITTED_DOCUMENTS_TEXT)] }]);
    expect((out[6]!.content[0]!.content as Block[]).slice(0, 2)).toEqual([text('Please see the references below.'), doc('round 2 doc 1')]);
    // the stored thread is untouched
    expect((stored[2]!.content[0]!.content as Block[]).length).toBe(11);
  });

  it('honours a smaller document cap', () => {
    const out = normalise([msg('user', [doc('a'), doc('b'), doc('c'), text('Q')])], { maxDocuments: 1 });
    expect(out[0]!.content).toEqual([doc('c'), text('Q'), text(OMITTED_DOCUMENTS_TEXT)]);
  });

  it('without tools, drops tool calls and unwraps their results into plain user content', () => {
    const stored = [
      msg('user', [text('Q')]),
      msg('assistant', [text('Searching.'), toolUse('toolu_1')]),
      msg('user', [result('toolu_1'), result('toolu_2', 'failed', { is_error: true })]),
      msg('assistant', [text('Answer')]),
      msg('user', [text('Q2')]),
    ];
    const out = normalise(stored, { toolsAvailable: false });
    expect(usesTools(out)).toBe(false);
    expect(out).toEqual([
      { role: 'user', content: [text('Q')] },
      { role: 'assistant', content: [text('Searching.')] },
      { role: 'user', content: [text('Please see the references below.'), doc('Quran 1:1')] },
      { role: 'assistant', content: [text('Answer')] },
      { role: 'user', content: [text('Q2')] },
    ]);
    expect(usesTools(toModelMessages(stored))).toBe(true);
  });

  it('puts one cache breakpoint on the last block of the last message, on a copy', () => {
    const messages = normalise([msg('user', [text('Q'), doc('d')])]);
    const cached = withCacheBreakpoint(messages);
    expect(cached[0]!.content[1]).toEqual({ ...doc('d'), cache_control: { type: 'ephemeral' } });
    expect(messages[0]!.content[1]).not.toHaveProperty('cache_control');
    expect(validateMessageHistory(cached)).toEqual([]);
    expect(withCacheBreakpoint([])).toEqual([]);
  });

  it('leaves out images and documents whose source the API would refuse (an import only had to name a type)', () => {
    const pdf = { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' };
    const out = normalise([
      msg('user', [
        { type: 'document', source: { type: 'text', data: 'no media type' } },
        { type: 'document', source: { type: 'file' } },
        { type: 'document', source: { type: 'scroll', data: 'x' } },
        { type: 'document', source: { type: 'content', content: [42, text(' ')] } },
        { type: 'document', source: pdf },
        { type: 'image', source: { type: 'base64', media_type: 'image/tiff', data: 'SUkq' } },
        { type: 'image', source: { type: 'text', data: 'x' } },
        { type: 'image', source: { type: 'url', url: 'https://example.org/a.png' } },
        text('Q'),
      ]),
    ]);
    expect(out).toEqual([
      {
        role: 'user',
        content: [
          { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'no media type' }, citations: { enabled: true } },
          { type: 'document', source: pdf, citations: { enabled: true } },
          { type: 'image', source: { type: 'url', url: 'https://example.org/a.png' } },
          text('Q'),
        ],
      },
    ]);
  });

  it('keeps each image and document source the API accepts, as stored, and leaves out each it refuses', () => {
    const img = (source: unknown) => ({ type: 'image', source });
    const document = (source: unknown, extra: Record<string, unknown> = {}) => ({ type: 'document', source, ...extra });
    const png = { type: 'base64', media_type: 'image/png', data: 'iVBORw0=' };
    const file = { type: 'file', file_id: 'file_011' };
    const url = { type: 'url', url: 'https://example.org/a.pdf' };
    const cited = { citations: { enabled: true } };
    const out = normalise([
      msg('user', [
        img(png),
        img({ ...png, data: '' }),
        img({ ...png, data: 42 }),
        img({ ...png, media_type: 'application/pdf' }),
        img(file),
        img({ type: 'file', file_id: 7 }),
        img({ type: 'content', content: 'inner' }),
        img(null),
        document({ type: 'base64', media_type: 'image/png', data: 'iVBORw0=' }),
        document({ type: 'base64', media_type: 'application/pdf', data: '' }),
        document(file, { title: 'A file', context: 'Imported' }),
        document(url, { title: '  ', context: ' ' }),
        document({ type: 'url', url: 42 }),
        document({ type: 'text', media_type: 'text/plain', data: { verse: 1 } }),
        document({ type: 'text', media_type: 'text/plain' }),
        document({ type: 'content', content: 'inner text' }),
        document({ type: 'content', content: '' }),
        document({ type: 'content', content: { type: 'text', text: 'not a list' } }),
        document({ type: 'content', content: [text(' '), img({ ...png, data: '' }), { type: 'document', source: url }] }),
        document({ type: 'content', content: [text('kept'), 'bare', null, text(''), img(png), img({ type: 'text', data: 'x' })] }),
        text('Q'),
      ]),
    ]);
    expect(out).toEqual([
      {
        role: 'user',
        content: [
          img(png),
          img(file),
          document(file, { title: 'A file', context: 'Imported', ...cited }),
          document(url, cited),
          document({ type: 'text', media_type: 'text/plain', data: '{"verse":1}' }, cited),
          document({ type: 'text', media_type: 'text/plain', data: '""' }, cited),
          document({ type: 'content', content: 'inner text' }, cited),
          document({ type: 'content', content: [text('kept'), img(png)] }, cited),
          text('Q'),
        ],
      },
    ]);
  });

  it('keeps search results with their non-blank text, and leaves out those that are not complete', () => {
    const sr = (extra: Record<string, unknown>) => ({
      type: 'search_result',
      source: 'https://example.org/r',
      title: 'Result',
      content: [text('found'), text(' '), 42, null],
      ...extra,
    });
    const out = normalise([
      msg('user', [
        sr({}),
        sr({ source: 42 }),
        sr({ title: undefined }),
        sr({ content: 'found' }),
        sr({ content: [text(' ')] }),
        text('Q'),
      ]),
    ]);
    expect(out).toEqual([
      {
        role: 'user',
        content: [{ type: 'search_result', source: 'https://example.org/r', title: 'Result', content: [text('found')] }, text('Q')],
      },
    ]);
  });

  it('keeps the first of two results for one call, and leaves out a result whose blocks are all blank', () => {
    const out = normalise([
      msg('user', [text('Q')]),
      msg('assistant', [toolUse('toolu_1'), toolUse('toolu_2')]),
      msg('user', [result('toolu_1', 'first'), result('toolu_1', 'second'), result('toolu_2', [text(' '), 42])]),
    ]);
    expect(out[2]!.content).toEqual([
      { type: 'tool_result', tool_use_id: 'toolu_1', content: 'first' },
      { type: 'tool_result', tool_use_id: 'toolu_2' },
    ]);
  });

  it('answers a call the thread ends with, and keeps a call and its result together across a message left empty', () => {
    const ends = normalise([msg('user', [text('Q')]), msg('assistant', [text('Searching.'), toolUse('toolu_1')])]);
    expect(ends).toEqual([
      { role: 'user', content: [text('Q')] },
      { role: 'assistant', content: [text('Searching.'), toolUse('toolu_1')] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: MISSING_RESULT_TEXT, is_error: true }] },
    ]);
    const between = normalise([
      msg('user', [text('Q')]),
      msg('assistant', [toolUse('toolu_1')]),
      msg('assistant', [{ type: 'thinking', thinking: 'hmm', signature: 's' }, text('  ')]),
      msg('user', null),
      msg('user', [result('toolu_1', 'found')]),
    ]);
    expect(between.slice(1)).toEqual([
      { role: 'assistant', content: [toolUse('toolu_1')] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'found' }] },
    ]);
  });

  it('drops a tool call whose name the API refuses, with its result', () => {
    const out = normalise([
      msg('user', [text('Q')]),
      msg('assistant', [
        text('Looking.'),
        toolUse('toolu_1', 'bad name!'),
        toolUse('toolu_2', 'x'.repeat(65)),
        toolUse('toolu_3', 42 as never),
      ]),
      msg('user', [result('toolu_1', 'r1'), result('toolu_2', 'r2'), result('toolu_3', 'r3'), text('Q2')]),
    ]);
    expect(out).toEqual([
      { role: 'user', content: [text('Q')] },
      { role: 'assistant', content: [text('Looking.')] },
      { role: 'user', content: [text('Q2')] },
    ]);
  });

  it('without tools, a result given as a string becomes plain text; blank and failed results give nothing', () => {
    const out = normalise(
      [
        msg('user', [text('Q')]),
        msg('assistant', [toolUse('toolu_1'), toolUse('toolu_2'), toolUse('toolu_3')]),
        msg('user', [result('toolu_1', 'Verse 2:153'), result('toolu_2', '  '), result('toolu_3', { not: 'content' }), text('Q2')]),
      ],
      { toolsAvailable: false },
    );
    expect(out).toEqual([
      { role: 'user', content: [text('Q')] },
      { role: 'user', content: [text('Verse 2:153'), text('Q2')] },
    ]);
  });

  it('when documents are dropped from a tool result, keeps its other content and leaves results without documents as they are', () => {
    const out = normalise(
      [
        msg('user', [text('Q')]),
        msg('assistant', [toolUse('toolu_1'), toolUse('toolu_2')]),
        msg('user', [
          result('toolu_1', [text('No results found.')]),
          result('toolu_2', [text('Please see the references below.'), text('Two matches.'), doc('old 1'), doc('old 2')]),
        ]),
        msg('assistant', [toolUse('toolu_3')]),
        msg('user', [result('toolu_3', [text('Please see the references below.'), doc('new')])]),
      ],
      { maxDocuments: 1 },
    );
    expect(out[2]!.content).toEqual([
      { type: 'tool_result', tool_use_id: 'toolu_1', content: [text('No results found.')] },
      { type: 'tool_result', tool_use_id: 'toolu_2', content: [text('Two matches.'), text(OMITTED_DOCUMENTS_TEXT)] },
    ]);
    expect(out[4]!.content).toEqual([
      { type: 'tool_result', tool_use_id: 'toolu_3', content: [text('Please see the references below.'), doc('new')] },
    ]);
  });
});

describe('usesTools and withCacheBreakpoint', () => {
  it('usesTools: true when any message holds a tool call or a tool result, among other blocks', () => {
    const call: ModelMessage = { role: 'assistant', content: [text('Looking.'), toolUse('toolu_1')] };
    const res: ModelMessage = { role: 'user', content: [text('Q'), { type: 'tool_result', tool_use_id: 'toolu_1', content: 'r' }] };
    expect([usesTools([call]), usesTools([res]), usesTools([{ role: 'user', content: [text('Q')] }]), usesTools([])]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('withCacheBreakpoint leaves a last message without blocks as it is', () => {
    const messages: ModelMessage[] = [{ role: 'user', content: [] }];
    expect(withCacheBreakpoint(messages)).toBe(messages);
  });
});
