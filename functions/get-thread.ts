import { withHttp } from '../lib/http/middleware.js';
import { GetThreadQuery, ThreadPathSchema } from '../lib/threads/schemas.js';
import { getThread } from '../lib/threads/service.js';
import { threadView } from '../lib/threads/views.js';

/** GET /api/v3/threads/{thread_id}: one thread with its messages (blocks, or ?format=text). */
export const handler = withHttp(
  { route: 'GET /threads/{thread_id}', path: ThreadPathSchema, query: GetThreadQuery },
  async ({ userId, path, query }) => {
    const thread = await getThread(userId, path.thread_id, { limit: query.limit, before: query.before });
    return { status: 200, body: threadView(thread, query.format) };
  },
);
