/** One list page from several stores' reads: merged in list order, each thread once, cut where a read stopped knowing. */
import { compareSummaries, encodeCursor, type ListCursor } from './cursor.js';
import type { ListPosition, ThreadSummary } from './types.js';

/** One store's contribution, in priority order (a thread in an earlier source wins over the same id later). */
export interface MergeSource {
  items: ThreadSummary[];
  /** Set when the read was cut by its limit: past this position the source holds threads it did not return. */
  boundary?: ListPosition;
}

const position = (t: ThreadSummary): ListCursor => ({ updatedAt: t.updated_at, threadId: t.thread_id });

/**
 * The next `limit` threads after `after`. Every source read its threads after `after` in list order; a source cut
 * by its limit knows nothing past its boundary, so the page stops at the nearest boundary: the first `limit`
 * threads when that many lie before it, else every thread up to it and a cursor at the boundary (the page is short,
 * never wrong; only a missing `nextCursor` ends the list).
 */
export function mergePage(sources: MergeSource[], limit: number, after?: ListPosition): { items: ThreadSummary[]; nextCursor?: string } {
  const seen = new Set<string>();
  const merged: ThreadSummary[] = [];
  for (const source of sources) {
    for (const t of source.items) {
      if (seen.has(t.thread_id)) continue;
      // A thread can reach a source from before the cursor (a copy that moved up): it belongs to an earlier page.
      if (after && compareSummaries(position(t), after) <= 0) continue;
      seen.add(t.thread_id);
      merged.push(t);
    }
  }
  merged.sort((a, b) => compareSummaries(position(a), position(b)));
  const boundary = sources
    .map((s) => s.boundary)
    .filter((b): b is ListPosition => b !== undefined)
    .sort(compareSummaries)[0];
  const known = boundary ? merged.filter((t) => compareSummaries(position(t), boundary) <= 0) : merged;
  if (known.length > limit) {
    const items = known.slice(0, limit);
    return { items, nextCursor: encodeCursor(position(items[items.length - 1]!)) };
  }
  return boundary ? { items: known, nextCursor: encodeCursor(boundary) } : { items: known };
}
