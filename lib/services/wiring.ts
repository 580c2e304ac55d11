/**
 * The composition root: which thread stores and share readers this deployment has. MongoDB always; the legacy
 * PostgreSQL pieces only when LEGACY_DATABASE_URL (or its parameter) is set. This is the one place that decides, and the legacy code
 * (with the pg driver) is loaded on first use only, so a deployment without it never loads it.
 */
import type { LegacyErasure } from '#lib/legacy/erase.js';
import { secrets } from '#lib/secrets.js';
import type { PublicShare } from '#lib/share/snapshot.js';
import { mongoThreadStore } from '#lib/threads/mongo-store.js';
import type { FallbackThreadStore } from '#lib/threads/types.js';

export interface LegacyLayer {
  /** Threads still in PostgreSQL, consulted when MongoDB has no such thread. */
  threads: FallbackThreadStore;
  /** Shares of the old backend (UUID ids), read when no MongoDB share matches. */
  readShare(shareId: string): Promise<PublicShare | null>;
  /** Deletes a legacy share row: `ownerId`'s only, or unconditionally when undefined (ownership proved elsewhere). */
  revokeShare(shareId: string, ownerId: string | undefined): Promise<boolean>;
  /** A person's legacy threads and shares, for erasure. */
  erasure: LegacyErasure;
}

let legacy: Promise<LegacyLayer | undefined> | undefined;

export function legacyLayer(): Promise<LegacyLayer | undefined> {
  legacy ??= !secrets.has('LEGACY_DATABASE_URL')
    ? Promise.resolve(undefined)
    : Promise.all([import('#lib/legacy/store.js'), import('#lib/legacy/share.js'), import('#lib/legacy/erase.js')]).then(
        ([store, share, erase]) => ({
          threads: store.legacyThreadStore,
          readShare: share.readLegacyShare,
          revokeShare: share.revokeLegacyShare,
          erasure: erase.legacyErasure,
        }),
      );
  return legacy;
}

/** The primary store: every new thread and every append lands here. */
export const primaryStore = mongoThreadStore;
