import { describe, expect, it } from 'vitest';
import { validateMessageHistory, validateMessagesRequest } from '#support/messages-validator.js';

type Msg = { role: string; content: unknown; [k: string]: unknown };

const doc = (title: string, enabled?: boolean) => ({
  type: 'document',
  source: { type: 'text', media_type: 'text/plain', data: 'Arabic: ...\n\nEnglish: ...' },
  title,
  context: 'Retrieved from the Holy Quran',
  ...(enabled === undefined ? {} : { citations: { enabled } }),
});

/** A typical Ansari tool round trip: question, tool_use, tool_result with nested documents, cited answer. */
function roundTrip(): Msg[] {
  return [
    { role: 'user', content: [{ type: 'text', text: 'What does the Quran say about mercy?' }] },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Let me search.' },
        { type: 'tool_use', id: 'toolu_01', name: 'search_quran', input: { query: 'mercy' } },
      ],
    },
    {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_01',
          content: [{ type: 'text', text: 'Please see the references below.' }, doc('Quran 7:156', true), doc('Quran 21:107', true)],
        },
      ],
    },
    {
      role: 'assistant',
      content: [
        {
          type: 'text',
          text: 'His mercy encompasses all things.',
          citations: [
            {
              type: 'char_location',
              cited_text: 'My mercy encompasses all things',
              document_index: 0,
              document_title: 'Quran 7:156',
              start_char_index: 0,
              end_char_index: 31,
            },
          ],
        },
      ],
    },
    { role: 'user', content: 'Thank you' },
  ];
}

/** Expects at least one violation containing `fragment`. */
function expectViolation(violations: string[], fragment: string | RegExp) {
  expect(
    violations.some((v) => (typeof fragment === 'string' ? v.includes(fragment) : fragment.test(v))),
    violations.join('\n'),
  ).toBe(true);
}

describe('validateMessageHistory', () => {
  it('accepts a valid tool round trip history', () => {
    expect(validateMessageHistory(roundTrip())).toEqual([]);
  });

  it('accepts string content, error tool results and citations: null echoed from a response', () => {
    const h: Msg[] = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_a', name: 'search_hadith', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_a', content: 'No results found.', is_error: true }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Nothing found.', citations: null }] },
      { role: 'user', content: [{ type: 'text', text: 'ok' }] },
    ];
    expect(validateMessageHistory(h)).toEqual([]);
  });

  it('rejects a non-array or empty messages', () => {
    expectViolation(validateMessageHistory(undefined), 'valid list');
    expectViolation(validateMessageHistory([]), 'at least one message');
  });

  it('rejects a bad role and a first message that is not from the user', () => {
    expectViolation(validateMessageHistory([{ role: 'system', content: 'x' }]), 'messages.0.role');
    expectViolation(
      validateMessageHistory([
        { role: 'assistant', content: 'x' },
        { role: 'user', content: 'y' },
      ]),
      'first message',
    );
  });

  it('rejects extra keys on a message (stored messages carry id/tool_name)', () => {
    const h = roundTrip();
    h[1]!.tool_name = 'search_quran';
    expectViolation(validateMessageHistory(h), 'messages.1.tool_name: Extra inputs are not permitted');
  });

  it('rejects empty content (string or array)', () => {
    expectViolation(validateMessageHistory([{ role: 'user', content: '' }]), 'non-empty content');
    expectViolation(validateMessageHistory([{ role: 'user', content: [] }]), 'non-empty content');
    expectViolation(validateMessageHistory([{ role: 'user', content: 42 }]), 'messages.0.content');
  });

  it('rejects an empty text block', () => {
    const h = roundTrip();
    h[3]!.content = [{ type: 'text', text: '' }];
    expectViolation(validateMessageHistory(h), 'messages.3.content.0: text content blocks must be non-empty');
  });

  it('rejects a whitespace-only text block', () => {
    expectViolation(validateMessageHistory([{ role: 'user', content: [{ type: 'text', text: ' \n ' }] }]), 'non-whitespace text');
  });

  it('rejects citations on a text block that are not an array', () => {
    const h = roundTrip();
    h[3]!.content = [{ type: 'text', text: 'x', citations: { type: 'char_location' } }];
    expectViolation(validateMessageHistory(h), 'messages.3.content.0.citations: must be an array');
  });

  it('rejects block types not allowed for the role, and unknown block types', () => {
    expectViolation(
      validateMessageHistory([{ role: 'user', content: [{ type: 'tool_use', id: 't', name: 'n', input: {} }] }]),
      'tool_use blocks are not allowed in user messages',
    );
    const h = roundTrip();
    h[3]!.content = [doc('Quran 1:1')];
    expectViolation(validateMessageHistory(h), 'document blocks are not allowed in assistant messages');
    expectViolation(validateMessageHistory([{ role: 'user', content: [{ type: 'citation', text: 'x' }] }]), "Input tag 'citation'");
  });

  it('rejects tool_use.input: null', () => {
    const h = roundTrip();
    (h[1]!.content as Array<Record<string, unknown>>)[1]!.input = null;
    expectViolation(validateMessageHistory(h), 'messages.1.content.1.input: Input should be a valid dictionary (got null)');
  });

  it('rejects a tool_use without a valid id or name', () => {
    const h = roundTrip();
    const tu = (h[1]!.content as Array<Record<string, unknown>>)[1]!;
    tu.name = '';
    delete tu.id;
    const v = validateMessageHistory(h);
    expectViolation(v, 'messages.1.content.1.id: Field required');
    expectViolation(v, 'messages.1.content.1.name');
  });

  it('rejects duplicate tool_use ids', () => {
    const h = roundTrip();
    h.push(
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'search_quran', input: { query: 'x' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'ok' }] },
    );
    expectViolation(validateMessageHistory(h), 'tool_use ids must be unique');
  });

  it('rejects an orphan tool_result (no tool_use in the previous assistant message)', () => {
    const h: Msg[] = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hello' },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_ghost', content: 'x' }] },
    ];
    expectViolation(validateMessageHistory(h), 'messages.2.content.0: unexpected tool_use_id toolu_ghost');
  });

  it('rejects a tool_result answering a tool_use two messages back', () => {
    const h = roundTrip();
    // An extra assistant turn between tool_use and tool_result breaks the "immediately next" rule both ways.
    h.splice(2, 0, { role: 'assistant', content: 'thinking out loud' });
    const v = validateMessageHistory(h);
    expectViolation(v, /messages\.1\.content\.1: tool_use id toolu_01 must be followed by a user message/);
    expectViolation(v, 'messages.3.content.0: unexpected tool_use_id toolu_01');
  });

  it('rejects a tool_use not answered in the next message', () => {
    const h = roundTrip();
    h[2]!.content = [{ type: 'text', text: 'never mind' }];
    expectViolation(validateMessageHistory(h), 'messages.1.content.1: tool_use id toolu_01 has no tool_result in the next message');
  });

  it('rejects a history that ends on an unanswered tool_use', () => {
    expectViolation(validateMessageHistory(roundTrip().slice(0, 2)), 'the history ends after it');
  });

  it('rejects two tool_results for the same tool_use', () => {
    const h = roundTrip();
    (h[2]!.content as unknown[]).push({ type: 'tool_result', tool_use_id: 'toolu_01', content: 'again' });
    expectViolation(validateMessageHistory(h), 'multiple tool_result blocks');
  });

  it('rejects text before tool_result in the same user message', () => {
    const h = roundTrip();
    (h[2]!.content as unknown[]).unshift({ type: 'text', text: 'Here you go' });
    expectViolation(validateMessageHistory(h), 'tool_result blocks must come before any other content');
  });

  it('rejects a bare string inside tool_result.content', () => {
    const h = roundTrip();
    (h[2]!.content as Array<Record<string, unknown>>)[0]!.content = ['No results found.'];
    expectViolation(validateMessageHistory(h), 'messages.2.content.0.content.0: tool_result content must be blocks, not a bare string');
  });

  it('rejects a nested tool_result and a non-array non-string tool_result.content', () => {
    const h = roundTrip();
    (h[2]!.content as Array<Record<string, unknown>>)[0]!.content = [{ type: 'tool_result', tool_use_id: 'toolu_01' }];
    expectViolation(validateMessageHistory(h), 'not allowed in tool_result content');
    (h[2]!.content as Array<Record<string, unknown>>)[0]!.content = { type: 'text', text: 'x' };
    expectViolation(validateMessageHistory(h), 'messages.2.content.0.content: must be a string or an array');
  });

  it('rejects a document without a valid source', () => {
    const h = roundTrip();
    (h[2]!.content as Array<{ content: Array<Record<string, unknown>> }>)[0]!.content[1]!.source = { type: 'text', data: 'x' };
    expectViolation(validateMessageHistory(h), 'source.media_type: must be "text/plain"');
    (h[2]!.content as Array<{ content: Array<Record<string, unknown>> }>)[0]!.content[1]!.source = undefined;
    expectViolation(validateMessageHistory(h), 'messages.2.content.0.content.1.source: Field required');
  });

  it('rejects a document title over 500 characters', () => {
    const h = roundTrip();
    (h[2]!.content as Array<{ content: Array<Record<string, unknown>> }>)[0]!.content[1]!.title = 'x'.repeat(501);
    expectViolation(validateMessageHistory(h), 'title: String should have at most 500 characters (got 501)');
  });

  it('rejects mixed citations.enabled across documents', () => {
    const h = roundTrip();
    (h[2]!.content as Array<{ content: unknown[] }>)[0]!.content[2] = doc('Quran 21:107', false);
    expectViolation(validateMessageHistory(h), 'citations must be either enabled or disabled on all documents');
  });

  it('treats a document without citations as disabled when others enable them', () => {
    const h = roundTrip();
    (h[2]!.content as Array<{ content: unknown[] }>)[0]!.content[2] = doc('Quran 21:107');
    expectViolation(validateMessageHistory(h), 'enabled or disabled on all documents');
  });

  it('rejects more than 4 cache_control blocks', () => {
    const cc = { cache_control: { type: 'ephemeral' } };
    const h: Msg[] = [
      {
        role: 'user',
        content: [1, 2, 3, 4, 5].map((i) => ({ type: 'text', text: `part ${i}`, ...cc })),
      },
    ];
    expectViolation(validateMessageHistory(h), 'A maximum of 4 blocks with cache_control may be provided. Found 5');
    h[0]!.content = (h[0]!.content as unknown[]).slice(0, 4);
    expect(validateMessageHistory(h)).toEqual([]);
  });

  it('rejects a final assistant message ending in whitespace', () => {
    const h: Msg[] = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Prefill ' },
    ];
    expectViolation(validateMessageHistory(h), 'trailing whitespace');
  });
});

describe('validateMessagesRequest', () => {
  const tools = [
    {
      name: 'search_quran',
      description: 'Search the Quran',
      input_schema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
    },
  ];
  const valid = () => ({
    model: 'claude-sonnet-4-5',
    max_tokens: 4096,
    temperature: 0,
    stream: true,
    system: [{ type: 'text', text: 'You are Ansari.', cache_control: { type: 'ephemeral' } }],
    tools,
    messages: roundTrip(),
  });

  it('accepts the request shape the agent sends', () => {
    expect(validateMessagesRequest(valid())).toEqual([]);
  });

  it('rejects a non-object body', () => {
    expectViolation(validateMessagesRequest('hello'), 'JSON object');
  });

  it('rejects a missing model and a non-positive max_tokens', () => {
    expectViolation(validateMessagesRequest({ ...valid(), model: '' }), 'model');
    expectViolation(validateMessagesRequest({ ...valid(), max_tokens: 0 }), 'max_tokens');
    expectViolation(validateMessagesRequest({ ...valid(), max_tokens: 1.5 }), 'max_tokens');
  });

  it('rejects a bad system prompt', () => {
    expectViolation(validateMessagesRequest({ ...valid(), system: [{ type: 'image' }] }), 'system.0');
    expectViolation(
      validateMessagesRequest({ ...valid(), system: [{ type: 'text', text: '' }] }),
      'system.0: text content blocks must be non-empty',
    );
    expectViolation(validateMessagesRequest({ ...valid(), system: 5 }), 'system:');
  });

  it('rejects temperature outside 0..1 and a non-boolean stream', () => {
    expectViolation(validateMessagesRequest({ ...valid(), temperature: 1.5 }), 'temperature');
    expectViolation(validateMessagesRequest({ ...valid(), stream: 'yes' }), 'stream');
  });

  it('rejects bad tools', () => {
    expectViolation(validateMessagesRequest({ ...valid(), tools: [{ ...tools[0], name: 'search quran' }] }), 'tools.0.name');
    expectViolation(
      validateMessagesRequest({ ...valid(), tools: [{ name: 'x', input_schema: { type: 'array' } }] }),
      'tools.0.input_schema.type',
    );
    expectViolation(validateMessagesRequest({ ...valid(), tools: [{ name: 'x' }] }), 'tools.0.input_schema: Field required');
    expectViolation(validateMessagesRequest({ ...valid(), tools: [tools[0], tools[0]] }), 'tool names must be unique');
  });

  it('rejects tool blocks in the history when no tools are defined', () => {
    const { tools: _omit, ...noTools } = valid();
    expectViolation(validateMessagesRequest(noTools), 'must define tools');
  });

  it('rejects invalid messages through validateMessageHistory', () => {
    expectViolation(validateMessagesRequest({ ...valid(), messages: [] }), 'at least one message');
  });

  it('counts cache_control across system, tools and messages (max 4)', () => {
    const body = valid(); // 1 in system
    body.tools = [{ ...tools[0]!, cache_control: { type: 'ephemeral' } } as (typeof tools)[number]];
    const msgs = body.messages;
    (msgs[0]!.content as Array<Record<string, unknown>>)[0]!.cache_control = { type: 'ephemeral' };
    msgs[4]!.content = [{ type: 'text', text: 'Thank you', cache_control: { type: 'ephemeral' } }];
    expect(validateMessagesRequest(body)).toEqual([]); // 4 in total
    (msgs[3]!.content as Array<Record<string, unknown>>)[0]!.cache_control = { type: 'ephemeral' };
    expectViolation(validateMessagesRequest(body), 'Found 5');
    // The history alone has only 3, so validateMessageHistory does not complain.
    expect(validateMessageHistory(msgs)).toEqual([]);
  });
});
