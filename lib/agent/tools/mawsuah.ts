/** The fiqh encyclopedia tool (search_mawsuah): al-Mawsu'ah al-Fiqhiyyah through Vectara. */
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

export interface MawsuahConfig {
  apiKey: string;
  baseUrl: string;
  corpusKey: string;
}

const LIMIT = 5;

/** The Vectara v2 query body the reference sends (search_vectara.py `_build_request_payload`). */
export function mawsuahRequestBody(query: string): Record<string, unknown> {
  return {
    query,
    search: {
      custom_dimensions: {},
      metadata_filter: '',
      lexical_interpolation: 0.025,
      semantics: 'default',
      offset: 0,
      limit: LIMIT,
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
  };
}

export function mawsuahTool(cfg: MawsuahConfig): SearchTool {
  return searchTool(
    'search_mawsuah',
    {
      description:
        "Search al-Mawsu'ah al-Fiqhiyyah (the Kuwaiti Encyclopedia of Islamic Jurisprudence) for rulings and the " +
        'positions of the schools of Islamic law on a question of fiqh (worship, transactions, family law, food, ' +
        'dress, and so on). Returns up to 5 potentially relevant passages as citable documents, in Arabic only: ' +
        'translate what you use for the user, and check that a passage really answers the question.',
      query:
        'The legal topic as a few keywords, preferably translated into Arabic (for example "حكم صلاة ' +
        'الجماعة"); English keywords also work but match less well.',
    },
    async (query, signal) => {
      const url = joinUrl(cfg.baseUrl, `v2/corpora/${encodeURIComponent(cfg.corpusKey)}/query`);
      const body = await fetchJson(
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': cfg.apiKey },
          body: JSON.stringify(mawsuahRequestBody(query)),
        },
        signal,
      );
      if (!isObj(body)) throw new ToolError('invalid_response', 'The search service returned an unexpected response.');
      const results = Array.isArray(body.search_results) ? body.search_results : [];
      const docs: DocumentBlock[] = [];
      for (const r of results) {
        const text = str(r, 'text').replaceAll('<em>', '').replaceAll('</em>', '').trim();
        if (!text) continue;
        docs.push(
          makeDocument(
            'Encyclopedia of Islamic Jurisprudence',
            'Retrieved from Encyclopedia of Islamic jurisprudence',
            renderSourceData({ ar: text }),
          ),
        );
      }
      return docs;
    },
  );
}
