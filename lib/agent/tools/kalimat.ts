/** The Kalimat search tools: the Quran (search_quran) and the hadith collections (search_hadith). */
import { isObj } from '#lib/json.js';
import {
  type DocumentBlock,
  type SearchTool,
  searchTool,
  ToolError,
  fetchJson,
  joinUrl,
  makeDocument,
  renderSourceData,
  str,
} from './common.js';

export interface KalimatConfig {
  apiKey: string;
  baseUrl: string;
}

const NUM_RESULTS = 10;

/** GET {base}/search with x-api-key; the answer is a JSON array of results. */
async function kalimatSearch(cfg: KalimatConfig, params: Record<string, string>, signal: AbortSignal): Promise<unknown[]> {
  const url = `${joinUrl(cfg.baseUrl, 'search')}?${new URLSearchParams(params).toString()}`;
  const body = await fetchJson(url, { method: 'GET', headers: { 'x-api-key': cfg.apiKey, accept: 'application/json' } }, signal);
  if (Array.isArray(body)) return body;
  if (isObj(body) && Array.isArray(body.results)) return body.results;
  throw new ToolError('invalid_response', 'The search service returned an unexpected response.');
}

export function quranTool(cfg: KalimatConfig): SearchTool {
  return searchTool(
    'search_quran',
    {
      description:
        'Search the Holy Quran for the ayahs (verses) most relevant to a topic. Returns up to 10 ayahs, each as a ' +
        'citable document titled with its surah:ayah reference (for example "Quran 2:153") that contains the Arabic ' +
        'text and an English translation. Use it whenever the Quran speaks to the question, and quote or cite the ' +
        'ayahs it returns rather than reciting verses from memory.',
      query:
        'The topic to look for, as a few specific keywords in English or Arabic (for example "patience in ' +
        'hardship" or "الصبر على البلاء"). Do not include the word "Quran".',
    },
    async (query, signal) => {
      const results = await kalimatSearch(cfg, { query, numResults: String(NUM_RESULTS), getText: '1' }, signal);
      const docs: DocumentBlock[] = [];
      for (const r of results) {
        const ar = str(r, 'text');
        const en = str(r, 'en_text');
        if (!ar && !en) continue;
        docs.push(makeDocument(`Quran ${str(r, 'id')}`, 'Retrieved from the Holy Quran', renderSourceData({ ar, en })));
      }
      return docs;
    },
  );
}

export function hadithTool(cfg: KalimatConfig): SearchTool {
  return searchTool(
    'search_hadith',
    {
      description:
        'Search the hadith collections (Sahih al-Bukhari, Sahih Muslim, the Sunan of Abu Dawud, al-Tirmidhi, ' +
        "al-Nasa'i and Ibn Majah, and others) for narrations of the Prophet Muhammad ﷺ relevant to a topic. " +
        'Returns up to 10 hadiths, each as a citable document with the Arabic text, an English translation, the ' +
        'collection, chapter, section and hadith number, and the grade when one is known. Mention the grade when ' +
        'you rely on a hadith.',
      query:
        'The topic to look for, as a few specific keywords in English or Arabic (for example "intention ' +
        'actions" or "إنما الأعمال بالنيات").',
    },
    async (query, signal) => {
      const results = await kalimatSearch(cfg, { query, numResults: String(NUM_RESULTS), indexes: '["sunnah_lk"]', getText: '2' }, signal);
      const docs: DocumentBlock[] = [];
      for (const r of results) {
        const ar = str(r, 'ar_text');
        const en = str(r, 'en_text');
        if (!ar && !en) continue;
        const grade = str(r, 'grade_en');
        let title =
          `${str(r, 'source_book')} - Chapter ${str(r, 'chapter_number')}: ${str(r, 'chapter_english')}, ` +
          `Section ${str(r, 'section_number')}: ${str(r, 'section_english')}, Hadith ${str(r, 'hadith_number')}, ` +
          `LK id ${str(r, 'id')}`;
        if (grade) title += ` (Grade: ${grade})`;
        docs.push(makeDocument(title, 'Retrieved from hadith collections', renderSourceData({ ar, en })));
      }
      return docs;
    },
  );
}
