/**
 * A real local HTTP server imitating the three search APIs the Ansari tools call:
 *   Kalimat  GET  /search                      (x-api-key; getText=1 Quran, getText=2 + indexes hadith)
 *   Vectara  POST /v2/corpora/:corpusKey/query (x-api-key; JSON body)
 *   Usul     GET  /:bookId/:versionId          (Authorization: Bearer; q, limit, page, include_chapters)
 * It checks credentials (401 when wrong), records every request, tracks concurrent requests, and can be told
 * to fail, hang, answer slowly, answer with no results, invalid JSON or any body, per API and/or per query.
 *
 * Tests: `const fake = await startFakeSearch(); … fake.toolsConfig() … await fake.close();`
 * By hand: `npx tsx scripts/support/fake-search.ts --port 4020`, then point the *_BASE_URL settings at it.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { ToolsConfig } from '#lib/agent/tools/index.js';

type FakeApi = 'quran' | 'hadith' | 'mawsuah' | 'tafsir';

type FakeMode =
  | { kind: 'ok' }
  /** Answer with this HTTP status (default 500) and a small JSON error body. */
  | { kind: 'fail'; status?: number }
  /** Never answer (the connection stays open until the client gives up or the server closes). */
  | { kind: 'hang' }
  /** Answer normally after a delay. */
  | { kind: 'delay'; ms: number }
  /** Answer normally once `until` settles (a test's synchronisation point, never a sleep). */
  | { kind: 'gate'; until: Promise<unknown> }
  /** A well-formed answer with no results. */
  | { kind: 'empty' }
  /** HTTP 200 with a body that is not JSON. */
  | { kind: 'invalid-json' }
  /** HTTP 200 with this JSON body. */
  | { kind: 'respond'; body: unknown };

interface FakeModeMatch {
  /** Only requests to this API (default: all). */
  api?: FakeApi;
  /** Only requests with exactly this query (`query` for Kalimat and Vectara, `q` for Usul). */
  query?: string;
  /** Only requests whose query string has these parameters (e.g. `{ page: '2' }` for a later Usul page). */
  params?: Record<string, string>;
}

interface RecordedRequest {
  api: FakeApi | 'unknown';
  method: string;
  /** The path without the query string. */
  path: string;
  /** Query-string parameters (the last value wins). */
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (POST), the raw text when it is not JSON, or undefined. */
  body: unknown;
  /** The search text: `query` (Kalimat, Vectara body) or `q` (Usul). */
  searchText: string | undefined;
  /** HTTP status answered (undefined while pending or for hung requests). */
  status?: number;
}

export interface FakeSearchOptions {
  port?: number;
  kalimatKey?: string;
  vectaraKey?: string;
  usulToken?: string;
  corpusKey?: string;
  bookId?: string;
  versionId?: string;
  /** Usul results per page (default: the requested `limit`); smaller values make the client follow hasNextPage. */
  usulPageSize?: number;
}

export interface FakeSearch {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Requests being handled right now, and the most seen at once since start / resetStats(). */
  stats: { inFlight: number; maxInFlight: number };
  keys: { kalimat: string; vectara: string; usul: string; corpusKey: string; bookId: string; versionId: string };
  /** Applies `mode` to the requests matching `match` (the latest matching rule wins). */
  setMode(mode: FakeMode, match?: FakeModeMatch): void;
  /** Drops every rule, recorded request and statistic. */
  reset(): void;
  resetStats(): void;
  /** A ToolsConfig pointing at this server with the right keys (every tool configured). */
  toolsConfig(overrides?: Partial<ToolsConfig>): ToolsConfig;
  close(): Promise<void>;
}

export const FAKE_KEYS = {
  kalimat: 'fake-kalimat-key',
  vectara: 'fake-vectara-key',
  usul: 'fake-usul-token',
  corpusKey: 'mawsuah_unstructured',
  bookId: 'pet7s2sjr900zvxjsafa3s3b',
  versionId: 'MT3i8pDNoM',
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: shaped like the real APIs' answers (only some fields are read by the tools).

export const QURAN_RESULTS = [
  {
    id: '2:153',
    text: 'يَا أَيُّهَا الَّذِينَ آمَنُوا اسْتَعِينُوا بِالصَّبْرِ وَالصَّلَاةِ ۚ إِنَّ اللَّهَ مَعَ الصَّابِرِينَ',
    en_text: 'O you who have believed, seek help through patience and prayer. Indeed, Allah is with the patient.',
    score: 0.91,
  },
  {
    id: '2:155',
    text: 'وَلَنَبْلُوَنَّكُم بِشَيْءٍ مِّنَ الْخَوْفِ وَالْجُوعِ وَنَقْصٍ مِّنَ الْأَمْوَالِ وَالْأَنفُسِ وَالثَّمَرَاتِ ۗ وَبَشِّرِ الصَّابِرِينَ',
    en_text:
      'And We will surely test you with something of fear and hunger and a loss of wealth and lives and fruits, but give good tidings to the patient.',
    score: 0.88,
  },
  {
    id: '94:5',
    text: 'فَإِنَّ مَعَ الْعُسْرِ يُسْرًا',
    en_text: 'For indeed, with hardship [will be] ease.',
    score: 0.84,
  },
];

export const HADITH_RESULTS = [
  {
    id: 'bukhari_1',
    source_book: 'Bukhari',
    chapter_number: '1',
    chapter_english: 'Revelation',
    section_number: '1',
    section_english: "How the Divine Revelation started being revealed to Allah's Messenger",
    hadith_number: '1',
    ar_text: 'إِنَّمَا الأَعْمَالُ بِالنِّيَّاتِ، وَإِنَّمَا لِكُلِّ امْرِئٍ مَا نَوَى',
    en_text: 'The reward of deeds depends upon the intentions and every person will get the reward according to what he has intended.',
    grade_en: 'Sahih',
    score: 0.93,
  },
  {
    id: 'muslim_2999',
    source_book: 'Muslim',
    chapter_number: '55',
    chapter_english: 'The Book of Zuhd and Softening of Hearts',
    section_number: '13',
    section_english: "The Believer's Affair Is All Good",
    hadith_number: 2999,
    ar_text: 'عَجَبًا لأَمْرِ الْمُؤْمِنِ إِنَّ أَمْرَهُ كُلَّهُ خَيْرٌ',
    en_text: 'Strange are the ways of a believer for there is good in every affair of his.',
    grade_en: '   ',
    score: 0.9,
  },
];

export const MAWSUAH_RESULTS = [
  {
    text: 'الصَّبْرُ فِي اللُّغَةِ: <em>الْحَبْسُ وَالْكَفُّ</em>، وَفِي الاِصْطِلاَحِ: حَبْسُ النَّفْسِ عَلَى مَا يَقْتَضِيهِ الشَّرْعُ.',
    score: 0.74,
    part_metadata: { lang: 'ara', offset: 1204, len: 96 },
    document_metadata: { title: 'صبر' },
    document_id: '26.txt',
    request_corpora_index: 0,
  },
  {
    text: 'وَالصَّبْرُ وَاجِبٌ <em>بِاتِّفَاقِ الْفُقَهَاءِ</em> عَلَى أَدَاءِ الْوَاجِبَاتِ وَتَرْكِ الْمُحَرَّمَاتِ.',
    score: 0.69,
    part_metadata: { lang: 'ara', offset: 2210, len: 88 },
    document_metadata: { title: 'صبر' },
    document_id: '26.txt',
    request_corpora_index: 0,
  },
];

export const TAFSIR_RESULTS = [
  {
    score: 0.8712,
    node: {
      id: 'node-1',
      text: 'عَنْ عَبْدِ اللَّهِ بْنِ عَبَّاسٍ فِي قَوْلِهِ: ﴿وَاسْتَعِينُوا بِالصَّبْرِ وَالصَّلَاةِ﴾ قَالَ: إِنَّهُمَا مَعُونَتَانِ مِنَ اللَّهِ.',
      metadata: {
        bookId: FAKE_KEYS.bookId,
        versionId: FAKE_KEYS.versionId,
        pages: [{ index: 311, page: 243, volume: '1' }],
        chapters: [{ index: 40, title: 'سورة البقرة: الآية 45', level: 2, page: 243 }],
      },
    },
  },
  {
    score: 0.8421,
    node: {
      id: 'node-2',
      text: 'قَالَ مُجَاهِدٌ: الصَّبْرُ: الصِّيَامُ.',
      metadata: {
        bookId: FAKE_KEYS.bookId,
        versionId: FAKE_KEYS.versionId,
        pages: [{ index: 312, page: 244, volume: '1' }],
        chapters: [{ index: 40, title: 'سورة البقرة: الآية 45', level: 2, page: 243 }],
      },
    },
  },
  {
    score: 0.8,
    node: {
      id: 'node-3',
      text: 'Ibn Kathir said: patience is of three kinds.',
      metadata: { bookId: FAKE_KEYS.bookId, versionId: FAKE_KEYS.versionId, pages: [{ index: 900, page: 12, volume: '3' }], chapters: [] },
    },
  },
  {
    score: 0.77,
    node: {
      id: 'node-4',
      text: 'عَنِ الْحَسَنِ قَالَ: الصَّبْرُ كَنْزٌ مِنْ كُنُوزِ الْجَنَّةِ.',
      metadata: {
        bookId: FAKE_KEYS.bookId,
        versionId: FAKE_KEYS.versionId,
        pages: [],
        chapters: [{ index: 41, title: 'سورة البقرة: الآية 153' }],
      },
    },
  },
  {
    score: 0.75,
    node: {
      id: 'node-5',
      text: 'عَنْ عُمَرَ قَالَ: وَجَدْنَا خَيْرَ عَيْشِنَا بِالصَّبْرِ.',
      metadata: {
        bookId: FAKE_KEYS.bookId,
        versionId: FAKE_KEYS.versionId,
        pages: [{ index: 1500, page: 88, volume: '2' }],
        chapters: [{ index: 52, title: 'سورة البقرة: الآية 155' }],
      },
    },
  },
  {
    score: 0.71,
    node: {
      id: 'node-6',
      text: 'عَنْ سَعِيدِ بْنِ جُبَيْرٍ قَالَ: الصَّبْرُ اعْتِرَافُ الْعَبْدِ لِلَّهِ بِمَا أَصَابَ مِنْهُ.',
      metadata: {
        bookId: FAKE_KEYS.bookId,
        versionId: FAKE_KEYS.versionId,
        pages: [{ index: 1501, page: 89, volume: '2' }],
        chapters: [{ index: 52, title: 'سورة البقرة: الآية 155' }],
      },
    },
  },
];

// ---------------------------------------------------------------------------------------------------------------

interface Rule {
  mode: FakeMode;
  match: FakeModeMatch;
}

export async function startFakeSearch(options: FakeSearchOptions = {}): Promise<FakeSearch> {
  const keys = {
    kalimat: options.kalimatKey ?? FAKE_KEYS.kalimat,
    vectara: options.vectaraKey ?? FAKE_KEYS.vectara,
    usul: options.usulToken ?? FAKE_KEYS.usul,
    corpusKey: options.corpusKey ?? FAKE_KEYS.corpusKey,
    bookId: options.bookId ?? FAKE_KEYS.bookId,
    versionId: options.versionId ?? FAKE_KEYS.versionId,
  };
  const requests: RecordedRequest[] = [];
  const stats = { inFlight: 0, maxInFlight: 0 };
  let rules: Rule[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const modeFor = (record: RecordedRequest): FakeMode => {
    for (let i = rules.length - 1; i >= 0; i--) {
      const r = rules[i]!;
      if (r.match.api !== undefined && r.match.api !== record.api) continue;
      if (r.match.query !== undefined && r.match.query !== record.searchText) continue;
      if (r.match.params && Object.entries(r.match.params).some(([k, v]) => record.query[k] !== v)) continue;
      return r.mode;
    }
    return { kind: 'ok' };
  };

  const server = createServer((req, res) => {
    stats.inFlight += 1;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let done = false;
    const settle = () => {
      if (!done) {
        done = true;
        stats.inFlight -= 1;
      }
    };
    res.on('close', settle);
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: 'fake server error' });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams.entries());
    const rawBody = await readBody(req);
    let body: unknown;
    if (rawBody !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
    }
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const record: RecordedRequest = {
      api: 'unknown',
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      headers: req.headers,
      body,
      searchText: undefined,
    };
    requests.push(record);
    const reply = (status: number, payload: unknown) => {
      record.status = status;
      send(res, status, payload);
    };

    // Route.
    if (req.method === 'GET' && url.pathname === '/search') {
      record.searchText = query.query;
      record.api = query.getText === '2' ? 'hadith' : 'quran';
      if (req.headers['x-api-key'] !== keys.kalimat) return reply(401, { message: 'Unauthorized' });
      if (!query.query) return reply(400, { message: 'query is required' });
      const n = clampInt(query.numResults, 1, 50, 10);
      return respond(
        record,
        res,
        reply,
        () => (record.api === 'hadith' ? HADITH_RESULTS : QURAN_RESULTS).slice(0, n),
        () => [],
      );
    }
    if (req.method === 'POST' && segments.length === 4 && segments[0] === 'v2' && segments[1] === 'corpora' && segments[3] === 'query') {
      record.api = 'mawsuah';
      const q = isRecord(body) && typeof body.query === 'string' ? body.query : undefined;
      record.searchText = q;
      if (req.headers['x-api-key'] !== keys.vectara) return reply(401, { messages: ['Unauthorized'] });
      if (segments[2] !== keys.corpusKey) return reply(404, { messages: [`Corpus '${segments[2]}' not found`] });
      if (!q) return reply(400, { field_errors: { query: 'required' } });
      const search = isRecord(body) && isRecord(body.search) ? body.search : {};
      const limit = typeof search.limit === 'number' ? search.limit : 10;
      return respond(
        record,
        res,
        reply,
        () => ({ summary: '', search_results: MAWSUAH_RESULTS.slice(0, limit) }),
        () => ({ summary: '', search_results: [] }),
      );
    }
    if (req.method === 'GET' && segments.length === 2 && segments[0] === keys.bookId) {
      record.api = 'tafsir';
      record.searchText = query.q;
      if (req.headers.authorization !== `Bearer ${keys.usul}`) return reply(401, { error: 'Unauthorized' });
      if (segments[1] !== keys.versionId) return reply(404, { error: 'Version not found' });
      if (!query.q) return reply(400, { error: 'q is required' });
      const limit = clampInt(query.limit, 1, 32, 10);
      const page = clampInt(query.page, 1, 1000, 1);
      const pageSize = Math.min(limit, options.usulPageSize ?? limit);
      const all = TAFSIR_RESULTS.slice(0, limit);
      const totalPages = Math.max(1, Math.ceil(all.length / pageSize));
      return respond(
        record,
        res,
        reply,
        () => ({
          total: all.length,
          totalPages,
          perPage: pageSize,
          currentPage: page,
          hasNextPage: page < totalPages,
          hasPrevPage: page > 1,
          results: all.slice((page - 1) * pageSize, page * pageSize),
        }),
        () => ({ total: 0, totalPages: 0, perPage: pageSize, currentPage: page, hasNextPage: false, hasPrevPage: false, results: [] }),
      );
    }
    return reply(404, { error: 'Not found' });
  }

  function respond(
    record: RecordedRequest,
    res: ServerResponse,
    reply: (status: number, payload: unknown) => void,
    ok: () => unknown,
    empty: () => unknown,
  ): void {
    const mode = modeFor(record);
    switch (mode.kind) {
      case 'ok':
        return reply(200, ok());
      case 'empty':
        return reply(200, empty());
      case 'fail':
        return reply(mode.status ?? 500, { error: 'Internal Server Error' });
      case 'respond':
        return reply(200, mode.body);
      case 'invalid-json':
        record.status = 200;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"results": [ this is not json');
        return;
      case 'hang':
        return; // the socket stays open; close() destroys it
      case 'gate':
        void mode.until.finally(() => {
          if (!res.destroyed) reply(200, ok());
        });
        return;
      case 'delay': {
        const t = setTimeout(() => {
          timers.delete(t);
          if (!res.destroyed) reply(200, ok());
        }, mode.ms);
        timers.add(t);
        return;
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    port,
    requests,
    stats,
    keys,
    setMode(mode, match = {}) {
      rules.push({ mode, match });
    },
    reset() {
      rules = [];
      requests.length = 0;
      stats.maxInFlight = stats.inFlight;
    },
    resetStats() {
      stats.maxInFlight = stats.inFlight;
    },
    toolsConfig(overrides = {}) {
      return {
        KALIMAT_API_KEY: keys.kalimat,
        KALIMAT_BASE_URL: url,
        VECTARA_API_KEY: keys.vectara,
        VECTARA_BASE_URL: url,
        MAWSUAH_VECTARA_CORPUS_KEY: keys.corpusKey,
        USUL_API_TOKEN: keys.usul,
        USUL_BASE_URL: url,
        TAFSIR_ENCYC_BOOK_ID: keys.bookId,
        TAFSIR_ENCYC_VERSION_ID: keys.versionId,
        TOOL_TIMEOUT_MS: 5_000,
        ...overrides,
      };
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function clampInt(v: string | undefined, min: number, max: number, dflt: number): number {
  const n = v === undefined ? NaN : Number.parseInt(v, 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : dflt;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Standalone: `npx tsx scripts/support/fake-search.ts --port 4020`
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--port');
  const port = i >= 0 ? Number(process.argv[i + 1]) : 4020;
  const fake = await startFakeSearch({ port });
  const k = fake.keys;
  console.log(`fake search APIs listening on ${fake.url}`);
  console.log('Settings for .env:');
  console.log(`KALIMAT_API_KEY=${k.kalimat}\nKALIMAT_BASE_URL=${fake.url}`);
  console.log(`VECTARA_API_KEY=${k.vectara}\nVECTARA_BASE_URL=${fake.url}\nMAWSUAH_VECTARA_CORPUS_KEY=${k.corpusKey}`);
  console.log(
    `USUL_API_TOKEN=${k.usul}\nUSUL_BASE_URL=${fake.url}\nTAFSIR_ENCYC_BOOK_ID=${k.bookId}\nTAFSIR_ENCYC_VERSION_ID=${k.versionId}`,
  );
  const stop = () => {
    void fake.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
