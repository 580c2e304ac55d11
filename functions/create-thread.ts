/** POST /api/v3/threads: a new, empty thread in MongoDB. */
import { withHttp } from '#lib/http/middleware.js';
import { CreateThreadBody } from '#lib/services/schemas.js';
import { createThread } from '#lib/services/threads.js';
import { threadView } from '#lib/threads/views.js';

export const handler = withHttp({ route: 'POST /threads', body: CreateThreadBody }, async ({ userId, body }) => {
  const thread = await createThread(userId, body);
  const { has_more: _unused, ...view } = threadView(thread, 'json');
  return { status: 201, body: view };
});
