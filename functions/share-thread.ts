import { z } from 'zod';
import { withHttp } from '#lib/http/middleware.js';
import { createShare } from '#lib/share/snapshot.js';
import { ThreadIdSchema } from '#lib/threads/schemas.js';

// API Gateway allows one variable name per path level, so both share routes name it {id}.
const SharePath = z.object({ id: ThreadIdSchema });
const ShareBody = z
  .strictObject({ expires_in_days: z.number().int().min(1).max(365).optional() })
  .optional()
  .transform((b) => b ?? {});

/** POST /api/v3/share/{thread_id}: a frozen, public snapshot of the caller's thread. */
export const handler = withHttp(
  { route: 'POST /share/{thread_id}', path: SharePath, body: ShareBody, threadParam: 'id' },
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
