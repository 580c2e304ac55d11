import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  NO_RESULTS_MESSAGE,
  REFERENCES_INTRO,
  TOOL_LIMIT_MESSAGE,
  configuredTools,
  countedCalls,
  mawsuahRequestBody,
  runToolRound,
  type DocumentBlock,
  type SearchTool,
  type ToolCallReport,
  type ToolResultBlock,
  type ToolsConfig,
} from '#lib/agent/tools/index.js';
import {
  FAKE_KEYS,
  HADITH_RESULTS,
  MAWSUAH_RESULTS,
  QURAN_RESULTS,
  TAFSIR_RESULTS,
  startFakeSearch,
  type FakeSearch,
} from '#support/fake-search.js';

let fake: FakeSearch;
let cfg: ToolsConfig;
let tools: SearchTool[];

beforeAll(async () => {
  // Four Usul results per page, so the tafsir tool must follow hasNextPage to reach its limit of 10.
  fake = await startFakeSearch({ usulPageSize: 4 });
  cfg = fake.toolsConfig();
  tools = configuredTools(cfg);
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
});

const doc = (title: string, context: string, data: string): DocumentBlock => ({
  type: 'document',
  source: { type: 'text', media_type: 'text/plain', data },
  title,
  context,
  citations: { enabled: true },
});

async function runOne(name: string, input: unknown, opts: { timeoutMs?: number; priorCalls?: string[] } = {}) {
  const [result] = await runToolRound(tools, [{ id: 'toolu_1', name, input }], {
    timeoutMs: opts.timeoutMs ?? 5_000,
    priorCalls: opts.priorCalls,
  });
  return result!;
}

function documentsOf(result: ToolResultBlock): DocumentBlock[] {
  expect(result.is_error).toBeUndefined();
  expect(Array.isArray(result.content)).toBe(true);
  const content = result.content as DocumentBlock[];
  expect(content[0]).toEqual({ type: 'text', text: REFERENCES_INTRO });
  return content.slice(1);
}

function expectError(result: ToolResultBlock, toolUseId: string, pattern: RegExp) {
  expect(result.type).toBe('tool_result');
  expect(result.tool_use_id).toBe(toolUseId);
  expect(result.is_error).toBe(true);
  expect(typeof result.content).toBe('string');
  expect(result.content).toMatch(pattern);
  // Short, and never a key, URL or stack trace.
  const text = result.content as string;
  expect(text.length).toBeLessThan(300);
  for (const secret of [FAKE_KEYS.kalimat, FAKE_KEYS.vectara, FAKE_KEYS.usul, fake.url, '127.0.0.1', '    at ']) {
    expect(text).not.toContain(secret);
  }
}

describe('configuredTools', () => {
  const base = {
    KALIMAT_BASE_URL: 'https://api.kalimat.dev',
    VECTARA_BASE_URL: 'https://api.vectara.io',
    MAWSUAH_VECTARA_CORPUS_KEY: 'mawsuah_unstructured',
    USUL_BASE_URL: 'https://api.usul.ai/v1/vector-search',
    TAFSIR_ENCYC_BOOK_ID: 'book',
    TAFSIR_ENCYC_VERSION_ID: 'version',
    TOOL_TIMEOUT_MS: 10_000,
  };

  it('offers no tool without keys, and blank keys count as absent', () => {
    expect(configuredTools(base)).toEqual([]);
    expect(configuredTools({ ...base, KALIMAT_API_KEY: '  ', VECTARA_API_KEY: '', USUL_API_TOKEN: undefined })).toEqual([]);
  });

  it('offers only the tools whose key is configured', () => {
    expect(configuredTools({ ...base, KALIMAT_API_KEY: 'k' }).map((t) => t.name)).toEqual(['search_quran', 'search_hadith']);
    expect(configuredTools({ ...base, VECTARA_API_KEY: 'v' }).map((t) => t.name)).toEqual(['search_mawsuah']);
    expect(configuredTools({ ...base, USUL_API_TOKEN: 'u' }).map((t) => t.name)).toEqual(['search_tafsir_encyc']);
    expect(tools.map((t) => t.name)).toEqual(['search_quran', 'search_hadith', 'search_mawsuah', 'search_tafsir_encyc']);
  });

  it('gives each tool a Claude definition taking one required query string', () => {
    for (const t of tools) {
      expect(t.definition.name).toBe(t.name);
      expect(t.definition.description.length).toBeGreaterThan(80);
      expect(t.definition.input_schema).toEqual({
        type: 'object',
        properties: { query: { type: 'string', description: expect.stringMatching(/Arabic/) } },
        required: ['query'],
      });
      expect(Object.keys(t.definition).sort()).toEqual(['description', 'input_schema', 'name']);
    }
  });
});

describe('search_quran', () => {
  it('sends GET /search with x-api-key, query, numResults=10, getText=1', async () => {
    await runOne('search_quran', { query: 'patience in hardship' });
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe('/search');
    expect(req.query).toEqual({ query: 'patience in hardship', numResults: '10', getText: '1' });
    expect(req.headers['x-api-key']).toBe(FAKE_KEYS.kalimat);
    expect(req.headers.authorization).toBeUndefined();
  });

  it('returns one document per ayah, nested in the tool_result', async () => {
    const result = await runOne('search_quran', { query: '  patience  ' });
    expect(fake.requests[0]!.query.query).toBe('patience');
    expect(result.type).toBe('tool_result');
    expect(result.tool_use_id).toBe('toolu_1');
    expect(documentsOf(result)).toEqual(
      QURAN_RESULTS.map((r) => doc(`Quran ${r.id}`, 'Retrieved from the Holy Quran', `Arabic: ${r.text}\n\nEnglish: ${r.en_text}`)),
    );
    expect(documentsOf(result)[2]).toEqual({
      type: 'document',
      source: {
        type: 'text',
        media_type: 'text/plain',
        data: 'Arabic: فَإِنَّ مَعَ الْعُسْرِ يُسْرًا\n\nEnglish: For indeed, with hardship [will be] ease.',
      },
      title: 'Quran 94:5',
      context: 'Retrieved from the Holy Quran',
      citations: { enabled: true },
    });
  });

  it('keeps one language when the other is missing, and skips results with no text', async () => {
    fake.setMode(
      { kind: 'respond', body: [{ id: '1:1', text: 'بِسْمِ اللَّهِ' }, { id: '1:2', en_text: 'All praise is due to Allah' }, { id: '1:3' }] },
      { api: 'quran' },
    );
    const docs = documentsOf(await runOne('search_quran', { query: 'fatiha' }));
    expect(docs.map((d) => [d.title, d.source.data])).toEqual([
      ['Quran 1:1', 'Arabic: بِسْمِ اللَّهِ'],
      ['Quran 1:2', 'English: All praise is due to Allah'],
    ]);
  });
});

describe('search_hadith', () => {
  it('sends GET /search with x-api-key, numResults=10, indexes=["sunnah_lk"], getText=2', async () => {
    await runOne('search_hadith', { query: 'intention' });
    const req = fake.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe('/search');
    expect(req.query).toEqual({ query: 'intention', numResults: '10', indexes: '["sunnah_lk"]', getText: '2' });
    expect(req.headers['x-api-key']).toBe(FAKE_KEYS.kalimat);
  });

  it('titles each hadith with collection, chapter, section, number, id and grade (when there is one)', async () => {
    const docs = documentsOf(await runOne('search_hadith', { query: 'intention' }));
    const [bukhari, muslim] = HADITH_RESULTS;
    expect(docs).toEqual([
      doc(
        "Bukhari - Chapter 1: Revelation, Section 1: How the Divine Revelation started being revealed to Allah's Messenger, Hadith 1, LK id bukhari_1 (Grade: Sahih)",
        'Retrieved from hadith collections',
        `Arabic: ${bukhari!.ar_text}\n\nEnglish: ${bukhari!.en_text}`,
      ),
      doc(
        "Muslim - Chapter 55: The Book of Zuhd and Softening of Hearts, Section 13: The Believer's Affair Is All Good, Hadith 2999, LK id muslim_2999",
        'Retrieved from hadith collections',
        `Arabic: ${muslim!.ar_text}\n\nEnglish: ${muslim!.en_text}`,
      ),
    ]);
  });

  it('trims titles to 450 characters', async () => {
    fake.setMode({ kind: 'respond', body: [{ ...HADITH_RESULTS[0], chapter_english: 'x'.repeat(600) }] }, { api: 'hadith' });
    const [d] = documentsOf(await runOne('search_hadith', { query: 'long' }));
    expect(Array.from(d!.title)).toHaveLength(450);
    expect(d!.title.startsWith('Bukhari - Chapter 1: xxx')).toBe(true);
    expect(d!.title.endsWith('…')).toBe(true);
  });
});

describe('search_mawsuah', () => {
  it('POSTs the reference query body to /v2/corpora/{corpus}/query with x-api-key', async () => {
    await runOne('search_mawsuah', { query: 'حكم الصبر' });
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/v2/corpora/${FAKE_KEYS.corpusKey}/query`);
    expect(req.query).toEqual({});
    expect(req.headers['x-api-key']).toBe(FAKE_KEYS.vectara);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({
      query: 'حكم الصبر',
      search: {
        custom_dimensions: {},
        metadata_filter: '',
        lexical_interpolation: 0.025,
        semantics: 'default',
        offset: 0,
        limit: 5,
        context_configuration: {
          characters_before: 30,
          characters_after: 30,
          sentences_before: 3,
          sentences_after: 3,
          start_tag: '<em>',
          end_tag: '</em>',
        },
      },
      stream_response: false,
    });
    expect(req.body).toEqual(mawsuahRequestBody('حكم الصبر'));
  });

  it('returns Arabic-only documents with the <em> tags stripped', async () => {
    const docs = documentsOf(await runOne('search_mawsuah', { query: 'الصبر' }));
    expect(docs).toEqual([
      doc(
        'Encyclopedia of Islamic Jurisprudence',
        'Retrieved from Encyclopedia of Islamic jurisprudence',
        'Arabic: الصَّبْرُ فِي اللُّغَةِ: الْحَبْسُ وَالْكَفُّ، وَفِي الاِصْطِلاَحِ: حَبْسُ النَّفْسِ عَلَى مَا يَقْتَضِيهِ الشَّرْعُ.',
      ),
      doc(
        'Encyclopedia of Islamic Jurisprudence',
        'Retrieved from Encyclopedia of Islamic jurisprudence',
        `Arabic: ${MAWSUAH_RESULTS[1]!.text.replaceAll('<em>', '').replaceAll('</em>', '')}`,
      ),
    ]);
    for (const d of docs) expect(d.source.data).not.toMatch(/<\/?em>/);
  });
});

describe('search_tafsir_encyc', () => {
  it('sends GET /{book}/{version} with a Bearer token, q, limit=10, page=1, include_chapters=false, and follows hasNextPage', async () => {
    await runOne('search_tafsir_encyc', { query: 'الصبر والصلاة' });
    expect(fake.requests.map((r) => [r.method, r.path])).toEqual([
      ['GET', `/${FAKE_KEYS.bookId}/${FAKE_KEYS.versionId}`],
      ['GET', `/${FAKE_KEYS.bookId}/${FAKE_KEYS.versionId}`],
    ]);
    expect(fake.requests[0]!.query).toEqual({ q: 'الصبر والصلاة', limit: '10', page: '1', include_chapters: 'false' });
    expect(fake.requests[1]!.query).toEqual({ q: 'الصبر والصلاة', limit: '10', page: '2', include_chapters: 'false' });
    for (const r of fake.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${FAKE_KEYS.usul}`);
      expect(r.headers['x-api-key']).toBeUndefined();
    }
  });

  it('titles passages with volume, page and chapter, and puts the relevance score in the context', async () => {
    const docs = documentsOf(await runOne('search_tafsir_encyc', { query: 'الصبر' }));
    expect(docs).toHaveLength(TAFSIR_RESULTS.length);
    const ctx = 'Retrieved from the Encyclopedia of Quranic Interpretation Based on Narrations';
    expect(docs[0]).toEqual(
      doc(
        'Encyclopedia of Quranic Interpretation, Volume 1, Page 243, Chapter: سورة البقرة: الآية 45',
        `${ctx} (Relevance score: 0.87)`,
        `Arabic: ${TAFSIR_RESULTS[0]!.node.text}`,
      ),
    );
    // No chapter; text not in Arabic script.
    expect(docs[2]).toEqual(
      doc(
        'Encyclopedia of Quranic Interpretation, Volume 3, Page 12',
        `${ctx} (Relevance score: 0.80)`,
        'Text: Ibn Kathir said: patience is of three kinds.',
      ),
    );
    // No page; from the second page of results.
    expect(docs[3]).toEqual(
      doc(
        'Encyclopedia of Quranic Interpretation, Chapter: سورة البقرة: الآية 153',
        `${ctx} (Relevance score: 0.77)`,
        `Arabic: ${TAFSIR_RESULTS[3]!.node.text}`,
      ),
    );
    expect(docs[5]!.title).toBe('Encyclopedia of Quranic Interpretation, Volume 2, Page 89, Chapter: سورة البقرة: الآية 155');
  });

  it('keeps the passages of the first page when a later page fails', async () => {
    fake.setMode({ kind: 'fail', status: 502 }, { api: 'tafsir', params: { page: '2' } });
    const docs = documentsOf(await runOne('search_tafsir_encyc', { query: 'الصبر' }));
    expect(docs).toHaveLength(4);
    expect(fake.requests.map((r) => [r.query.page, r.status])).toEqual([
      ['1', 200],
      ['2', 502],
    ]);
  });

  it('fails when the first page fails', async () => {
    fake.setMode({ kind: 'fail', status: 500 }, { api: 'tafsir', params: { page: '1' } });
    expectError(await runOne('search_tafsir_encyc', { query: 'الصبر' }), 'toolu_1', /HTTP 500/);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('runToolRound', () => {
  it('answers every tool_use in order, each with its own documents', async () => {
    // The first call is the slowest, so completion order differs from request order.
    fake.setMode({ kind: 'delay', ms: 100 }, { api: 'quran' });
    const results = await runToolRound(
      tools,
      [
        { id: 'toolu_a', name: 'search_quran', input: { query: 'patience' } },
        { id: 'toolu_b', name: 'search_hadith', input: { query: 'patience' } },
        { id: 'toolu_c', name: 'search_mawsuah', input: { query: 'الصبر' } },
        { id: 'toolu_d', name: 'search_tafsir_encyc', input: { query: 'الصبر' } },
      ],
      { timeoutMs: 5_000 },
    );
    expect(results.map((r) => r.tool_use_id)).toEqual(['toolu_a', 'toolu_b', 'toolu_c', 'toolu_d']);
    expect(documentsOf(results[0]!)[0]!.title).toBe('Quran 2:153');
    expect(documentsOf(results[1]!)[0]!.context).toBe('Retrieved from hadith collections');
    expect(documentsOf(results[2]!)[0]!.title).toBe('Encyclopedia of Islamic Jurisprudence');
    expect(documentsOf(results[3]!)[0]!.title).toMatch(/^Encyclopedia of Quranic Interpretation/);
    for (const r of results) expect(Object.keys(r).sort()).toEqual(['content', 'tool_use_id', 'type']);
  });

  it('runs the calls of a round concurrently', async () => {
    fake.setMode({ kind: 'delay', ms: 300 });
    const results = await runToolRound(
      tools,
      [
        { id: '1', name: 'search_quran', input: { query: 'mercy' } },
        { id: '2', name: 'search_hadith', input: { query: 'mercy' } },
        { id: '3', name: 'search_mawsuah', input: { query: 'الرحمة' } },
      ],
      { timeoutMs: 5_000 },
    );
    expect(results.every((r) => r.is_error === undefined)).toBe(true);
    expect(fake.stats.maxInFlight).toBeGreaterThanOrEqual(2);
  });

  it('turns a timeout into an is_error result without disturbing the other calls', async () => {
    fake.setMode({ kind: 'hang' }, { api: 'hadith' });
    const reports: ToolCallReport[] = [];
    const results = await runToolRound(
      tools,
      [
        { id: 'slow', name: 'search_hadith', input: { query: 'anything' } },
        { id: 'fast', name: 'search_quran', input: { query: 'anything' } },
      ],
      { timeoutMs: 300, onReport: (r) => reports.push(r) },
    );
    expectError(results[0]!, 'slow', /timed out after 300 ms/);
    expect(documentsOf(results[1]!)).toHaveLength(3);
    expect(reports.map((r) => [r.tool_use_id, r.outcome]).sort()).toEqual([
      ['fast', 'ok'],
      ['slow', 'timeout'],
    ]);
  });

  it('reports a cancelled outer signal as cancelled, not as a timeout', async () => {
    fake.setMode({ kind: 'hang' });
    const controller = new AbortController();
    const pending = runToolRound(tools, [{ id: 'x', name: 'search_quran', input: { query: 'q' } }], {
      timeoutMs: 5_000,
      signal: controller.signal,
    });
    await expect.poll(() => fake.requests.length).toBe(1);
    controller.abort();
    const [result] = await pending;
    expectError(result!, 'x', /cancelled/);

    const [already] = await runToolRound(tools, [{ id: 'y', name: 'search_quran', input: { query: 'q' } }], {
      timeoutMs: 5_000,
      signal: AbortSignal.abort(),
    });
    expectError(already!, 'y', /cancelled/);
    expect(fake.requests).toHaveLength(1);
  });

  it('turns HTTP errors into is_error results', async () => {
    fake.setMode({ kind: 'fail' }, { api: 'quran' });
    fake.setMode({ kind: 'fail', status: 503 }, { api: 'mawsuah' });
    const results = await runToolRound(
      tools,
      [
        { id: 'q', name: 'search_quran', input: { query: 'x' } },
        { id: 'm', name: 'search_mawsuah', input: { query: 'x' } },
        { id: 'h', name: 'search_hadith', input: { query: 'x' } },
      ],
      { timeoutMs: 5_000 },
    );
    expectError(results[0]!, 'q', /HTTP 500/);
    expectError(results[1]!, 'm', /HTTP 503/);
    expect(documentsOf(results[2]!)).toHaveLength(2);
  });

  it('turns a rejected key (401) into an is_error result', async () => {
    const badTools = configuredTools(
      fake.toolsConfig({ KALIMAT_API_KEY: 'wrong-key', USUL_API_TOKEN: 'wrong-token', VECTARA_API_KEY: 'nope' }),
    );
    const results = await runToolRound(
      badTools,
      [
        { id: 'q', name: 'search_quran', input: { query: 'x' } },
        { id: 'm', name: 'search_mawsuah', input: { query: 'x' } },
        { id: 't', name: 'search_tafsir_encyc', input: { query: 'x' } },
      ],
      { timeoutMs: 5_000 },
    );
    for (const [r, id] of [
      [results[0], 'q'],
      [results[1], 'm'],
      [results[2], 't'],
    ] as const) {
      expectError(r!, id, /HTTP 401/);
      expect(r!.content).not.toMatch(/wrong-key|wrong-token|nope/);
    }
    expect(fake.requests.map((r) => r.status)).toEqual([401, 401, 401]);
  });

  it('turns invalid JSON or an unexpected shape into an is_error result', async () => {
    fake.setMode({ kind: 'invalid-json' }, { api: 'hadith' });
    fake.setMode({ kind: 'respond', body: 'just a string' }, { api: 'tafsir' });
    fake.setMode({ kind: 'respond', body: { message: 'no array here' } }, { api: 'quran' });
    const results = await runToolRound(
      tools,
      [
        { id: 'h', name: 'search_hadith', input: { query: 'x' } },
        { id: 't', name: 'search_tafsir_encyc', input: { query: 'x' } },
        { id: 'q', name: 'search_quran', input: { query: 'x' } },
      ],
      { timeoutMs: 5_000 },
    );
    expectError(results[0]!, 'h', /invalid response/);
    expectError(results[1]!, 't', /unexpected response/);
    expectError(results[2]!, 'q', /unexpected response/);
  });

  it('turns no results into an is_error result', async () => {
    fake.setMode({ kind: 'empty' }, { query: 'nothing matches this' });
    const results = await runToolRound(
      tools,
      tools.map((t, i) => ({ id: `n${i}`, name: t.name, input: { query: 'nothing matches this' } })),
      { timeoutMs: 5_000 },
    );
    results.forEach((r, i) => {
      expectError(r, `n${i}`, /No results found/);
      expect(r.content).toBe(NO_RESULTS_MESSAGE);
    });
    // Another query still finds results.
    expect(documentsOf(await runOne('search_quran', { query: 'mercy' }))).toHaveLength(3);
  });

  it('rejects an unknown tool and a missing, blank or non-string query without calling any API', async () => {
    const results = await runToolRound(
      tools,
      [
        { id: 'u', name: 'search_web', input: { query: 'x' } },
        { id: 'm', name: 'search_quran', input: {} },
        { id: 'b', name: 'search_quran', input: { query: '   ' } },
        { id: 'n', name: 'search_hadith', input: { query: 42 } },
        { id: 's', name: 'search_hadith', input: 'patience' },
        { id: 'l', name: 'search_mawsuah', input: { query: 'x'.repeat(5_000) } },
      ],
      { timeoutMs: 5_000 },
    );
    expectError(results[0]!, 'u', /^Unknown tool: search_web$/);
    for (const [i, id] of (['m', 'b', 'n', 's', 'l'] as const).entries()) {
      expectError(results[i + 1]!, id, /Invalid tool input/);
    }
    expect(fake.requests).toHaveLength(0);
  });

  it('rejects a tool that is not configured as unknown', async () => {
    const kalimatOnly = configuredTools(fake.toolsConfig({ VECTARA_API_KEY: undefined, USUL_API_TOKEN: undefined }));
    const [r] = await runToolRound(kalimatOnly, [{ id: 'z', name: 'search_mawsuah', input: { query: 'x' } }], { timeoutMs: 5_000 });
    expectError(r!, 'z', /Unknown tool/);
    expect(fake.requests).toHaveLength(0);
  });

  it('returns an empty array for a round with no tool_use', async () => {
    expect(await runToolRound(tools, [], { timeoutMs: 5_000 })).toEqual([]);
  });
});

describe('tool usage limits', () => {
  it('refuses the 4th consecutive call of the same tool', async () => {
    const r = await runOne('search_quran', { query: 'x' }, { priorCalls: ['search_quran', 'search_quran', 'search_quran'] });
    expectError(r, 'toolu_1', /^Tool usage limit reached/);
    expect(r.content).toBe(TOOL_LIMIT_MESSAGE);
    expect(fake.requests).toHaveLength(0);

    // A different tool, or a break in the run, is fine.
    const other = await runOne('search_hadith', { query: 'x' }, { priorCalls: ['search_quran', 'search_quran', 'search_quran'] });
    expect(documentsOf(other)).toHaveLength(2);
    const broken = await runOne(
      'search_quran',
      { query: 'x' },
      { priorCalls: ['search_quran', 'search_hadith', 'search_quran', 'search_quran'] },
    );
    expect(documentsOf(broken)).toHaveLength(3);
  });

  it('counts consecutive calls inside one round', async () => {
    const results = await runToolRound(
      tools,
      [1, 2, 3, 4].map((i) => ({ id: `q${i}`, name: 'search_quran', input: { query: `query ${i}` } })),
      { timeoutMs: 5_000, priorCalls: [] },
    );
    expect(results.slice(0, 3).every((r) => r.is_error === undefined)).toBe(true);
    expectError(results[3]!, 'q4', /Tool usage limit reached/);
    // The refused call does not count towards the next round's history.
    const uses = [1, 2, 3, 4].map((i) => ({ id: `q${i}`, name: 'search_quran', input: {} }));
    expect(countedCalls(uses, results)).toEqual(['search_quran', 'search_quran', 'search_quran']);
    expect(fake.requests.map((r) => r.searchText).sort()).toEqual(['query 1', 'query 2', 'query 3']);
  });

  it('refuses every call beyond 9 in one user turn', async () => {
    const nine = ['search_quran', 'search_hadith', 'search_mawsuah'].flatMap((n) => [n, n, n]).slice(0, 9);
    const refused = await runOne('search_tafsir_encyc', { query: 'x' }, { priorCalls: nine });
    expectError(refused, 'toolu_1', /Tool usage limit reached/);
    expect(fake.requests).toHaveLength(0);

    // 8 before: the first call of the round runs (the 9th), the second is refused (the 10th).
    const results = await runToolRound(
      tools,
      [
        { id: 'ninth', name: 'search_tafsir_encyc', input: { query: 'x' } },
        { id: 'tenth', name: 'search_hadith', input: { query: 'x' } },
      ],
      { timeoutMs: 5_000, priorCalls: nine.slice(0, 8) },
    );
    expect(documentsOf(results[0]!).length).toBeGreaterThan(0);
    expectError(results[1]!, 'tenth', /Tool usage limit reached/);
    expect(fake.requests.every((r) => r.api === 'tafsir')).toBe(true);
  });
});
