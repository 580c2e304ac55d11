/** The message-row ids erasure reads from a legacy share in SQL (SHARE_MESSAGE_ID_RE) are those the share's messages carry. */
import { describe, expect, it } from 'vitest';
import { SHARE_MESSAGE_ID_RE } from '#lib/legacy/queries.js';
import { parseLegacyShare } from '#lib/legacy/share.js';
import { SEED_SHARES } from '#scripts/legacy/seed-data.js';

// PostgreSQL's regular expressions (ARE) read this pattern as JavaScript does: \s, \{, "?, [0-9]{1,9}.
const idsOf = (content: string) => [...content.matchAll(new RegExp(SHARE_MESSAGE_ID_RE, 'g'))].map((m) => Number(m[1]));

describe('SHARE_MESSAGE_ID_RE', () => {
  it('finds the row id of every message of the seeded shares, as parseLegacyShare does', () => {
    for (const share of SEED_SHARES) {
      expect(idsOf(share.content)).toEqual(parseLegacyShare(share.id, share.content)!.rowIds);
      expect(idsOf(share.content).length).toBeGreaterThan(0);
    }
  });

  it('reads the old backend’s own spacing (json.dumps) and quoted ids, and nothing nested in the content', () => {
    const python =
      '{"thread_name": "Q", "messages": [{"id": 11, "role": "user", "content": "text with {\\"id\\": 99, \\"role\\": \\"user\\"} inside"}, ' +
      '{"id": "12", "role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "s", "input": {"id": 77}}]}, ' +
      '{"id": 13, "role": "tool", "content": "raw"}]}';
    expect(JSON.parse(python)).toBeTruthy();
    expect(idsOf(python)).toEqual([11, 12, 13]);
    // parseLegacyShare keeps only user/assistant messages with content; every one of its ids is found.
    expect(idsOf(python)).toEqual(expect.arrayContaining(parseLegacyShare('x', python)!.rowIds));
  });
});
