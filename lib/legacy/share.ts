/**
 * Legacy shares: the SQL `share` table (UUID id, `content` = JSON text of the SQL-era `get_thread()` output,
 * `{thread_name, messages: [{id, role, content: string | blocks}]}`), served by GET /api/v3/share/{id} when no
 * MongoDB share matches, and revoked by the owner of their thread. The display text the old backend froze is turned into block messages; the rows hold no
 * times, so each message's `created_at` is read from its `messages` row when that still exists (else null).
 */
import type { Block, Message } from '#lib/blocks/types.js';
import { withDbRetry } from '#lib/db/retry.js';
import { isObj } from '#lib/json.js';
import type { PublicShare } from '#lib/share/snapshot.js';
import { recordLegacyFallback } from './observe.js';
import { shareRef } from '#lib/observability.js';
import { deleteOwnedShareRow, deleteShareRow, legacyDb, selectMessageTimes, selectShare } from './queries.js';

/** Blocks of a frozen share message: a string is one text block; a list keeps its typed blocks; blank text goes. */
function shareBlocks(content: unknown): Block[] {
  const items = Array.isArray(content) ? content : [content];
  const out: Block[] = [];
  for (const item of items) {
    if (typeof item === 'string') {
      if (item.trim() !== '') out.push({ type: 'text', text: item });
    } else if (isObj(item) && typeof item.type === 'string') {
      if (item.type === 'text' && (typeof item.text !== 'string' || item.text.trim() === '')) continue;
      out.push(structuredClone(item) as Block);
    }
  }
  return out;
}

/** The public shape of a legacy share's JSON text; null when it is not a share document. */
export function parseLegacyShare(shareId: string, content: string): { share: PublicShare; rowIds: number[] } | null {
  let doc: unknown;
  try {
    doc = JSON.parse(content);
  } catch {
    return null;
  }
  if (!isObj(doc)) return null;
  const rawMessages = Array.isArray(doc.messages) ? doc.messages.filter(isObj) : [];
  const messages: Message[] = [];
  const rowIds: number[] = [];
  rawMessages.forEach((m, i) => {
    if (m.role !== 'user' && m.role !== 'assistant') return;
    const content = shareBlocks(m.content);
    if (content.length === 0) return;
    const id = typeof m.id === 'number' || typeof m.id === 'string' ? String(m.id) : `share-${i}`;
    if (/^\d{1,9}$/.test(id)) rowIds.push(Number(id));
    messages.push({ id, role: m.role, content, created_at: null as unknown as Date });
  });
  const name = typeof doc.thread_name === 'string' ? doc.thread_name : null;
  return { share: { share_id: shareId, thread_name: name, created_at: null, expires_at: null, messages }, rowIds };
}

/** A legacy share by its UUID (lower case), or null. */
export async function readLegacyShare(shareId: string): Promise<PublicShare | null> {
  const db = legacyDb();
  const content = await withDbRetry('legacy.share', () => selectShare(db, shareId));
  if (content === null) return null;
  const parsed = parseLegacyShare(shareId, content);
  if (!parsed) return null;
  const times = await withDbRetry('legacy.share.times', () => selectMessageTimes(db, parsed.rowIds));
  for (const m of parsed.share.messages) {
    const at = /^\d{1,9}$/.test(m.id) ? times.get(Number(m.id)) : undefined;
    if (at) m.created_at = at;
  }
  recordLegacyFallback('share-read', { shareRef: shareRef(shareId), messages: parsed.share.messages.length });
  return parsed.share;
}

/**
 * Revokes a legacy share: deletes its SQL row. With `ownerId`, only when that user owns the thread its messages
 * come from (the row names no owner; see deleteOwnedShareRow); without, the caller has proved ownership another
 * way. Whether a row was deleted.
 */
export async function revokeLegacyShare(shareId: string, ownerId: string | undefined): Promise<boolean> {
  const db = legacyDb();
  let rowIds: number[] = [];
  if (ownerId !== undefined) {
    const content = await withDbRetry('legacy.share', () => selectShare(db, shareId));
    rowIds = (content === null ? null : parseLegacyShare(shareId, content))?.rowIds ?? [];
    if (rowIds.length === 0) return false;
  }
  const deleted = await withDbRetry('legacy.share.revoke', async (attempt) => {
    if (await (ownerId === undefined ? deleteShareRow(db, shareId) : deleteOwnedShareRow(db, shareId, ownerId, rowIds))) return true;
    // A retry after an ambiguous failure may find the row gone: the first attempt deleted it.
    return attempt > 0 && (await selectShare(db, shareId)) === null;
  });
  if (deleted) recordLegacyFallback('share-revoke', { shareRef: shareRef(shareId) });
  return deleted;
}
