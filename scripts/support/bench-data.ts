/**
 * Realistic data and statistics for the benchmarks and the load test: threads whose messages are 1-2 KB, some
 * assistant turns with tool_use / tool_result / document blocks (as the search tools store them), and medians with
 * their spread.
 */
import { randomUUID } from 'node:crypto';
import { BSON } from 'mongodb';
import type { Message } from '#lib/blocks/types.js';
import type { ThreadDoc } from '#lib/threads/types.js';

const WORDS = (
  'zakat salah sawm hajj niyyah fiqh hadith sunnah quran tafsir ayah surah imam madhhab ruling obligation charity ' +
  'prayer fasting pilgrimage intention scholar narration chain evidence opinion majority condition nisab wealth year'
).split(' ');

/** Deterministic filler text of about `chars` characters (varied words, so compression and parsing are realistic). */
function text(chars: number, seed = 0): string {
  const out: string[] = [];
  let n = 0;
  for (let i = seed; n < chars; i++) {
    const w = WORDS[(((i * 7 + (i >> 3)) % WORDS.length) + WORDS.length) % WORDS.length]!;
    out.push(w);
    n += w.length + 1;
  }
  return out.join(' ').slice(0, chars);
}

const size = (seed: number) => 1024 + ((seed * 397) % 1024); // 1-2 KB

/**
 * One exchange of a thread, in stored order. Every third one is a tool round as the assistant stores it: a text and a
 * tool_use, the tool_result carrying search results as document blocks, then the cited answer.
 */
function exchange(userId: string, k: number, at: Date): Message[] {
  const m = (role: 'user' | 'assistant', content: Message['content']): Message => ({
    id: randomUUID(),
    role,
    content,
    created_at: at,
    ...(role === 'user' ? { user_id: userId } : {}),
  });
  const question = m('user', [{ type: 'text', text: text(size(k), k) }]);
  if (k % 3 !== 2) return [question, m('assistant', [{ type: 'text', text: text(size(k + 1), k + 1) }])];
  const toolId = `toolu_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
  const doc = (j: number) => ({
    type: 'document',
    source: { type: 'text', media_type: 'text/plain', data: text(400, k + j) },
    title: `Hadith ${k}.${j}`,
    citations: { enabled: true },
  });
  return [
    question,
    m('assistant', [
      { type: 'text', text: text(300, k + 2) },
      { type: 'tool_use', id: toolId, name: 'search_hadith', input: { query: text(60, k) } },
    ]),
    m('user', [{ type: 'tool_result', tool_use_id: toolId, content: [doc(0), doc(1), doc(2)] }]),
    m('assistant', [
      {
        type: 'text',
        text: text(size(k + 3), k + 3),
        citations: [
          {
            type: 'char_location',
            cited_text: text(80, k),
            document_index: 0,
            document_title: `Hadith ${k}.0`,
            start_char_index: 0,
            end_char_index: 80,
          },
        ],
      },
    ]),
  ];
}

/** A thread document of `exchanges` exchanges (about 2.5 messages each on average), updated at a time set by `index`. */
export function realisticThread(userId: string, index: number, exchanges: number, now = Date.now()): ThreadDoc {
  const at = new Date(now - index * 60_000);
  const messages = Array.from({ length: exchanges }, (_, k) => exchange(userId, k, at)).flat();
  return {
    thread_id: randomUUID(),
    name: `Thread ${index}: ${text(40, index)}`,
    user_id: userId,
    initial_source: 'web',
    created_at: at,
    updated_at: at,
    metadata: {},
    messages,
    size_bytes: messages.reduce((n, msg) => n + BSON.calculateObjectSize(msg as unknown as BSON.Document), 0),
    overflow_chunks: 0,
  };
}

export interface Spread {
  n: number;
  median: number;
  p25: number;
  p75: number;
  min: number;
  max: number;
}

/** Median, quartiles and range of the values (nearest rank). */
export function spread(values: number[]): Spread {
  const a = [...values].sort((x, y) => x - y);
  const q = (p: number) => a[Math.min(a.length - 1, Math.max(0, Math.round((a.length - 1) * p)))]!;
  return { n: a.length, median: q(0.5), p25: q(0.25), p75: q(0.75), min: a[0]!, max: a[a.length - 1]! };
}
