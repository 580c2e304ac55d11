/** GET /api/v3/openapi.json: this API's OpenAPI 3.1 document (public, cacheable), as `npm run openapi` wrote it. */
import { createHash } from 'node:crypto';
import document from '#docs/openapi.json' with { type: 'json' };
import { withHttp } from '#lib/http/middleware.js';
import { responseSchemas } from '#lib/services/responses.js';

// The document changes only with a deployment: browsers and CDNs may keep it a while, then revalidate by ETag.
const ETAG = `"${createHash('sha256').update(JSON.stringify(document)).digest('base64url').slice(0, 27)}"`;
const CACHE_CONTROL = 'public, max-age=300';

const doc = {
  operationId: 'openApi',
  summary: 'This document',
  description: 'The OpenAPI 3.1 document of this API. No login.',
  tags: ['meta'],
  responses: () => {
    const s = responseSchemas();
    return {
      200: { description: 'The document', body: s.OpenApiDocumentSchema, headers: { 'Cache-Control': true, ETag: true } },
      304: { description: 'Not modified (`If-None-Match` matched)', headers: { 'Cache-Control': true, ETag: true } },
    };
  },
};

export const handler = withHttp({ route: 'GET /openapi.json', auth: false, database: false, doc }, async ({ headers }) => {
  const cache = { 'Cache-Control': CACHE_CONTROL, ETag: ETAG };
  if (headers['if-none-match']?.split(',').some((tag) => tag.trim() === ETAG)) return { status: 304, headers: cache };
  return { status: 200, headers: cache, body: document };
});
