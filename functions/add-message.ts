import { withStreamingHttp } from '#lib/http/middleware.js';
import { addMessage, AddMessageBody } from '#lib/threads/messages.js';
import { ThreadPathSchema } from '#lib/threads/schemas.js';

/**
 * POST /api/v3/threads/{thread_id}: add a message. `respond: false` stores it (201); otherwise the assistant's
 * reply streams back (response streaming): display text, or NDJSON events with `Accept: application/x-ndjson`.
 */
export const handler = withStreamingHttp(
  { route: 'POST /threads/{thread_id}', path: ThreadPathSchema, body: AddMessageBody },
  async ({ userId, path, body, headers, context }) =>
    addMessage(userId, path.thread_id, body, {
      accept: headers.accept,
      remainingMs: context.getRemainingTimeInMillis(),
      requestId: context.awsRequestId,
    }),
);
