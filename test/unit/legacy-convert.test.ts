import { describe, expect, it } from 'vitest';
import type { Block, Message } from '#lib/blocks/types.js';
import { convertLegacyMessages, MISSING_QUESTION_TEXT, parseToolInput, type LegacyMessageRow } from '#lib/legacy/convert/index.js';
import {
  DOC_HADITH_LONG_TITLE,
  DOC_NO_RESULTS,
  DOC_QURAN_2_153,
  DOC_QURAN_39_10,
  SEED_FEEDBACK,
  SEED_MESSAGES,
  SEED_THREADS,
  THREAD_IDS,
} from '#scripts/legacy/seed-data.js';
import { asArray, asObject, parseContent } from '#lib/legacy/convert/rows.js';
import { validateMessageHistory } from '#support/messages-validator.js';
import { legacyBuilders, missing, result, text, toolUse } from '#test/support/legacy-builders.js';

const USER = '00000000-0000-4000-8000-000000000001';
const { at, row, msg } = legacyBuilders(USER, 2025, 2, 1);

/** What the agent sends to the API: role and content only (stored messages carry id, created_at, ...). */
const forApi = (messages: Message[]) => messages.map(({ role, content }) => ({ role, content }));
const violations = (messages: Message[]) => validateMessageHistory(forApi(messages));

function allBlocks(messages: Message[]): Block[] {
  const out: Block[] = [];
  for (const m of messages) {
    for (const b of m.content) {
      out.push(b);
      if (b.type === 'tool_result' && Array.isArray(b.content)) out.push(...(b.content as Block[]));
    }
  }
  return out;
}
const toolUsesOf = (messages: Message[]) => allBlocks(messages).filter((b) => b.type === 'tool_use');

/** Converts and checks the result is a valid API history, with no null tool input. */
function convert(rows: LegacyMessageRow[]): Message[] {
  const out = convertLegacyMessages(rows);
  expect(violations(out)).toEqual([]);
  for (const u of toolUsesOf(out)) expect(u.input).toBeTypeOf('object');
  for (const u of toolUsesOf(out)) expect(u.input).not.toBeNull();
  return out;
}

const openAiCall = (id: string, name: string, args: string) => ({ type: 'function', id, function: { name, arguments: args } });
const toolRowDetails = (id: string, name: string, args: string, content: string) => ({
  internal_message: { role: 'assistant', content: '', tool_calls: [openAiCall(id, name, args)] },
  tool_message: { role: 'tool', content, tool_call_id: id },
});

describe('plain text rows', () => {
  it('user and assistant strings become text blocks; the 2025-02 JSON text wrapping is kept as blocks', () => {
    const out = convert([
      row(1, 'user', 'What is zakat?'),
      row(2, 'assistant', 'Zakat is the obligatory alms.'),
      row(3, 'user', 'Who pays it?', { tool_details: {} }),
      row(4, 'assistant', JSON.stringify([{ type: 'text', text: 'Every adult Muslim above the nisab.' }])),
    ]);
    expect(out).toEqual([
      msg(1, 'user', [text('What is zakat?')], 1),
      msg(2, 'assistant', [text('Zakat is the obligatory alms.')], 2),
      msg(3, 'user', [text('Who pays it?')], 3),
      msg(4, 'assistant', [text('Every adult Muslim above the nisab.')], 4),
    ]);
  });

  it('a user message that only looks like JSON stays text', () => {
    const out = convert([row(1, 'user', '[1, 2, 3]'), row(2, 'user', '{"a": 1}'), row(3, 'assistant', 'Numbers.')]);
    expect(out.map((m) => m.content)).toEqual([[text('[1, 2, 3]')], [text('{"a": 1}')], [text('Numbers.')]]);
  });

  it('drops empty and whitespace-only rows and text blocks; cuts trailing whitespace of assistant text', () => {
    const out = convert([
      row(1, 'user', 'Salam'),
      row(2, 'assistant', ''),
      row(
        3,
        'assistant',
        JSON.stringify([
          { type: 'text', text: '' },
          { type: 'text', text: '   ' },
        ]),
      ),
      row(4, 'assistant', 'Wa alaikum assalam!\n\n'),
      row(5, 'user', '   '),
    ]);
    expect(out).toEqual([msg(1, 'user', [text('Salam')], 1), msg(4, 'assistant', [text('Wa alaikum assalam!')], 4)]);
  });

  it('keeps consecutive same-role messages separate, with their own ids', () => {
    const out = convert([row(1, 'user', 'Hello?'), row(2, 'user', 'Anyone?'), row(3, 'assistant', 'Yes.')]);
    expect(out.map((m) => [m.id, m.role])).toEqual([
      ['1', 'user'],
      ['2', 'user'],
      ['3', 'assistant'],
    ]);
  });

  it('drops system rows and puts a user message before a history that starts with an answer', () => {
    const out = convert([row(1, 'system', 'You are Ansari.'), row(2, 'assistant', 'Salam! How can I help?'), row(3, 'user', 'Hi')]);
    expect(out).toEqual([
      msg('2-context', 'user', [text(MISSING_QUESTION_TEXT)], 2),
      msg(2, 'assistant', [text('Salam! How can I help?')], 2),
      msg(3, 'user', [text('Hi')], 3),
    ]);
  });

  it('embeds feedback in its message', () => {
    const feedback = { class: 'thumbsup', comment: 'Helpful', created_at: at(10), updated_at: at(11) };
    const out = convert([row(1, 'user', 'Q'), row(2, 'assistant', 'A', { feedback })]);
    expect(out[1]).toEqual(msg(2, 'assistant', [text('A')], 2, { feedback }));
    expect(out[0]).not.toHaveProperty('feedback');
  });
});

describe('OpenAI-era tool rows', () => {
  const results = 'Narrated Anas ...\nAnother relevant citation:\nNarrated Aisha ...';

  it('an assistant call row and its tool row become tool_use and a tool_result answering it', () => {
    const out = convert([
      row(1, 'user', 'Fasting while traveling?'),
      row(2, 'assistant', '', {
        tool_name: 'search_hadith',
        tool_details: openAiCall('call_1', 'search_hadith', '{"query": "fasting while traveling"}'),
      }),
      row(3, 'tool', results, {
        tool_name: 'search_hadith',
        tool_details: toolRowDetails('call_1', 'search_hadith', '{"query": "fasting while traveling"}', results),
      }),
      row(4, 'assistant', 'A traveler may choose.'),
    ]);
    expect(out).toEqual([
      msg(1, 'user', [text('Fasting while traveling?')], 1),
      msg(2, 'assistant', [toolUse('call_1', 'search_hadith', { query: 'fasting while traveling' })], 2),
      msg(3, 'user', [result('call_1', results)], 3),
      msg(4, 'assistant', [text('A traveler may choose.')], 4),
    ]);
  });

  it('a tool row alone (call only in internal_message) gets its tool_use re-created in its own message', () => {
    const out = convert([
      row(1, 'user', 'Missed fasts?'),
      row(2, 'tool', 'Ayah 2:184', {
        tool_name: 'search_quran',
        tool_details: toolRowDetails('call_2', 'search_quran', '{"query":"missed fasts"}', 'Ayah 2:184'),
      }),
      row(3, 'assistant', 'Make them up later.'),
    ]);
    expect(out).toEqual([
      msg(1, 'user', [text('Missed fasts?')], 1),
      msg('2-tool_use', 'assistant', [toolUse('call_2', 'search_quran', { query: 'missed fasts' })], 2),
      msg(2, 'user', [result('call_2', 'Ayah 2:184')], 2),
      msg(3, 'assistant', [text('Make them up later.')], 3),
    ]);
  });

  it('the oldest `function` rows (no ids, tool_details {}) get a synthetic id', () => {
    const out = convert([
      row(1, 'user', 'Who was al-Bukhari?'),
      row(2, 'function', 'He compiled the Sahih.', { tool_name: 'search_hadith', tool_details: {} }),
      row(3, 'assistant', 'The compiler of the Sahih.'),
    ]);
    expect(out).toEqual([
      msg(1, 'user', [text('Who was al-Bukhari?')], 1),
      msg('2-tool_use', 'assistant', [toolUse('toolu_legacy_2', 'search_hadith', {})], 2),
      msg(2, 'user', [result('toolu_legacy_2', 'He compiled the Sahih.')], 2),
      msg(3, 'assistant', [text('The compiler of the Sahih.')], 3),
    ]);
  });

  it('a tool row without an id answers the open call of the preceding assistant row', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', '', { tool_name: 'search_quran', tool_details: {} }),
      row(3, 'function', 'Results', { tool_name: 'search_quran', tool_details: null }),
      row(4, 'assistant', 'A'),
    ]);
    expect(out).toEqual([
      msg(1, 'user', [text('Q')], 1),
      msg(2, 'assistant', [toolUse('toolu_legacy_2', 'search_quran', {})], 2),
      msg(3, 'user', [result('toolu_legacy_2', 'Results')], 3),
      msg(4, 'assistant', [text('A')], 4),
    ]);
  });

  it('parallel call rows form one assistant turn; the unrecorded output gets an error result', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', '', { tool_name: 'search_quran', tool_details: openAiCall('call_a', 'search_quran', '{"query":"a"}') }),
      row(3, 'assistant', '', { tool_name: 'search_hadith', tool_details: openAiCall('call_b', 'search_hadith', '{"query":"b"}') }),
      row(4, 'tool', 'B results', {
        tool_name: 'search_hadith',
        tool_details: toolRowDetails('call_b', 'search_hadith', '{"query":"b"}', 'B results'),
      }),
      row(5, 'assistant', 'A'),
    ]);
    expect(out).toEqual([
      msg(1, 'user', [text('Q')], 1),
      msg(2, 'assistant', [toolUse('call_a', 'search_quran', { query: 'a' }), toolUse('call_b', 'search_hadith', { query: 'b' })], 2),
      msg(4, 'user', [missing('call_a'), result('call_b', 'B results')], 4),
      msg(5, 'assistant', [text('A')], 5),
    ]);
  });

  it('tool_details and ref_list given as JSON strings (even double-encoded) are read the same way', () => {
    const details = JSON.stringify(openAiCall('call_s', 'search_quran', '{"query":"s"}'));
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', '', { tool_name: 'search_quran', tool_details: JSON.stringify(details), ref_list: '[]' }),
      row(3, 'tool', 'R', {
        tool_name: 'search_quran',
        tool_details: JSON.stringify(toolRowDetails('call_s', 'search_quran', '{"query":"s"}', 'R')),
        ref_list: JSON.stringify('[]'),
      }),
    ]);
    expect(out).toEqual([
      msg(1, 'user', [text('Q')], 1),
      msg(2, 'assistant', [toolUse('call_s', 'search_quran', { query: 's' })], 2),
      msg(3, 'user', [result('call_s', 'R')], 3),
    ]);
  });
});

describe('tool_use.input is never null', () => {
  it.each([
    ['a JSON object string', '{"query": "mercy"}', { query: 'mercy' }],
    ['text that is not JSON', 'night journey', { query: 'night journey' }],
    ['a JSON string value', '"mercy"', { query: 'mercy' }],
    ['a JSON array', '[1, 2]', { query: '[1, 2]' }],
    ['an empty string', '', {}],
    ['null', null, {}],
    ['undefined', undefined, {}],
    ['an object', { query: 'x', limit: 5 }, { query: 'x', limit: 5 }],
    ['a number', 42, {}],
  ])('%s', (_label, raw, expected) => {
    expect(parseToolInput(raw)).toEqual(expected);
  });

  it('reads `function.arguments`, `args` or `input`, whichever exists', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', '', { tool_name: 'search_quran', tool_details: { id: 'call_args', args: { query: 'by args' } } }),
      row(3, 'tool', 'R1', { tool_name: 'search_quran', tool_details: { tool_message: { tool_call_id: 'call_args' } } }),
      row(4, 'assistant', 'Thinking', { tool_name: 'search_hadith', tool_details: { id: 'call_input', input: { query: 'by input' } } }),
      row(5, 'tool', 'R2', { tool_name: 'search_hadith', tool_details: { tool_message: { tool_call_id: 'call_input' } } }),
      row(6, 'assistant', '', {
        tool_name: 'search_quran',
        tool_details: { id: 'call_null', function: { name: 'search_quran', arguments: null } },
      }),
    ]);
    expect(out).toEqual([
      msg(1, 'user', [text('Q')], 1),
      msg(2, 'assistant', [toolUse('call_args', 'search_quran', { query: 'by args' })], 2),
      msg(3, 'user', [result('call_args', 'R1')], 3),
      msg(4, 'assistant', [text('Thinking'), toolUse('call_input', 'search_hadith', { query: 'by input' })], 4),
      msg(5, 'user', [result('call_input', 'R2')], 5),
      msg(6, 'assistant', [toolUse('call_null', 'search_quran', {})], 6),
      msg('6-tool_result', 'user', [missing('call_null')], 6),
    ]);
  });
});

describe('Claude-era rows', () => {
  it('keeps text + tool_use lists without repeating the tool_use described by tool_details', () => {
    const out = convert([
      row(1, 'user', 'Patience?'),
      row(2, 'assistant', JSON.stringify([text('Let me search.'), toolUse('toolu_01', 'search_quran', { query: 'patience' })]), {
        tool_name: 'search_quran',
        tool_details: openAiCall('toolu_01', 'search_quran', '{"query": "patience"}'),
        ref_list: [],
      }),
      row(3, 'user', JSON.stringify([result('toolu_01', 'Please see the references below.')]), { ref_list: [DOC_QURAN_2_153] }),
    ]);
    expect(out).toEqual([
      msg(1, 'user', [text('Patience?')], 1),
      msg(2, 'assistant', [text('Let me search.'), toolUse('toolu_01', 'search_quran', { query: 'patience' })], 2),
      msg(3, 'user', [result('toolu_01', [text('Please see the references below.'), DOC_QURAN_2_153])], 3),
    ]);
  });

  it('nests sibling documents (old format) in the tool_result, once even when ref_list repeats them', () => {
    const out = convert([
      row(1, 'user', 'Patience?'),
      row(2, 'assistant', JSON.stringify([toolUse('toolu_01', 'search_quran', { query: 'patience' })])),
      row(3, 'user', JSON.stringify([result('toolu_01', 'Please see the references below.'), DOC_QURAN_2_153, DOC_QURAN_39_10]), {
        tool_details: [result('toolu_01', 'Please see the references below.')],
        ref_list: [DOC_QURAN_2_153, DOC_QURAN_39_10],
      }),
    ]);
    expect(out[2]).toEqual(
      msg(3, 'user', [result('toolu_01', [text('Please see the references below.'), DOC_QURAN_2_153, DOC_QURAN_39_10])], 3),
    );
  });

  it('rebuilds the tool_use of the empty-text assistant row from tool_details {id, input}', () => {
    const out = convert([
      row(1, 'user', 'Gold on credit?'),
      row(2, 'assistant', JSON.stringify([{ type: 'text', text: '' }]), {
        tool_name: 'search_mawsuah',
        tool_details: { id: 'toolu_02', input: { query: 'gold on credit' } },
      }),
      row(3, 'user', JSON.stringify([result('toolu_02', 'Please see the references below.')])),
    ]);
    expect(out).toEqual([
      msg(1, 'user', [text('Gold on credit?')], 1),
      msg(2, 'assistant', [toolUse('toolu_02', 'search_mawsuah', { query: 'gold on credit' })], 2),
      msg(3, 'user', [result('toolu_02', 'Please see the references below.')], 3),
    ]);
  });

  it('completes a null input in the content from tool_details', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', JSON.stringify([{ type: 'text', text: '' }, toolUse('toolu_03', 'search_tafsir_encyc', null as never)]), {
        tool_name: 'search_tafsir_encyc',
        tool_details: openAiCall('toolu_03', 'search_tafsir_encyc', '{"query": "riba"}'),
      }),
      row(3, 'user', JSON.stringify([result('toolu_03')])),
    ]);
    expect(out.slice(1)).toEqual([
      msg(2, 'assistant', [toolUse('toolu_03', 'search_tafsir_encyc', { query: 'riba' })], 2),
      msg(3, 'user', [result('toolu_03')], 3),
    ]);
  });

  it('turns "No results found." debris into text inside the tool_result, never bare strings or siblings', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', JSON.stringify([toolUse('toolu_04', 'search_mawsuah', { query: 'q' })])),
      row(
        3,
        'user',
        JSON.stringify([
          result('toolu_04', [text('Please see the references below.'), 'No results found.']),
          'No results found.',
          'Nothing in the encyclopedia.',
          '',
        ]),
      ),
    ]);
    expect(out[2]).toEqual(
      msg(
        3,
        'user',
        [result('toolu_04', [text('Please see the references below.'), text('No results found.'), text('Nothing in the encyclopedia.')])],
        3,
      ),
    );
  });

  it('makes citations uniform (enabled) and trims document titles to 450 characters', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', JSON.stringify([toolUse('toolu_05', 'search_hadith', { query: 'q' })])),
      row(3, 'user', JSON.stringify([result('toolu_05', 'Please see the references below.'), DOC_NO_RESULTS]), {
        ref_list: [DOC_HADITH_LONG_TITLE],
      }),
    ]);
    const docs = allBlocks(out).filter((b) => b.type === 'document');
    expect(docs.map((d) => d.citations)).toEqual([{ enabled: true }, { enabled: true }]);
    expect(DOC_HADITH_LONG_TITLE.title.length).toBeGreaterThan(500);
    expect(docs[1]).toEqual({ ...DOC_HADITH_LONG_TITLE, title: DOC_HADITH_LONG_TITLE.title.slice(0, 450).trimEnd() });
    expect(docs[0]).toEqual({ ...DOC_NO_RESULTS, citations: { enabled: true } });
  });

  it('merges consecutive tool-result rows answering one assistant message into one user message', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(
        2,
        'assistant',
        JSON.stringify([toolUse('toolu_a', 'search_quran', { query: 'a' }), toolUse('toolu_b', 'search_hadith', { query: 'b' })]),
      ),
      row(3, 'user', JSON.stringify([result('toolu_b', 'B')])),
      row(4, 'user', JSON.stringify([result('toolu_a', 'A')])),
      row(5, 'assistant', 'Answer'),
    ]);
    expect(out).toEqual([
      msg(1, 'user', [text('Q')], 1),
      msg(2, 'assistant', [toolUse('toolu_a', 'search_quran', { query: 'a' }), toolUse('toolu_b', 'search_hadith', { query: 'b' })], 2),
      msg(3, 'user', [result('toolu_a', 'A'), result('toolu_b', 'B')], 3),
      msg(5, 'assistant', [text('Answer')], 5),
    ]);
  });

  it('a question right after the tool results joins their message, after the results', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', JSON.stringify([toolUse('toolu_c', 'search_quran', { query: 'c' })])),
      row(3, 'user', JSON.stringify([result('toolu_c', 'C')])),
      row(4, 'user', 'Still there?'),
      row(5, 'assistant', 'Yes.'),
    ]);
    expect(out).toEqual([
      msg(1, 'user', [text('Q')], 1),
      msg(2, 'assistant', [toolUse('toolu_c', 'search_quran', { query: 'c' })], 2),
      msg(3, 'user', [result('toolu_c', 'C'), text('Still there?')], 3),
      msg(5, 'assistant', [text('Yes.')], 5),
    ]);
  });

  it('an orphan tool_result (no matching tool_use) becomes ordinary user content', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', 'A'),
      row(3, 'user', JSON.stringify([result('toolu_gone', 'Please see the references below.'), DOC_QURAN_2_153])),
      row(4, 'user', JSON.stringify([result('toolu_gone2')])),
    ]);
    expect(out).toEqual([
      msg(1, 'user', [text('Q')], 1),
      msg(2, 'assistant', [text('A')], 2),
      msg(3, 'user', [text('Please see the references below.'), DOC_QURAN_2_153], 3),
    ]);
  });

  it('a second result for an answered tool_use is kept as text, not as a duplicate tool_result', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', JSON.stringify([toolUse('toolu_d', 'search_quran', { query: 'd' })])),
      row(3, 'user', JSON.stringify([result('toolu_d', 'first')])),
      row(4, 'user', JSON.stringify([result('toolu_d', 'second')])),
    ]);
    expect(out.slice(2)).toEqual([msg(3, 'user', [result('toolu_d', 'first'), text('second')], 3)]);
  });

  it('renames a tool_use id that repeats an earlier one, pairing the following result with the copy', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', JSON.stringify([toolUse('toolu_e', 'search_quran', { query: 'e' })])),
      row(3, 'user', JSON.stringify([result('toolu_e', 'E1')])),
      row(4, 'assistant', JSON.stringify([toolUse('toolu_e', 'search_quran', { query: 'e' })])),
      row(5, 'user', JSON.stringify([result('toolu_e', 'E2')])),
    ]);
    expect(out.slice(3)).toEqual([
      msg(4, 'assistant', [toolUse('toolu_e_2', 'search_quran', { query: 'e' })], 4),
      msg(5, 'user', [result('toolu_e_2', 'E2')], 5),
    ]);
  });

  it('cleans tool ids to the API pattern on both sides', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', JSON.stringify([toolUse('call:1/x', 'search_quran', { query: 'x' })])),
      row(3, 'user', JSON.stringify([result('call:1/x', 'X')])),
    ]);
    expect(out.slice(1)).toEqual([
      msg(2, 'assistant', [toolUse('call_1_x', 'search_quran', { query: 'x' })], 2),
      msg(3, 'user', [result('call_1_x', 'X')], 3),
    ]);
  });
});

describe('other tool-result spellings of the reference', () => {
  const call = (id: string) => row(2, 'assistant', JSON.stringify([toolUse(id, 'search_quran', { query: 'q' })]));

  it('a plain-text user row with tool_name is the result for tool_details.id, with ref_list nested', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      call('toolu_x'),
      row(3, 'user', 'Raw results', { tool_name: 'search_quran', tool_details: { id: 'toolu_x' }, ref_list: [DOC_QURAN_2_153] }),
    ]);
    expect(out[2]).toEqual(msg(3, 'user', [result('toolu_x', [text('Raw results'), DOC_QURAN_2_153])], 3));
  });

  it('a `[]` user row with tool_name becomes a result holding the ref_list documents', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      call('toolu_y'),
      row(3, 'user', '[]', { tool_name: 'search_quran', tool_details: { id: 'toolu_y' }, ref_list: [DOC_QURAN_39_10] }),
    ]);
    expect(out[2]).toEqual(msg(3, 'user', [result('toolu_y', [DOC_QURAN_39_10])], 3));
  });

  it('tool_result blocks kept only in tool_details (content an empty text block) are used', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      call('toolu_z'),
      row(3, 'user', JSON.stringify([{ type: 'text', text: '' }]), {
        tool_details: [result('toolu_z', 'Please see the references below.')],
        ref_list: JSON.stringify([DOC_QURAN_2_153]),
      }),
    ]);
    expect(out[2]).toEqual(msg(3, 'user', [result('toolu_z', [text('Please see the references below.'), DOC_QURAN_2_153])], 3));
  });

  it('removes cache_control and stringifies non-string document data', () => {
    const multilingual = [
      { lang: 'ar', text: 'نص' },
      { lang: 'en', text: 'text' },
    ];
    const doc = { ...DOC_QURAN_2_153, source: { type: 'text', media_type: 'text/plain', data: multilingual } };
    const out = convert([
      row(1, 'user', JSON.stringify([{ type: 'text', text: 'Q', cache_control: { type: 'ephemeral' } }])),
      call('toolu_w'),
      row(3, 'user', JSON.stringify([result('toolu_w', [doc])])),
    ]);
    expect(out[0]?.content).toEqual([text('Q')]);
    expect(out[2]?.content).toEqual([
      result('toolu_w', [{ ...DOC_QURAN_2_153, source: { type: 'text', media_type: 'text/plain', data: JSON.stringify(multilingual) } }]),
    ]);
  });
});

describe('missing tool results', () => {
  it('a question after an unanswered call gets the synthesised result first, in the question message', () => {
    const out = convert([
      row(1, 'user', 'Night journey verse?'),
      row(2, 'assistant', '', { tool_name: 'search_quran', tool_details: openAiCall('call_nj', 'search_quran', 'night journey') }),
      row(3, 'user', 'Hello?'),
      row(4, 'assistant', 'Surah al-Isra 17:1.'),
    ]);
    expect(out).toEqual([
      msg(1, 'user', [text('Night journey verse?')], 1),
      msg(2, 'assistant', [toolUse('call_nj', 'search_quran', { query: 'night journey' })], 2),
      msg(3, 'user', [missing('call_nj'), text('Hello?')], 3),
      msg(4, 'assistant', [text('Surah al-Isra 17:1.')], 4),
    ]);
  });

  it('an answer right after an unanswered call, or a thread ending on one, gets a synthesised result message', () => {
    const out = convert([
      row(1, 'user', 'Q'),
      row(2, 'assistant', JSON.stringify([text('Searching.'), toolUse('toolu_f', 'search_quran', { query: 'f' })])),
      row(3, 'assistant', 'I could not search, but here is what I know.'),
      row(4, 'user', 'Try again'),
      row(5, 'assistant', JSON.stringify([toolUse('toolu_g', 'search_quran', { query: 'g' })])),
    ]);
    expect(out).toEqual([
      msg(1, 'user', [text('Q')], 1),
      msg(2, 'assistant', [text('Searching.'), toolUse('toolu_f', 'search_quran', { query: 'f' })], 2),
      msg('2-tool_result', 'user', [missing('toolu_f')], 2),
      msg(3, 'assistant', [text('I could not search, but here is what I know.')], 3),
      msg(4, 'user', [text('Try again')], 4),
      msg(5, 'assistant', [toolUse('toolu_g', 'search_quran', { query: 'g' })], 5),
      msg('5-tool_result', 'user', [missing('toolu_g')], 5),
    ]);
  });
});

describe('the seed data', () => {
  function threadRows(threadId: string): LegacyMessageRow[] {
    return SEED_MESSAGES.filter((m) => m.thread_id === threadId).map((m) => {
      const f = SEED_FEEDBACK.find((x) => x.message_id === m.id);
      return {
        id: m.id,
        role: m.role,
        content: m.content,
        tool_name: m.tool_name,
        tool_details: m.tool_details,
        ref_list: m.ref_list,
        created_at: m.created_at,
        user_id: m.user_id,
        feedback: f ? { class: f.class, comment: f.comment, created_at: f.created_at, updated_at: f.updated_at } : null,
      };
    });
  }

  /** Distinct tool calls the rows record: tool_use blocks, call details, and tool outputs with no recorded call. */
  function callsIn(rows: LegacyMessageRow[]): number {
    const ids = new Set<string>();
    let anonymous = 0;
    for (const r of rows) {
      const td = (typeof r.tool_details === 'object' && r.tool_details !== null ? r.tool_details : {}) as Record<string, any>;
      if (r.role === 'assistant') {
        const content = r.content.startsWith('[') ? (JSON.parse(r.content) as Block[]) : [];
        for (const b of content) if (b.type === 'tool_use') ids.add(String(b.id));
        if (typeof td.id === 'string') ids.add(td.id);
      } else if (r.role === 'tool' || r.role === 'function') {
        const id = td.tool_message?.tool_call_id;
        if (typeof id === 'string') ids.add(id);
        else anonymous++;
      }
    }
    return ids.size + anonymous;
  }

  it.each(SEED_THREADS.map((t) => [t.name ?? t.id, t.id]))('%s converts to a valid history with every tool call', (_name, id) => {
    const rows = threadRows(id);
    const out = convert(rows);
    expect(toolUsesOf(out)).toHaveLength(callsIn(rows));
    // Every row is represented: its id is a message id, or it was merged into the message of an earlier row.
    const ids = new Set(out.map((m) => m.id.replace(/-(tool_use|tool_result|context)$/, '')));
    for (const r of rows) if (!ids.has(String(r.id))) expect(r.role === 'user').toBe(true);
  });

  it('counts the tool calls of each seeded thread', () => {
    const counts = Object.fromEntries(
      Object.entries(THREAD_IDS).map(([k, id]) => [k, toolUsesOf(convertLegacyMessages(threadRows(id))).length]),
    );
    expect(counts).toEqual({ plain: 0, openai: 2, functionEra: 1, claude: 2, debris: 2, interrupted: 1, other: 0 });
  });

  it('embeds the seeded feedback in its messages', () => {
    const openai = convertLegacyMessages(threadRows(THREAD_IDS.openai));
    expect(openai.find((m) => m.id === '203')?.feedback).toEqual({
      class: 'thumbsup',
      comment: 'Clear and well sourced',
      created_at: new Date('2025-02-10T12:01:00.000Z'),
      updated_at: new Date('2025-02-10T12:01:30.000Z'),
    });
    const plain = convertLegacyMessages(threadRows(THREAD_IDS.plain));
    expect(plain.filter((m) => m.feedback).map((m) => [m.id, m.feedback?.class])).toEqual([['102', 'thumbsdown']]);
  });

  it('converts the OpenAI-era seed thread exactly', () => {
    const out = convertLegacyMessages(threadRows(THREAD_IDS.openai));
    expect(out.map((m) => [m.id, m.role, m.content.map((b) => b.type)])).toEqual([
      ['201', 'user', ['text']],
      ['202-tool_use', 'assistant', ['tool_use']],
      ['202', 'user', ['tool_result']],
      ['203', 'assistant', ['text']],
      ['204', 'user', ['text']],
      ['205', 'assistant', ['tool_use']],
      ['206', 'user', ['tool_result']],
      ['207', 'assistant', ['text']],
    ]);
    expect(out[1]?.content).toEqual([toolUse('call_Q1', 'search_hadith', { query: 'fasting while traveling' })]);
    expect(out[5]?.content).toEqual([toolUse('call_Q2', 'search_quran', { query: 'make up missed fasts' })]);
  });

  it('converts the Claude-era seed thread with documents nested and deduplicated', () => {
    const out = convertLegacyMessages(threadRows(THREAD_IDS.claude));
    expect(out.find((m) => m.id === '403')?.content).toEqual([
      result('toolu_01A', [text('Please see the references below.'), DOC_QURAN_2_153, DOC_QURAN_39_10]),
    ]);
    expect(out.find((m) => m.id === '407')?.content).toEqual([
      result('toolu_01B', [
        text('Please see the references below.'),
        { ...DOC_HADITH_LONG_TITLE, title: DOC_HADITH_LONG_TITLE.title.slice(0, 450).trimEnd() },
      ]),
    ]);
  });

  it('converts the debris seed thread without bare strings or disabled citations', () => {
    const out = convertLegacyMessages(threadRows(THREAD_IDS.debris));
    expect(out.find((m) => m.id === '502')?.content).toEqual([toolUse('toolu_02A', 'search_mawsuah', { query: 'selling gold on credit' })]);
    expect(out.find((m) => m.id === '503')?.content).toEqual([
      result('toolu_02A', [text('Please see the references below.'), text('No results found.')]),
    ]);
    expect(out.find((m) => m.id === '504')?.content).toEqual([
      toolUse('toolu_02B', 'search_tafsir_encyc', { query: 'gold credit sale riba' }),
    ]);
    expect(out.find((m) => m.id === '505')?.content).toEqual([
      result('toolu_02B', [text('Please see the references below.'), { ...DOC_NO_RESULTS, citations: { enabled: true } }]),
    ]);
  });

  it('is pure: the rows are not modified and the result is the same every time', () => {
    for (const id of Object.values(THREAD_IDS)) {
      const rows = threadRows(id);
      const before = structuredClone(rows);
      const first = convertLegacyMessages(rows);
      expect(rows).toEqual(before);
      expect(convertLegacyMessages(rows)).toEqual(first);
      // No object is shared between input and output: changing every output block leaves the rows as they were.
      for (const b of allBlocks(first)) {
        b.mutated = true;
        if (typeof b.input === 'object' && b.input !== null) (b.input as Record<string, unknown>).mutated = true;
        if (typeof b.source === 'object' && b.source !== null) (b.source as Record<string, unknown>).mutated = true;
        if (typeof b.citations === 'object' && b.citations !== null) (b.citations as Record<string, unknown>).mutated = true;
      }
      for (const m of first) if (m.feedback) m.feedback.mutated = true;
      expect(rows).toEqual(before);
    }
  });
});

describe('the copy the conversion makes of stored values', () => {
  it('shares no object with the row, keeps Dates, and keeps a field named __proto__ as a field', () => {
    const details = JSON.parse('{"id":"call_1","function":{"name":"search_quran","arguments":{"query":"q","__proto__":{"x":1}}}}');
    const row: LegacyMessageRow = {
      id: 1,
      role: 'assistant',
      content: '',
      tool_name: 'search_quran',
      tool_details: details,
      ref_list: null,
      created_at: new Date('2025-01-01T00:00:00Z'),
    };
    const [, call] = convertLegacyMessages([{ ...row, id: 0, role: 'user', content: 'q', tool_name: null, tool_details: null }, row]);
    const input = (call!.content[0] as Block).input as Record<string, unknown>;
    expect(Object.getPrototypeOf(input)).toBe(Object.prototype);
    expect(Object.keys(input)).toEqual(['query', '__proto__']);
    expect(input.__proto__).toEqual({ x: 1 });
    expect(input).not.toBe(details.function.arguments);
    (input.__proto__ as { x: number }).x = 2;
    expect(details.function.arguments.__proto__).toEqual({ x: 1 });
  });
});

describe('reading the columns (JSON text, JSONB, double-encoded, plain text)', () => {
  it('parseContent: a block list, a single block or plain text; JSON-looking text that is no block list stays text', () => {
    const blocks = [{ type: 'text', text: 'a' }, 'debris'];
    expect(parseContent(blocks)).toEqual({ blocks });
    expect(parseContent({ type: 'text', text: 'a' })).toEqual({ blocks: [{ type: 'text', text: 'a' }] });
    expect(parseContent(`  ${JSON.stringify(blocks)}\n`)).toEqual({ blocks });
    expect(parseContent(' {"type":"text","text":"a"} ')).toEqual({ blocks: [{ type: 'text', text: 'a' }] });
    expect(parseContent('[]')).toEqual({ blocks: [] });
    for (const t of [
      '[1, 2]',
      '["a", "b"]',
      '[{"type":"text"}, 3]',
      '{"a": 1}',
      '{"type": ""}',
      '[{"type":""}]',
      '[not json',
      'x [1]',
      'x {}',
    ])
      expect(parseContent(t), t).toEqual({ text: t });
    expect(parseContent(null)).toEqual({ text: '' });
    expect(parseContent(undefined)).toEqual({ text: '' });
    expect(parseContent(42)).toEqual({ text: '42' });
  });

  it('asObject and asArray: parsed values, JSON strings (up to three encodings deep), blanks and debris', () => {
    const obj = { id: 'call_1', input: { q: 1 } };
    const once = JSON.stringify(obj);
    expect([
      asObject(obj),
      asObject(once),
      asObject(` ${once} `),
      asObject(JSON.stringify(once)),
      asObject(JSON.stringify(JSON.stringify(once))),
    ]).toEqual([obj, obj, obj, obj, obj]);
    for (const v of [null, undefined, '', '   ', '{}', {}, [], '[1]', 'plain', '{broken', '"str"', 42])
      expect(asObject(v), String(v)).toBeNull();
    const list = [{ type: 'document', source: {} }, 'x'];
    expect([asArray(list), asArray(JSON.stringify(list)), asArray(JSON.stringify(JSON.stringify(list)))]).toEqual([list, list, list]);
    expect(asArray({ type: 'document', title: 't' })).toEqual([{ type: 'document', title: 't' }]);
    expect(asArray(JSON.stringify({ type: 'document', title: 't' }))).toEqual([{ type: 'document', title: 't' }]);
    for (const v of [null, '', ' ', '{}', { type: '' }, { a: 1 }, 'plain', '[broken', 7]) expect(asArray(v), String(v)).toEqual([]);
  });

  it('a message keeps its owner only when the row names one, and its feedback with times read from any column type', () => {
    const rows = [
      row(1, 'user', 'Q', { user_id: '' }),
      row(2, 'assistant', 'A', {
        feedback: { class: 'thumbsup', comment: null, created_at: '2025-03-01T00:00:05Z' as never, updated_at: null as never },
      }),
      row(3, 'user', 'Q2', { user_id: undefined }),
      row(4, 'assistant', 'A2', {
        feedback: { class: 'thumbsdown', comment: 'wrong', created_at: Date.UTC(2025, 2, 1) as never, updated_at: {} as never },
      }),
      row(5, 'user', 'Q3', { feedback: { class: 42, comment: 'x', created_at: at(5), updated_at: at(5) } as never }),
    ];
    const out = convert(rows);
    expect(out.map((m) => m.user_id)).toEqual([undefined, USER, undefined, USER, USER]);
    expect(out[1]!.feedback).toEqual({ class: 'thumbsup', comment: null, created_at: at(5), updated_at: at(5) });
    expect(out[3]!.feedback).toEqual({
      class: 'thumbsdown',
      comment: 'wrong',
      created_at: new Date(Date.UTC(2025, 2, 1)),
      updated_at: new Date(0),
    });
    expect(out[4]).not.toHaveProperty('feedback');
    // Times are copies: changing the row's Date afterwards does not move the message.
    const r = row(6, 'user', 'Q4');
    const [m] = convert([r]);
    r.created_at.setTime(0);
    expect(m!.created_at).toEqual(at(6));
  });
});
