/** The streamed display text equals the stored reply rendered afterwards. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplyTextRenderer } from '#lib/agent/display.js';
import { encoderFor, type TurnEvent } from '#lib/agent/events.js';
import { INTERRUPTED_NOTICE, renderReply, toTextMessages, TURN_SEPARATOR } from '#lib/blocks/text.js';
import type { Citation, Message } from '#lib/blocks/types.js';
import { arbTextBlock, arbThinking, arbToolUse, Tally, tallyThread } from '#test/support/arbitraries.js';

const at = new Date(Date.UTC(2026, 0, 1));
const cite = (n: number): Citation => ({
  type: 'char_location',
  cited_text: `cited ${n}`,
  document_title: `Source ${n}`,
  document_index: n,
});

/** Streams assistant messages through the renderer the way a turn does, delta by delta. */
function stream(messages: Message[], split: (text: string) => string[]): string {
  const r = new ReplyTextRenderer();
  let out = '';
  let interrupted = false;
  for (const m of messages) {
    if (m.role !== 'assistant') continue;
    out += r.startMessage();
    for (const b of m.content) {
      if (b.type !== 'text') continue;
      for (const d of split(b.text as string)) out += r.text(d);
      out += r.textBlockEnd((b.citations as Citation[] | undefined) ?? []);
    }
    out += r.endMessage();
    interrupted ||= m.interrupted === true;
  }
  return out + r.finish(interrupted);
}

describe('ReplyTextRenderer', () => {
  it('renders a reply exactly as renderReply does: separators only between messages with text, markers, appendix', () => {
    const messages: Message[] = [
      {
        id: '1',
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me search.' },
          { type: 'tool_use', id: 't', name: 'n', input: {} },
        ],
        created_at: at,
      },
      { id: '2', role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'r' }], created_at: at },
      {
        id: '3',
        role: 'assistant',
        content: [
          { type: 'text', text: '\n\n ' },
          { type: 'tool_use', id: 'u', name: 'n', input: {} },
        ],
        created_at: at,
      },
      { id: '4', role: 'user', content: [{ type: 'tool_result', tool_use_id: 'u', content: 'r' }], created_at: at },
      {
        id: '5',
        role: 'assistant',
        content: [
          { type: 'text', text: '\nPatience', citations: [cite(1), cite(2)] },
          { type: 'text', text: ' and prayer', citations: [cite(3)] },
          { type: 'text', text: '.' },
        ],
        created_at: at,
      },
    ];
    const expected = `Let me search.${TURN_SEPARATOR}\nPatience [1] [2] and prayer [3].\n\n**Citations**:\n[1] Source 1:\ncited 1\n\n[2] Source 2:\ncited 2\n\n[3] Source 3:\ncited 3`;
    expect(renderReply(messages.filter((m) => m.role === 'assistant'))).toBe(expected);
    expect(stream(messages, (t) => Array.from(t))).toBe(expected);
    expect(stream(messages, (t) => [t])).toBe(expected);
  });

  it('ends an interrupted reply with the notice, after the appendix', () => {
    const messages: Message[] = [
      { id: '1', role: 'assistant', content: [{ type: 'text', text: 'Half', citations: [cite(1)] }], created_at: at, interrupted: true },
    ];
    expect(stream(messages, (t) => [t])).toBe(`Half [1]\n\n**Citations**:\n[1] Source 1:\ncited 1${INTERRUPTED_NOTICE}`);
    expect(stream([{ id: '1', role: 'assistant', content: [], created_at: at, interrupted: true }], (t) => [t])).toBe(INTERRUPTED_NOTICE);
  });

  it('agrees with toTextMessages on arbitrary replies, however the text is cut into deltas (fast-check)', () => {
    const tally = new Tally();
    const arbReplyMessage = fc.record({
      content: fc.array(fc.oneof({ weight: 5, arbitrary: arbTextBlock }, arbToolUse(), arbThinking), { maxLength: 4 }),
      interrupted: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    });
    const arbReply = fc.record({
      rounds: fc.array(arbReplyMessage, { minLength: 1, maxLength: 4 }),
      cuts: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 8 }),
    });
    fc.assert(
      fc.property(arbReply, ({ rounds, cuts }) => {
        const messages: Message[] = [{ id: 'q', role: 'user', content: [{ type: 'text', text: 'Q' }], created_at: at }];
        rounds.forEach((r, i) => {
          const last = i === rounds.length - 1;
          messages.push({
            id: `a${i}`,
            role: 'assistant',
            content: r.content,
            created_at: at,
            ...(r.interrupted ? { interrupted: true } : {}),
          });
          if (!last)
            messages.push({
              id: `t${i}`,
              role: 'user',
              content: [{ type: 'tool_result', tool_use_id: 'x', content: 'r' }],
              created_at: at,
            });
        });
        tallyThread(tally, messages);
        let k = 0;
        const split = (t: string) => {
          const chars = Array.from(t); // deltas never split a code point, as the SDK's never do
          const out: string[] = [];
          for (let i = 0; i < chars.length;) {
            const n = cuts[k++ % cuts.length]!;
            out.push(chars.slice(i, i + n).join(''));
            i += n;
          }
          return out;
        };
        const streamed = stream(messages, split);
        const view = toTextMessages(messages).filter((m) => m.role === 'assistant');
        expect(view.length === 0 ? '' : view[0]!.content).toBe(streamed);
        tally.add(view.length === 0 ? 'replies with no text' : 'replies with text');
      }),
      { numRuns: 1500 },
    );
    console.info(`display property cases: ${tally.summary()}`);
    for (const kind of [
      'text',
      'cited texts',
      'blank texts',
      'tool_use',
      'interrupted messages',
      'replies with text',
      'replies with no text',
    ]) {
      expect(tally.at(kind), kind).toBeGreaterThan(100);
    }
    expect(tally.at('replies with no text')).toBeGreaterThan(20);
  });
});

describe('event encoders', () => {
  const events: TurnEvent[] = [
    { type: 'stored', message: { id: 'u', role: 'user', content: [{ type: 'text', text: 'Q' }], created_at: at, user_id: 'owner' } },
    { type: 'message_start' },
    { type: 'text', text: 'Hi' },
    { type: 'text_block_end', citations: [cite(1)] },
    { type: 'tool_use', block: { type: 'tool_use', id: 't', name: 'search_quran', input: { query: 'q' } } },
    { type: 'message_end' },
    { type: 'tool_result', block: { type: 'tool_result', tool_use_id: 't', content: 'none', is_error: true } },
    { type: 'end', interrupted: true, detail: 'The assistant stopped responding.' },
  ];
  const run = (format: 'text' | 'ndjson') => {
    const e = encoderFor(format);
    return events.map((ev) => e.encode(ev)).join('');
  };

  it('text: only the display text', () => {
    expect(run('text')).toBe(`Hi [1]\n\n**Citations**:\n[1] Source 1:\ncited 1${INTERRUPTED_NOTICE}`);
  });

  it('ndjson: one event per line, owner ids left out, error then done', () => {
    expect(run('ndjson').split('\n')).toEqual([
      JSON.stringify({ type: 'message', message: { id: 'u', role: 'user', content: [{ type: 'text', text: 'Q' }], created_at: at } }),
      JSON.stringify({ type: 'text', text: 'Hi' }),
      JSON.stringify({ type: 'tool_use', id: 't', name: 'search_quran', input: { query: 'q' } }),
      JSON.stringify({ type: 'tool_result', tool_use_id: 't', content: 'none', is_error: true }),
      JSON.stringify({ type: 'error', detail: 'The assistant stopped responding.' }),
      JSON.stringify({ type: 'done' }),
      '',
    ]);
  });
});

describe('ReplyBody', () => {
  it('never splits a character across chunks, and ends after what was sent', async () => {
    const { ReplyBody } = await import('#lib/agent/reply-body.js');
    let gone = 0;
    const body = new ReplyBody(() => gone++);
    body.send('a\uD83C'); // a high surrogate at the end of a delta
    body.send('\uDF19b');
    body.send('');
    body.finish();
    body.send('ignored after the end');
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString('utf8')).toBe('a🌙b'); // no U+FFFD from a lone surrogate
    expect(gone).toBe(0);
  });

  it('reports a consumer that goes away before the end, once', async () => {
    const { ReplyBody } = await import('#lib/agent/reply-body.js');
    const reasons: Array<string | undefined> = [];
    const body = new ReplyBody((err) => reasons.push(err?.message));
    body.on('error', () => undefined);
    body.send('partial');
    body.destroy(new Error('client disconnected'));
    body.destroy(new Error('again'));
    await new Promise((r) => setImmediate(r));
    expect(reasons).toEqual(['client disconnected']);
  });
});
