/** The assistant's configuration: the model key rule and the reply format chosen from Accept. */
import { describe, expect, it } from 'vitest';
import { replyFormat } from '#lib/agent/events.js';
import { assertModelKey, parseConfig } from '#lib/config.js';

const base = { MONGODB_URI: 'mongodb://localhost:27017', SECRET_KEY: 'a-real-secret-of-at-least-32-characters!!' };

describe('assistant configuration', () => {
  it('requires ANTHROPIC_API_KEY outside local stages', () => {
    expect(() => assertModelKey(parseConfig({ ...base, STAGE: 'prod' }))).toThrow(/ANTHROPIC_API_KEY: is required in stage "prod"/);
    expect(() => assertModelKey(parseConfig({ ...base, STAGE: 'prod', ANTHROPIC_API_KEY: '   ' }))).toThrow(/ANTHROPIC_API_KEY/);
    // The other functions do not need the key: the shared configuration accepts its absence.
    expect(parseConfig({ ...base, STAGE: 'prod' }).ANTHROPIC_API_KEY).toBeUndefined();
    expect(parseConfig({ ...base, STAGE: 'prod', ANTHROPIC_API_KEY: 'sk-ant-x' }).ANTHROPIC_API_KEY).toBe('sk-ant-x');
  });

  it('lets local stages run without a key (the offline stub model) and keeps the defaults', () => {
    for (const STAGE of ['local', 'test']) {
      const cfg = parseConfig({ ...base, STAGE });
      expect(cfg.ANTHROPIC_API_KEY).toBeUndefined();
      expect(cfg).toMatchObject({
        ANTHROPIC_MODEL: 'claude-sonnet-5-5',
        ANTHROPIC_MAX_TOKENS: 4096,
        ANTHROPIC_TIMEOUT_MS: 120_000,
        ANTHROPIC_MAX_RETRIES: 2,
      });
    }
  });
});

describe('temperature', () => {
  it('is unset unless configured (the API version the SDK speaks refuses it), and bounded to 0..1 when set', () => {
    expect(parseConfig(base).ANTHROPIC_TEMPERATURE).toBeUndefined();
    expect(parseConfig({ ...base, ANTHROPIC_TEMPERATURE: '' }).ANTHROPIC_TEMPERATURE).toBeUndefined();
    expect(parseConfig({ ...base, ANTHROPIC_TEMPERATURE: '0.3' }).ANTHROPIC_TEMPERATURE).toBe(0.3);
    expect(() => parseConfig({ ...base, ANTHROPIC_TEMPERATURE: '7' })).toThrow(/ANTHROPIC_TEMPERATURE/);
    expect(() => parseConfig({ ...base, ANTHROPIC_TEMPERATURE: 'warm' })).toThrow(/ANTHROPIC_TEMPERATURE/);
  });
});

describe('reply format negotiation', () => {
  it.each([
    [undefined, 'text'],
    ['text/event-stream', 'text'],
    ['*/*', 'text'],
    ['text/plain', 'text'],
    ['application/x-ndjson', 'ndjson'],
    ['text/plain;q=0.5, Application/X-NDJSON', 'ndjson'],
    ['application/x-ndjson;q=0', 'text'],
    ['application/x-ndjson; q=0.2', 'ndjson'],
  ])('Accept %s -> %s', (accept, format) => {
    expect(replyFormat(accept)).toBe(format);
  });
});
