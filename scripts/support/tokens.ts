/** Mints HS256 access tokens shaped like the existing auth system's (dev token, tests, benchmarks). */
import { SignJWT } from 'jose';

export interface MintOptions {
  secret: string;
  type?: string;
  /** Lifetime in seconds (negative for an already expired token). */
  expiresIn?: number;
  userId?: unknown;
}

/** Mints an HS256 token shaped like the existing auth system's: `{user_id, type, exp, iat}`. */
export async function mintToken(userId: string, opts: MintOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ user_id: opts.userId ?? userId, type: opts.type ?? 'access' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.expiresIn ?? 2 * 3600))
    .sign(new TextEncoder().encode(opts.secret));
}
