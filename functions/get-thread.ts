/** GET /api/v3/threads/{thread_id}: one thread with its messages (blocks, or ?format=text). */
import { errorResponse } from '#lib/http/contract.js';
import { withHttp } from '#lib/http/middleware.js';
import { responseSchemas } from '#lib/services/responses.js';
import { GetThreadQuery, ThreadPathSchema } from '#lib/services/schemas.js';
import { getThread } from '#lib/services/threads.js';
import { textPageView, threadView } from '#lib/threads/views.js';

const doc = {
  operationId: 'getThread',
  summary: 'Read a thread',
  description:
    'Messages oldest first, in block form (`Thread`) or, with `format=text`, as display messages (`TextThread`, one per reply). `limit` gives the most recent messages, `before` those older than a message id.',
  tags: ['threads'],
  responses: () => {
    const s = responseSchemas();
    return {
      200: { description: 'The thread', body: s.AnyThreadSchema },
      404: errorResponse('No such thread of the caller, or an unknown `before` id'),
    };
  },
};

export const handler = withHttp(
  { route: 'GET /threads/{thread_id}', path: ThreadPathSchema, query: GetThreadQuery, doc },
  async ({ userId, path, query }) => {
    const page = { limit: query.limit, before: query.before };
    if (query.format === 'text' && (page.limit !== undefined || page.before !== undefined)) {
      // Text pages count replies, not stored messages: page after rendering.
      return { status: 200, body: textPageView(await getThread(userId, path.thread_id), page) };
    }
    return { status: 200, body: threadView(await getThread(userId, path.thread_id, page), query.format) };
  },
);
