/** The thread module's pure helpers (lib/threads/): list cursor and order, message paging, names, wire views, Markdown export. */
import { describe, expect, it } from 'vitest';
import type { Message } from '#lib/blocks/types.js';
import { NotFoundError, ValidationError } from '#lib/errors.js';
import { compareSummaries, decodeCursor, encodeCursor } from '#lib/threads/cursor.js';
import { markdownDocument } from '#lib/threads/markdown.js';
import { firstNamingMessage, nameFrom, normaliseName } from '#lib/threads/names.js';
import { joinMessages } from '#lib/threads/overflow.js';
import { pageBounds, pageOf } from '#lib/threads/paging.js';
import type { ThreadRecord } from '#lib/threads/types.js';
import { messagesView, messageView, summaryView, textPageView, threadView } from '#lib/threads/views.js';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const at = (s: number) => new Date(Date.UTC(2026, 10, 23, 17, 4, s));
const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const msg = (id: string, role: 'user' | 'assistant', text: string, extra: Partial<Message> = {}): Message => ({
  id,
  role,
  content: [{ type: 'text', text }],
  created_at: at(0),
  ...extra,
});

describe('list cursor', () => {
  it('decodes what it encodes, to the millisecond', () => {
    const c = { updatedAt: new Date('2026-11-23T17:04:05.123Z'), threadId: ID };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(decodeCursor(raw({ u: '2026-11-23T17:04:05.123Z', t: ID }))).toEqual(c);
  });

  it.each([
    ['not base64 JSON', 'bm90IGpzb24'],
    ['an extra key', raw({ u: '2026-11-23T17:04:05.123Z', t: ID, x: 1 })],
    ['a missing time', raw({ t: ID })],
    ['a time that is not ISO 8601', raw({ u: 'yesterday', t: ID })],
    ['an id one character short', raw({ u: '2026-11-23T17:04:05.123Z', t: ID.slice(1) })],
    ['an id one character long', raw({ u: '2026-11-23T17:04:05.123Z', t: `${ID}0` })],
    ['an id with a character before it', raw({ u: '2026-11-23T17:04:05.123Z', t: `x${ID.slice(1)}` })],
    ['an id with a character after it', raw({ u: '2026-11-23T17:04:05.123Z', t: `${ID.slice(0, -1)}x` })],
    ['a MongoDB operator as the id', raw({ u: '2026-11-23T17:04:05.123Z', t: { $gt: '' } })],
  ])('rejects %s with a ValidationError', (_what, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(new ValidationError('Invalid query: cursor is not a valid cursor'));
  });

  it('orders newest first, ties broken by thread_id descending', () => {
    const a = { updatedAt: at(2), threadId: 'b' };
    expect(compareSummaries(a, { updatedAt: at(1), threadId: 'z' })).toBe(-1000);
    expect(compareSummaries(a, { updatedAt: at(3), threadId: 'a' })).toBe(1000);
    expect(compareSummaries(a, { updatedAt: at(2), threadId: 'a' })).toBe(-1);
    expect(compareSummaries(a, { updatedAt: at(2), threadId: 'c' })).toBe(1);
    expect(compareSummaries(a, { updatedAt: at(2), threadId: 'b' })).toBe(0);
  });
});

describe('message paging', () => {
  const ids = ['a', 'b', 'c', 'd'];

  it('gives the whole thread without limit or before, the latest `limit` with one', () => {
    expect(pageBounds(ids, {})).toEqual([0, 4]);
    expect(pageBounds(ids, { limit: 2 })).toEqual([2, 4]);
    expect(pageBounds(ids, { limit: 4 })).toEqual([0, 4]);
    expect(pageBounds(ids, { limit: 9 })).toEqual([0, 4]);
  });

  it('ends the page before the `before` id, and is a 404 for an id the thread does not hold', () => {
    expect(pageBounds(ids, { before: 'c' })).toEqual([0, 2]);
    expect(pageBounds(ids, { before: 'a' })).toEqual([0, 0]);
    expect(pageBounds(ids, { before: 'd', limit: 2 })).toEqual([1, 3]);
    expect(() => pageBounds(ids, { before: 'x' })).toThrow(new NotFoundError('Message not found'));
  });

  it('says whether older messages exist', () => {
    const items = ids.map((id) => ({ id }));
    expect(pageOf(items, { limit: 2 })).toEqual({ items: [{ id: 'c' }, { id: 'd' }], has_more: true });
    expect(pageOf(items, { limit: 4 })).toEqual({ items, has_more: false });
    expect(pageOf(items, { before: 'b', limit: 1 })).toEqual({ items: [{ id: 'a' }], has_more: false });
  });
});

describe('thread names', () => {
  it('trims, keeps 100 code points, cuts at 101 without splitting a surrogate pair, and trims the cut', () => {
    expect(normaliseName('  a name \n')).toBe('a name');
    expect(normaliseName(' \t ')).toBe('');
    const hundred = '😀'.repeat(100);
    expect(normaliseName(hundred)).toBe(hundred);
    expect(normaliseName(`${hundred}x`)).toBe(hundred);
    expect(normaliseName(`${'a'.repeat(99)} b`)).toBe('a'.repeat(99));
  });

  it('names from the text blocks of a message, joined, whitespace collapsed', () => {
    const m = msg('m1', 'user', '', {
      content: [
        { type: 'text', text: ' What  is' },
        { type: 'image', text: 'not this' },
        { type: 'text', text: 42 },
        { type: 'text', text: 'zakat? ' },
      ],
    });
    expect(nameFrom(m)).toBe('What is zakat?');
    expect(nameFrom(msg('m2', 'user', '   '))).toBe('');
  });

  it('takes the first user message that has text', () => {
    const named = msg('u2', 'user', 'second');
    const messages = [
      msg('a1', 'assistant', 'not an assistant message'),
      msg('u1', 'user', ' '),
      { ...msg('u0', 'user', ''), content: 'not a list' as unknown as Message['content'] },
      named,
      msg('u3', 'user', 'third'),
    ];
    expect(firstNamingMessage(messages)).toBe(named);
    expect(firstNamingMessage(messages.slice(0, 3))).toBeUndefined();
  });
});

const record = (messages: Message[], name: string | null = 'Zakat'): ThreadRecord => ({
  thread_id: ID,
  name,
  initial_source: 'ios',
  created_at: at(1),
  updated_at: at(2),
  storage: 'mongodb',
  metadata: { app: 1 },
  messages,
  has_more: true,
});

describe('wire views', () => {
  const summary = { thread_id: ID, thread_name: 'Zakat', created_at: at(1), updated_at: at(2), initial_source: 'ios', storage: 'mongodb' };

  it('shows a thread with its metadata and messages, never the owner id', () => {
    const m = msg('m1', 'user', 'hi', { user_id: 'owner' });
    expect(messageView(m)).toStrictEqual({ id: 'm1', role: 'user', content: m.content, created_at: at(0) });
    expect(summaryView(record([]))).toStrictEqual(summary);
    expect(threadView(record([m]), 'json')).toStrictEqual({ ...summary, metadata: { app: 1 }, messages: [messageView(m)], has_more: true });
  });

  it('shows the text format as one message per reply, and pages it by display message', () => {
    const messages = [
      msg('u1', 'user', 'q1'),
      msg('a1', 'assistant', 'first part'),
      { ...msg('r1', 'user', ''), content: [{ type: 'tool_result', tool_use_id: 't', content: [] }] },
      msg('a2', 'assistant', 'second part'),
      msg('u2', 'user', 'q2'),
      msg('a3', 'assistant', 'answer'),
    ];
    const text = messagesView(messages, 'text');
    expect(text.map((m) => [m.id, m.content])).toEqual([
      ['u1', 'q1'],
      ['a2', 'first part\n\nsecond part'],
      ['u2', 'q2'],
      ['a3', 'answer'],
    ]);
    expect(threadView(record(messages), 'text').messages).toEqual(text);
    expect(textPageView(record(messages), { limit: 2, before: 'u2' })).toStrictEqual({
      ...summary,
      metadata: { app: 1 },
      messages: text.slice(0, 2),
      has_more: false,
    });
    expect(textPageView(record(messages), { limit: 2 })).toMatchObject({ messages: text.slice(2), has_more: true });
  });
});

describe('Markdown export', () => {
  it('writes a title, then per thread its heading, times and text messages, citations as footnotes across the document', () => {
    const doc = markdownDocument(new Date('2026-11-30T09:05:59.999Z'));
    expect(doc.header).toBe('# Ansari conversations\n\nExported 2026-11-30 09:05 UTC.\n');
    expect(doc.empty).toBe('\n_No conversations._\n');
    const cited = (id: string, title: string) =>
      msg(id, 'assistant', '', {
        content: [{ type: 'text', text: '  It is due.  ', citations: [{ type: 'char_location', document_title: title, cited_text: 'x' }] }],
        created_at: at(30),
      });
    expect(doc.thread(record([msg('u1', 'user', ' What is zakat? '), cited('a1', 'Book')], '  Zakat\n on   gold '))).toBe(
      '\n---\n\n## Zakat on gold\n\n_Started 2026-11-23 17:04 UTC, last message 2026-11-23 17:04 UTC._\n' +
        '\n**You** · 2026-11-23 17:04 UTC\n\nWhat is zakat?\n' +
        '\n**Ansari** · 2026-11-23 17:04 UTC\n\nIt is due.   [^1]\n\n[^1]: Book: x\n',
    );
    // Numbering goes on across threads; a thread without name, times or messages still reads.
    expect(doc.thread(record([cited('a2', 'Other')]))).toContain('[^2]: Other: x');
    const bare = { ...record([], null), created_at: null as unknown as Date, updated_at: undefined as unknown as Date };
    expect(doc.thread(bare)).toBe(
      '\n---\n\n## Untitled conversation\n\n_Started unknown time, last message unknown time._\n\n_No messages._\n',
    );
    expect(doc.thread(record([], '  \n '))).toContain('## Untitled conversation\n');
  });
});

describe('joining chunks and document', () => {
  it('keeps each message once, in its place, with the document’s copy when a crash left it in both', () => {
    const [a, b, c] = [msg('a', 'user', 'a'), msg('b', 'assistant', 'b in a chunk'), msg('c', 'user', 'c')];
    const bDoc = msg('b', 'assistant', 'b in the document', { feedback: { class: 'thumbsup' } });
    expect(joinMessages([a, b], [bDoc, c])).toStrictEqual([a, bDoc, c]);
    expect(joinMessages([a, b, b], [])).toStrictEqual([a, b]);
    expect(joinMessages([], [c])).toStrictEqual([c]);
  });
});
