/** POST /api/v3/share/{thread_id}: a frozen, public snapshot of the caller's thread. */
import { withHttp } from '#lib/http/middleware.js';
import { ShareThreadBody, ShareThreadPath } from '#lib/services/schemas.js';
import { createShare } from '#lib/services/shares.js';

export const handler = withHttp(
  { route: 'POST /share/{thread_id}', path: ShareThreadPath, body: ShareThreadBody, threadParam: 'id' },
  async ({ userId, path, body }) => {
    const share = await createShare(userId, path.id, body.expires_in_days);
    return {
      status: 201,
      body: {
        status: 'success',
        share_id: share.share_id,
        thread_id: share.thread_id,
        created_at: share.created_at,
        expires_at: share.expires_at,
      },
    };
  },
);
