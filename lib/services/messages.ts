/**
 * Adding a message to a thread (POST /api/v3/threads/{thread_id}): store it, and with `respond: true` (the default)
 * start the assistant's reply on the thread's history.
 */
import type { Block, Message, Role } from '#lib/blocks/types.js';
import { startReply, type Reply } from '#lib/agent/reply.js';
import { NotFoundError } from '#lib/errors.js';
import { newId } from '#lib/ids.js';
import { firstNamingMessage } from '#lib/threads/names.js';
import type { AddMessageInput } from './schemas.js';
import { appendMessages, nameThreadFrom, THREAD_NOT_FOUND, threadForAppend } from './threads.js';

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
  if (!input.respond) {
    if (!(await appendMessages(userId, threadId, [message]))) throw new NotFoundError(THREAD_NOT_FOUND);
    if (message.role === 'user') await nameThreadFrom(userId, threadId, message);
    return { stored: message };
  }
  const thread = await threadForAppend(userId, threadId);
  const [stored] = await Promise.all([
    appendMessages(userId, threadId, [message]),
    // Named from its first user message (an imported thread may have one already).
    thread.name === null ? nameThreadFrom(userId, threadId, firstNamingMessage(thread.messages) ?? message) : undefined,
  ]);
  if (!stored) throw new NotFoundError(THREAD_NOT_FOUND);
  const reply = await startReply({
    userId,
    threadId,
    history: thread.messages,
    userMessage: message,
    store: (m) => appendMessages(userId, threadId, [m]),
    ...opts,
  });
  return { userMessage: message, reply };
}
