/** POST /api/v3/threads/{thread_id}/messages/{message_id}/feedback: rate an assistant message (replaces earlier feedback). */
import { errorResponse } from '#lib/http/contract.js';
import { withHttp } from '#lib/http/middleware.js';
import { setFeedback } from '#lib/services/feedback.js';
import { responseSchemas } from '#lib/services/responses.js';
import { FeedbackBody, MessagePathSchema } from '#lib/services/schemas.js';

const doc = {
  operationId: 'setFeedback',
  summary: 'Rate an assistant message',
  description:
    'Replaces earlier feedback (`created_at` stays the first time). `message_id` is any id the API gives out: a stored id, a `format=text` reply id, `X-Reply-Message-Id`. A user message is a 400.',
  tags: ['feedback'],
  responses: () => {
    const s = responseSchemas();
    return {
      200: { description: 'The stored feedback', body: s.FeedbackSchema },
      404: errorResponse('No such thread of the caller, or no such message'),
    };
  },
};

export const handler = withHttp(
  { route: 'POST /threads/{thread_id}/messages/{message_id}/feedback', path: MessagePathSchema, body: FeedbackBody, doc },
  async ({ userId, path, body }) => ({ status: 200, body: await setFeedback(userId, path.thread_id, path.message_id, body) }),
);
