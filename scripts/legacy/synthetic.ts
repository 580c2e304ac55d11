/**
 * Generated legacy rows for tests and the benchmark, in the seed's shapes (scripts/legacy/seed-data.ts):
 * - `cloneSeedThreads`: a copy of the dev user's seeded threads (one per legacy row shape, with feedback) for
 *   another user, under fresh thread and message ids, times shifted;
 * - `plainThread`: a thread of plain user/assistant text turns at a given `updated_at`.
 * - `syntheticUser`: one user of the migration's synthetic scale (every row shape, realistic row sizes), inserted
 *   thousands of rows a statement by `insertLegacyRowsBulk` (scripts/legacy/synthetic-load.ts loads a database).
 * Insert the first two with `insertLegacyRows`. Message and feedback ids come from a per-process counter far above the
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
  type QueryFn,
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

// ----- The migration's synthetic scale: realistic row sizes, every row shape, deterministic -----

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the of and to in is that prayer fasting charity patience mercy knowledge scholars verse hadith narrated prophet ' +
  'companions ruling permissible obligatory recommended intention sincerity family community guidance reward ' +
  'forgiveness remembrance night day month ramadan pilgrimage wealth trade contract witness justice kindness ' +
  'parents neighbours orphans traveller journey water purification dawn sunset evidence opinion school jurists ' +
  'according explained meaning context revelation chapter book collection authentic chain report classical modern'
).split(' ');

/** Words from the vocabulary until the text is `min`..`max` characters long. */
function prose(r: () => number, min: number, max: number): string {
  const target = min + Math.floor(r() * (max - min));
  let out = '';
  while (out.length < target) {
    const w = WORDS[Math.floor(r() * WORDS.length)]!;
    out += out === '' ? w[0]!.toUpperCase() + w.slice(1) : r() < 0.08 ? `. ${w[0]!.toUpperCase()}${w.slice(1)}` : ` ${w}`;
  }
  return `${out}.`;
}

const doc = (r: () => number, n: number) => ({
  type: 'document',
  source: { type: 'text', media_type: 'text/plain', data: prose(r, 300, 600) },
  title: `Quran ${1 + Math.floor(r() * 114)}:${1 + n}`,
  context: 'Retrieved from the Holy Quran',
  citations: { enabled: true },
});

/**
 * A long thread as the old backend wrote it, `rows` rows or a few more: plain turns (user question 40-200
 * characters, answer 0.8-2 KB, half of them in the 2025-02 JSON text wrapping), OpenAI-era tool turns (a call row
 * and a `tool` output row of 1-2.5 KB) and Claude-era tool rounds (text + tool_use blocks, then a tool_result row
 * with `ref_list` documents); about one answer in twenty carries feedback.
 */
export function realisticThread(
  userId: string,
  updatedAt: Date,
  r: () => number,
  rows: number,
): { thread: SeedThread; messages: SeedMessage[]; feedback: SeedFeedback[] } {
  const id = randomUUID();
  const messages: SeedMessage[] = [];
  const feedback: SeedFeedback[] = [];
  const start = updatedAt.getTime() - rows * 5_000;
  const add = (m: Omit<SeedMessage, 'id' | 'user_id' | 'thread_id' | 'source' | 'created_at'>): SeedMessage => {
    const row: SeedMessage = {
      id: nextMessageId++,
      user_id: userId,
      thread_id: id,
      source: 'web',
      created_at: new Date(start + messages.length * 5_000),
      ...m,
    };
    messages.push(row);
    return row;
  };
  const plain = { tool_name: null, tool_details: null, ref_list: null };
  while (messages.length < rows) {
    add({ role: 'user', content: prose(r, 40, 200), ...plain });
    const kind = r();
    if (kind < 0.25) {
      const call = `call_${nextMessageId}`;
      const args = JSON.stringify({ query: prose(r, 10, 40) });
      const fn = { type: 'function', id: call, function: { name: 'search_hadith', arguments: args } };
      add({ role: 'assistant', content: '', tool_name: 'search_hadith', tool_details: fn, ref_list: null });
      const output = prose(r, 1000, 2500);
      add({
        role: 'tool',
        content: output,
        tool_name: 'search_hadith',
        tool_details: {
          internal_message: { role: 'assistant', content: '', tool_calls: [fn] },
          tool_message: { role: 'tool', content: output, tool_call_id: call },
        },
        ref_list: null,
      });
    } else if (kind < 0.5) {
      const use = `toolu_${nextMessageId}`;
      const input = { query: prose(r, 10, 40) };
      add({
        role: 'assistant',
        content: JSON.stringify([
          { type: 'text', text: prose(r, 30, 80) },
          { type: 'tool_use', id: use, name: 'search_quran', input },
        ]),
        tool_name: 'search_quran',
        tool_details: { type: 'function', id: use, function: { name: 'search_quran', arguments: JSON.stringify(input) } },
        ref_list: [],
      });
      const result = { type: 'tool_result', tool_use_id: use, content: 'Please see the references below.' };
      add({
        role: 'user',
        content: JSON.stringify([result]),
        tool_name: null,
        tool_details: [result],
        ref_list: [0, 1, 2].map((n) => doc(r, n)),
      });
    }
    const answer = prose(r, 800, 2000);
    const row = add({ role: 'assistant', content: r() < 0.5 ? answer : JSON.stringify([{ type: 'text', text: answer }]), ...plain });
    if (r() < 0.05) {
      feedback.push({
        id: nextFeedbackId++,
        user_id: userId,
        thread_id: id,
        message_id: row.id,
        class: r() < 0.7 ? 'thumbsup' : r() < 0.9 ? 'thumbsdown' : 'redflag',
        comment: r() < 0.5 ? null : prose(r, 10, 120),
        created_at: new Date(row.created_at.getTime() + 60_000),
        updated_at: new Date(row.created_at.getTime() + 60_000),
      });
    }
  }
  const last = messages[messages.length - 1]!.created_at;
  return {
    thread: {
      id,
      name: prose(r, 10, 60).slice(0, 100),
      user_id: userId,
      initial_source: 'web',
      created_at: new Date(start),
      updated_at: last,
    },
    messages,
    feedback,
  };
}

/**
 * One user of the synthetic legacy database: the six seeded row shapes (with their feedback) and long realistic
 * threads, `threads` threads and about `threads * rowsPerThread` rows in all, every time after `start`; one user in
 * ten has shared a thread (a `share` row as the old backend froze it).
 */
export function syntheticUser(
  userId: string,
  r: () => number,
  opts: { threads: number; rowsPerThread: number; start: Date; share: boolean },
): LegacyRows {
  const seeded = cloneSeedThreads(userId, { shiftMs: opts.start.getTime() - Date.UTC(2024, 5, 1) });
  const long = Math.max(0, opts.threads - seeded.threads.length);
  const rowsLeft = Math.max(0, opts.threads * opts.rowsPerThread - seeded.messages.length);
  const generated = Array.from({ length: long }, (_, i) =>
    realisticThread(userId, new Date(opts.start.getTime() + (i + 1) * 86_400_000), r, Math.max(2, Math.round(rowsLeft / long))),
  );
  const rows: LegacyRows = {
    users: seeded.users,
    threads: [...seeded.threads, ...generated.map((g) => g.thread)],
    messages: [...seeded.messages, ...generated.flatMap((g) => g.messages)],
    feedback: [...seeded.feedback, ...generated.flatMap((g) => g.feedback)],
  };
  const shared = generated[0];
  if (opts.share && shared) {
    const messages = shared.messages
      .filter((m) => m.role === 'user' || (m.role === 'assistant' && m.content !== ''))
      .slice(0, 6)
      .map((m) => ({
        id: m.id,
        role: m.role,
        content: m.content.startsWith('[') ? ((JSON.parse(m.content) as { text?: string }[])[0]?.text ?? '') : m.content,
      }));
    rows.shares = [{ id: randomUUID(), content: JSON.stringify({ thread_name: shared.thread.name, messages }) }];
  }
  return rows;
}

/** Inserts rows thousands at a time (`unnest` of arrays per column), then moves the SERIAL sequences past them. */
export async function insertLegacyRowsBulk(query: QueryFn, rows: LegacyRows): Promise<void> {
  const ts = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
  const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
  const chunks = <T>(items: T[], n: number) =>
    Array.from({ length: Math.ceil(items.length / n) }, (_, i) => items.slice(i * n, (i + 1) * n));
  for (const part of chunks(rows.users ?? [], 2000)) {
    await query(
      `INSERT INTO users (id, email, first_name, last_name, created_at, updated_at)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamp[], $5::timestamp[]) ON CONFLICT DO NOTHING`,
      [
        part.map((u) => u.id),
        part.map((u) => u.email),
        part.map((u) => u.first_name),
        part.map((u) => u.last_name),
        part.map((u) => ts(u.created_at)),
      ],
    );
  }
  for (const part of chunks(rows.threads ?? [], 2000)) {
    await query(
      `INSERT INTO threads (id, name, user_id, initial_source, created_at, updated_at)
       SELECT id, name, user_id, src::source_type, c, u FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::timestamp[], $6::timestamp[])
         AS x(id, name, user_id, src, c, u) ON CONFLICT DO NOTHING`,
      [
        part.map((t) => t.id),
        part.map((t) => t.name),
        part.map((t) => t.user_id),
        part.map((t) => t.initial_source),
        part.map((t) => ts(t.created_at)),
        part.map((t) => ts(t.updated_at)),
      ],
    );
  }
  for (const part of chunks(rows.messages ?? [], 2000)) {
    await query(
      `INSERT INTO messages (id, user_id, thread_id, role, tool_name, tool_details, ref_list, content, timestamp, source, created_at, updated_at)
       SELECT id, user_id, thread_id, role, tool_name, td::jsonb, rl::jsonb, content, at, src::source_type, at, at
         FROM unnest($1::int[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamp[], $10::text[])
           AS x(id, user_id, thread_id, role, tool_name, td, rl, content, at, src) ON CONFLICT DO NOTHING`,
      [
        part.map((m) => m.id),
        part.map((m) => m.user_id),
        part.map((m) => m.thread_id),
        part.map((m) => m.role),
        part.map((m) => m.tool_name),
        part.map((m) => json(m.tool_details)),
        part.map((m) => json(m.ref_list)),
        part.map((m) => m.content),
        part.map((m) => ts(m.created_at)),
        part.map((m) => m.source),
      ],
    );
  }
  for (const part of chunks(rows.feedback ?? [], 2000)) {
    await query(
      `INSERT INTO feedback (id, user_id, thread_id, message_id, class, comment, created_at, updated_at)
       SELECT id, user_id, thread_id, message_id, cls::feedback_class, comment, c, u
         FROM unnest($1::int[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::timestamp[], $8::timestamp[])
           AS x(id, user_id, thread_id, message_id, cls, comment, c, u) ON CONFLICT DO NOTHING`,
      [
        part.map((f) => f.id),
        part.map((f) => f.user_id),
        part.map((f) => f.thread_id),
        part.map((f) => f.message_id),
        part.map((f) => f.class),
        part.map((f) => f.comment),
        part.map((f) => ts(f.created_at)),
        part.map((f) => ts(f.updated_at)),
      ],
    );
  }
  for (const part of chunks(rows.shares ?? [], 2000)) {
    await query('INSERT INTO share (id, content) SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT DO NOTHING', [
      part.map((s) => s.id),
      part.map((s) => s.content),
    ]);
  }
  for (const table of ['messages', 'feedback']) {
    await query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM ${table}), 1))`);
  }
}
