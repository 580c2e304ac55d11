import { getLegacyPool } from './pool.js';

/** Whether the token is still listed in the legacy `access_tokens` table (a logout there revokes it here). */
export async function tokenIsActive(userId: string, token: string): Promise<boolean> {
  const { rowCount } = await getLegacyPool().query('SELECT 1 FROM access_tokens WHERE user_id = $1 AND token = $2 LIMIT 1', [
    userId,
    token,
  ]);
  return (rowCount ?? 0) > 0;
}
