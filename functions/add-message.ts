/**
 * POST /api/v3/threads/{thread_id}: add a message. `respond: false` stores it (201); otherwise the assistant's
 * reply streams back (response streaming): display text, or NDJSON events with `Accept: application/x-ndjson`.
 */
import { errorResponse } from '#lib/http/contract.js';
import { withStreamingHttp } from '#lib/http/middleware.js';
import { addMessage } from '#lib/services/messages.js';
import { responseSchemas } from '#lib/services/responses.js';
import { AddMessageBody, ThreadPathSchema } from '#lib/services/schemas.js';
import { messageView } from '#lib/threads/views.js';

const doc = {
  operationId: 'addMessage',
  summary: 'Add a message and stream the assistant’s reply',
  description:
    'Stores the message; with `respond` (the default) the assistant answers and the reply streams back as it is written: display text by default, one `ReplyEvent` JSON object per line with `Accept: application/x-ndjson`. A failure mid-stream stores the partial answer (`interrupted`) and ends the body with a notice (an `error` event in NDJSON).',
  tags: ['messages'],
  responses: () => {
    const s = responseSchemas();
    return {
      200: {
        description: 'The reply, streamed',
        stream: { 'text/plain': s.ReplyTextSchema, 'application/x-ndjson': s.ReplyEventSchema },
        headers: { 'X-Message-Id': true, 'X-Reply-Message-Id': true },
      },
      201: { description: 'Stored without a reply (`respond: false`)', body: s.MessageSchema },
      404: errorResponse('No such thread of the caller'),
      409: errorResponse('A reply is being written in this thread; try again when it has finished'),
      502: errorResponse('The model failed before the reply began (the user message stays stored)'),
      503: errorResponse('The database or the model is unavailable; retry after `Retry-After`', { 'Retry-After': true }),
      504: errorResponse('The model did not answer in time (the user message stays stored)'),
    };
  },
};

export const handler = withStreamingHttp(
  // The write limit is counted in the append's own command (lib/services/messages.ts).
  { route: 'POST /threads/{thread_id}', path: ThreadPathSchema, body: AddMessageBody, countsOwnWrite: true, doc },
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
