/** mergePage (lib/threads/merge.ts): the list page made of several stores' reads. */
import { describe, expect, it } from 'vitest';
import { decodeCursor } from '#lib/threads/cursor.js';
import { mergePage } from '#lib/threads/merge.js';
import type { ThreadSummary } from '#lib/threads/types.js';

const t = (id: string, second: number, storage: 'mongodb' | 'legacy' = 'mongodb'): ThreadSummary => ({
  thread_id: `${id}0000000-0000-4000-8000-000000000000`.slice(0, 36),
  name: id,
  initial_source: 'web',
  created_at: new Date(second * 1000),
  updated_at: new Date(second * 1000),
  storage,
});
const pos = (x: ThreadSummary) => ({ updatedAt: x.updated_at, threadId: x.thread_id });
const names = (p: { items: ThreadSummary[] }) => p.items.map((x) => `${x.name}:${x.storage}`);

describe('mergePage', () => {
  it('merges in list order, a thread once (the earlier source wins), the first `limit` with a cursor after the last', () => {
    const mongo = [t('a', 9), t('c', 7), t('e', 5)];
    const legacy = [t('b', 8, 'legacy'), t('c', 7, 'legacy'), t('d', 6, 'legacy')];
    const page = mergePage([{ items: mongo }, { items: legacy }], 3);
    expect(names(page)).toEqual(['a:mongodb', 'b:legacy', 'c:mongodb']);
    expect(decodeCursor(page.nextCursor!)).toEqual(pos(t('c', 7)));
    expect(mergePage([{ items: mongo }, { items: legacy }], 5)).toEqual({ items: expect.any(Array) });
    expect(names(mergePage([{ items: mongo }, { items: legacy }], 5))).toEqual([
      'a:mongodb',
      'b:legacy',
      'c:mongodb',
      'd:legacy',
      'e:mongodb',
    ]);
  });

  it('stops at the nearest boundary of a cut read: a short page with a cursor at that boundary', () => {
    // The legacy read was cut at second 6 (its last rows were copies that moved up): past it, legacy threads are unknown.
    const page = mergePage([{ items: [t('a', 9), t('z', 1)] }, { items: [t('b', 8, 'legacy')], boundary: pos(t('d', 6)) }], 3);
    expect(names(page)).toEqual(['a:mongodb', 'b:legacy']);
    expect(decodeCursor(page.nextCursor!)).toEqual(pos(t('d', 6)));
    // Nothing before the boundary: an empty page that still moves on.
    const empty = mergePage([{ items: [t('z', 1)] }, { items: [], boundary: pos(t('d', 6)) }], 3);
    expect(empty.items).toEqual([]);
    expect(decodeCursor(empty.nextCursor!)).toEqual(pos(t('d', 6)));
  });

  it('leaves out threads at or before the cursor (a copy that moved up belongs to an earlier page)', () => {
    const page = mergePage([{ items: [t('c', 7)] }, { items: [t('a', 9), t('d', 6)] }], 5, pos(t('b', 8)));
    expect(names(page)).toEqual(['c:mongodb', 'd:mongodb']);
    expect(page.nextCursor).toBeUndefined();
  });

  it('leaves out the thread at the cursor itself, and stops at the nearest of several boundaries whatever their order', () => {
    const atCursor = mergePage([{ items: [t('b', 8), t('c', 7)] }], 5, pos(t('b', 8)));
    expect(names(atCursor)).toEqual(['c:mongodb']);
    const far = { items: [t('a', 9), t('e', 5)], boundary: pos(t('f', 4)) };
    const near = { items: [t('b', 8, 'legacy')], boundary: pos(t('d', 6)) };
    for (const sources of [
      [far, near],
      [near, far],
    ]) {
      const page = mergePage(sources, 5);
      expect(names(page)).toEqual(['a:mongodb', 'b:legacy']);
      expect(decodeCursor(page.nextCursor!)).toEqual(pos(t('d', 6)));
    }
  });
});
