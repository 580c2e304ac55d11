/** The tafsir encyclopedia tool (search_tafsir_encyc): the Usul book search, following its pages. */
import { isObj } from '#lib/json.js';
import {
  type DocumentBlock,
  type SearchTool,
  searchTool,
  ToolError,
  fetchJson,
  joinUrl,
  makeDocument,
  renderPlainText,
  str,
} from './common.js';

export interface TafsirConfig {
  apiToken: string;
  baseUrl: string;
  bookId: string;
  versionId: string;
}

const LIMIT = 10;
/** Pages followed at most (hasNextPage) before stopping, whatever the service says. */
const MAX_PAGES = 5;
const CONTEXT = 'Retrieved from the Encyclopedia of Quranic Interpretation Based on Narrations';

export function tafsirTool(cfg: TafsirConfig): SearchTool {
  const base = joinUrl(cfg.baseUrl, `${encodeURIComponent(cfg.bookId)}/${encodeURIComponent(cfg.versionId)}`);
  const headers = { authorization: `Bearer ${cfg.apiToken}`, accept: 'application/json' };

  async function fetchPage(query: string, page: number, signal: AbortSignal) {
    const params = new URLSearchParams({ q: query, limit: String(LIMIT), page: String(page), include_chapters: 'false' });
    const body = await fetchJson(`${base}?${params.toString()}`, { method: 'GET', headers }, signal);
    if (!isObj(body)) throw new ToolError('invalid_response', 'The search service returned an unexpected response.');
    return { results: Array.isArray(body.results) ? body.results : [], hasNextPage: body.hasNextPage === true };
  }

  return searchTool(
    'search_tafsir_encyc',
    {
      description:
        'Search the Encyclopedia of Quranic Interpretation Based on Narrations (موسوعة التفسير بالمأثور), which ' +
        'gathers what the Prophet ﷺ, the Companions, their Successors and the early commentators narrated about ' +
        'the meaning of each verse. Returns up to 10 passages as citable documents in Arabic, titled with volume, ' +
        'page and chapter. Use it to explain what a verse means or how it was understood; translate what you use.',
      query:
        'A verse, its theme or a topic, as a few keywords in Arabic or English (for example "تفسير آية ' +
        'الكرسي" or "meaning of Ayat al-Kursi"); Arabic keywords usually match best.',
    },
    async (query, signal) => {
      const collected: unknown[] = [];
      let page = 1;
      for (;;) {
        let res: { results: unknown[]; hasNextPage: boolean };
        try {
          res = await fetchPage(query, page, signal);
        } catch (err) {
          // A later page that fails leaves the passages already found usable.
          if (page > 1 && collected.length > 0) break;
          throw err;
        }
        collected.push(...res.results);
        if (!res.hasNextPage || res.results.length === 0 || collected.length >= LIMIT || page >= MAX_PAGES) break;
        page += 1;
      }

      const docs: DocumentBlock[] = [];
      for (const r of collected.slice(0, LIMIT)) {
        if (!isObj(r)) continue;
        const node = isObj(r.node) ? r.node : r;
        const text = str(node, 'text');
        if (!text) continue;
        const metadata = isObj(node.metadata) ? node.metadata : {};
        const firstPage = Array.isArray(metadata.pages) ? metadata.pages[0] : undefined;
        const firstChapter = Array.isArray(metadata.chapters) ? metadata.chapters[0] : undefined;
        const volume = str(firstPage, 'volume');
        const pageNo = str(firstPage, 'page');
        const chapter = str(firstChapter, 'title');

        const titleParts = ['Encyclopedia of Quranic Interpretation'];
        if (volume) titleParts.push(`Volume ${volume}`);
        if (pageNo) titleParts.push(`Page ${pageNo}`);
        if (chapter) titleParts.push(`Chapter: ${chapter}`);
        const score = r.score;
        const context = typeof score === 'number' && Number.isFinite(score) ? `${CONTEXT} (Relevance score: ${score.toFixed(2)})` : CONTEXT;
        docs.push(makeDocument(titleParts.join(', '), context, renderPlainText(text)));
      }
      return docs;
    },
  );
}
