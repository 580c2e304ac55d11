/** DELETE /api/v3/threads/{thread_id}: 204; share snapshots are copies and stay readable. */
import { withHttp } from '#lib/http/middleware.js';
import { ThreadPathSchema } from '#lib/services/schemas.js';
import { deleteThread } from '#lib/services/threads.js';

export const handler = withHttp({ route: 'DELETE /threads/{thread_id}', path: ThreadPathSchema }, async ({ userId, path }) => {
  await deleteThread(userId, path.thread_id);
  return { status: 204 };
});
