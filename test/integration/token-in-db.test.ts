/**
 * REQUIRE_TOKEN_IN_DB: a token must also be listed in the legacy `access_tokens` table (a logout there revokes it
 * here). Set, with this file's own legacy PostgreSQL, before lib/ is first imported (config is parsed once per file).
 */
import { describe, expect, it } from 'vitest';
import { hybridStores } from '#test/support/hybrid.js';
import { newUser, tokenFor } from '#support/auth.js';
import { call } from '#support/lambda.js';

process.env.REQUIRE_TOKEN_IN_DB = 'true';
const { query } = await hybridStores('token_in_db');
const { handler: listThreads } = await import('#functions/list-threads.js');

/** Makes `user` a legacy user with these access tokens listed. */
async function listTokens(user: string, ...tokens: string[]): Promise<void> {
  await query('INSERT INTO users (id, email) VALUES ($1, $2)', [user, `${user}@ansari.test`]);
  for (const token of tokens) await query('INSERT INTO access_tokens (user_id, token) VALUES ($1, $2)', [user, token]);
}

describe('REQUIRE_TOKEN_IN_DB', () => {
  it('takes a valid token listed for its user', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    await listTokens(user, token);
    expect((await call(listThreads, { token })).status).toBe(200);
  });

  it('refuses a valid token no longer listed (logged out) with 401', async () => {
    const user = newUser();
    await listTokens(user, await tokenFor(user, { expiresIn: 60 }));
    const token = await tokenFor(user);
    const res = await call(listThreads, { token });
    expect([res.status, res.json, res.headers['www-authenticate']]).toEqual([401, { detail: 'Could not validate credentials' }, 'Bearer']);
  });

  it('refuses a token logged out after it was used: remembering a verified token never skips this check', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    await listTokens(user, token);
    expect((await call(listThreads, { token })).status).toBe(200);
    await query('DELETE FROM access_tokens WHERE token = $1', [token]);
    expect((await call(listThreads, { token })).status).toBe(401);
  });

  it('refuses a token listed for another user', async () => {
    const user = newUser();
    const token = await tokenFor(user);
    await listTokens(newUser(), token);
    expect((await call(listThreads, { token })).status).toBe(401);
  });
});
