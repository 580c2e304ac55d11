/** The thread model shared by every store: documents, summaries, records, pages and the store interfaces. */
import type { Message } from '#lib/blocks/types.js';

export const SOURCES = ['web', 'ios', 'android', 'whatsapp', 'mcp'] as const;
export type Source = (typeof SOURCES)[number];
type Storage = 'mongodb' | 'legacy';

/** Feedback classes of the Ansari app (the legacy `feedback_class` enum). */
export const FEEDBACK_CLASSES = ['thumbsup', 'thumbsdown', 'redflag'] as const;
export type FeedbackClass = (typeof FEEDBACK_CLASSES)[number];

/** Feedback embedded in an assistant message (`messages[].feedback`), private to the thread's owner. */
export interface Feedback {
  class: FeedbackClass;
  comment: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A thread document in the `threads` collection. */
export interface ThreadDoc {
  thread_id: string;
  name: string | null;
  user_id: string;
  initial_source: Source;
  created_at: Date;
  updated_at: Date;
  metadata: Record<string, unknown>;
  messages: Message[];
  /** Running BSON size of `messages` (see overflow.ts); absent on documents written before it existed. */
  size_bytes?: number;
  /** How many overflow chunks hold this thread's oldest messages. */
  overflow_chunks?: number;
  /** Counts in-place edits of embedded messages (feedback), so a spill never moves a stale copy (see overflow.ts). */
  edit_seq?: number;
  /** The running reply's lease (lib/threads/mongo-store.ts): while it lasts, only that reply appends. */
  reply?: { lease: string; until: Date };
  /** Set on a thread copied from the legacy PostgreSQL store (on write or by the migration); never sent to clients. */
  origin?: { store: 'legacy'; by: 'write' | 'migration'; copied_at: Date };
}

/** What the list shows of a thread, from either store. */
export interface ThreadSummary {
  thread_id: string;
  name: string | null;
  initial_source: string;
  created_at: Date;
  updated_at: Date;
  storage: Storage;
}

/** One thread with (a page of) its messages, oldest first. */
export interface ThreadRecord extends ThreadSummary {
  metadata: Record<string, unknown>;
  messages: Message[];
  has_more: boolean;
}

export interface MessagePage {
  /** Return only the N most recent messages (before `before` when given). */
  limit?: number;
  /** A message id: return the messages older than it. */
  before?: string;
}

export interface ListPage {
  limit?: number;
  after?: { updatedAt: Date; threadId: string };
}

/**
 * What a thread store offers the thread service. MongoDB is the primary store; the legacy PostgreSQL store
 * implements the same reads and writes, so the service can fall back without the handlers knowing.
 */
export interface ThreadStore {
  readonly storage: Storage;
  list(userId: string, page: ListPage): Promise<ThreadSummary[]>;
  get(userId: string, threadId: string, page?: MessagePage): Promise<ThreadRecord | null>;
  rename(userId: string, threadId: string, name: string): Promise<ThreadSummary | null>;
  delete(userId: string, threadId: string): Promise<boolean>;
}

/** A store behind the primary one (the legacy PostgreSQL store): its threads move to MongoDB before any append. */
export interface FallbackThreadStore extends ThreadStore {
  /**
   * Copies the caller's thread into MongoDB (same thread_id) and returns the MongoDB record; null when this store
   * has no such thread of the caller. Safe when requests race: one copy, returned to each.
   */
  copyToMongo(userId: string, threadId: string): Promise<ThreadRecord | null>;
}
