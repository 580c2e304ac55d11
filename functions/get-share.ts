/** GET /api/v3/share/{share_id}: public, no login; any Authorization header is ignored. */
import { errorResponse } from '#lib/http/contract.js';
import { withHttp } from '#lib/http/middleware.js';
import { responseSchemas } from '#lib/services/responses.js';
import { SharePath, ShareQuery } from '#lib/services/schemas.js';
import { readShare } from '#lib/services/shares.js';
import { messagesView } from '#lib/threads/views.js';

/** A share can be revoked (and expires): caches may keep it a minute at most, so a revoked link dies within one. */
const MAX_AGE_S = 60;

const doc = {
  operationId: 'getShare',
  summary: 'Read a shared thread (public)',
  description:
    '`id` is a `share_id`. No login: an `Authorization` header is ignored. Messages in block form, or display messages with `format=text`; no owner, thread id or feedback.',
  tags: ['shares'],
  responses: () => {
    const s = responseSchemas();
    return {
      200: {
        description: 'The shared thread',
        body: s.AnySharedThreadSchema,
        headers: { 'Cache-Control': true, 'X-Robots-Tag': true },
      },
      404: errorResponse('Unknown, malformed, expired or revoked share (`Cache-Control: no-store`)'),
    };
  },
};

export const handler = withHttp(
  { route: 'GET /share/{id}', auth: false, path: SharePath, query: ShareQuery, doc },
  async ({ path, query }) => {
    const share = await readShare(path.id);
    // Never past the expiry; must-revalidate: no cache may serve it stale (e.g. while the API is unreachable).
    const ttl = share.expires_at ? Math.floor((share.expires_at.getTime() - Date.now()) / 1000) : MAX_AGE_S;
    return {
      status: 200,
      headers: {
        'Cache-Control': `public, max-age=${Math.max(0, Math.min(MAX_AGE_S, ttl))}, must-revalidate`,
        'X-Robots-Tag': 'noindex',
      },
      body: {
        share_id: share.share_id,
        thread_name: share.thread_name,
        created_at: share.created_at,
        expires_at: share.expires_at,
        messages: messagesView(share.messages, query.format),
      },
    };
  },
);
