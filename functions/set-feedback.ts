/** POST /api/v3/threads/{thread_id}/messages/{message_id}/feedback: rate an assistant message (replaces earlier feedback). */
import { withHttp } from '#lib/http/middleware.js';
import { setFeedback } from '#lib/services/feedback.js';
import { FeedbackBody, MessagePathSchema } from '#lib/services/schemas.js';

export const handler = withHttp(
  { route: 'POST /threads/{thread_id}/messages/{message_id}/feedback', path: MessagePathSchema, body: FeedbackBody },
  async ({ userId, path, body }) => ({ status: 200, body: await setFeedback(userId, path.thread_id, path.message_id, body) }),
);
