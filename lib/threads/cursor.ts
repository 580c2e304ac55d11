/** The opaque keyset cursor of the thread list and the list order it encodes. */
import * as z from 'zod/mini';
import { ValidationError } from '#lib/errors.js';

/** Keyset position in the thread list (newest first: updated_at desc, then thread_id desc). */
export interface ListCursor {
  updatedAt: Date;
  threadId: string;
}

const CursorSchema = z.strictObject({
  u: z.iso.datetime(),
  t: z.string().check(z.regex(/^[0-9a-f-]{36}$/)),
});

export function encodeCursor(c: ListCursor): string {
  return Buffer.from(JSON.stringify({ u: c.updatedAt.toISOString(), t: c.threadId })).toString('base64url');
}

export function decodeCursor(raw: string): ListCursor {
  try {
    const parsed = CursorSchema.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return { updatedAt: new Date(parsed.u), threadId: parsed.t };
  } catch {
    throw new ValidationError('Invalid query: cursor is not a valid cursor');
  }
}

/** The total order of the list: newest first, ties broken by thread_id (descending). */
export function compareSummaries(a: ListCursor, b: ListCursor): number {
  const dt = b.updatedAt.getTime() - a.updatedAt.getTime();
  if (dt !== 0) return dt;
  return a.threadId < b.threadId ? 1 : a.threadId > b.threadId ? -1 : 0;
}
