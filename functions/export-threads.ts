/**
 * GET /api/v3/threads/export: every thread of the caller, streamed (response streaming) as NDJSON, one thread per
 * line as GET /threads/{id} gives it, or with ?format=markdown as one readable document; a download (attachment).
 */
import { withStreamingHttp } from '#lib/http/middleware.js';
import { exportThreads } from '#lib/services/export.js';
import { ExportThreadsQuery } from '#lib/services/schemas.js';

const ROUTE = 'GET /threads/export';

export const handler = withStreamingHttp({ route: ROUTE, query: ExportThreadsQuery }, async ({ userId, query, context }) => {
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
