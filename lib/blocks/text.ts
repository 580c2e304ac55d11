/**
 * Display text of messages (`?format=text`, the streamed reply, the Markdown export): text blocks, citations, the
 * appendix. The typed client (client/) imports it too, so `toDisplayMessages` gives exactly what `?format=text` gives:
 * keep it free of imports other than ./types.ts.
 */
import { isTextBlock, type Block, type Citation, type Message } from './types.js';

/**
 * Display text: what older clients render and what the add-message stream sends.
 * One renderer serves both so the streamed bytes equal the stored reply's `format=text` content:
 * text blocks are concatenated; a cited block is followed by its markers ` [n]` (numbered across the turn);
 * the turn ends with a `**Citations**:` appendix. An interrupted answer ends with a short notice.
 */
export const INTERRUPTED_NOTICE = '\n\n_(The answer was interrupted before it was complete.)_';
export const TURN_SEPARATOR = '\n\n';

export function citationMarkers(count: number, firstNumber: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += ` [${firstNumber + i}]`;
  return out;
}

export function citationsAppendix(citations: Citation[]): string {
  if (citations.length === 0) return '';
  const entries = citations.map((c, i) => {
    const title = (c.document_title ?? '').trim() || 'Source';
    const cited = (c.cited_text ?? '').trim();
    return `[${i + 1}] ${title}:\n${cited}`;
  });
  return `\n\n**Citations**:\n${entries.join('\n\n')}`;
}

/**
 * How citations show in display text: the text view's ` [n]` markers and `**Citations**:` appendix, or Markdown
 * footnotes (the export). Numbers run from 1 within each reply; a style may offset them.
 */
export interface CitationStyle {
  /** The markers after a block citing `count` sources, numbered from `first`. */
  markers(count: number, first: number): string;
  /** What ends a reply that cited these sources (the appendix); called once per reply. */
  notes(citations: Citation[]): string;
}

export const INLINE_CITATIONS: CitationStyle = { markers: citationMarkers, notes: citationsAppendix };

/**
 * Markdown footnotes numbered across one whole document (labels must be unique in it): ` [^n]` after the cited
 * block, `[^n]: Title: cited text` after the reply. One instance per document.
 */
export function footnoteCitations(): CitationStyle {
  let offset = 0;
  return {
    markers: (count, first) => {
      let out = '';
      for (let i = 0; i < count; i++) out += ` [^${offset + first + i}]`;
      return out;
    },
    notes: (citations) => {
      if (citations.length === 0) return '';
      const notes = citations.map((c, i) => {
        const title = (c.document_title ?? '').trim() || 'Source';
        const cited = (c.cited_text ?? '').trim().replace(/\n/g, '\n    ');
        return `[^${offset + i + 1}]: ${title}${cited ? `: ${cited}` : ''}`;
      });
      offset += citations.length;
      return `\n\n${notes.join('\n')}`;
    },
  };
}

/** Renders the text blocks of one message, numbering citations from `citations.length + 1` and collecting them. */
export function renderBlocks(blocks: Block[], citations: Citation[], style: CitationStyle = INLINE_CITATIONS): string {
  let out = '';
  for (const block of blocks) {
    if (!isTextBlock(block)) continue;
    out += block.text;
    const cited = Array.isArray(block.citations) ? block.citations : [];
    out += style.markers(cited.length, citations.length + 1);
    citations.push(...cited);
  }
  return out;
}

/**
 * What rendering reads of a message: stored messages (`Date` times) and a client's messages parsed from JSON (ISO
 * strings) alike; `created_at` is passed through as it is.
 */
export type DisplaySource<Time = Date> = Pick<Message, 'id' | 'role' | 'content' | 'interrupted' | 'feedback'> & { created_at: Time };

/** The display text of a run of assistant messages forming one reply (preface text, tool rounds, final answer). */
export function renderReply(messages: DisplaySource<unknown>[], style: CitationStyle = INLINE_CITATIONS): string {
  const citations: Citation[] = [];
  const parts: string[] = [];
  let interrupted = false;
  for (const m of messages) {
    const text = renderBlocks(m.content, citations, style);
    if (text.trim() !== '') parts.push(text);
    interrupted ||= m.interrupted === true;
  }
  return parts.join(TURN_SEPARATOR) + style.notes(citations) + (interrupted ? INTERRUPTED_NOTICE : '');
}

export interface TextMessage<Time = Date> {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  created_at: Time;
  /** The feedback of the message whose id this one carries (the owner's views only: shares hold none). */
  feedback?: Record<string, unknown>;
}

const withFeedback = <Time>(out: TextMessage<Time>, m: DisplaySource<Time>): TextMessage<Time> =>
  m.feedback ? { ...out, feedback: m.feedback } : out;

const hasToolResultOnly = (m: DisplaySource<unknown>): boolean =>
  m.role === 'user' && m.content.length > 0 && m.content.every((b) => b.type === 'tool_result');

/**
 * The simple format (`?format=text`): user messages with their text, and each assistant reply as ONE message
 * (consecutive assistant messages joined across tool-result turns) carrying the id (and feedback) of its last message.
 * Messages with no display text (tool calls, tool results) are left out.
 */
export function toTextMessages<Time = Date>(messages: DisplaySource<Time>[], style: CitationStyle = INLINE_CITATIONS): TextMessage<Time>[] {
  const out: TextMessage<Time>[] = [];
  let run: DisplaySource<Time>[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const content = renderReply(run, style);
    const last = run[run.length - 1]!;
    if (content.trim() !== '') out.push(withFeedback({ id: last.id, role: 'assistant', content, created_at: last.created_at }, last));
    run = [];
  };
  for (const m of messages) {
    if (m.role === 'assistant') {
      run.push(m);
      continue;
    }
    if (hasToolResultOnly(m)) continue; // part of the current reply's tool round
    flush();
    const content = renderBlocks(m.content, [], style);
    if (content.trim() !== '') out.push(withFeedback({ id: m.id, role: 'user', content, created_at: m.created_at }, m));
  }
  flush();
  return out;
}
