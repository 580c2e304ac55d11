/**
 * Feedback on an assistant message (POST/DELETE /api/v3/threads/{thread_id}/messages/{message_id}/feedback):
 * written in place on the message in MongoDB; a legacy thread is copied there first, as an append does.
 */
import { NotFoundError, ValidationError } from '#lib/errors.js';
import { logger, metrics } from '#lib/observability.js';
import { removeMessageFeedback, setMessageFeedback } from '#lib/threads/mongo-store.js';
import type { Feedback, FeedbackClass } from '#lib/threads/types.js';
import { getThread, threadForAppend } from './threads.js';

const MESSAGE_NOT_FOUND = 'Message not found';

/**
 * Runs `edit` on the caller's assistant message. When it matches nothing, the thread is read (MongoDB, then the
 * legacy store) to say why before anything is written: no such thread is a 404, no such message a 404, a user
 * message a 400. A legacy thread is then copied into MongoDB by the thread service's copy order (as an append
 * does: race-safe, one copy, message ids and feedback kept) and the edit runs on the copy.
 */
async function onAssistantMessage<T>(userId: string, threadId: string, messageId: string, edit: () => Promise<T | null>): Promise<T> {
  const done = await edit();
  if (done !== null) return done;
  const thread = await getThread(userId, threadId);
  const message = thread.messages.find((m) => m.id === messageId);
  if (!message) throw new NotFoundError(MESSAGE_NOT_FOUND);
  if (message.role !== 'assistant') throw new ValidationError('Feedback is for assistant messages');
  if (thread.storage === 'legacy') await threadForAppend(userId, threadId);
  // Also covers a message appended between the first attempt and the read.
  const again = await edit();
  if (again === null) throw new NotFoundError(MESSAGE_NOT_FOUND);
  return again;
}

/** One log line and one `Feedback` metric (dimension `class`) per write; never the comment. */
function record(action: 'set' | 'remove', threadId: string, messageId: string, feedbackClass: string, hasComment: boolean): void {
  logger.info('feedback', { action, threadId, messageId, class: feedbackClass, hasComment });
  // A single metric, published at once: its dimension stays out of the request metrics (dimension `route`).
  const single = metrics.singleMetric();
  single.addDimension('class', feedbackClass);
  single.addMetric(action === 'set' ? 'Feedback' : 'FeedbackRemoved', 'Count', 1);
}

/** Stores (or replaces) the caller's feedback on an assistant message; the stored feedback. */
export async function setFeedback(
  userId: string,
  threadId: string,
  messageId: string,
  input: { class: FeedbackClass; comment: string | null },
): Promise<Feedback> {
  const at = new Date();
  const stored = await onAssistantMessage(userId, threadId, messageId, () => setMessageFeedback(userId, threadId, messageId, input, at));
  record('set', threadId, messageId, stored.class, stored.comment !== null);
  return stored;
}

/** Removes the caller's feedback from an assistant message (done, too, when it had none). */
export async function removeFeedback(userId: string, threadId: string, messageId: string): Promise<void> {
  const { removed } = await onAssistantMessage(userId, threadId, messageId, () => removeMessageFeedback(userId, threadId, messageId));
  if (removed) record('remove', threadId, messageId, String(removed.class), typeof removed.comment === 'string');
}
