/** Thread names: trimmed, at most 100 characters, and the name a thread gets from its first user message. */
import type { Message } from '#lib/blocks/types.js';

const MAX_NAME_CHARS = 100;

/**
 * Trims a thread name and cuts it to 100 characters (code points, as PostgreSQL's VARCHAR(100) counts them),
 * so a surrogate pair is never split. Returns '' for a blank name.
 */
export function normaliseName(raw: string): string {
  const trimmed = raw.trim();
  const chars = Array.from(trimmed);
  return chars.length <= MAX_NAME_CHARS ? trimmed : chars.slice(0, MAX_NAME_CHARS).join('').trimEnd();
}

/** The name a thread gets from a user message: its text, whitespace collapsed, cut to 100 characters ('' when none). */
export function nameFrom(message: Message): string {
  const text = message.content
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join(' ');
  return normaliseName(text.replace(/\s+/g, ' '));
}

/** The first user message of a thread that can name it. */
export const firstNamingMessage = (messages: Message[]): Message | undefined =>
  messages.find((m) => m.role === 'user' && Array.isArray(m.content) && nameFrom(m) !== '');
