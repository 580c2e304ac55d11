/**
 * DELETE /api/v3/threads: erases the caller's data in both stores (threads with overflow chunks, shares, rate-limit
 * counters); 200 with counts. A call clears a bounded batch: `complete: false` means call again.
 */
import { withHttp } from '#lib/http/middleware.js';
import { eraseUserData } from '#lib/services/account.js';

export const handler = withHttp({ route: 'DELETE /threads' }, async ({ userId }) => ({
  status: 200,
  body: await eraseUserData(userId, { via: 'api' }),
}));
