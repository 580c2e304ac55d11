/** DELETE /api/v3/share/{share_id}: the owner revokes a share (MongoDB or legacy); its public link is a 404 from then on. */
import { withHttp } from '#lib/http/middleware.js';
import { SharePath } from '#lib/services/schemas.js';
import { revokeShare } from '#lib/services/shares.js';

// The share id is a bearer secret (it opens the public link): not logged, so no `threadParam` here.
export const handler = withHttp({ route: 'DELETE /share/{share_id}', path: SharePath }, async ({ userId, path }) => {
  await revokeShare(userId, path.id);
  return { status: 204 };
});
