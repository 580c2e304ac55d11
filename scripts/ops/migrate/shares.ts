/**
 * Legacy shares (the SQL `share` table) become `shared_threads` snapshots under their own UUID, so an old share link
 * opens the same content through GET /api/v3/share/{id} once the legacy layer is off. Insert-only and idempotent:
 * each copied share is recorded in `legacy_shares`, and a recorded share is never copied again (a share revoked
 * through v3 does not come back with the next run). The thread and owner are those of the share's message rows
 * when they still exist (one thread), so the owner can list and revoke the copy; the times come from those rows
 * as the legacy read gives them. A share whose SQL row went while its batch was in flight (revoked, or erased with
 * its owner's data, after the read) has its fresh copy removed again, as threads deleted meanwhile are.
 */
import type { Message } from '#lib/blocks/types.js';
import { MongoBulkWriteError } from 'mongodb';
import { getDb } from '#lib/db/mongo.js';
import { withDbRetry } from '#lib/db/retry.js';
import { stableJson } from '#lib/json.js';
import type { Queryable } from '#lib/legacy/queries.js';
import { parseLegacyShare } from '#lib/legacy/share.js';
import { sharesCollection } from '#lib/share/snapshot.js';
import { existingShareIds, selectMessageOrigins, selectShareRows } from './sql.js';

export const LEGACY_SHARES = 'legacy_shares';
const SHARES_PER_BATCH = 500;

/** A copied legacy share as stored in `shared_threads` (no creation time or expiry is known for them). */
interface LegacyShareDoc {
  share_id: string;
  thread_id: string | null;
  user_id: string | null;
  created_at: null;
  expires_at: null;
  snapshot: { thread_name: string | null; initial_source: string; created_at: Date | null; updated_at: Date | null; messages: Message[] };
  origin: { store: 'legacy'; copied_at: Date };
}

/** The snapshots of a batch of share rows (null for a row that is not a share document: it reads as a 404 anyway). */
async function snapshots(
  db: Queryable,
  rows: { id: string; content: string | null }[],
  now: Date,
): Promise<Map<string, LegacyShareDoc | null>> {
  const parsed = rows.map((r) => ({ id: r.id, parsed: r.content === null ? null : parseLegacyShare(r.id, r.content) }));
  const origins = await withDbRetry('migrate.shares.rows', () =>
    selectMessageOrigins(
      db,
      parsed.flatMap((p) => p.parsed?.rowIds ?? []),
    ),
  );
  const out = new Map<string, LegacyShareDoc | null>();
  for (const { id, parsed: p } of parsed) {
    if (!p) {
      out.set(id, null);
      continue;
    }
    for (const m of p.share.messages) {
      const at = /^\d{1,9}$/.test(m.id) ? origins.get(Number(m.id))?.created_at : undefined;
      if (at) m.created_at = at;
    }
    const threads = new Set(p.rowIds.map((rid) => origins.get(rid)?.thread_id).filter((t) => t !== undefined));
    const thread = threads.size === 1 ? p.rowIds.map((rid) => origins.get(rid)).find((o) => o !== undefined) : undefined;
    out.set(id, {
      share_id: id,
      thread_id: thread?.thread_id ?? null,
      user_id: thread?.user_id ?? null,
      created_at: null,
      expires_at: null,
      snapshot: {
        thread_name: p.share.thread_name,
        initial_source: thread?.initial_source ?? 'web',
        created_at: thread?.thread_created_at ?? null,
        updated_at: thread?.thread_updated_at ?? null,
        messages: p.share.messages,
      },
      origin: { store: 'legacy', copied_at: now },
    });
  }
  return out;
}

async function recordsCollection() {
  return (await getDb()).collection<{ _id: string; copied_at: Date }>(LEGACY_SHARES);
}

/** Walks the share table in id order, `SHARES_PER_BATCH` rows a query. */
async function* shareBatches(db: Queryable) {
  let after: string | undefined;
  for (;;) {
    const pos = after;
    const rows = await withDbRetry('migrate.shares', () => selectShareRows(db, pos, SHARES_PER_BATCH));
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]!.id;
    if (rows.length < SHARES_PER_BATCH) return;
  }
}

export interface ShareCounts {
  shares: number;
  inserted: number;
  /** Copied by an earlier run (present, or revoked since). */
  skipped: number;
  /** Rows whose content is not a share document (a 404 before and after). */
  unreadable: number;
  /** Copies removed again because their SQL row went (revoked, erased) while their batch was in flight. */
  removed: number;
}

/** Copies every legacy share not copied before (see the module comment). */
export async function migrateShares(
  db: Queryable,
  opts: { dryRun: boolean; beforeWrite?: (shareIds: string[]) => void | Promise<void> },
): Promise<ShareCounts> {
  const counts: ShareCounts = { shares: 0, inserted: 0, skipped: 0, unreadable: 0, removed: 0 };
  const shares = await sharesCollection();
  const records = await recordsCollection();
  for await (const rows of shareBatches(db)) {
    const now = new Date();
    const docs = await snapshots(db, rows, now);
    const ids = rows.map((r) => r.id);
    const [recorded, present] = await Promise.all([
      withDbRetry('migrate.shares.recorded', () => records.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray()),
      withDbRetry('migrate.shares.present', () =>
        shares.find({ share_id: { $in: ids } }, { projection: { _id: 0, share_id: 1 } }).toArray(),
      ),
    ]);
    const done = new Set(recorded.map((r) => r._id));
    const there = new Set(present.map((p) => p.share_id));
    counts.shares += rows.length;
    const fresh: LegacyShareDoc[] = [];
    const toRecord: string[] = [];
    for (const id of ids) {
      const doc = docs.get(id);
      if (!doc) counts.unreadable++;
      else if (done.has(id)) counts.skipped++;
      else {
        if (there.has(id)) counts.skipped++;
        else fresh.push(doc);
        toRecord.push(id);
      }
    }
    if (opts.dryRun) {
      counts.inserted += fresh.length;
      continue;
    }
    await opts.beforeWrite?.(fresh.map((d) => d.share_id));
    if (fresh.length > 0) {
      await withDbRetry('migrate.shares.insert', async () => {
        try {
          await shares.insertMany(
            fresh.map((d) => ({ ...d }) as never),
            { ordered: false },
          );
        } catch (err) {
          // A retried insert (or a concurrent run) finds some already there: only duplicates are fine.
          const errors = err instanceof MongoBulkWriteError ? [err.writeErrors].flat() : [];
          if (errors.length === 0 || errors.some((e) => e.code !== 11000)) throw err;
        }
      });
      // Revoked or erased after the read (SQL first, then MongoDB, where this copy was not yet): removed again.
      const still = await withDbRetry('migrate.shares.recheck', () =>
        existingShareIds(
          db,
          fresh.map((d) => d.share_id),
        ),
      );
      const gone = fresh.filter((d) => !still.has(d.share_id)).map((d) => d.share_id);
      if (gone.length > 0) {
        await withDbRetry('migrate.shares.undo', async () =>
          shares.deleteMany({ share_id: { $in: gone }, 'origin.copied_at': now } as never),
        );
      }
      counts.removed += gone.length;
      counts.inserted += fresh.length - gone.length;
    }
    // Recorded after the copies landed: a crash in between leaves copies without a record, which the next run records.
    if (toRecord.length > 0) {
      await withDbRetry('migrate.shares.record', () =>
        records.bulkWrite(
          toRecord.map((id) => ({ updateOne: { filter: { _id: id }, update: { $setOnInsert: { copied_at: now } }, upsert: true } })),
          { ordered: false },
        ),
      );
    }
  }
  return counts;
}

export interface ShareCheck {
  share_id: string;
  status: 'ok' | 'revoked' | 'unreadable' | 'missing' | 'mismatch';
  problems: string[];
}

// What a reader sees of a message; a time only where SQL still has the row (a deleted thread's rows take theirs away).
const readable = (m: Message, withTime: boolean) =>
  stableJson({ id: m.id, role: m.role, content: m.content, ...(withTime ? { created_at: m.created_at } : {}) });

/** Every SQL share against its copy: present (or revoked through v3), with the same name and messages. */
export async function verifyShares(db: Queryable): Promise<ShareCheck[]> {
  const out: ShareCheck[] = [];
  const shares = await sharesCollection();
  const records = await recordsCollection();
  for await (const rows of shareBatches(db)) {
    const expected = await snapshots(db, rows, new Date());
    const ids = rows.map((r) => r.id);
    const [recorded, present] = await Promise.all([
      withDbRetry('verify.shares.recorded', () => records.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray()),
      withDbRetry('verify.shares.present', () =>
        shares.find({ share_id: { $in: ids } }, { projection: { _id: 0, share_id: 1, snapshot: 1, expires_at: 1 } }).toArray(),
      ),
    ]);
    const done = new Set(recorded.map((r) => r._id));
    const byId = new Map(present.map((p) => [p.share_id, p]));
    for (const id of ids) {
      const want = expected.get(id);
      const got = byId.get(id);
      if (!want) {
        out.push({ share_id: id, status: 'unreadable', problems: [] });
      } else if (!got) {
        out.push(
          done.has(id)
            ? { share_id: id, status: 'revoked', problems: [] }
            : { share_id: id, status: 'missing', problems: ['not in MongoDB'] },
        );
      } else {
        const problems: string[] = [];
        if (got.snapshot.thread_name !== want.snapshot.thread_name) problems.push('name differs');
        const wantMessages = want.snapshot.messages;
        const gotMessages = got.snapshot.messages ?? [];
        const same =
          wantMessages.length === gotMessages.length &&
          wantMessages.every((m, i) => readable(m, m.created_at !== null) === readable(gotMessages[i]!, m.created_at !== null));
        if (!same) problems.push('messages differ');
        if (got.expires_at !== null) problems.push('expires');
        out.push({ share_id: id, status: problems.length ? 'mismatch' : 'ok', problems });
      }
    }
  }
  return out;
}
