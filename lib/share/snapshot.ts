import type { Collection } from 'mongodb';
import type { Message } from '#lib/blocks/types.js';
import { config } from '#lib/config.js';
import { isDuplicateKey } from '#lib/db/faults.js';
import { getDb } from '#lib/db/mongo.js';
import { withDbRetry } from '#lib/db/retry.js';
import { HttpError, NotFoundError } from '#lib/errors.js';
import { messageBytes } from '#lib/threads/overflow.js';
import { isUuid, newShareId } from '#lib/ids.js';
import { legacyEnabled } from '#lib/legacy/pool.js';
import { readLegacyShare } from '#lib/legacy/share.js';
import { getThread } from '#lib/threads/service.js';

export const SHARES = 'shared_threads';
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

/** Snapshots the caller's thread (any store) into a new share. Each call creates a new share. */
export async function createShare(userId: string, threadId: string, expiresInDays?: number): Promise<ShareDoc> {
  const thread = await getThread(userId, threadId); // 404 when absent or not the caller's
  const now = new Date();
  const days = expiresInDays ?? config.SHARE_DEFAULT_EXPIRES_DAYS;
  const base = {
    thread_id: thread.thread_id,
    user_id: userId,
    created_at: now,
    expires_at: days === undefined ? null : new Date(now.getTime() + days * DAY_MS),
    snapshot: {
      thread_name: thread.name,
      initial_source: thread.initial_source,
      created_at: thread.created_at,
      updated_at: thread.updated_at,
      // Owner id, private feedback and token usage are the owner's business, not the public's.
      messages: thread.messages.map(({ user_id: _owner, feedback: _feedback, usage: _usage, ...m }) => m as Message),
    },
  };
  // A snapshot is one document, so it must fit under MongoDB's 16 MB limit with room for its envelope.
  if (messageBytes(base.snapshot.messages) > MAX_SNAPSHOT_BYTES) {
    throw new HttpError(413, 'Thread too large to share');
  }
  const col = await sharesCollection();
  // 128 random bits collide essentially never; the unique index makes sure, and a collision is retried.
  for (let attempt = 0; ; attempt++) {
    const doc: ShareDoc = { share_id: newShareId(), ...base };
    try {
      await withDbRetry('shares.insert', () => col.insertOne({ ...doc }));
      return doc;
    } catch (err) {
      if (!isDuplicateKey(err) || attempt >= 4) throw err;
    }
  }
}

/**
 * Legacy shares (the SQL `share` table, UUID ids) are read when no MongoDB share matches and LEGACY_DATABASE_URL
 * is set. Imported here rather than registered from elsewhere, so the separately bundled get-share function has it.
 */
const legacyShareReader: ((shareId: string) => Promise<PublicShare | null>) | undefined = legacyEnabled() ? readLegacyShare : undefined;

/** The public read: unknown, malformed and expired ids are all the same 404 (expiry checked here, not left to TTL). */
export async function readShare(shareId: string, now = new Date()): Promise<PublicShare> {
  if (SHARE_ID_RE.test(shareId)) {
    const doc = await withDbRetry('shares.read', async () =>
      (await sharesCollection()).findOne({ share_id: shareId }, { projection: { _id: 0, user_id: 0, thread_id: 0 } }),
    );
    if (doc && (doc.expires_at === null || doc.expires_at.getTime() > now.getTime())) {
      return {
        share_id: doc.share_id,
        thread_name: doc.snapshot.thread_name,
        created_at: doc.created_at,
        expires_at: doc.expires_at,
        messages: doc.snapshot.messages,
      };
    }
  } else if (isUuid(shareId) && legacyShareReader) {
    const legacy = await legacyShareReader(shareId.toLowerCase());
    if (legacy) return legacy;
  }
  throw new NotFoundError(SHARE_NOT_FOUND);
}
