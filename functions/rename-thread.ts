/** POST /api/v3/threads/{thread_id}/name: set the thread's name (trimmed, at most 100 characters). */
import { errorResponse } from '#lib/http/contract.js';
import { withHttp } from '#lib/http/middleware.js';
import { responseSchemas } from '#lib/services/responses.js';
import { RenameThreadBody, ThreadPathSchema } from '#lib/services/schemas.js';
import { renameThread } from '#lib/services/threads.js';
import { summaryView } from '#lib/threads/views.js';

const doc = {
  operationId: 'renameThread',
  summary: 'Rename a thread',
  description: 'The name is trimmed and cut to 100 characters; blank is a 400. A legacy thread is renamed in SQL.',
  tags: ['threads'],
  responses: () => {
    const s = responseSchemas();
    return { 200: { description: 'The renamed thread', body: s.ThreadSummarySchema }, 404: errorResponse('No such thread of the caller') };
  },
};

export const handler = withHttp(
  { route: 'POST /threads/{thread_id}/name', path: ThreadPathSchema, body: RenameThreadBody, doc },
  async ({ userId, path, body }) => ({ status: 200, body: summaryView(await renameThread(userId, path.thread_id, body.name)) }),
);
