/** DELETE /api/v3/threads/{thread_id}/messages/{message_id}/feedback: 204; the message keeps no feedback. */
import { withHttp } from '#lib/http/middleware.js';
import { removeFeedback } from '#lib/services/feedback.js';
import { MessagePathSchema } from '#lib/services/schemas.js';

export const handler = withHttp(
  { route: 'DELETE /threads/{thread_id}/messages/{message_id}/feedback', path: MessagePathSchema },
  async ({ userId, path }) => {
    await removeFeedback(userId, path.thread_id, path.message_id);
    return { status: 204 };
  },
);
