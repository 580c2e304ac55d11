/**
 * Seed data for the legacy PostgreSQL store (scripts/legacy/schema.sql): one thread per row shape the legacy
 * backend wrote (reference/ansari-backend.md §1.3, §2.2), with fixed UUIDs, ids and timestamps.
 *
 * - Most threads belong to the dev user `00000000-0000-4000-8000-000000000001` (mint a token for that id to see
 *   them); one belongs to `00000000-0000-4000-8000-000000000002` (ownership checks).
 * - JSONB values are given as the JS values the column holds (`pg` hands them back parsed). One `ref_list` holds a
 *   JSON *string* `"[]"` (a double-encoded value the Python backend could write), on purpose.
 * - Timestamps are UTC; the columns are `TIMESTAMP` without time zone and receive the UTC wall-clock time.
 *
 * `seedLegacy(query)` inserts everything with parameterised statements and `ON CONFLICT DO NOTHING`, so running it
 * again changes nothing; it then moves the SERIAL sequences past the fixed ids. `insertLegacyRows` does the same for
 * any rows (scripts/legacy/synthetic.ts generates more threads in these shapes for tests and the benchmark).
 */

export const DEV_USER_ID = '00000000-0000-4000-8000-000000000001';
export const OTHER_USER_ID = '00000000-0000-4000-8000-000000000002';

export const THREAD_IDS = {
  /** Plain text turns: string content, and the 2025-02 JSON text-block wrapping. Feedback on an answer. */
  plain: '10000000-0000-4000-8000-000000000001',
  /** OpenAI agent: a `tool` row only (call in internal_message), then an assistant call row + tool row. Feedback. */
  openai: '10000000-0000-4000-8000-000000000002',
  /** Oldest OpenAI agent: a `function` row with no ids at all (tool_details `{}`). */
  functionEra: '10000000-0000-4000-8000-000000000003',
  /** Claude agent: text + tool_use lists, sibling documents, ref_list documents, double-encoded ref_list. */
  claude: '10000000-0000-4000-8000-000000000004',
  /** Claude agent debris: empty-text assistant row, "No results found." strings, a "No Results" fallback document. */
  debris: '10000000-0000-4000-8000-000000000005',
  /** A tool call whose output was never logged (unparsable arguments), followed by a new question. */
  interrupted: '10000000-0000-4000-8000-000000000006',
  /** The other user's thread. */
  other: '20000000-0000-4000-8000-000000000001',
} as const;

export const SHARE_IDS = {
  plain: '30000000-0000-4000-8000-000000000001',
  claude: '30000000-0000-4000-8000-000000000002',
} as const;

type Source = 'ios' | 'android' | 'web' | 'whatsapp';

export interface SeedUser {
  id: string;
  email: string | null;
  password_hash: string | null;
  first_name: string | null;
  last_name: string | null;
  preferred_language: string;
  is_guest: boolean;
  source: Source;
  phone_num: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface SeedThread {
  id: string;
  name: string | null;
  user_id: string;
  initial_source: Source;
  created_at: Date;
  updated_at: Date;
}

export interface SeedMessage {
  id: number;
  user_id: string;
  thread_id: string;
  role: string;
  tool_name: string | null;
  /** The JSONB value; `null` is SQL NULL. */
  tool_details: unknown;
  ref_list: unknown;
  content: string;
  source: Source;
  created_at: Date;
}

export interface SeedFeedback {
  id: number;
  user_id: string;
  thread_id: string;
  message_id: number;
  class: 'thumbsup' | 'thumbsdown' | 'redflag';
  comment: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface SeedShare {
  id: string;
  /** JSON text of the SQL-era `get_thread()` output. */
  content: string;
}

const at = (iso: string): Date => new Date(iso);

// A (bcrypt-shaped) hash of no real password: seeded accounts are not meant for logging in to the old backend.
const NO_PASSWORD = '$2b$12$CwTycUXWue0Thq9StjUM0uJ8nQpX0b1m2Qe5eQkFqQwRr8gDq4lP2';

export const SEED_USERS: SeedUser[] = [
  {
    id: DEV_USER_ID,
    email: 'dev@ansari.test',
    password_hash: NO_PASSWORD,
    first_name: 'Dev',
    last_name: 'User',
    preferred_language: 'en',
    is_guest: false,
    source: 'web',
    phone_num: null,
    created_at: at('2024-10-01T08:00:00.000Z'),
    updated_at: at('2024-10-01T08:00:00.000Z'),
  },
  {
    id: OTHER_USER_ID,
    email: 'other@ansari.test',
    password_hash: NO_PASSWORD,
    first_name: 'Other',
    last_name: 'User',
    preferred_language: 'ar',
    is_guest: false,
    source: 'whatsapp',
    phone_num: '+15550000002',
    created_at: at('2024-10-02T08:00:00.000Z'),
    updated_at: at('2024-10-02T08:00:00.000Z'),
  },
];

export const SEED_THREADS: SeedThread[] = [
  {
    id: THREAD_IDS.plain,
    name: 'What is zakat?',
    user_id: DEV_USER_ID,
    initial_source: 'web',
    created_at: at('2024-11-04T10:00:00.000Z'),
    updated_at: at('2024-11-04T10:03:00.000Z'),
  },
  {
    id: THREAD_IDS.openai,
    name: 'What is the ruling on fasting while traveling?',
    user_id: DEV_USER_ID,
    initial_source: 'ios',
    created_at: at('2025-02-10T12:00:00.000Z'),
    updated_at: at('2025-02-10T12:06:00.000Z'),
  },
  {
    id: THREAD_IDS.functionEra,
    name: 'Who was Imam al-Bukhari?',
    user_id: DEV_USER_ID,
    initial_source: 'web',
    created_at: at('2024-06-20T09:00:00.000Z'),
    updated_at: at('2024-06-20T09:01:00.000Z'),
  },
  {
    id: THREAD_IDS.claude,
    name: 'What does the Quran say about patience?',
    user_id: DEV_USER_ID,
    initial_source: 'web',
    created_at: at('2025-03-05T15:00:00.000Z'),
    updated_at: at('2025-03-05T15:08:00.000Z'),
  },
  {
    id: THREAD_IDS.debris,
    name: null,
    user_id: DEV_USER_ID,
    initial_source: 'android',
    created_at: at('2025-03-12T18:00:00.000Z'),
    updated_at: at('2025-03-12T18:05:00.000Z'),
  },
  {
    id: THREAD_IDS.interrupted,
    name: 'Find the verse about the night journey',
    user_id: DEV_USER_ID,
    initial_source: 'web',
    created_at: at('2025-02-20T07:00:00.000Z'),
    updated_at: at('2025-02-20T07:04:00.000Z'),
  },
  {
    id: THREAD_IDS.other,
    name: 'Greetings',
    user_id: OTHER_USER_ID,
    initial_source: 'whatsapp',
    created_at: at('2025-01-15T20:00:00.000Z'),
    updated_at: at('2025-01-15T20:00:30.000Z'),
  },
];

// ----- documents (the shapes the Claude agent's tools produced) -----

const quranDoc = (ref: string, arabic: string, english: string) => ({
  type: 'document',
  source: { type: 'text', media_type: 'text/plain', data: `Arabic: ${arabic}\n\nEnglish: ${english}` },
  title: `Quran ${ref}`,
  context: 'Retrieved from the Holy Quran',
  citations: { enabled: true },
});

export const DOC_QURAN_2_153 = quranDoc(
  '2:153',
  'يَا أَيُّهَا الَّذِينَ آمَنُوا اسْتَعِينُوا بِالصَّبْرِ وَالصَّلَاةِ ۚ إِنَّ اللَّهَ مَعَ الصَّابِرِينَ',
  'O you who have believed, seek help through patience and prayer. Indeed, Allah is with the patient.',
);
export const DOC_QURAN_39_10 = quranDoc(
  '39:10',
  'إِنَّمَا يُوَفَّى الصَّابِرُونَ أَجْرَهُم بِغَيْرِ حِسَابٍ',
  'Indeed, the patient will be given their reward without account.',
);
/** A hadith document whose generated title is longer than the API accepts (trimmed to 450 on conversion). */
export const DOC_HADITH_LONG_TITLE = {
  type: 'document',
  source: {
    type: 'text',
    media_type: 'text/plain',
    data: 'English: How wonderful is the affair of the believer, for his affairs are all good ... if he is afflicted with hardship, he is patient, and that is good for him.',
  },
  title:
    "Sahih Muslim - Chapter 53: The Book of Zuhd and Softening of Hearts, Section 13: The Believer's Affair Is All Good, " +
    'Hadith 2999, LK id 7500 (Grade: Sahih) - ' +
    'Narrated by Suhaib: The Messenger of Allah said: How wonderful is the affair of the believer. '.repeat(5),
  context: 'Retrieved from hadith collections',
  citations: { enabled: true },
};
/** The old fallback document for an empty search (citations disabled: made uniform on conversion). */
export const DOC_NO_RESULTS = {
  type: 'document',
  source: { type: 'text', media_type: 'text/plain', data: 'No results found.' },
  title: 'No Results',
  context: 'Retrieved from the Encyclopedia of Quranic Interpretation',
  citations: { enabled: false },
};

const openAiCall = (id: string, name: string, args: string) => ({
  type: 'function',
  id,
  function: { name, arguments: args },
});

const HADITH_RESULTS =
  'Narrated Anas bin Malik: We used to travel with the Prophet and neither did the fasting persons criticize the non-fasting, nor did the non-fasting criticize the fasting ones.' +
  '\nAnother relevant citation:\n' +
  "Narrated Aisha: Hamza bin Amr Al-Aslami asked the Prophet, 'Should I fast while traveling?' He replied, 'You may fast if you wish, and you may not fast if you wish.'";
const QURAN_RESULTS = 'Ayah: 2:184\nEnglish: ... whoever among you is ill or on a journey - then an equal number of other days.';
const BUKHARI_RESULTS =
  'Imam Muhammad ibn Ismail al-Bukhari (194-256 AH) compiled al-Jami al-Sahih, the most authentic collection of hadith.';

export const SEED_MESSAGES: SeedMessage[] = [
  // ----- plain: strings, `{}` tool_details default, the 2025-02 JSON text wrapping -----
  {
    id: 101,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.plain,
    role: 'user',
    tool_name: null,
    tool_details: null,
    ref_list: null,
    content: 'What is zakat?',
    source: 'web',
    created_at: at('2024-11-04T10:00:00.000Z'),
  },
  {
    id: 102,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.plain,
    role: 'assistant',
    tool_name: null,
    tool_details: null,
    ref_list: null,
    content: 'Zakat is the obligatory annual alms, one of the five pillars of Islam.',
    source: 'web',
    created_at: at('2024-11-04T10:00:05.000Z'),
  },
  {
    id: 103,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.plain,
    role: 'user',
    tool_name: null,
    tool_details: {},
    ref_list: null,
    content: 'Who must pay it?',
    source: 'web',
    created_at: at('2024-11-04T10:02:00.000Z'),
  },
  {
    id: 104,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.plain,
    role: 'assistant',
    tool_name: null,
    tool_details: {},
    ref_list: null,
    content: JSON.stringify([
      { type: 'text', text: 'Every adult Muslim whose wealth reaches the nisab for a full lunar year must pay zakat.' },
    ]),
    source: 'web',
    created_at: at('2024-11-04T10:02:06.000Z'),
  },

  // ----- openai: tool row only (older logger), then call row + tool row (2025-02 logger) -----
  {
    id: 201,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.openai,
    role: 'user',
    tool_name: null,
    tool_details: null,
    ref_list: null,
    content: 'What is the ruling on fasting while traveling?',
    source: 'ios',
    created_at: at('2025-02-10T12:00:00.000Z'),
  },
  {
    id: 202,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.openai,
    role: 'tool',
    tool_name: 'search_hadith',
    tool_details: {
      internal_message: {
        role: 'assistant',
        content: '',
        tool_calls: [openAiCall('call_Q1', 'search_hadith', '{"query": "fasting while traveling"}')],
      },
      tool_message: { role: 'tool', content: HADITH_RESULTS, tool_call_id: 'call_Q1' },
    },
    ref_list: null,
    content: HADITH_RESULTS,
    source: 'ios',
    created_at: at('2025-02-10T12:00:03.000Z'),
  },
  {
    id: 203,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.openai,
    role: 'assistant',
    tool_name: null,
    tool_details: null,
    ref_list: null,
    content: 'A traveler may choose to fast or not; both were done in the presence of the Prophet without criticism.',
    source: 'ios',
    created_at: at('2025-02-10T12:00:09.000Z'),
  },
  {
    id: 204,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.openai,
    role: 'user',
    tool_name: null,
    tool_details: null,
    ref_list: null,
    content: 'And what about the missed days?',
    source: 'ios',
    created_at: at('2025-02-10T12:05:00.000Z'),
  },
  {
    id: 205,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.openai,
    role: 'assistant',
    tool_name: 'search_quran',
    tool_details: openAiCall('call_Q2', 'search_quran', '{"query": "make up missed fasts"}'),
    ref_list: null,
    content: '',
    source: 'ios',
    created_at: at('2025-02-10T12:05:02.000Z'),
  },
  {
    id: 206,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.openai,
    role: 'tool',
    tool_name: 'search_quran',
    tool_details: {
      internal_message: {
        role: 'assistant',
        content: '',
        tool_calls: [openAiCall('call_Q2', 'search_quran', '{"query": "make up missed fasts"}')],
      },
      tool_message: { role: 'tool', content: QURAN_RESULTS, tool_call_id: 'call_Q2' },
    },
    ref_list: null,
    content: QURAN_RESULTS,
    source: 'ios',
    created_at: at('2025-02-10T12:05:04.000Z'),
  },
  {
    id: 207,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.openai,
    role: 'assistant',
    tool_name: null,
    tool_details: null,
    ref_list: null,
    content: JSON.stringify([{ type: 'text', text: 'The missed days are made up later: "an equal number of other days" (2:184).' }]),
    source: 'ios',
    created_at: at('2025-02-10T12:05:10.000Z'),
  },

  // ----- functionEra: the oldest rows, role `function`, no ids -----
  {
    id: 301,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.functionEra,
    role: 'user',
    tool_name: null,
    tool_details: {},
    ref_list: null,
    content: 'Who was Imam al-Bukhari?',
    source: 'web',
    created_at: at('2024-06-20T09:00:00.000Z'),
  },
  {
    id: 302,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.functionEra,
    role: 'function',
    tool_name: 'search_hadith',
    tool_details: {},
    ref_list: null,
    content: BUKHARI_RESULTS,
    source: 'web',
    created_at: at('2024-06-20T09:00:04.000Z'),
  },
  {
    id: 303,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.functionEra,
    role: 'assistant',
    tool_name: null,
    tool_details: {},
    ref_list: null,
    content: 'Imam al-Bukhari (d. 256 AH) was the compiler of Sahih al-Bukhari.',
    source: 'web',
    created_at: at('2024-06-20T09:00:10.000Z'),
  },

  // ----- claude: block lists, sibling + ref_list documents, double-encoded ref_list -----
  {
    id: 401,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.claude,
    role: 'user',
    tool_name: null,
    tool_details: null,
    ref_list: null,
    content: 'What does the Quran say about patience?',
    source: 'web',
    created_at: at('2025-03-05T15:00:00.000Z'),
  },
  {
    id: 402,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.claude,
    role: 'assistant',
    tool_name: 'search_quran',
    tool_details: openAiCall('toolu_01A', 'search_quran', '{"query": "patience"}'),
    ref_list: [],
    content: JSON.stringify([
      { type: 'text', text: 'Let me search the Quran for verses about patience.' },
      { type: 'tool_use', id: 'toolu_01A', name: 'search_quran', input: { query: 'patience' } },
    ]),
    source: 'web',
    created_at: at('2025-03-05T15:00:02.000Z'),
  },
  {
    id: 403,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.claude,
    role: 'user',
    tool_name: null,
    tool_details: [{ type: 'tool_result', tool_use_id: 'toolu_01A', content: 'Please see the references below.' }],
    // The same documents as the content's siblings: nested once.
    ref_list: [DOC_QURAN_2_153, DOC_QURAN_39_10],
    content: JSON.stringify([
      { type: 'tool_result', tool_use_id: 'toolu_01A', content: 'Please see the references below.' },
      DOC_QURAN_2_153,
      DOC_QURAN_39_10,
    ]),
    source: 'web',
    created_at: at('2025-03-05T15:00:04.000Z'),
  },
  {
    id: 404,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.claude,
    role: 'assistant',
    tool_name: null,
    tool_details: null,
    ref_list: [],
    content: JSON.stringify([
      {
        type: 'text',
        text:
          'The Quran pairs patience with prayer as a source of help [1] and promises the patient a reward without measure [2].' +
          '\n\n**Citations**:\n[1] Quran 2:153:\nEnglish: O you who have believed, seek help through patience and prayer.\n\n' +
          '[2] Quran 39:10:\nEnglish: Indeed, the patient will be given their reward without account.',
      },
    ]),
    source: 'web',
    created_at: at('2025-03-05T15:00:20.000Z'),
  },
  {
    id: 405,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.claude,
    role: 'user',
    tool_name: null,
    tool_details: null,
    ref_list: null,
    content: 'And in the hadith?',
    source: 'web',
    created_at: at('2025-03-05T15:07:00.000Z'),
  },
  {
    id: 406,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.claude,
    role: 'assistant',
    tool_name: 'search_hadith',
    tool_details: openAiCall('toolu_01B', 'search_hadith', '{"query": "patience"}'),
    // A JSON string holding "[]" (double-encoded).
    ref_list: '[]',
    content: JSON.stringify([{ type: 'tool_use', id: 'toolu_01B', name: 'search_hadith', input: { query: 'patience' } }]),
    source: 'web',
    created_at: at('2025-03-05T15:07:02.000Z'),
  },
  {
    id: 407,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.claude,
    role: 'user',
    tool_name: null,
    tool_details: [{ type: 'tool_result', tool_use_id: 'toolu_01B', content: 'Please see the references below.' }],
    // Documents only in ref_list (the logger moved them out of the content).
    ref_list: [DOC_HADITH_LONG_TITLE],
    content: JSON.stringify([{ type: 'tool_result', tool_use_id: 'toolu_01B', content: 'Please see the references below.' }]),
    source: 'web',
    created_at: at('2025-03-05T15:07:04.000Z'),
  },
  {
    id: 408,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.claude,
    role: 'assistant',
    tool_name: null,
    tool_details: null,
    ref_list: [],
    content: JSON.stringify([
      { type: 'text', text: 'The Prophet said the affair of the believer is all good: in hardship he is patient [1].' },
    ]),
    source: 'web',
    created_at: at('2025-03-05T15:07:15.000Z'),
  },

  // ----- debris: empty-text assistant row, "No results found." strings, "No Results" document -----
  {
    id: 501,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.debris,
    role: 'user',
    tool_name: null,
    tool_details: null,
    ref_list: null,
    content: 'What do scholars say about selling gold on credit?',
    source: 'android',
    created_at: at('2025-03-12T18:00:00.000Z'),
  },
  {
    id: 502,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.debris,
    role: 'assistant',
    tool_name: 'search_mawsuah',
    // The intermediate Claude logger: tool_use only in tool_details, an empty text block in the content.
    tool_details: { id: 'toolu_02A', input: { query: 'selling gold on credit' } },
    ref_list: null,
    content: JSON.stringify([{ type: 'text', text: '' }]),
    source: 'android',
    created_at: at('2025-03-12T18:00:02.000Z'),
  },
  {
    id: 503,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.debris,
    role: 'user',
    tool_name: null,
    tool_details: null,
    ref_list: null,
    content: JSON.stringify([
      {
        type: 'tool_result',
        tool_use_id: 'toolu_02A',
        content: [{ type: 'text', text: 'Please see the references below.' }, 'No results found.'],
      },
      'No results found.',
    ]),
    source: 'android',
    created_at: at('2025-03-12T18:00:04.000Z'),
  },
  {
    id: 504,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.debris,
    role: 'assistant',
    tool_name: 'search_tafsir_encyc',
    tool_details: openAiCall('toolu_02B', 'search_tafsir_encyc', '{"query": "gold credit sale riba"}'),
    ref_list: [],
    content: JSON.stringify([
      { type: 'text', text: '' },
      { type: 'tool_use', id: 'toolu_02B', name: 'search_tafsir_encyc', input: null },
    ]),
    source: 'android',
    created_at: at('2025-03-12T18:00:06.000Z'),
  },
  {
    id: 505,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.debris,
    role: 'user',
    tool_name: null,
    tool_details: null,
    ref_list: [],
    content: JSON.stringify([
      { type: 'tool_result', tool_use_id: 'toolu_02B', content: 'Please see the references below.' },
      DOC_NO_RESULTS,
    ]),
    source: 'android',
    created_at: at('2025-03-12T18:00:08.000Z'),
  },
  {
    id: 506,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.debris,
    role: 'assistant',
    tool_name: null,
    tool_details: null,
    ref_list: [],
    content: JSON.stringify([
      {
        type: 'text',
        text: 'I could not find sources on this. Most scholars forbid selling gold for gold or for money on deferred payment.',
      },
    ]),
    source: 'android',
    created_at: at('2025-03-12T18:00:20.000Z'),
  },

  // ----- interrupted: a call with unparsable arguments and no output, then a new question -----
  {
    id: 601,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.interrupted,
    role: 'user',
    tool_name: null,
    tool_details: null,
    ref_list: null,
    content: 'Find the verse about the night journey',
    source: 'web',
    created_at: at('2025-02-20T07:00:00.000Z'),
  },
  {
    id: 602,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.interrupted,
    role: 'assistant',
    tool_name: 'search_quran',
    tool_details: openAiCall('call_NJ1', 'search_quran', 'night journey'),
    ref_list: null,
    content: '',
    source: 'web',
    created_at: at('2025-02-20T07:00:02.000Z'),
  },
  {
    id: 603,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.interrupted,
    role: 'user',
    tool_name: null,
    tool_details: null,
    ref_list: null,
    content: 'Hello? Are you there?',
    source: 'web',
    created_at: at('2025-02-20T07:03:00.000Z'),
  },
  {
    id: 604,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.interrupted,
    role: 'assistant',
    tool_name: null,
    tool_details: null,
    ref_list: null,
    content: 'Yes. The night journey is described in Surah al-Isra, 17:1.',
    source: 'web',
    created_at: at('2025-02-20T07:03:05.000Z'),
  },

  // ----- other user's thread -----
  {
    id: 701,
    user_id: OTHER_USER_ID,
    thread_id: THREAD_IDS.other,
    role: 'user',
    tool_name: null,
    tool_details: null,
    ref_list: null,
    content: 'Assalamu alaikum',
    source: 'whatsapp',
    created_at: at('2025-01-15T20:00:00.000Z'),
  },
  {
    id: 702,
    user_id: OTHER_USER_ID,
    thread_id: THREAD_IDS.other,
    role: 'assistant',
    tool_name: null,
    tool_details: null,
    ref_list: null,
    content: 'Wa alaikum assalam! How can I help you today?',
    source: 'whatsapp',
    created_at: at('2025-01-15T20:00:30.000Z'),
  },
];

export const SEED_FEEDBACK: SeedFeedback[] = [
  {
    id: 1,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.openai,
    message_id: 203,
    class: 'thumbsup',
    comment: 'Clear and well sourced',
    created_at: at('2025-02-10T12:01:00.000Z'),
    updated_at: at('2025-02-10T12:01:30.000Z'),
  },
  {
    id: 2,
    user_id: DEV_USER_ID,
    thread_id: THREAD_IDS.plain,
    message_id: 102,
    class: 'thumbsdown',
    comment: null,
    created_at: at('2024-11-04T10:01:00.000Z'),
    updated_at: at('2024-11-04T10:01:00.000Z'),
  },
];

export const SEED_SHARES: SeedShare[] = [
  {
    id: SHARE_IDS.plain,
    content: JSON.stringify({
      thread_name: 'What is zakat?',
      messages: [
        { id: 101, role: 'user', content: 'What is zakat?' },
        { id: 102, role: 'assistant', content: 'Zakat is the obligatory annual alms, one of the five pillars of Islam.' },
        { id: 103, role: 'user', content: 'Who must pay it?' },
        {
          id: 104,
          role: 'assistant',
          content: 'Every adult Muslim whose wealth reaches the nisab for a full lunar year must pay zakat.',
        },
      ],
    }),
  },
  {
    id: SHARE_IDS.claude,
    content: JSON.stringify({
      thread_name: 'What does the Quran say about patience?',
      messages: [
        { id: 401, role: 'user', content: 'What does the Quran say about patience?' },
        { id: 402, role: 'assistant', content: 'Let me search the Quran for verses about patience.' },
        {
          id: 404,
          role: 'assistant',
          content: 'The Quran pairs patience with prayer as a source of help [1] and promises the patient a reward without measure [2].',
        },
      ],
    }),
  },
];

/** The `query` function seedLegacy needs: `pg`'s `client.query`, PGlite's `db.query`, or any wrapper. */
export type QueryFn = (sql: string, params?: unknown[]) => Promise<unknown>;

/** UTC wall-clock text for a `TIMESTAMP` (without time zone) column, independent of the client's time zone. */
const ts = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');
/** A JSONB parameter: the JSON text of the value, SQL NULL for null. */
const jsonb = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

/** Rows for the legacy tables, in the seed's shapes. */
export interface LegacyRows {
  users?: SeedUser[];
  threads?: SeedThread[];
  messages?: SeedMessage[];
  feedback?: SeedFeedback[];
  shares?: SeedShare[];
}

/** Inserts the seed data; re-runnable (existing rows are left as they are). */
export async function seedLegacy(query: QueryFn): Promise<void> {
  await insertLegacyRows(query, {
    users: SEED_USERS,
    threads: SEED_THREADS,
    messages: SEED_MESSAGES,
    feedback: SEED_FEEDBACK,
    shares: SEED_SHARES,
  });
}

/**
 * Inserts rows with parameterised statements and `ON CONFLICT DO NOTHING`, then moves the SERIAL sequences past the
 * given ids. Used by seedLegacy, and by tests and the benchmark for their own generated rows.
 */
export async function insertLegacyRows(query: QueryFn, rows: LegacyRows): Promise<void> {
  for (const u of rows.users ?? []) {
    await query(
      `INSERT INTO users (id, email, password_hash, first_name, last_name, preferred_language, is_guest, source,
                          phone_num, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::source_type, $9, $10::timestamp, $11::timestamp)
       ON CONFLICT DO NOTHING`,
      [
        u.id,
        u.email,
        u.password_hash,
        u.first_name,
        u.last_name,
        u.preferred_language,
        u.is_guest,
        u.source,
        u.phone_num,
        ts(u.created_at),
        ts(u.updated_at),
      ],
    );
  }
  for (const t of rows.threads ?? []) {
    await query(
      `INSERT INTO threads (id, name, user_id, initial_source, created_at, updated_at)
       VALUES ($1, $2, $3, $4::source_type, $5::timestamp, $6::timestamp)
       ON CONFLICT DO NOTHING`,
      [t.id, t.name, t.user_id, t.initial_source, ts(t.created_at), ts(t.updated_at)],
    );
  }
  for (const m of rows.messages ?? []) {
    await query(
      `INSERT INTO messages (id, user_id, thread_id, role, tool_name, tool_details, ref_list, content, timestamp,
                             source, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9::timestamp, $10::source_type, $9::timestamp,
               $9::timestamp)
       ON CONFLICT DO NOTHING`,
      [m.id, m.user_id, m.thread_id, m.role, m.tool_name, jsonb(m.tool_details), jsonb(m.ref_list), m.content, ts(m.created_at), m.source],
    );
  }
  for (const f of rows.feedback ?? []) {
    await query(
      `INSERT INTO feedback (id, user_id, thread_id, message_id, class, comment, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5::feedback_class, $6, $7::timestamp, $8::timestamp)
       ON CONFLICT DO NOTHING`,
      [f.id, f.user_id, f.thread_id, f.message_id, f.class, f.comment, ts(f.created_at), ts(f.updated_at)],
    );
  }
  for (const s of rows.shares ?? []) {
    await query('INSERT INTO share (id, content) VALUES ($1, $2) ON CONFLICT DO NOTHING', [s.id, s.content]);
  }
  // The fixed ids bypassed the SERIAL sequences: move them past the seeded ids so later inserts do not collide.
  for (const table of ['messages', 'feedback']) {
    await query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM ${table}), 1))`);
  }
}
