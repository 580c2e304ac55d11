import { describe, expect, it } from 'vitest';
import { parseLegacyShare } from '#lib/legacy/share.js';

const ID = '30000000-0000-4000-8000-000000000009';

describe('parseLegacyShare', () => {
  it('turns the frozen display text into block messages', () => {
    const content = JSON.stringify({
      thread_name: 'Fasting',
      messages: [
        { id: 11, role: 'user', content: 'Can I fast while travelling?' },
        {
          id: 12,
          role: 'assistant',
          content: [
            { type: 'text', text: '' },
            'Yes, and you may also break the fast.',
            { type: 'tool_use', id: 't1', name: 'search', input: {} },
          ],
        },
        { id: 13, role: 'tool', content: 'raw tool output' },
        { id: 14, role: 'assistant', content: '   ' },
        { id: 'abc', role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
        'junk',
      ],
    });
    expect(parseLegacyShare(ID, content)).toEqual({
      rowIds: [11, 12],
      share: {
        share_id: ID,
        thread_name: 'Fasting',
        created_at: null,
        expires_at: null,
        messages: [
          { id: '11', role: 'user', content: [{ type: 'text', text: 'Can I fast while travelling?' }], created_at: null },
          {
            id: '12',
            role: 'assistant',
            content: [
              { type: 'text', text: 'Yes, and you may also break the fast.' },
              { type: 'tool_use', id: 't1', name: 'search', input: {} },
            ],
            created_at: null,
          },
          { id: 'abc', role: 'user', content: [{ type: 'text', text: 'Thanks' }], created_at: null },
        ],
      },
    });
  });

  it('is null for content that is not a share document; a missing name is null', () => {
    expect(parseLegacyShare(ID, 'not json')).toBeNull();
    expect(parseLegacyShare(ID, '[1, 2]')).toBeNull();
    expect(parseLegacyShare(ID, 'null')).toBeNull();
    expect(parseLegacyShare(ID, '{"messages": "x"}')?.share).toEqual({
      share_id: ID,
      thread_name: null,
      created_at: null,
      expires_at: null,
      messages: [],
    });
  });
});
