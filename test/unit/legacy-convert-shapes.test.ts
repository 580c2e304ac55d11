// Legacy conversion, one row shape at a time: the exact messages each shape becomes (ids, block order, what is dropped).
import { describe, expect, it } from 'vitest';
import type { Block, Message } from '#lib/blocks/types.js';
import { convertLegacyMessages, parseToolInput, type LegacyMessageRow } from '#lib/legacy/convert/index.js';
import { clone } from '#lib/legacy/convert/blocks.js';
import { asArray, asObject } from '#lib/legacy/convert/rows.js';
import { validateMessageHistory } from '#support/messages-validator.js';
import { legacyBuilders, missing, result, text, toolUse } from '#test/support/legacy-builders.js';

const USER = '00000000-0000-4000-8000-000000000002';
const { at, row, msg } = legacyBuilders(USER, 2025, 5, 1);
const call = (id: string, name: string, args: string) => ({ type: 'function', id, function: { name, arguments: args } });
const doc = (n: number, extra: object = {}): Block => ({
  type: 'document',
  source: { type: 'text', media_type: 'text/plain', data: `Text of source ${n}` },
  title: `Source ${n}`,
  citations: { enabled: true },
  ...extra,
});
const image: Block = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } };
const json = (v: unknown): string => JSON.stringify(v);

/** Converts, and checks the history is one the Messages API accepts. */
function convert(rows: LegacyMessageRow[]): Message[] {
  const out = convertLegacyMessages(rows);
  expect(validateMessageHistory(out.map(({ role, content }) => ({ role, content })))).toEqual([]);
  return out;
}

describe('OpenAI-era assistant call rows: the call read from tool_details', () => {
  it('details without an id, function or arguments describe no call: a text answer stays text only', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', 'Answer', { tool_name: 'search_quran', tool_details: { type: 'function' } }),
    ]);
    expect(out).toStrictEqual([msg(1, 'user', [text('Q')], 1), msg(2, 'assistant', [text('Answer')], 2)]);
  });

  it('a tool_name on a text answer without details is no call', () => {
    const out = convert([row(1, 'user', 'Q'), row(2, 'assistant', 'Answer', { tool_name: 'search_quran' })]);
    expect(out).toStrictEqual([msg(1, 'user', [text('Q')], 1), msg(2, 'assistant', [text('Answer')], 2)]);
  });

  it('an id alone is a call (input {}), named by tool_name, after the text', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', 'Searching.', { tool_name: 'search_quran', tool_details: { id: 'call_k' } }),
      row(3, 'tool', 'K', { tool_name: 'search_quran', tool_details: { tool_message: { tool_call_id: 'call_k' } } }),
    ]);
    expect(out).toStrictEqual([
      msg(1, 'user', [text('Q')], 1),
      msg(2, 'assistant', [text('Searching.'), toolUse('call_k', 'search_quran', {})], 2),
      msg(3, 'user', [result('call_k', 'K')], 3),
    ]);
  });

  it('a function without id or arguments is a call with the row id and the function name', () => {
    const out = convert([row(1, 'user', 'Q'), row(2, 'assistant', '', { tool_details: { function: { name: 'search_hadith' } } })]);
    expect(out).toStrictEqual([
      msg(1, 'user', [text('Q')], 1),
      msg(2, 'assistant', [toolUse('toolu_legacy_2', 'search_hadith', {})], 2),
      msg('2-tool_result', 'user', [missing('toolu_legacy_2')], 2),
    ]);
  });

  it('arguments alone are a call with the row id, named by tool_name', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', 'Searching.', { tool_name: 'search_quran', tool_details: { arguments: '{"query":"x"}' } }),
    ]);
    expect(out[1]).toStrictEqual(msg(2, 'assistant', [text('Searching.'), toolUse('toolu_legacy_2', 'search_quran', { query: 'x' })], 2));
  });

  it('the name comes from function.name, else tool_details.name, else tool_name, else legacy_tool', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', '', {
        tool_name: 'search_quran',
        tool_details: { id: 'call_1', name: 'search_tafsir', function: { name: 'search_hadith' } },
      }),
      row(3, 'assistant', '', { tool_name: 'search_quran', tool_details: { id: 'call_2', name: 'search_tafsir' } }),
      row(4, 'assistant', '', { tool_name: 'search_quran', tool_details: { id: 'call_3' } }),
      row(5, 'assistant', '', { tool_details: { id: 'call_4' } }),
    ]);
    expect(out[1]).toStrictEqual(
      msg(
        2,
        'assistant',
        [
          toolUse('call_1', 'search_hadith', {}),
          toolUse('call_2', 'search_tafsir', {}),
          toolUse('call_3', 'search_quran', {}),
          toolUse('call_4', 'legacy_tool', {}),
        ],
        2,
      ),
    );
  });

  it('null function.arguments fall back to the arguments beside the function', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', '', {
        tool_details: { id: 'call_n', function: { name: 'search_quran', arguments: null }, input: { query: 'n' } },
      }),
    ]);
    expect(out[1]?.content).toStrictEqual([toolUse('call_n', 'search_quran', { query: 'n' })]);
  });
});

describe('Claude-era assistant block lists', () => {
  it('tool_use blocks without ids get the row id, then _1, _2 (also for the call in tool_details)', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(
        2,
        'assistant',
        json([
          { type: 'tool_use', name: 'search_quran', input: { query: 'a' } },
          { type: 'tool_use', name: 'search_hadith', input: { query: 'b' } },
        ]),
        { tool_details: { function: { name: 'search_tafsir', arguments: '{"query":"c"}' } } },
      ),
    ]);
    expect(out[1]?.content).toStrictEqual([
      toolUse('toolu_legacy_2', 'search_quran', { query: 'a' }),
      toolUse('toolu_legacy_2_1', 'search_hadith', { query: 'b' }),
      toolUse('toolu_legacy_2_2', 'search_tafsir', { query: 'c' }),
    ]);
  });

  it('bare strings in the list are text (blank ones dropped); results, documents and images are dropped; thinking is kept', () => {
    const thinking = { type: 'thinking', thinking: 'The user asks about patience.', signature: 'sig' };
    const redacted = { type: 'redacted_thinking', data: 'opaque' };
    const out = convert([
      row(1, 'user', 'Q'),
      row(
        2,
        'assistant',
        json([thinking, redacted, 'Intro  ', '   ', text('Body'), result('toolu_x', 'R'), doc(1), image, { type: 'text', text: 7 }]),
      ),
    ]);
    expect(out[1]?.content).toStrictEqual([thinking, redacted, text('Intro'), text('Body')]);
  });

  it('content that arrives as a parsed list skips values that are not blocks', () => {
    const out = convert([row(1, 'user', 'Q'), row(2, 'assistant', [text('A'), 42, { kind: 'x' }, null])]);
    expect(out[1]?.content).toStrictEqual([text('A')]);
  });

  it('unknown block types are kept as they are, text untrimmed', () => {
    const note = { type: 'margin_note', text: 'kept as is  ' };
    const out = convertLegacyMessages([row(1, 'user', 'Q'), row(2, 'assistant', [text('A  '), note])]);
    expect(out[1]?.content).toStrictEqual([text('A'), note]);
  });

  it('a tool_use in the content with a tool_name but no details is the only call, whatever tool it names', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_h', 'search_quran', { query: 'h' })]), { tool_name: 'search_hadith' }),
    ]);
    expect(out[1]?.content).toStrictEqual([toolUse('toolu_h', 'search_quran', { query: 'h' })]);
  });

  it('a row with only thinking and a tool_name is a call after the thinking', () => {
    const thinking = { type: 'thinking', thinking: 'Search first.', signature: 'sig' };
    const out = convert([row(1, 'user', 'Q'), row(2, 'assistant', json([thinking]), { tool_name: 'search_quran' })]);
    expect(out[1]?.content).toStrictEqual([thinking, toolUse('toolu_legacy_2', 'search_quran', {})]);
  });

  it('details naming another id are another call, even for the same tool', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_p', 'search_quran', { query: 'p' })]), {
        tool_name: 'search_quran',
        tool_details: { id: 'toolu_q', input: { query: 'q' } },
      }),
    ]);
    expect(out[1]?.content).toStrictEqual([
      toolUse('toolu_p', 'search_quran', { query: 'p' }),
      toolUse('toolu_q', 'search_quran', { query: 'q' }),
    ]);
  });

  it('details without an id complete the same-named call in the content; its own input wins when it has one', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_r', 'search_quran', {})]), {
        tool_details: { function: { name: 'search_quran', arguments: '{"query":"r"}' } },
      }),
      row(3, 'user', json([result('toolu_r', 'R')])),
      row(4, 'assistant', json([toolUse('toolu_s', 'search_quran', { query: 'from content' })]), {
        tool_details: call('toolu_s', 'search_quran', '{"query":"from details"}'),
      }),
    ]);
    expect(out.map((m) => m.content)).toStrictEqual([
      [text('Q')],
      [toolUse('toolu_r', 'search_quran', { query: 'r' })],
      [result('toolu_r', 'R')],
      [toolUse('toolu_s', 'search_quran', { query: 'from content' })],
      [missing('toolu_s')],
    ]);
  });
});

describe('tool inputs and blocks cleaned', () => {
  it.each([
    ['blank text', '   ', {}],
    ['a JSON string of blanks', '"  "', {}],
    ['a JSON string with text', ' "mercy" ', { query: 'mercy' }],
  ])('parseToolInput: %s', (_label, raw, expected) => {
    expect(parseToolInput(raw)).toStrictEqual(expected);
  });

  it('documents: no source dropped, text data null made empty, url sources untouched, blank or non-string titles removed', () => {
    const url = { type: 'document', source: { type: 'url', url: 'https://example.org/a.pdf' }, title: 'PDF' };
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_d', 'search_quran', { query: 'd' })])),
      row(
        3,
        'user',
        json([
          result('toolu_d', [
            { type: 'document', title: 'no source' },
            doc(1, { source: { type: 'text', media_type: 'text/plain', data: null }, title: '   ' }),
            doc(2, { title: 42, citations: { enabled: false } }),
            url,
          ]),
          { type: 'document', title: 'no source either' },
        ]),
      ),
    ]);
    const d1 = doc(1, { source: { type: 'text', media_type: 'text/plain', data: '' } });
    const d2 = doc(2);
    delete d1.title;
    delete d2.title;
    expect(out[2]?.content).toStrictEqual([result('toolu_d', [d1, d2, { ...url, citations: { enabled: true } }])]);
  });

  it('tool_result content: strings become text, blanks and non-blocks are dropped, calls and thinking removed, images and search results kept', () => {
    const search = { type: 'search_result', source: 'https://example.org', title: 'S', content: [text('s')] };
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_c', 'search_quran', { query: 'c' })])),
      row(
        3,
        'user',
        json([
          result('toolu_c', [
            'No results found.',
            '  ',
            42,
            { kind: 'x' },
            toolUse('toolu_in', 'search_quran', {}),
            result('toolu_in', 'nested'),
            { type: 'thinking', thinking: 't', signature: 's' },
            { type: 'redacted_thinking', data: 'r' },
            image,
            search,
          ]),
        ]),
      ),
    ]);
    expect(out[2]?.content).toStrictEqual([result('toolu_c', [text('No results found.'), image, search])]);
  });

  it('tool_result content: a single block is a one-block list; content cleaning to nothing is removed; is_error kept only as a boolean', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(
        2,
        'assistant',
        json([
          toolUse('toolu_1', 'search_quran', {}),
          toolUse('toolu_2', 'search_quran', {}),
          toolUse('toolu_3', 'search_quran', {}),
          toolUse('toolu_4', 'search_quran', {}),
        ]),
      ),
      row(
        3,
        'user',
        json([
          { type: 'tool_result', tool_use_id: 'toolu_1', content: { type: 'text', text: 'single' }, is_error: false },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: { type: 'text', text: '  ' }, is_error: 'yes' },
          { type: 'tool_result', tool_use_id: 'toolu_3', content: ['  ', text('')], is_error: true },
          { type: 'tool_result', tool_use_id: 'toolu_4', content: 12 },
        ]),
      ),
    ]);
    expect(out[2]?.content).toStrictEqual([
      result('toolu_1', [text('single')], false),
      result('toolu_2'),
      result('toolu_3', undefined, true),
      result('toolu_4'),
    ]);
  });

  it('an orphan result keeps its text, documents and images as user content, nothing else', () => {
    const search = { type: 'search_result', source: 'https://example.org', title: 'S', content: [text('s')] };
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', 'A'),
      row(3, 'user', json([result('toolu_gone', [text('T'), doc(1), image, search])])),
    ]);
    expect(out[2]).toStrictEqual(msg(3, 'user', [text('T'), doc(1), image], 3));
  });
});

describe('Claude-era user rows', () => {
  it('a block-list question keeps strings, text, documents and images; drops calls and thinking', () => {
    const out = convert([
      row(
        1,
        'user',
        json([
          'Read this',
          text('and this'),
          { type: 'text', text: 5 },
          doc(1),
          image,
          toolUse('toolu_u', 'x', {}),
          { type: 'thinking', thinking: 't', signature: 's' },
          { type: 'redacted_thinking', data: 'r' },
        ]),
      ),
    ]);
    expect(out).toStrictEqual([msg(1, 'user', [text('Read this'), text('and this'), doc(1), image], 1)]);
  });

  it('a parsed content list skips values that are not blocks; a document without source after a result is dropped', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_v', 'search_quran', {})])),
      row(3, 'user', [result('toolu_v', 'V'), 42, { kind: 'x' }, { type: 'document', title: 'no source' }, doc(1)]),
    ]);
    expect(out[2]?.content).toStrictEqual([result('toolu_v', [text('V'), doc(1)])]);
  });

  it('a plain question keeps its ref_list documents after the text; a block-list question too', () => {
    const out = convert([
      row(1, 'user', 'Q', { ref_list: [doc(1), 'a note', text('t')] }),
      row(2, 'assistant', 'A'),
      row(3, 'user', json([text('Q2')]), { ref_list: [doc(2)] }),
    ]);
    expect(out).toStrictEqual([
      msg(1, 'user', [text('Q'), doc(1)], 1),
      msg(2, 'assistant', [text('A')], 2),
      msg(3, 'user', [text('Q2'), doc(2)], 3),
    ]);
  });

  it('ref_list documents (only documents) go to the result named by tool_details.id, else the last result', () => {
    const uses = json([
      toolUse('toolu_a', 'search_quran', {}),
      toolUse('toolu_b', 'search_hadith', {}),
      toolUse('toolu_c', 'search_tafsir', {}),
    ]);
    const results = json([result('toolu_a', 'A'), result('toolu_b', 'B'), result('toolu_c', 'C')]);
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', uses),
      row(3, 'user', results, { tool_details: { id: 'toolu_b' }, ref_list: ['a note', text('t'), doc(1)] }),
      row(4, 'assistant', 'A'),
      row(5, 'user', 'Q2'),
      row(6, 'assistant', uses.replaceAll('toolu_', 'toolu_2')),
      row(7, 'user', results.replaceAll('toolu_', 'toolu_2'), { ref_list: [doc(2)] }),
    ]);
    expect(out[2]?.content).toStrictEqual([result('toolu_a', 'A'), result('toolu_b', [text('B'), doc(1)]), result('toolu_c', 'C')]);
    expect(out[6]?.content).toStrictEqual([result('toolu_2a', 'A'), result('toolu_2b', 'B'), result('toolu_2c', [text('C'), doc(2)])]);
  });

  it('results kept in tool_details (a list) are used, their non-result entries not', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_z', 'search_quran', {})])),
      row(3, 'user', '[]', { tool_details: [text('note'), 'debris', result('toolu_z', 'Z')] }),
    ]);
    expect(out[2]).toStrictEqual(msg(3, 'user', [result('toolu_z', 'Z')], 3));
  });

  it('a result without tool_use_id answers the open call; one with an unknown id is an orphan', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_a', 'search_quran', {})])),
      row(3, 'user', json([{ type: 'tool_result', content: 'A' }])),
      row(4, 'assistant', json([toolUse('toolu_b', 'search_quran', {})])),
      row(5, 'user', json([result('toolu_wrong', 'W')])),
    ]);
    expect(out.slice(2)).toStrictEqual([
      msg(3, 'user', [result('toolu_a', 'A')], 3),
      msg(4, 'assistant', [toolUse('toolu_b', 'search_quran', {})], 4),
      msg(5, 'user', [missing('toolu_b'), text('W')], 5),
    ]);
  });

  it('a result row with tool_name and tool_details is still read from its content', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_01', 'search_quran', {})])),
      row(3, 'user', json([result('toolu_01', 'From content')]), { tool_name: 'search_quran', tool_details: { id: 'toolu_01' } }),
    ]);
    expect(out[2]).toStrictEqual(msg(3, 'user', [result('toolu_01', 'From content')], 3));
  });

  it('a block-list row with tool_name and details but no result is the tool output: its documents and text nested, others dropped', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_y', 'search_quran', {})])),
      row(3, 'user', json([doc(1), text('Raw'), image]), { tool_name: 'search_quran', tool_details: { id: 'toolu_y' } }),
    ]);
    expect(out[2]).toStrictEqual(msg(3, 'user', [result('toolu_y', [doc(1), text('Raw')])], 3));
  });

  it('a block-list row with tool_name but no details and no result stays user content', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_y', 'search_quran', {})])),
      row(3, 'user', '[]', { tool_name: 'search_quran', ref_list: [doc(1)] }),
    ]);
    expect(out[2]).toStrictEqual(msg(3, 'user', [missing('toolu_y'), doc(1)], 3));
  });
});

describe('OpenAI-era tool output rows', () => {
  const details = (extra: object) => ({
    internal_message: {
      role: 'assistant',
      content: '',
      tool_calls: [
        'junk',
        call('call_x', 'search_quran', '{"query":"x"}'),
        call('call_y', 'search_hadith', '{"query":"y"}'),
        { type: 'function', function: { name: 'search_tafsir', arguments: '{"query":"no id"}' } },
      ],
    },
    ...extra,
  });

  it('an empty content takes the text of tool_message', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'tool', '', {
        tool_name: 'search_quran',
        tool_details: details({ tool_message: { tool_call_id: 'call_x', content: 'From tool_message' } }),
      }),
    ]);
    expect(out.slice(1)).toStrictEqual([
      msg('2-tool_use', 'assistant', [toolUse('call_x', 'search_quran', { query: 'x' })], 2),
      msg(2, 'user', [result('call_x', 'From tool_message')], 2),
    ]);
  });

  it('the call re-created is the one whose id the row names (not the first), with its name over tool_name', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'tool', 'Y', { tool_name: 'search_quran', tool_details: details({ tool_message: { tool_call_id: 'call_y' } }) }),
    ]);
    expect(out.slice(1)).toStrictEqual([
      msg('2-tool_use', 'assistant', [toolUse('call_y', 'search_hadith', { query: 'y' })], 2),
      msg(2, 'user', [result('call_y', 'Y')], 2),
    ]);
  });

  it('without an id the first call (an object) is taken; an id not among the calls keeps its id and the tool_name', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'tool', 'X', { tool_name: 'search_tafsir', tool_details: details({}) }),
      row(3, 'assistant', 'A'),
      row(4, 'user', 'Q2'),
      row(5, 'tool', 'Z', { tool_name: 'search_tafsir', tool_details: details({ tool_message: { tool_call_id: 'call_z' } }) }),
    ]);
    expect(out.slice(1)).toStrictEqual([
      msg('2-tool_use', 'assistant', [toolUse('call_x', 'search_quran', { query: 'x' })], 2),
      msg(2, 'user', [result('call_x', 'X')], 2),
      msg(3, 'assistant', [text('A')], 3),
      msg(4, 'user', [text('Q2')], 4),
      msg('5-tool_use', 'assistant', [toolUse('call_z', 'search_tafsir', {})], 5),
      msg(5, 'user', [result('call_z', 'Z')], 5),
    ]);
  });

  it('the id is read from tool_message, else tool_details.tool_call_id, else tool_details.id', () => {
    const calls = [1, 2, 3, 4].map((n) => ({ ...call(`call_${n}`, 'search_quran', `{"query":"${n}"}`), type: 'function' }));
    const out = convert([
      row(1, 'user', 'Q'),
      ...calls.map((c, i) => row(2 + i, 'assistant', '', { tool_name: 'search_quran', tool_details: c })),
      row(6, 'tool', 'R4', {
        tool_name: 'search_quran',
        tool_details: { tool_message: { tool_call_id: 'call_4' }, tool_call_id: 'call_1' },
      }),
      row(7, 'tool', 'R3', { tool_name: 'search_quran', tool_details: { tool_call_id: 'call_3', id: 'call_1' } }),
      row(8, 'tool', 'R2', { tool_name: 'search_quran', tool_details: { id: 'call_2' } }),
    ]);
    expect(out.slice(2)).toStrictEqual([
      msg(6, 'user', [missing('call_1'), result('call_2', 'R2'), result('call_3', 'R3'), result('call_4', 'R4')], 6),
    ]);
  });

  it('a row with an id its open call does not have adds its call to that turn; the open call gets an error result', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', '', { tool_name: 'search_quran', tool_details: call('call_p', 'search_quran', '{"query":"p"}') }),
      row(3, 'tool', 'Q result', { tool_name: 'search_quran', tool_details: { tool_message: { tool_call_id: 'call_q' } } }),
    ]);
    expect(out.slice(1)).toStrictEqual([
      msg(2, 'assistant', [toolUse('call_p', 'search_quran', { query: 'p' }), toolUse('call_q', 'search_quran', {})], 2),
      msg(3, 'user', [missing('call_p'), result('call_q', 'Q result')], 3),
    ]);
  });

  it('a second output for an answered call is text, not a re-created call', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', '', { tool_name: 'search_quran', tool_details: call('call_1', 'search_quran', '{"query":"q"}') }),
      row(3, 'tool', 'R1', { tool_name: 'search_quran', tool_details: { tool_message: { tool_call_id: 'call_1' } } }),
      row(4, 'tool', 'R2', { tool_name: 'search_quran', tool_details: { tool_message: { tool_call_id: 'call_1' } } }),
    ]);
    expect(out.slice(1)).toStrictEqual([
      msg(2, 'assistant', [toolUse('call_1', 'search_quran', { query: 'q' })], 2),
      msg(3, 'user', [result('call_1', 'R1'), text('R2')], 3),
    ]);
  });

  it('outputs without ids answer the unanswered open call of their tool, else the first unanswered', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', '', { tool_name: 'search_quran', tool_details: call('call_a', 'search_quran', '{"query":"a"}') }),
      row(3, 'assistant', '', { tool_name: 'search_hadith', tool_details: call('call_b', 'search_hadith', '{"query":"b"}') }),
      row(4, 'assistant', '', { tool_name: 'search_quran', tool_details: call('call_c', 'search_quran', '{"query":"c"}') }),
      row(5, 'function', 'A', { tool_name: 'search_quran', tool_details: { tool_message: { tool_call_id: 'call_a' } } }),
      row(6, 'function', 'C', { tool_name: 'search_quran', tool_details: {} }),
      row(7, 'function', 'B', { tool_name: 'search_tafsir', tool_details: {} }),
    ]);
    expect(out[2]).toStrictEqual(msg(5, 'user', [result('call_a', 'A'), result('call_b', 'B'), result('call_c', 'C')], 5));
  });
});

describe('the pairing of rows into messages', () => {
  it('rows without an owner give messages without user_id, derived messages included', () => {
    const bare = (r: LegacyMessageRow): LegacyMessageRow => {
      const { user_id: _omit, ...rest } = r;
      return rest;
    };
    const out = convert([bare(row(2, 'assistant', json([toolUse('toolu_o', 'search_quran', {})])))]);
    expect(out).toStrictEqual([
      {
        id: '2-context',
        role: 'user',
        content: [text('(The message that started this conversation was not recorded.)')],
        created_at: at(2),
      },
      { id: '2', role: 'assistant', content: [toolUse('toolu_o', 'search_quran', {})], created_at: at(2) },
      { id: '2-tool_result', role: 'user', content: [missing('toolu_o')], created_at: at(2) },
    ]);
  });

  it('feedback of a merged row goes to the message when it has none, never over its own', () => {
    const fb = (c: string, s: number) => ({ class: c, comment: null, created_at: at(s), updated_at: at(s) });
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', '', { tool_name: 'search_quran', tool_details: call('call_a', 'search_quran', '{}') }),
      row(3, 'assistant', '', {
        tool_name: 'search_quran',
        tool_details: call('call_b', 'search_quran', '{}'),
        feedback: fb('thumbsup', 30),
      }),
      row(4, 'assistant', '', {
        tool_name: 'search_quran',
        tool_details: call('call_c', 'search_quran', '{}'),
        feedback: fb('thumbsdown', 40),
      }),
      row(5, 'user', json([result('call_a', 'A')])),
      row(6, 'user', json([result('call_b', 'B')]), { feedback: fb('thumbsdown', 60) }),
      row(7, 'user', json([result('call_c', 'C')]), { feedback: fb('thumbsup', 70) }),
    ]);
    expect(out[1]?.feedback).toStrictEqual(fb('thumbsup', 30));
    expect(out[2]?.feedback).toStrictEqual(fb('thumbsdown', 60));
  });

  it('an id repeated three times becomes _2 and _3', () => {
    const rows = [row(1, 'user', 'Q')];
    for (const i of [0, 1, 2]) {
      rows.push(row(2 + 2 * i, 'assistant', json([toolUse('toolu_e', 'search_quran', {})])));
      rows.push(row(3 + 2 * i, 'user', json([result('toolu_e', `E${i}`)])));
    }
    const out = convert(rows);
    expect(out.slice(1).map((m) => m.content)).toStrictEqual([
      [toolUse('toolu_e', 'search_quran', {})],
      [result('toolu_e', 'E0')],
      [toolUse('toolu_e_2', 'search_quran', {})],
      [result('toolu_e_2', 'E1')],
      [toolUse('toolu_e_3', 'search_quran', {})],
      [result('toolu_e_3', 'E2')],
    ]);
  });

  it('an empty assistant row between a call and its result does not close the call', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_a', 'search_quran', {})])),
      row(3, 'assistant', '   '),
      row(4, 'user', json([result('toolu_a', 'A')])),
    ]);
    expect(out.slice(1)).toStrictEqual([
      msg(2, 'assistant', [toolUse('toolu_a', 'search_quran', {})], 2),
      msg(4, 'user', [result('toolu_a', 'A')], 4),
    ]);
  });

  it('an empty assistant row between two result rows of one turn does not close it', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_a', 'search_quran', {}), toolUse('toolu_b', 'search_hadith', {})])),
      row(3, 'user', json([result('toolu_a', 'A')])),
      row(4, 'assistant', json([{ type: 'text', text: '' }])),
      row(5, 'user', json([result('toolu_b', 'B')])),
    ]);
    expect(out.slice(2)).toStrictEqual([msg(3, 'user', [result('toolu_a', 'A'), result('toolu_b', 'B')], 3)]);
  });

  it('an assistant row with text and a call after an open call starts a new turn; a call-only row after a text answer too', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_a', 'search_quran', {})])),
      row(3, 'assistant', json([text('More.'), toolUse('toolu_b', 'search_quran', {})])),
      row(4, 'user', json([result('toolu_b', 'B')])),
      row(5, 'assistant', 'Answer.'),
      row(6, 'assistant', json([toolUse('toolu_c', 'search_quran', {})])),
    ]);
    expect(out.slice(1)).toStrictEqual([
      msg(2, 'assistant', [toolUse('toolu_a', 'search_quran', {})], 2),
      msg('2-tool_result', 'user', [missing('toolu_a')], 2),
      msg(3, 'assistant', [text('More.'), toolUse('toolu_b', 'search_quran', {})], 3),
      msg(4, 'user', [result('toolu_b', 'B')], 4),
      msg(5, 'assistant', [text('Answer.')], 5),
      msg(6, 'assistant', [toolUse('toolu_c', 'search_quran', {})], 6),
      msg('6-tool_result', 'user', [missing('toolu_c')], 6),
    ]);
  });

  it('debris beside a result stays after the results, and the next result row still joins the same message', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_a', 'search_quran', {}), toolUse('toolu_b', 'search_hadith', {})])),
      row(3, 'user', json([text('Note'), result('toolu_a', 'A')])),
      row(4, 'user', json([result('toolu_b', 'B')])),
    ]);
    expect(out[2]).toStrictEqual(msg(3, 'user', [result('toolu_a', 'A'), result('toolu_b', 'B'), text('Note')], 3));
  });

  it('a user row that cleans to nothing leaves the open call to be closed by the next answer', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', json([toolUse('toolu_a', 'search_quran', {})])),
      row(3, 'user', '   '),
      row(4, 'assistant', 'A'),
    ]);
    expect(out.slice(1)).toStrictEqual([
      msg(2, 'assistant', [toolUse('toolu_a', 'search_quran', {})], 2),
      msg('2-tool_result', 'user', [missing('toolu_a')], 2),
      msg(4, 'assistant', [text('A')], 4),
    ]);
  });
});

describe('column values at the edges of the readers', () => {
  it('JSON text is decoded at most three times: a fourth encoding is debris', () => {
    const obj = { id: 'call_1' };
    const list = [{ type: 'document', source: {} }];
    const encode = (v: unknown, n: number) => Array.from({ length: n }).reduce<unknown>((x) => JSON.stringify(x), v);
    expect([asObject(encode(obj, 3)), asArray(encode(list, 3))]).toStrictEqual([obj, list]);
    expect([asObject(encode(obj, 4)), asArray(encode(list, 4))]).toStrictEqual([null, []]);
  });

  it('the copy of a stored value keeps Dates as Dates, not shared', () => {
    const when = new Date(Date.UTC(2025, 0, 1));
    const copy = clone({ at: when, list: [when] });
    expect(copy).toStrictEqual({ at: when, list: [when] });
    expect(copy.at).not.toBe(when);
  });

  it('an owner that is not a string is not carried', () => {
    const out = convert([row(1, 'user', 'Q', { user_id: 42 as never })]);
    expect(out).toStrictEqual([{ id: '1', role: 'user', content: [text('Q')], created_at: at(1) }]);
  });

  it('an empty id or tool_name counts as missing', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', '', { tool_name: '', tool_details: { id: '', function: { id: 'fn_1', name: '' }, name: 'search_quran' } }),
    ]);
    expect(out[1]?.content).toStrictEqual([toolUse('fn_1', 'search_quran', {})]);
  });
});
