/** GET /api/v3/threads/{thread_id}/shares: the caller's active shares of the thread, newest first. */
import { withHttp } from '#lib/http/middleware.js';
import { ThreadPathSchema } from '#lib/services/schemas.js';
import { listShares } from '#lib/services/shares.js';

export const handler = withHttp({ route: 'GET /threads/{thread_id}/shares', path: ThreadPathSchema }, async ({ userId, path }) => {
  const shares = await listShares(userId, path.thread_id);
  return {
    status: 200,
    body: shares.map((s) => ({
      share_id: s.share_id,
      created_at: s.created_at,
      expires_at: s.expires_at,
      path: `/api/v3/share/${s.share_id}`,
    })),
  };
});
