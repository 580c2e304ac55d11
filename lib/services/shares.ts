/** The share service: snapshot the caller's thread (any store) into a public share; read a share (MongoDB, then legacy). */
import { config } from '#lib/config.js';
import { NotFoundError } from '#lib/errors.js';
import { isUuid } from '#lib/ids.js';
import { findShare, insertShare, isShareId, SHARE_NOT_FOUND, snapshotOf, type PublicShare, type ShareDoc } from '#lib/share/snapshot.js';
import { getThread } from './threads.js';
import { legacyLayer } from './wiring.js';

/** Snapshots the caller's thread into a new share (each call creates a new one); 404 when not the caller's. */
export async function createShare(userId: string, threadId: string, expiresInDays?: number): Promise<ShareDoc> {
  const thread = await getThread(userId, threadId);
  return insertShare(snapshotOf(thread, userId, expiresInDays ?? config.SHARE_DEFAULT_EXPIRES_DAYS));
}

/**
 * The public read: unknown, malformed and expired ids are all the same 404. Legacy share ids are UUIDs: the
 * migration copies them into MongoDB under the same id, so MongoDB is asked first and the legacy table only then.
 */
export async function readShare(shareId: string, now = new Date()): Promise<PublicShare> {
  const legacyId = isUuid(shareId) ? shareId.toLowerCase() : undefined;
  const found = isShareId(shareId)
    ? await findShare(shareId, now)
    : legacyId
      ? ((await findShare(legacyId, now)) ?? (await (await legacyLayer())?.readShare(legacyId)))
      : null;
  if (!found) throw new NotFoundError(SHARE_NOT_FOUND);
  return found;
}
