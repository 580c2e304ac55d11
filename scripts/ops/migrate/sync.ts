/**
 * A rerun's merge of what the old backend wrote in SQL after a thread was copied, never overwriting what the v3 API
 * wrote to the copy. The rule (the README states it):
 *  - messages: converted SQL messages the copy lacks (new rows) are appended at its end, in SQL order, with the
 *    store's guarded `$push`; messages the copy holds are never rewritten;
 *  - the name and each message's feedback are merged three ways against the base stored on the copy (what SQL held
 *    at the copy or the last rerun): a value SQL changed since is set only where MongoDB still holds the base
 *    value, by a conditional update; where v3 changed it too, v3's value stays;
 *  - `updated_at` only moves forward (`$max`); then the base becomes what SQL holds now.
 * Every step is idempotent, so a rerun after a crash half-way finishes the job.
 */
import type { Collection, Document, UpdateFilter } from 'mongodb';
import { withDbRetry } from '#lib/db/retry.js';
import { stableJson } from '#lib/json.js';
import { mongoThreadStore, threadsCollection } from '#lib/threads/mongo-store.js';
import { chunkedMessages, chunksCollection } from '#lib/threads/overflow.js';
import type { LegacyBase } from '#lib/threads/types.js';
import type { BatchItem } from './batch.js';

/** Whether SQL changed since the copy's base was taken (or the copy has no base yet). */
export const baseChanged = (item: BatchItem): boolean => {
  const old = item.copy?.origin?.sql;
  return old === undefined || stableJson(old) !== stableJson(item.base);
};

export interface SyncOutcome {
  appended: number;
  /** Changes SQL made that v3 had made too, left as v3 wrote them ("name", "feedback <message id>"). */
  kept: string[];
}

/** The message ids a copy holds, overflow chunks included. */
async function copyMessageIds(userId: string, threadId: string): Promise<Set<string>> {
  const doc = await withDbRetry('migrate.sync.ids', async () =>
    (await threadsCollection()).findOne(
      { thread_id: threadId, user_id: userId },
      { projection: { _id: 0, 'messages.id': 1, overflow_chunks: 1 } },
    ),
  );
  const ids = new Set((doc?.messages ?? []).map((m) => String(m.id)));
  if ((doc?.overflow_chunks ?? 0) > 0) for (const m of await chunkedMessages(userId, threadId)) ids.add(String(m.id));
  return ids;
}

/**
 * Sets (or removes) one message's feedback where it still equals `expected`, in the document or its chunks; true
 * when the message now holds `next` (set here, or by an earlier attempt). The element is matched by `$elemMatch`
 * and updated through an array filter with the same conditions, so nothing but that message's feedback changes.
 */
async function setFeedback(
  userId: string,
  threadId: string,
  messageId: string,
  expected: Record<string, unknown> | undefined,
  next: Record<string, unknown> | undefined,
): Promise<boolean> {
  const match: Record<string, unknown> = expected
    ? { id: messageId, 'feedback.class': expected.class, 'feedback.comment': expected.comment, 'feedback.updated_at': expected.updated_at }
    : { id: messageId, feedback: { $exists: false } };
  const filter = { thread_id: threadId, user_id: userId, messages: { $elemMatch: match } };
  const update: UpdateFilter<Document> = next ? { $set: { 'messages.$[m].feedback': next } } : { $unset: { 'messages.$[m].feedback': 1 } };
  const options = { arrayFilters: [Object.fromEntries(Object.entries(match).map(([k, v]) => [`m.${k}`, v]))] };
  for (const collection of [threadsCollection, chunksCollection]) {
    // An in-place edit of the document bumps its edit_seq, as the feedback routes' do, so a racing spill never
    // moves a stale copy of the message into a chunk (lib/threads/overflow.ts); chunks are never spilled again.
    const inDoc = collection === threadsCollection;
    const res = await withDbRetry('migrate.sync.feedback', async () =>
      ((await collection()) as unknown as Collection<Document>).updateOne(
        filter,
        inDoc ? { ...update, $inc: { edit_seq: 1 } } : update,
        options,
      ),
    );
    if (res.matchedCount > 0) return true;
  }
  // Not as expected: v3 changed it, unless it already holds `next` (an earlier attempt got this far).
  const held = await copyFeedback(userId, threadId, messageId);
  return stableJson(held ?? null) === stableJson(next ?? null);
}

/** The feedback a copy's message holds now (document or chunk). */
async function copyFeedback(userId: string, threadId: string, messageId: string): Promise<unknown> {
  const doc = await withDbRetry('migrate.sync.read', async () =>
    (await threadsCollection()).findOne(
      { thread_id: threadId, user_id: userId },
      { projection: { _id: 0, messages: 1, overflow_chunks: 1 } },
    ),
  );
  const messages = [...((doc?.overflow_chunks ?? 0) > 0 ? await chunkedMessages(userId, threadId) : []), ...(doc?.messages ?? [])];
  return messages.find((m) => String(m.id) === messageId)?.feedback;
}

/** Brings one copy in line with SQL under the rule above. */
export async function syncCopy(item: BatchItem): Promise<SyncOutcome> {
  const { row, base } = item;
  const old: LegacyBase | undefined = item.copy?.origin?.sql;
  const out: SyncOutcome = { appended: 0, kept: [] };
  const held = await copyMessageIds(row.user_id, row.thread_id);
  const missing = item.messages.filter((m) => !held.has(m.id));
  if (missing.length > 0) {
    await mongoThreadStore.appendMessages(row.user_id, row.thread_id, missing, row.updated_at);
    out.appended = missing.length;
  }
  // Without a base (a copy made before bases were kept) nobody can tell who changed a differing value: MongoDB's stays.
  if (old !== undefined) {
    if (row.name !== old.name) {
      const renamed = await withDbRetry('migrate.sync.name', async () =>
        (await threadsCollection()).updateOne(
          { thread_id: row.thread_id, user_id: row.user_id, name: old.name },
          { $set: { name: row.name } },
        ),
      );
      if (renamed.matchedCount === 0) out.kept.push('name');
    }
    for (const id of new Set([...Object.keys(old.feedback), ...Object.keys(base.feedback)])) {
      const then = old.feedback[id];
      const now = base.feedback[id];
      if (!held.has(id) || stableJson(then ?? null) === stableJson(now ?? null)) continue;
      if (!(await setFeedback(row.user_id, row.thread_id, id, then, now))) out.kept.push(`feedback ${id}`);
    }
  }
  await withDbRetry('migrate.sync.base', async () =>
    (await threadsCollection()).updateOne(
      { thread_id: row.thread_id, user_id: row.user_id },
      { $max: { updated_at: row.updated_at }, $set: { 'origin.sql': base } },
    ),
  );
  return out;
}
