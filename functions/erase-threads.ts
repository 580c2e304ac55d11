/**
 * DELETE /api/v3/threads: erases the caller's data in both stores (threads with overflow chunks, shares, rate-limit
 * counters); 200 with counts. A call clears a bounded batch: `complete: false` means call again.
 */
import { withHttp } from '#lib/http/middleware.js';
import { eraseUserData } from '#lib/services/account.js';
import { responseSchemas } from '#lib/services/responses.js';

const doc = {
  operationId: 'eraseThreads',
  summary: 'Erase all of the caller’s data',
  description:
    'Deletes every thread of the caller in both stores (overflow chunks and legacy SQL rows included), every share they created and their rate-limit counters. A call clears up to 2,000 threads: while `complete` is false, call again. Idempotent; the app calls it before deleting the account.',
  tags: ['account'],
  responses: () => {
    const s = responseSchemas();
    return { 200: { description: 'What this call removed', body: s.EraseResultSchema } };
  },
};

export const handler = withHttp({ route: 'DELETE /threads', doc }, async ({ userId }) => ({
  status: 200,
  body: await eraseUserData(userId, { via: 'api' }),
}));
