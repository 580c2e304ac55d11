/** GET /api/v3/share/{share_id}: public, no login; any Authorization header is ignored. */
import { withHttp } from '#lib/http/middleware.js';
import { SharePath, ShareQuery } from '#lib/services/schemas.js';
import { readShare } from '#lib/services/shares.js';
import { messagesView } from '#lib/threads/views.js';

/** A share can be revoked (and expires): caches may keep it a minute at most, so a revoked link dies within one. */
const MAX_AGE_S = 60;

export const handler = withHttp(
  { route: 'GET /share/{share_id}', auth: false, path: SharePath, query: ShareQuery },
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
