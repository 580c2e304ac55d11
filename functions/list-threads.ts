/** GET /api/v3/threads: the caller's threads, newest first; keyset pages with ?limit and ?cursor. */
import { withHttp } from '#lib/http/middleware.js';
import { responseSchemas } from '#lib/services/responses.js';
import { ListThreadsQuery } from '#lib/services/schemas.js';
import { listThreads } from '#lib/services/threads.js';
import { summaryView } from '#lib/threads/views.js';

const doc = {
  operationId: 'listThreads',
  summary: 'List the caller’s threads',
  description:
    'Newest first by `updated_at` (ties by `thread_id`); MongoDB and legacy threads in one order. Keyset pages: `limit`, then `cursor`.',
  tags: ['threads'],
  responses: () => {
    const s = responseSchemas();
    return { 200: { description: 'The threads, without messages', body: s.ThreadListSchema, headers: { 'X-Next-Cursor': false } } };
  },
};

export const handler = withHttp({ route: 'GET /threads', query: ListThreadsQuery, doc }, async ({ userId, query }) => {
  const page = await listThreads(userId, query);
  const headers: Record<string, string> = page.nextCursor ? { 'X-Next-Cursor': page.nextCursor } : {};
  return { status: 200, body: page.items.map(summaryView), headers };
});
