/** GET /api/v3/threads/{thread_id}: one thread with its messages (blocks, or ?format=text). */
import { withHttp } from '#lib/http/middleware.js';
import { GetThreadQuery, ThreadPathSchema } from '#lib/services/schemas.js';
import { getThread } from '#lib/services/threads.js';
import { textPageView, threadView } from '#lib/threads/views.js';

export const handler = withHttp(
  { route: 'GET /threads/{thread_id}', path: ThreadPathSchema, query: GetThreadQuery },
  async ({ userId, path, query }) => {
    const page = { limit: query.limit, before: query.before };
    if (query.format === 'text' && (page.limit !== undefined || page.before !== undefined)) {
      // Text pages count replies, not stored messages: page after rendering.
      return { status: 200, body: textPageView(await getThread(userId, path.thread_id), page) };
    }
    return { status: 200, body: threadView(await getThread(userId, path.thread_id, page), query.format) };
  },
);
