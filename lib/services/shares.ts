/**
 * The share service: snapshot the caller's thread (any store) into a public share; read a share (MongoDB, then
 * legacy); list the owner's shares of a thread; revoke one, wherever it lives.
 */
import { config } from '#lib/config.js';
import { NotFoundError } from '#lib/errors.js';
import { isUuid } from '#lib/ids.js';
import {
  activeSharesOf,
  deleteShare,
  findShare,
  insertShare,
  isShareId,
  ownsActiveShare,
  SHARE_NOT_FOUND,
  snapshotOf,
  type PublicShare,
  type ShareDoc,
  type ShareSummary,
} from '#lib/share/snapshot.js';
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

/**
 * The caller's unexpired shares of a thread, newest first. Shares outlive their thread, so the owner still sees
 * (and can revoke) the shares of a thread they deleted; with no share, 404 unless the thread is the caller's.
 * Legacy shares in the SQL `share` table name no thread and are not listed (they are revoked by id).
 */
export async function listShares(userId: string, threadId: string, now = new Date()): Promise<ShareSummary[]> {
  const shares = await activeSharesOf(userId, threadId, now);
  if (shares.length === 0) await getThread(userId, threadId, { limit: 1 });
  return shares;
}

/**
 * Revokes the caller's share: afterwards its public read is a 404. Another user's, unknown, expired or already
 * revoked: 404, nothing changed.
 */
export async function revokeShare(userId: string, shareId: string, now = new Date()): Promise<void> {
  const revoked = isShareId(shareId)
    ? await deleteShare(shareId, { userId, now })
    : isUuid(shareId) && (await revokeLegacyShareId(userId, shareId.toLowerCase(), now));
  if (!revoked) throw new NotFoundError(SHARE_NOT_FOUND);
}

/**
 * A legacy share id (UUID) lives in the SQL `share` table and, once migrated, as a MongoDB copy under the same id:
 * revoking removes it from both, or a rerun of the migration would bring it back. The caller owns it when the
 * MongoDB copy is theirs or the SQL row's thread is. SQL goes first, as for threads (see deleteThread).
 */
async function revokeLegacyShareId(userId: string, shareId: string, now: Date): Promise<boolean> {
  const ownsCopy = await ownsActiveShare(userId, shareId, now);
  const legacy = await legacyLayer();
  const inSql = legacy ? await legacy.revokeShare(shareId, ownsCopy ? undefined : userId) : false;
  const copies = ownsCopy || inSql ? await deleteShare(shareId, undefined) : false;
  return inSql || copies;
}
