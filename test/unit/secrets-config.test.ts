// Configuration of secrets: a plain value (local and test stages) or the name of its SSM parameter (deployed stages).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '#lib/config.js';
import { Secrets, sourcesFromConfig } from '#lib/secrets.js';

const deployed = {
  STAGE: 'prod',
  MONGODB_URI_PARAM: '/ansari-threads/prod/mongodb-uri',
  SECRET_KEY_PARAM: '/ansari-threads/prod/secret-key',
};

describe('secret parameters in the configuration', () => {
  it('accepts parameter names instead of values in a deployed stage, and holds no value', () => {
    const cfg = parseConfig(deployed);
    expect(cfg.MONGODB_URI).toBeUndefined();
    expect(cfg.SECRET_KEY).toBeUndefined();
    expect(sourcesFromConfig(cfg)).toEqual({
      values: {},
      parameters: { MONGODB_URI: '/ansari-threads/prod/mongodb-uri', SECRET_KEY: '/ansari-threads/prod/secret-key' },
      maxAgeSeconds: 300,
      isLocal: false,
    });
  });

  it('still requires each secret one way or the other', () => {
    expect(() => parseConfig({ STAGE: 'prod', SECRET_KEY_PARAM: '/a/b' })).toThrow(/MONGODB_URI: is required/);
    // The token key is checked by the routes that verify tokens (the public share page runs without it), and a
    // deployed stage never falls back to the development key.
    expect(parseConfig({ STAGE: 'prod', MONGODB_URI_PARAM: '/a/b' }).SECRET_KEY).toBeUndefined();
    expect(() => parseConfig({ ...deployed, REQUIRE_TOKEN_IN_DB: 'true' })).toThrow(/REQUIRE_TOKEN_IN_DB: needs LEGACY_DATABASE_URL/);
    expect(parseConfig({ ...deployed, REQUIRE_TOKEN_IN_DB: 'true', LEGACY_DATABASE_URL_PARAM: '/a/legacy' }).REQUIRE_TOKEN_IN_DB).toBe(
      true,
    );
  });

  it('refuses a secret given both ways, and a parameter name that is not one', () => {
    expect(() => parseConfig({ ...deployed, MONGODB_URI: 'mongodb://x' })).toThrow(
      /MONGODB_URI: set either MONGODB_URI or MONGODB_URI_PARAM/,
    );
    expect(() => parseConfig({ ...deployed, SECRET_KEY_PARAM: 'secret-key' })).toThrow(/SECRET_KEY_PARAM: must be an SSM parameter name/);
    expect(() => parseConfig({ ...deployed, SECRETS_MAX_AGE_SECONDS: '0' })).toThrow(/SECRETS_MAX_AGE_SECONDS/);
  });

  it('keeps plain values in local stages (no AWS at all), the development key by default', async () => {
    const cfg = parseConfig({ STAGE: 'local', MONGODB_URI: 'mongodb://127.0.0.1:27017' });
    const secrets = new Secrets(sourcesFromConfig(cfg), () => {
      throw new Error('no SSM in a local stage');
    });
    await secrets.refresh();
    expect(secrets.get('MONGODB_URI')).toBe('mongodb://127.0.0.1:27017');
    expect(secrets.get('SECRET_KEY')).toBe(cfg.SECRET_KEY);
    expect(secrets.has('LEGACY_DATABASE_URL')).toBe(false);
  });

  it('refuses to hand out a parameter-backed secret before it was read', () => {
    const secrets = new Secrets(sourcesFromConfig(parseConfig(deployed)));
    expect(() => secrets.get('MONGODB_URI')).toThrow(/MONGODB_URI was read before the secrets were loaded/);
    expect(secrets.has('MONGODB_URI')).toBe(true);
  });
});
