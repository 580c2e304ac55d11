import { withHttp } from '#lib/http/middleware.js';
import { ThreadPathSchema } from '#lib/threads/schemas.js';
import { deleteThread } from '#lib/threads/service.js';

/** DELETE /api/v3/threads/{thread_id}: 204; share snapshots are copies and stay readable. */
export const handler = withHttp({ route: 'DELETE /threads/{thread_id}', path: ThreadPathSchema }, async ({ userId, path }) => {
  await deleteThread(userId, path.thread_id);
  return { status: 204 };
});
