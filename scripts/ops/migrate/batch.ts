/** The migration's read stage: one batch of legacy threads by keyset, their messages converted, their MongoDB copies. */
import type { Message } from '#lib/blocks/types.js';
import { withDbRetry } from '#lib/db/retry.js';
import { legacyBase } from '#lib/legacy/copy.js';
import { convertLegacyMessages } from '#lib/legacy/convert/index.js';
import { selectMessages, selectThreads, type LegacyPosition, type LegacyThreadRow, type Queryable } from '#lib/legacy/queries.js';
import { threadsCollection } from '#lib/threads/mongo-store.js';
import type { LegacyBase, LegacyOrigin } from '#lib/threads/types.js';

export interface BatchItem {
  row: LegacyThreadRow;
  /** The thread's rows converted to block messages (what a copy holds), and what SQL holds now (the merge base). */
  messages: Message[];
  base: LegacyBase;
  /** The thread's MongoDB copy, when it has one. */
  copy?: { user_id: string; origin?: LegacyOrigin };
}

export interface Batch {
  items: BatchItem[];
  /** The position of the batch's last thread: the next batch starts after it. */
  last?: LegacyPosition;
  /** The batch was cut by its size: more threads may follow. */
  full: boolean;
}

/**
 * Reads the next `limit` threads of the scope after `after` (one SQL query on the list-order index), then their
 * message rows (one query) and which of them MongoDB already holds (one query, at the same time), and converts.
 */
export async function readBatch(
  db: Queryable,
  scope: { since?: Date; threadId?: string },
  after: LegacyPosition | undefined,
  limit: number,
): Promise<Batch> {
  const rows = await withDbRetry('migrate.threads', () => selectThreads(db, { ...scope, after, limit }));
  if (rows.length === 0) return { items: [], full: false };
  const ids = rows.map((r) => r.thread_id);
  const [messageRows, copies] = await Promise.all([
    withDbRetry('migrate.messages', () => selectMessages(db, ids)),
    withDbRetry('migrate.present', async () =>
      (await threadsCollection())
        .find({ thread_id: { $in: ids } }, { projection: { _id: 0, thread_id: 1, user_id: 1, origin: 1 } })
        .toArray(),
    ),
  ]);
  const copyOf = new Map(copies.map((c) => [c.thread_id, c]));
  const items = rows.map((row): BatchItem => {
    const sqlRows = messageRows.get(row.thread_id) ?? [];
    const messages = convertLegacyMessages(sqlRows);
    const copy = copyOf.get(row.thread_id);
    return {
      row,
      messages,
      base: legacyBase(row, sqlRows, messages),
      ...(copy ? { copy: { user_id: copy.user_id, ...(copy.origin ? { origin: copy.origin } : {}) } } : {}),
    };
  });
  const lastRow = rows[rows.length - 1]!;
  return { items, last: { updatedAt: lastRow.updated_at, threadId: lastRow.thread_id }, full: rows.length === limit };
}
