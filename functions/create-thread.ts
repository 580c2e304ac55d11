/** POST /api/v3/threads: a new, empty thread in MongoDB. */
import { withHttp } from '#lib/http/middleware.js';
import { responseSchemas } from '#lib/services/responses.js';
import { CreateThreadBody } from '#lib/services/schemas.js';
import { createThread } from '#lib/services/threads.js';
import { threadView } from '#lib/threads/views.js';

const doc = {
  operationId: 'createThread',
  summary: 'Create a thread',
  description: 'An empty thread. The body is optional: none or `{}` is a thread without a name from the web.',
  tags: ['threads'],
  responses: () => {
    const s = responseSchemas();
    return { 201: { description: 'The new thread', body: s.NewThreadSchema } };
  },
};

export const handler = withHttp({ route: 'POST /threads', body: CreateThreadBody, doc }, async ({ userId, body }) => {
  const thread = await createThread(userId, body);
  const { has_more: _unused, ...view } = threadView(thread, 'json');
  return { status: 201, body: view };
});
