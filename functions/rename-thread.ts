/** POST /api/v3/threads/{thread_id}/name: set the thread's name (trimmed, at most 100 characters). */
import { withHttp } from '#lib/http/middleware.js';
import { RenameThreadBody, ThreadPathSchema } from '#lib/services/schemas.js';
import { renameThread } from '#lib/services/threads.js';
import { summaryView } from '#lib/threads/views.js';

export const handler = withHttp(
  { route: 'POST /threads/{thread_id}/name', path: ThreadPathSchema, body: RenameThreadBody },
  async ({ userId, path, body }) => ({ status: 200, body: summaryView(await renameThread(userId, path.thread_id, body.name)) }),
);
