/** Share snapshots in MongoDB: the frozen copy a public link opens, its unguessable id, its expiry. */
import type { Collection } from 'mongodb';
import type { Message } from '#lib/blocks/types.js';
import { isDuplicateKey } from '#lib/db/faults.js';
import { getDb } from '#lib/db/mongo.js';
import { withDbRetry } from '#lib/db/retry.js';
import { HttpError } from '#lib/errors.js';
import { isUuid, newShareId } from '#lib/ids.js';
import { messageBytes } from '#lib/threads/overflow.js';
import type { ThreadRecord } from '#lib/threads/types.js';

const SHARES = 'shared_threads';
export const SHARE_NOT_FOUND = 'Share not found';
const DAY_MS = 86_400_000;
const MAX_SNAPSHOT_BYTES = 15 * 1024 * 1024;
const SHARE_ID_RE = /^[A-Za-z0-9_-]{22}$/;

/** A frozen copy of a thread at the moment of sharing. `user_id` and `thread_id` never leave the server. */
export interface ShareDoc {
  share_id: string;
  thread_id: string;
  user_id: string;
  created_at: Date;
  expires_at: Date | null;
  snapshot: {
    thread_name: string | null;
    initial_source: string;
    created_at: Date;
    updated_at: Date;
    messages: Message[];
  };
}

/** What a public reader gets, from MongoDB or from a legacy share. */
export interface PublicShare {
  share_id: string;
  thread_name: string | null;
  created_at: Date | null;
  expires_at: Date | null;
  messages: Message[];
}

export async function sharesCollection(): Promise<Collection<ShareDoc>> {
  return (await getDb()).collection<ShareDoc>(SHARES);
}

/**
 * The share of `thread` as it is now (without its id): the whole thread, minus what is the owner's business
 * (owner id, feedback, token usage). 413 when the copy could not fit in one MongoDB document.
 */
export function snapshotOf(
  thread: ThreadRecord,
  userId: string,
  expiresInDays: number | undefined,
  now = new Date(),
): Omit<ShareDoc, 'share_id'> {
  const share = {
    thread_id: thread.thread_id,
    user_id: userId,
    created_at: now,
    expires_at: expiresInDays === undefined ? null : new Date(now.getTime() + expiresInDays * DAY_MS),
    snapshot: {
      thread_name: thread.name,
      initial_source: thread.initial_source,
      created_at: thread.created_at,
      updated_at: thread.updated_at,
      messages: thread.messages.map(({ user_id: _owner, feedback: _feedback, usage: _usage, ...m }) => m as Message),
    },
  };
  if (messageBytes(share.snapshot.messages) > MAX_SNAPSHOT_BYTES) throw new HttpError(413, 'Thread too large to share');
  return share;
}

/** Stores a new share under a fresh id: 128 random bits collide essentially never; the unique index makes sure. */
export async function insertShare(share: Omit<ShareDoc, 'share_id'>): Promise<ShareDoc> {
  const col = await sharesCollection();
  for (let attempt = 0; ; attempt++) {
    const doc: ShareDoc = { share_id: newShareId(), ...share };
    try {
      await withDbRetry('shares.insert', () => col.insertOne({ ...doc }));
      return doc;
    } catch (err) {
      if (!isDuplicateKey(err) || attempt >= 4) throw err;
    }
  }
}

/** Whether `shareId` has the shape of a share id of ours (22 base64url characters). */
export const isShareId = (shareId: string): boolean => SHARE_ID_RE.test(shareId);

/** An unexpired share by id, as the public sees it; null when unknown or expired (expiry checked here, not left to TTL). */
export async function findShare(shareId: string, now = new Date()): Promise<PublicShare | null> {
  const doc = await withDbRetry('shares.read', async () =>
    (await sharesCollection()).findOne({ share_id: shareId }, { projection: { _id: 0, user_id: 0, thread_id: 0 } }),
  );
  if (!doc || (doc.expires_at !== null && doc.expires_at.getTime() <= now.getTime())) return null;
  return {
    share_id: doc.share_id,
    thread_name: doc.snapshot.thread_name,
    created_at: doc.created_at,
    expires_at: doc.expires_at,
    messages: doc.snapshot.messages,
  };
}

/** A share as its owner's list shows it. */
export interface ShareSummary {
  share_id: string;
  /** null for a legacy share copied by the migration (the old backend recorded no time). */
  created_at: Date | null;
  expires_at: Date | null;
}

const active = (now: Date) => ({ $or: [{ expires_at: null }, { expires_at: { $gt: now } }] });

/** The owner's unexpired shares of a thread, newest first. */
export async function activeSharesOf(userId: string, threadId: string, now = new Date()): Promise<ShareSummary[]> {
  return withDbRetry('shares.list', async () =>
    (await sharesCollection())
      .find({ thread_id: threadId, user_id: userId, ...active(now) }, { projection: { _id: 0, share_id: 1, created_at: 1, expires_at: 1 } })
      .sort({ created_at: -1, share_id: -1 })
      .toArray(),
  );
}

/** Whether `userId` owns an unexpired share with this id. */
export async function ownsActiveShare(userId: string, shareId: string, now = new Date()): Promise<boolean> {
  return withDbRetry(
    'shares.owner',
    async () => (await (await sharesCollection()).countDocuments({ share_id: shareId, user_id: userId, ...active(now) }, { limit: 1 })) > 0,
  );
}

/**
 * Deletes a share: the owner's unexpired share when `owner` is given, else every copy under that id (the caller
 * has proved ownership another way). Whether one was deleted; a retry after an ambiguous failure that finds it
 * gone counts as deleted.
 */
export async function deleteShare(shareId: string, owner: { userId: string; now: Date } | undefined): Promise<boolean> {
  return withDbRetry('shares.delete', async (attempt) => {
    const col = await sharesCollection();
    const filter = owner ? { share_id: shareId, user_id: owner.userId, ...active(owner.now) } : { share_id: shareId };
    if ((await col.deleteMany(filter)).deletedCount > 0) return true;
    return attempt > 0 && (await col.countDocuments({ share_id: shareId }, { limit: 1 })) === 0;
  });
}

/**
 * Erasure (lib/services/account.ts): the ids of the user's shares that carry a legacy share's UUID (copies the
 * migration made of SQL `share` rows), whose SQL rows must go too. Ids only.
 */
export async function legacyShareIdsOf(userId: string): Promise<string[]> {
  const docs = await withDbRetry('erase.shares.ids', async () =>
    (await sharesCollection()).find({ user_id: userId }, { projection: { _id: 0, share_id: 1 } }).toArray(),
  );
  return docs.map((d) => d.share_id).filter(isUuid);
}

/** Deletes every share the user created, expired or not (erasure); how many went. */
export async function deleteSharesOf(userId: string): Promise<number> {
  return (await withDbRetry('erase.shares', async () => (await sharesCollection()).deleteMany({ user_id: userId }))).deletedCount;
}

/** How many shares the user has in MongoDB (a dry run of erasure). */
export async function countSharesOf(userId: string): Promise<number> {
  return withDbRetry('erase.shares.count', async () => (await sharesCollection()).countDocuments({ user_id: userId }));
}
