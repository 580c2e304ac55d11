/**
 * Generated legacy rows for tests and the benchmark, in the seed's shapes (scripts/legacy/seed-data.ts):
 * - `cloneSeedThreads`: a copy of the dev user's seeded threads (one per legacy row shape, with feedback) for
 *   another user, under fresh thread and message ids, times shifted;
 * - `plainThread`: a thread of plain user/assistant text turns at a given `updated_at`.
 * Insert either with `insertLegacyRows`. Message and feedback ids come from a per-process counter far above the
 * seed's ids, so generated rows never collide with the seed or with each other in one database.
 */
import { randomUUID } from 'node:crypto';
import {
  DEV_USER_ID,
  SEED_FEEDBACK,
  SEED_MESSAGES,
  SEED_THREADS,
  THREAD_IDS,
  type LegacyRows,
  type SeedFeedback,
  type SeedMessage,
  type SeedThread,
  type SeedUser,
} from './seed-data.js';

let nextMessageId = 1_000_000;
let nextFeedbackId = 1_000_000;

/** Starts the id counters elsewhere (a process adding rows to a database another process already filled). */
export function reserveIds(messageIdStart: number): void {
  nextMessageId = Math.max(nextMessageId, messageIdStart);
  nextFeedbackId = Math.max(nextFeedbackId, messageIdStart);
}

export function legacyUser(id: string): SeedUser {
  const at = new Date('2024-01-01T00:00:00.000Z');
  return {
    id,
    email: `${id}@ansari.test`,
    password_hash: null,
    first_name: 'Generated',
    last_name: 'User',
    preferred_language: 'en',
    is_guest: false,
    source: 'web',
    phone_num: null,
    created_at: at,
    updated_at: at,
  };
}

export type SeedShape = Exclude<keyof typeof THREAD_IDS, 'other'>;

export interface ClonedThreads extends Required<Pick<LegacyRows, 'users' | 'threads' | 'messages' | 'feedback'>> {
  /** The new thread id of each seeded shape. */
  ids: Record<SeedShape, string>;
  /** Seeded message id -> new message id. */
  messageIds: Map<number, number>;
}

/** The dev user's seeded threads, for `userId`, with fresh ids; every time moved by `shiftMs`. */
export function cloneSeedThreads(userId: string, opts: { shiftMs?: number; withUser?: boolean } = {}): ClonedThreads {
  const shift = (d: Date) => new Date(d.getTime() + (opts.shiftMs ?? 0));
  const ids = {} as Record<SeedShape, string>;
  const threadMap = new Map<string, string>();
  for (const [shape, id] of Object.entries(THREAD_IDS) as [keyof typeof THREAD_IDS, string][]) {
    if (shape === 'other') continue;
    const fresh = randomUUID();
    ids[shape] = fresh;
    threadMap.set(id, fresh);
  }
  const threads: SeedThread[] = SEED_THREADS.filter((t) => t.user_id === DEV_USER_ID).map((t) => ({
    ...t,
    id: threadMap.get(t.id)!,
    user_id: userId,
    created_at: shift(t.created_at),
    updated_at: shift(t.updated_at),
  }));
  const messageIds = new Map<number, number>();
  const messages: SeedMessage[] = SEED_MESSAGES.filter((m) => threadMap.has(m.thread_id)).map((m) => {
    const id = nextMessageId++;
    messageIds.set(m.id, id);
    return { ...m, id, user_id: userId, thread_id: threadMap.get(m.thread_id)!, created_at: shift(m.created_at) };
  });
  const feedback: SeedFeedback[] = SEED_FEEDBACK.filter((f) => threadMap.has(f.thread_id)).map((f) => ({
    ...f,
    id: nextFeedbackId++,
    user_id: userId,
    thread_id: threadMap.get(f.thread_id)!,
    message_id: messageIds.get(f.message_id)!,
    created_at: shift(f.created_at),
    updated_at: shift(f.updated_at),
  }));
  return { users: opts.withUser === false ? [] : [legacyUser(userId)], threads, messages, feedback, ids, messageIds };
}

/** A thread of `turns` plain question/answer pairs, its last message at `updatedAt`. */
export function plainThread(
  userId: string,
  updatedAt: Date,
  opts: { id?: string; name?: string | null; turns?: number } = {},
): { thread: SeedThread; messages: SeedMessage[] } {
  const id = opts.id ?? randomUUID();
  const turns = opts.turns ?? 1;
  const start = updatedAt.getTime() - (turns * 2 - 1) * 1000;
  const messages: SeedMessage[] = [];
  for (let i = 0; i < turns * 2; i++) {
    messages.push({
      id: nextMessageId++,
      user_id: userId,
      thread_id: id,
      role: i % 2 === 0 ? 'user' : 'assistant',
      tool_name: null,
      tool_details: null,
      ref_list: null,
      content: i % 2 === 0 ? `Question ${i / 2 + 1}` : `Answer ${(i - 1) / 2 + 1}`,
      source: 'web',
      created_at: new Date(start + i * 1000),
    });
  }
  return {
    thread: {
      id,
      name: opts.name === undefined ? `Legacy ${id.slice(0, 8)}` : opts.name,
      user_id: userId,
      initial_source: 'web',
      created_at: new Date(start),
      updated_at: updatedAt,
    },
    messages,
  };
}
