/** Bearer-token authentication against the existing auth system's HS256 access tokens. */
import { webcrypto } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import { config } from '#lib/config.js';
import { UnauthorizedError } from '#lib/errors.js';
import { isUuid } from '#lib/ids.js';
import { secret, secrets } from '#lib/secrets.js';

/**
 * Routes that verify tokens need the key (a value, or its parameter): checked when such a route is built, so those
 * functions fail at cold start with a clear message, while the public share page runs without the key.
 */
export function assertTokenKey(): void {
  if (!secrets.has('SECRET_KEY')) {
    throw new Error(`Invalid configuration:\n  SECRET_KEY: is required in stage "${config.STAGE}" (or SECRET_KEY_PARAM)`);
  }
}

// Imported once per key value (jose imports a raw key on every verification otherwise: half its time).
let signingKey: { text: string; key: Promise<webcrypto.CryptoKey> } | undefined;
/**
 * Tokens verified under the current key, with what they said. A client sends the same token until it refreshes it,
 * so most requests of a warm container skip the signature check (an HMAC that Web Crypto runs on the thread pool,
 * most of a warm read's own time); the expiry is still checked on every request. Oldest out first past the bound.
 */
const verified = new Map<string, { userId: string; exp: number }>();
const VERIFIED_MAX = 1_000;

/** The current key; a rotated SECRET_KEY (read again after its max age) takes effect at once and drops the tokens. */
const verificationKey = (): Promise<webcrypto.CryptoKey> => {
  const text = secret('SECRET_KEY')!;
  if (signingKey?.text !== text) {
    const bytes = new TextEncoder().encode(text);
    signingKey = { text, key: webcrypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']) };
    verified.clear();
  }
  return signingKey.key;
};

/** The existing backend's tokens are a few hundred bytes; anything this long is refused before any work. */
const MAX_TOKEN_CHARS = 8192;

/**
 * Verifies `Authorization: Bearer <access token>` as the existing backend issues them
 * (HS256, `{user_id, type, exp}`) and returns the caller's user id (lower case).
 * Every failure is a 401: the frontend refreshes and retries only on 401.
 */
export async function authenticate(authorization: string | undefined): Promise<string> {
  if (!authorization) throw new UnauthorizedError('Not authenticated');
  const match = /^Bearer +([^\s]+)\s*$/i.exec(authorization);
  if (!match) throw new UnauthorizedError('Invalid authorization header format');
  const token = match[1]!;
  if (token.length > MAX_TOKEN_CHARS) throw new UnauthorizedError('Could not validate credentials');

  const key = verificationKey();
  const known = verified.get(token);
  if (known && known.exp <= Math.floor(Date.now() / 1000)) {
    verified.delete(token);
    throw new UnauthorizedError('Token has expired');
  }
  const userId = known?.userId ?? (await verify(token, key));
  if (config.REQUIRE_TOKEN_IN_DB) {
    // Loaded only where configured: most deployments never need the PostgreSQL driver here.
    const { tokenIsActive } = await import('#lib/db/pg.js');
    if (!(await tokenIsActive(userId, token))) throw new UnauthorizedError('Could not validate credentials');
  }
  return userId;
}

/** Checks the token's signature and claims (jose, HS256 only, `exp` required): the caller's user id, remembered. */
async function verify(token: string, key: Promise<webcrypto.CryptoKey>): Promise<string> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, await key, { algorithms: ['HS256'], requiredClaims: ['exp'] }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new UnauthorizedError('Token has expired');
    throw new UnauthorizedError('Could not validate credentials');
  }
  if (payload.type !== 'access') throw new UnauthorizedError('Invalid token type');
  if (typeof payload.user_id !== 'string' || !isUuid(payload.user_id)) {
    throw new UnauthorizedError('Invalid token identifier');
  }
  const userId = payload.user_id.toLowerCase();
  // Only under the key it was checked with: a rotation while this check ran has dropped the tokens of the old key.
  if (signingKey?.key === key) {
    if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
    verified.set(token, { userId, exp: payload.exp! });
  }
  return userId;
}
