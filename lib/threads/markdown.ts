/** The Markdown export: one readable document of a person's threads, rendered by the text view's code (citations as footnotes). */
import { footnoteCitations, toTextMessages } from '#lib/blocks/text.js';
import type { ThreadRecord } from './types.js';

/** A time as people read it: `2026-11-23 17:04 UTC`. */
const when = (d: Date | null | undefined): string => (d ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'unknown time');

/** A thread name as a one-line heading. */
const heading = (name: string | null): string => (name ?? '').replace(/\s+/g, ' ').trim() || 'Untitled conversation';

/**
 * One Markdown document, written a thread at a time (the export streams it): a title, then per thread a heading,
 * its times, and its messages as the text view shows them (tool calls and results left out, each reply one
 * message), citations as footnotes numbered across the document.
 */
export function markdownDocument(exportedAt = new Date()): { header: string; thread(t: ThreadRecord): string; empty: string } {
  const citations = footnoteCitations();
  return {
    header: `# Ansari conversations\n\nExported ${when(exportedAt)}.\n`,
    empty: '\n_No conversations._\n',
    thread(t) {
      const parts = [`\n---\n\n## ${heading(t.name)}\n\n_Started ${when(t.created_at)}, last message ${when(t.updated_at)}._\n`];
      const messages = toTextMessages(t.messages, citations);
      if (messages.length === 0) parts.push('\n_No messages._\n');
      for (const m of messages)
        parts.push(`\n**${m.role === 'user' ? 'You' : 'Ansari'}** · ${when(m.created_at)}\n\n${m.content.trim()}\n`);
      return parts.join('');
    },
  };
}
