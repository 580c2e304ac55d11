/** POST /api/v3/share/{thread_id}: a frozen, public snapshot of the caller's thread. */
import { errorResponse } from '#lib/http/contract.js';
import { withHttp } from '#lib/http/middleware.js';
import { responseSchemas } from '#lib/services/responses.js';
import { ShareThreadBody, ShareThreadPath } from '#lib/services/schemas.js';
import { createShare } from '#lib/services/shares.js';

const doc = {
  operationId: 'shareThread',
  summary: 'Share a thread',
  description:
    '`id` is the caller’s thread id. A frozen copy of the thread as it is now, readable by anyone with its `share_id`; each call makes a new share. The body is optional.',
  tags: ['shares'],
  responses: () => {
    const s = responseSchemas();
    return {
      201: { description: 'The share', body: s.ShareCreatedSchema },
      404: errorResponse('No such thread of the caller'),
      413: errorResponse('Body over 256 KiB, or a thread too large to copy into one share'),
    };
  },
};

// API Gateway allows one variable name per path level: every share route calls it {id} (here a thread id).
export const handler = withHttp(
  { route: 'POST /share/{id}', path: ShareThreadPath, body: ShareThreadBody, threadParam: 'id', doc },
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
