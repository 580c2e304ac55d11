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
  origin?: LegacyOrigin;
}

/**
 * Where a copied legacy thread came from. `sql` is what PostgreSQL held when the copy was last brought in line with
 * it (the merge base of a migration rerun: a value that changed in SQL since is brought across only when MongoDB
 * still holds the base value, so what the v3 API wrote is never overwritten). `run`, `pass` and `seq` name the
 * migration run, pass and batch that inserted it (its counts stay exact across a crash).
 */
export interface LegacyOrigin {
  store: 'legacy';
  by: 'write' | 'migration';
  copied_at: Date;
  run?: string;
  pass?: number;
  seq?: number;
  sql?: LegacyBase;
}

/** What a legacy thread held in SQL at a copy or a rerun: its name and time, its rows, and each message's feedback. */
export interface LegacyBase {
  name: string | null;
  updated_at: Date;
  /** Message rows, and the highest row id (new rows are appended by the old backend with higher ids). */
  rows: number;
  last_row: number;
  /** Feedback by message id (the converted message carrying it). */
  feedback: Record<string, Record<string, unknown>>;
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

/** A position in the list order (updated_at desc, thread_id desc). */
export type ListPosition = NonNullable<ListPage['after']>;

/**
 * One read of the fallback store for a list page: its threads after the cursor that have no MongoDB copy, the
 * MongoDB copies of the others (read after the SQL rows, so a thread copied meanwhile is found here), and, when
 * the read was cut by its limit, the position of the last row read (nothing after it is known).
 */
export interface FallbackListRead {
  threads: ThreadSummary[];
  copies: ThreadSummary[];
  boundary?: ListPosition;
}

/** A store behind the primary one (the legacy PostgreSQL store): its threads move to MongoDB before any append. */
export interface FallbackThreadStore extends Omit<ThreadStore, 'list'> {
  /** One SQL query at most: up to `limit` rows after `after` (see FallbackListRead). */
  list(userId: string, page: ListPage & { limit: number }): Promise<FallbackListRead>;
  /** Whether the migration has copied every legacy thread of the user (the list then does not ask this store). */
  fullyMigrated(userId: string): Promise<boolean>;
  /**
   * Copies the caller's thread into MongoDB (same thread_id) and returns the MongoDB record; null when this store
   * has no such thread of the caller. Safe when requests race: one copy, returned to each.
   */
  copyToMongo(userId: string, threadId: string): Promise<ThreadRecord | null>;
}
