/** GET /api/v3/threads: the caller's threads, newest first; keyset pages with ?limit and ?cursor. */
import { withHttp } from '#lib/http/middleware.js';
import { ListThreadsQuery } from '#lib/services/schemas.js';
import { listThreads } from '#lib/services/threads.js';
import { summaryView } from '#lib/threads/views.js';

export const handler = withHttp({ route: 'GET /threads', query: ListThreadsQuery }, async ({ userId, query }) => {
  const page = await listThreads(userId, query);
  const headers: Record<string, string> = page.nextCursor ? { 'X-Next-Cursor': page.nextCursor } : {};
  return { status: 200, body: page.items.map(summaryView), headers };
});
