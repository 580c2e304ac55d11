/** DELETE /api/v3/threads/{thread_id}/messages/{message_id}/feedback: 204; the message keeps no feedback. */
import { errorResponse } from '#lib/http/contract.js';
import { withHttp } from '#lib/http/middleware.js';
import { removeFeedback } from '#lib/services/feedback.js';
import { MessagePathSchema } from '#lib/services/schemas.js';

const doc = {
  operationId: 'deleteFeedback',
  summary: 'Remove the feedback of an assistant message',
  description: 'Also a 204 when the message has none. A user message is a 400.',
  tags: ['feedback'],
  responses: {
    204: { description: 'The message has no feedback' },
    404: errorResponse('No such thread of the caller, or no such message'),
  },
};

export const handler = withHttp(
  { route: 'DELETE /threads/{thread_id}/messages/{message_id}/feedback', path: MessagePathSchema, doc },
  async ({ userId, path }) => {
    await removeFeedback(userId, path.thread_id, path.message_id);
    return { status: 204 };
  },
);
