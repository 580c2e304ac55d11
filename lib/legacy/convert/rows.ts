/** Legacy message rows as PostgreSQL returns them, and reading their columns (JSON text or JSONB, content, times, feedback). */
import type { Block } from '#lib/blocks/types.js';
import { isObj, type Obj } from '#lib/json.js';

interface LegacyFeedback {
  class: string;
  comment: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface LegacyMessageRow {
  id: number;
  role: string;
  content: string;
  tool_name: string | null;
  tool_details: unknown;
  ref_list: unknown;
  created_at: Date;
  user_id?: string;
  feedback?: LegacyFeedback | null;
}

/** A row's message id, time, owner and feedback, carried to the message it becomes. */
export interface Meta {
  id: string;
  created_at: Date;
  user_id?: string;
  feedback?: Record<string, unknown>;
}

/** A tool_result of a user piece, with what the pairing pass needs to pair it with a tool_use. */
export interface ResultEntry {
  block: Block;
  /** The id was unknown: answer the first unanswered tool_use of the preceding assistant message. */
  bindAny: boolean;
  /** Tool name, to prefer when binding by position. */
  name?: string;
  /** The call, re-creatable when the preceding assistant message does not hold it. */
  call?: Block;
}

/** One row converted, for the pairing pass: an assistant message's blocks, or a user message's results and other blocks. */
export type Piece =
  { role: 'assistant'; meta: Meta; blocks: Block[] } | { role: 'user'; meta: Meta; results: ResultEntry[]; others: Block[] };

export function metaOf(row: LegacyMessageRow): Meta {
  const meta: Meta = { id: String(row.id), created_at: toDate(row.created_at) };
  if (typeof row.user_id === 'string' && row.user_id !== '') meta.user_id = row.user_id;
  const fb = row.feedback;
  if (fb && typeof fb.class === 'string') {
    meta.feedback = {
      class: fb.class,
      comment: fb.comment ?? null,
      created_at: toDate(fb.created_at),
      updated_at: toDate(fb.updated_at ?? fb.created_at),
    };
  }
  return meta;
}

function toDate(v: unknown): Date {
  if (v instanceof Date) return new Date(v.getTime());
  if (typeof v === 'string' || typeof v === 'number') return new Date(v);
  return new Date(0);
}

export const isBlockLike = (v: unknown): v is Block => isObj(v) && typeof v.type === 'string' && v.type !== '';

/**
 * A JSONB value as it may arrive: parsed by `pg`, a JSON string (the Python backend `json.dumps`-ed values, and a
 * string inserted into a JSONB column stays a JSON string), double-encoded, null, or empty. Unparsable strings are
 * returned as they are.
 */
function parseJsonValue(v: unknown): unknown {
  let cur = v;
  for (let i = 0; i < 3 && typeof cur === 'string'; i++) {
    const t = cur.trim();
    if (t === '') return null;
    if (!(t.startsWith('[') || t.startsWith('{') || t.startsWith('"'))) return cur;
    try {
      cur = JSON.parse(t);
    } catch {
      return cur;
    }
  }
  return cur;
}

export const asObject = (v: unknown): Obj | null => {
  const p = parseJsonValue(v);
  return isObj(p) && Object.keys(p).length > 0 ? p : null;
};

export const asArray = (v: unknown): unknown[] => {
  const p = parseJsonValue(v);
  if (Array.isArray(p)) return p;
  if (isBlockLike(p)) return [p];
  return [];
};

export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * A content column: a block list (JSON array of typed blocks and/or strings, or a single typed block), or plain
 * text. A user who typed something JSON-looking that is not a block list (`[1, 2]`, `{"a": 1}`) keeps it as text.
 */
export function parseContent(content: unknown): { blocks: unknown[] } | { text: string } {
  if (Array.isArray(content)) return { blocks: content };
  if (isBlockLike(content)) return { blocks: [content] };
  const s = typeof content === 'string' ? content : content == null ? '' : String(content);
  const t = s.trim();
  if (t.startsWith('[') || t.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(t);
      if (Array.isArray(parsed)) {
        const blockList = parsed.length === 0 || (parsed.some(isBlockLike) && parsed.every((x) => isBlockLike(x) || typeof x === 'string'));
        if (blockList) return { blocks: parsed };
      } else if (isBlockLike(parsed)) {
        return { blocks: [parsed] };
      }
    } catch {
      // not JSON: plain text
    }
  }
  return { text: s };
}
