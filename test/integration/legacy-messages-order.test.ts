/**
 * selectMessages against real SQL: the old backend's message order (COALESCE(timestamp, created_at) NULLS FIRST,
 * then id, to the microsecond), each message's latest feedback, and times cut to whole milliseconds.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hybridStores } from '#test/support/hybrid.js';

const { query } = await hybridStores('legacy_messages_order');
const { legacyDb, selectMessages } = await import('#lib/legacy/queries.js');

async function thread(): Promise<{ user: string; id: string }> {
  const user = randomUUID();
  const id = randomUUID();
  await query('INSERT INTO users (id, email) VALUES ($1, $2)', [user, `${user}@ansari.test`]);
  await query('INSERT INTO threads (id, user_id) VALUES ($1, $2)', [id, user]);
  return { user, id };
}

/** Inserts a message row; returns its id. */
async function message(t: { user: string; id: string }, content: string, timestamp: string | null, createdAt: string | null) {
  const { rows } = await query(
    `INSERT INTO messages (user_id, thread_id, role, content, timestamp, created_at) VALUES ($1, $2, 'user', $3, $4, $5) RETURNING id`,
    [t.user, t.id, content, timestamp, createdAt],
  );
  return (rows[0] as { id: number }).id;
}

describe('selectMessages', () => {
  it('orders rows by timestamp (else created_at) to the microsecond, rows without either first, ties by id', async () => {
    const t = await thread();
    // Inserted in an order that is neither the id order nor the time order.
    await message(t, 'late', '2024-05-01 10:00:02', null);
    await message(t, 'same ms, later microsecond', '2024-05-01 10:00:01.000900', null);
    await message(t, 'same ms, earlier microsecond', '2024-05-01 10:00:01.000100', null);
    await message(t, 'no timestamp: created_at', null, '2024-05-01 10:00:00.5');
    await message(t, 'no time at all, lower id', null, null);
    await message(t, 'no time at all, higher id', null, null);
    await message(t, 'tie, lower id', '2024-05-01 10:00:03', null);
    await message(t, 'tie, higher id', '2024-05-01 10:00:03', null);
    const other = await thread();
    await message(other, 'another thread', '2024-05-01 09:00:00', null);

    const rows = (await selectMessages(legacyDb(), [t.id, other.id])).get(t.id)!;
    expect(rows.map((r) => r.content)).toEqual([
      'no time at all, lower id',
      'no time at all, higher id',
      'no timestamp: created_at',
      'same ms, earlier microsecond',
      'same ms, later microsecond',
      'late',
      'tie, lower id',
      'tie, higher id',
    ]);
    // Whole milliseconds (cut, not rounded), UTC; no time at all reads as the epoch.
    expect(rows.map((r) => r.created_at.toISOString())).toEqual([
      '1970-01-01T00:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
      '2024-05-01T10:00:00.500Z',
      '2024-05-01T10:00:01.000Z',
      '2024-05-01T10:00:01.000Z',
      '2024-05-01T10:00:02.000Z',
      '2024-05-01T10:00:03.000Z',
      '2024-05-01T10:00:03.000Z',
    ]);
  });

  it('cuts a time just under the next millisecond down, and reads times before 1970', async () => {
    const t = await thread();
    await message(t, 'a', '2024-05-01 10:00:00.123999', null);
    await message(t, 'b', '1969-12-31 23:59:59.9995', null);
    const rows = (await selectMessages(legacyDb(), [t.id])).get(t.id)!;
    expect(rows.map((r) => [r.content, r.created_at.toISOString()])).toEqual([
      ['b', '1969-12-31T23:59:59.999Z'],
      ['a', '2024-05-01T10:00:00.123Z'],
    ]);
  });

  it("attaches each message's latest feedback: by updated_at (rows without one last), then the highest id", async () => {
    const t = await thread();
    const byTime = await message(t, 'by time', '2024-05-01 10:00:00', null);
    const byId = await message(t, 'by id', '2024-05-01 10:00:01', null);
    const nullLast = await message(t, 'null updated_at', '2024-05-01 10:00:02', null);
    await message(t, 'none', '2024-05-01 10:00:03', null);
    const fb = (messageId: number, cls: string, comment: string, updatedAt: string | null) =>
      query(
        `INSERT INTO feedback (user_id, thread_id, message_id, class, comment, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, '2024-05-01 11:00:00', $6)`,
        [t.user, t.id, messageId, cls, comment, updatedAt],
      );
    await fb(byTime, 'thumbsup', 'newest', '2024-05-02 00:00:00');
    await fb(byTime, 'thumbsdown', 'older', '2024-05-01 12:00:00');
    await fb(byId, 'thumbsdown', 'first row', '2024-05-02 00:00:00');
    await fb(byId, 'redflag', 'second row', '2024-05-02 00:00:00');
    await fb(nullLast, 'thumbsup', 'dated', '2024-05-01 12:00:00');
    await fb(nullLast, 'redflag', 'undated', null);

    const rows = (await selectMessages(legacyDb(), [t.id])).get(t.id)!;
    expect(rows.map((r) => r.feedback && { class: r.feedback.class, comment: r.feedback.comment })).toEqual([
      { class: 'thumbsup', comment: 'newest' },
      { class: 'redflag', comment: 'second row' },
      { class: 'thumbsup', comment: 'dated' },
      null,
    ]);
    expect(rows[0]!.feedback!.updated_at.toISOString()).toBe('2024-05-02T00:00:00.000Z');
    expect(rows[0]!.feedback!.created_at.toISOString()).toBe('2024-05-01T11:00:00.000Z');
  });

  it('returns an empty list for a thread without rows, and nothing for no threads', async () => {
    const t = await thread();
    expect((await selectMessages(legacyDb(), [t.id])).get(t.id)).toEqual([]);
    expect((await selectMessages(legacyDb(), [])).size).toBe(0);
  });
});
