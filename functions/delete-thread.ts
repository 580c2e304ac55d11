/** DELETE /api/v3/threads/{thread_id}: 204; share snapshots are copies and stay readable. */
import { errorResponse } from '#lib/http/contract.js';
import { withHttp } from '#lib/http/middleware.js';
import { ThreadPathSchema } from '#lib/services/schemas.js';
import { deleteThread } from '#lib/services/threads.js';

const doc = {
  operationId: 'deleteThread',
  summary: 'Delete a thread',
  description: 'With its messages (and the legacy thread in SQL). Shares are copies and stay readable until revoked.',
  tags: ['threads'],
  responses: { 204: { description: 'Deleted' }, 404: errorResponse('No such thread of the caller') },
};

export const handler = withHttp({ route: 'DELETE /threads/{thread_id}', path: ThreadPathSchema, doc }, async ({ userId, path }) => {
  await deleteThread(userId, path.thread_id);
  return { status: 204 };
});
