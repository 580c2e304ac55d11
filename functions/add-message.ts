/**
 * POST /api/v3/threads/{thread_id}: add a message. `respond: false` stores it (201); otherwise the assistant's
 * reply streams back (response streaming): display text, or NDJSON events with `Accept: application/x-ndjson`.
 */
import { withStreamingHttp } from '#lib/http/middleware.js';
import { addMessage } from '#lib/services/messages.js';
import { AddMessageBody, ThreadPathSchema } from '#lib/services/schemas.js';
import { messageView } from '#lib/threads/views.js';

export const handler = withStreamingHttp(
  { route: 'POST /threads/{thread_id}', path: ThreadPathSchema, body: AddMessageBody },
  async ({ userId, path, body, headers, context }) => {
    const result = await addMessage(userId, path.thread_id, body, {
      accept: headers.accept,
      remainingMs: context.getRemainingTimeInMillis(),
      requestId: context.awsRequestId,
    });
    if ('stored' in result) return { status: 201, body: messageView(result.stored) };
    const { reply } = result;
    return {
      statusCode: 200,
      headers: {
        'Content-Type': reply.format === 'ndjson' ? 'application/x-ndjson; charset=utf-8' : 'text/plain; charset=utf-8',
        'Cache-Control': 'no-cache',
        'X-Accel-Buffering': 'no',
        'X-Content-Type-Options': 'nosniff',
        'X-Message-Id': result.userMessage.id,
        'X-Reply-Message-Id': reply.replyId,
      },
      body: reply.body,
      settled: reply.settled,
    };
  },
);
