/** Wire shapes of threads and messages: what clients see of the stored documents. */
import type { Message } from '#lib/blocks/types.js';
import { toTextMessages } from '#lib/blocks/text.js';
import { pageOf } from './paging.js';
import type { MessagePage, ThreadRecord, ThreadSummary } from './types.js';

/** Wire shapes. Dates become ISO 8601 UTC strings with milliseconds by JSON.stringify. */
export const summaryView = (s: ThreadSummary) => ({
  thread_id: s.thread_id,
  thread_name: s.name,
  created_at: s.created_at,
  updated_at: s.updated_at,
  initial_source: s.initial_source,
  storage: s.storage,
});

/** A stored message as clients see it: owner ids are internal and never sent. */
export function messageView(m: Message) {
  const { user_id: _owner, ...rest } = m;
  return rest;
}

export type MessageFormat = 'json' | 'text';

export const messagesView = (messages: Message[], format: MessageFormat) =>
  format === 'text' ? toTextMessages(messages) : messages.map(messageView);

export const threadView = (t: ThreadRecord, format: MessageFormat) => ({
  ...summaryView(t),
  metadata: t.metadata,
  messages: messagesView(t.messages, format),
  has_more: t.has_more,
});

/**
 * A page of the text view: `limit` and `before` count display messages (one per reply), so a reply that spans
 * tool rounds is never cut in two. `thread` holds all its messages.
 */
export function textPageView(thread: ThreadRecord, page: MessagePage) {
  const { items, has_more } = pageOf(toTextMessages(thread.messages), page);
  return { ...summaryView(thread), metadata: thread.metadata, messages: items, has_more };
}
