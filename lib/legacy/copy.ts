/** The MongoDB copy of a legacy thread: its document, and the merge base a rerun of the migration compares with. */
import type { Message } from '#lib/blocks/types.js';
import type { LegacyBase, LegacyOrigin, ThreadDoc } from '#lib/threads/types.js';
import type { LegacyMessageRow } from './convert/index.js';
import type { LegacyThreadRow } from './queries.js';

/**
 * What SQL holds of a thread now, as a migration rerun compares it with the base stored on the copy: name, time,
 * the message rows (count and highest id: the old backend only ever adds rows) and the feedback of each converted
 * message.
 */
export function legacyBase(t: LegacyThreadRow, rows: LegacyMessageRow[], messages: Message[]): LegacyBase {
  const feedback: LegacyBase['feedback'] = {};
  for (const m of messages) if (m.feedback) feedback[m.id] = m.feedback;
  return {
    name: t.name,
    updated_at: t.updated_at,
    rows: rows.length,
    last_row: rows.reduce((max, r) => Math.max(max, Number(r.id)), 0),
    feedback,
  };
}

/** The MongoDB document of a legacy thread: same thread_id, owner, name, source and times; messages as blocks. */
export function legacyThreadDoc(
  t: LegacyThreadRow,
  messages: Message[],
  origin: Omit<LegacyOrigin, 'store' | 'copied_at'> & { copied_at?: Date },
): ThreadDoc & { origin: LegacyOrigin } {
  return {
    thread_id: t.thread_id,
    name: t.name,
    user_id: t.user_id,
    initial_source: t.initial_source,
    created_at: t.created_at,
    updated_at: t.updated_at,
    metadata: {},
    messages,
    origin: { store: 'legacy', ...origin, copied_at: origin.copied_at ?? new Date() },
  };
}
