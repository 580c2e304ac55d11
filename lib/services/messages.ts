/**
 * Adding a message to a thread (POST /api/v3/threads/{thread_id}): store it, and with `respond: true` (the default)
 * start the assistant's reply on the thread's history.
 */
import type { Block, Message, Role } from '#lib/blocks/types.js';
import type { Reply } from '#lib/agent/reply.js';
import { assertModelKey, config } from '#lib/config.js';
import { limitCount, type LimitCount } from '#lib/db/rate-limits.js';
import { withDbBudget } from '#lib/db/retry.js';
import { NotFoundError } from '#lib/errors.js';
import { logger } from '#lib/observability.js';
import { newId } from '#lib/ids.js';
import { firstNamingMessage, nameFrom } from '#lib/threads/names.js';
import type { AddMessageInput } from './schemas.js';
import { appendMessages, THREAD_NOT_FOUND, threadForAppend } from './threads.js';
import { primaryStore } from './wiring.js';

// The model key is checked at cold start (a bad deployment fails at once); the assistant's code (the Anthropic SDK
// with it) loads with the first reply, so a `respond: false` request never loads it.
assertModelKey(config);
const agent = () => import('#lib/agent/reply.js');

export interface AddMessageOptions {
  accept?: string;
  remainingMs?: number;
  requestId?: string;
}

export type AddMessageResult = { stored: Message } | { userMessage: Message; reply: Reply };

function newMessage(userId: string, role: Role, content: string | Block[]): Message {
  return {
    id: newId(),
    role,
    content: typeof content === 'string' ? [{ type: 'text', text: content }] : structuredClone(content),
    created_at: new Date(),
    user_id: userId,
  };
}

/** Stores the message; with `respond: true`, also starts the assistant's reply. 404 when not the caller's thread. */
export async function addMessage(
  userId: string,
  threadId: string,
  input: AddMessageInput,
  opts: AddMessageOptions = {},
): Promise<AddMessageResult> {
  const message = newMessage(userId, input.role, input.content);
  // The route counts its write itself (in the append's command), not in the middleware: see the route's spec.
  const now = Date.now();
  const writes = limitCount(userId, 'writes', now);
  if (!input.respond) {
    // One round trip: the append counts the write and names the thread (when it has no name yet) in the same command.
    const name = message.role === 'user' ? nameFrom(message) || undefined : undefined;
    if (!(await appendMessages(userId, threadId, [message], { name, counts: present([writes]) })))
      throw new NotFoundError(THREAD_NOT_FOUND);
    return { stored: message };
  }
  const thread = await threadForAppend(userId, threadId);
  // Named from its first user message (an imported thread may have one already).
  const name = thread.name === null ? nameFrom(firstNamingMessage(thread.messages) ?? message) || undefined : undefined;
  // The user message takes the thread's reply lease in the same update: one reply at a time per thread.
  const lease = { id: newId(), until: leaseEnd() };
  // A turn costs model tokens: past either limit the command stops before the append, so nothing is stored and the
  // model is not called. The write is counted first: a turn refused by its limit still counts as a change.
  const counts = present([writes, limitCount(userId, 'turns', now)]);
  if (!(await appendMessages(userId, threadId, [message], { lease, name, counts }))) throw new NotFoundError(THREAD_NOT_FOUND);
  const hold = holdLease(threadId, lease.id);
  try {
    const { startReply } = await agent();
    const reply = await startReply({
      userId,
      threadId,
      history: thread.messages,
      userMessage: message,
      store: (m) => appendMessages(userId, threadId, [m], { lease: { id: lease.id } }),
      // Released before the stream's last line: a client that sends its next message as soon as the answer is
      // complete finds the thread free.
      beforeEnd: hold.release,
      ...opts,
    });
    // Released at the latest once the turn has settled (a turn that ends without its last line); the invocation lasts until then.
    return { userMessage: message, reply: { ...reply, settled: reply.settled.finally(hold.release) } };
  } catch (err) {
    await hold.release();
    throw err;
  }
}

const present = (counts: (LimitCount | undefined)[]) => counts.filter((c): c is LimitCount => c !== undefined);

const leaseEnd = () => new Date(Date.now() + config.REPLY_LEASE_MS);

/** Renews a reply's lease while it runs (a crashed reply's lease simply expires), and releases it at the end. */
function holdLease(threadId: string, leaseId: string): { release(): Promise<void> } {
  const renew = setInterval(() => {
    // Its own database budget: the timer outlives the request that started it.
    withDbBudget(() => primaryStore.renewReplyLease(threadId, leaseId, leaseEnd())).catch((err: unknown) => {
      logger.warn('renewing the reply lease failed', { threadId, error: (err as Error).name });
    });
  }, config.REPLY_LEASE_MS / 3);
  renew.unref();
  let released: Promise<void> | undefined;
  return {
    // Once: the end of the stream and the end of the turn both release it.
    release: () =>
      (released ??= (async () => {
        clearInterval(renew);
        await withDbBudget(() => primaryStore.releaseReplyLease(threadId, leaseId)).catch((err: unknown) => {
          // It expires by itself; the thread is only busy until then.
          logger.warn('releasing the reply lease failed', { threadId, error: (err as Error).name });
        });
      })()),
  };
}
