/** Test users and their access tokens. */
import { randomUUID } from 'node:crypto';
import { DEV_SECRET_KEY } from '#lib/dev-secret.js';
import { mintToken, type MintOptions } from '#support/tokens.js';

/** A fresh user per test keeps tests independent in one database. */
export const newUser = (): string => randomUUID();

export const tokenFor = (userId: string, opts: Partial<MintOptions> = {}): Promise<string> =>
  mintToken(userId, { secret: process.env.SECRET_KEY || DEV_SECRET_KEY, ...opts });
