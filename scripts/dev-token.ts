/**
 * Mints a development access token: `npm run token -- [user_id]`.
 * Signs with SECRET_KEY (or the documented development default); refused outside local stages.
 */
import { randomUUID } from 'node:crypto';
import { DEV_SECRET_KEY } from '#lib/dev-secret.js';
import { isUuid } from '#lib/ids.js';
import { mintToken } from '#support/tokens.js';

const DEV_USER = '00000000-0000-4000-8000-000000000001';
const userId = process.argv[2] === 'random' ? randomUUID() : (process.argv[2] ?? DEV_USER);
const stage = process.env.STAGE ?? 'local';
if (!['local', 'test'].includes(stage)) {
  console.error(`refusing to mint tokens for stage "${stage}"`);
  process.exit(1);
}
if (!isUuid(userId)) {
  console.error(`user id must be a UUID, got "${userId}"`);
  process.exit(1);
}
const hours = Number(process.env.TOKEN_HOURS ?? 24);
const token = await mintToken(userId, { secret: process.env.SECRET_KEY || DEV_SECRET_KEY, expiresIn: hours * 3600 });
console.log(token);
