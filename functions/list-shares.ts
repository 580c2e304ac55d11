/** GET /api/v3/threads/{thread_id}/shares: the caller's active shares of the thread, newest first. */
import { errorResponse } from '#lib/http/contract.js';
import { withHttp } from '#lib/http/middleware.js';
import { responseSchemas } from '#lib/services/responses.js';
import { ThreadPathSchema } from '#lib/services/schemas.js';
import { listShares } from '#lib/services/shares.js';

const doc = {
  operationId: 'listShares',
  summary: 'List the caller’s shares of a thread',
  description: 'Unexpired shares, newest first; also after the thread was deleted (to revoke them). Legacy SQL shares are not listed.',
  tags: ['shares'],
  responses: () => {
    const s = responseSchemas();
    return {
      200: { description: 'The shares (`[]` when none)', body: s.ShareListSchema },
      404: errorResponse('The caller has neither the thread nor a share of it'),
    };
  },
};

export const handler = withHttp({ route: 'GET /threads/{thread_id}/shares', path: ThreadPathSchema, doc }, async ({ userId, path }) => {
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
