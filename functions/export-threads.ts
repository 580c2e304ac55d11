/**
 * GET /api/v3/threads/export: every thread of the caller, streamed (response streaming) as NDJSON, one thread per
 * line as GET /threads/{id} gives it, or with ?format=markdown as one readable document; a download (attachment).
 */
import { errorResponse } from '#lib/http/contract.js';
import { withStreamingHttp } from '#lib/http/middleware.js';
import { exportThreads } from '#lib/services/export.js';
import { responseSchemas } from '#lib/services/responses.js';
import { ExportThreadsQuery } from '#lib/services/schemas.js';

const ROUTE = 'GET /threads/export';

const doc = {
  operationId: 'exportThreads',
  summary: 'Export all of the caller’s threads',
  description:
    'Streams every thread of the caller, newest first, as a download: NDJSON with one `Thread` per line, each as `GET /threads/{thread_id}` gives it, or with `?format=markdown` one readable Markdown document. A failure after the download began cuts it off.',
  tags: ['account'],
  responses: () => {
    const s = responseSchemas();
    return {
      200: {
        description: 'The threads, streamed',
        stream: { 'application/x-ndjson': s.ThreadSchema, 'text/markdown': s.ExportMarkdownSchema },
        headers: { 'Content-Disposition': true },
      },
      503: errorResponse('A database is unavailable; retry after `Retry-After`', { 'Retry-After': true }),
    };
  },
};

export const handler = withStreamingHttp({ route: ROUTE, query: ExportThreadsQuery, doc }, async ({ userId, query, context }) => {
  const data = await exportThreads(userId, query.format, { route: ROUTE, requestId: context.awsRequestId });
  return {
    statusCode: 200,
    headers: {
      'Content-Type': data.contentType,
      'Content-Disposition': `attachment; filename="${data.filename}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
    body: data.body,
    settled: data.settled,
  };
});
