/** DELETE /api/v3/share/{share_id}: the owner revokes a share (MongoDB or legacy); its public link is a 404 from then on. */
import { errorResponse } from '#lib/http/contract.js';
import { withHttp } from '#lib/http/middleware.js';
import { SharePath } from '#lib/services/schemas.js';
import { revokeShare } from '#lib/services/shares.js';

const doc = {
  operationId: 'revokeShare',
  summary: 'Revoke a share',
  description: '`id` is a `share_id` (legacy UUIDs included). Its public read is a 404 from then on; cached copies end within 60 s.',
  tags: ['shares'],
  responses: { 204: { description: 'Revoked' }, 404: errorResponse('Unknown, expired, already revoked, or another user’s share') },
};

// The share id is a bearer secret (it opens the public link): not logged, so no `threadParam` here.
export const handler = withHttp({ route: 'DELETE /share/{id}', path: SharePath, doc }, async ({ userId, path }) => {
  await revokeShare(userId, path.id);
  return { status: 204 };
});
