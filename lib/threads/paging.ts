/** Message paging of one thread (`?limit`, `?before`): the bounds of a page. */
import { NotFoundError } from '#lib/errors.js';
import type { MessagePage } from './types.js';

/** [start, end) of the requested page (`limit` most recent, before the `before` id); all when neither is given. */
export function pageBounds(ids: string[], page: MessagePage): [number, number] {
  let end = ids.length;
  if (page.before !== undefined) {
    end = ids.indexOf(page.before);
    if (end < 0) throw new NotFoundError('Message not found');
  }
  const start = page.limit === undefined ? 0 : Math.max(0, end - page.limit);
  return [start, end];
}

/** The page of `items` and whether older ones exist. */
export function pageOf<T extends { id: string }>(items: T[], page: MessagePage): { items: T[]; has_more: boolean } {
  const [start, end] = pageBounds(
    items.map((m) => m.id),
    page,
  );
  return { items: items.slice(start, end), has_more: start > 0 };
}
