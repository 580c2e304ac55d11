/** The container's client of the legacy PostgreSQL database (the old backend's): one small pg pool, created on first use. */
import pg from 'pg';
import { config } from '#lib/config.js';
import { logger } from '#lib/observability.js';
import { secret } from '#lib/secrets.js';

let pool: pg.Pool | undefined;
let poolUrl: string | undefined;

/** The container's small pg pool for the legacy database, created on first use and again when the URL is rotated. */
export function getLegacyPool(): pg.Pool {
  const url = secret('LEGACY_DATABASE_URL');
  if (!url) throw new Error('LEGACY_DATABASE_URL is not configured');
  if (pool && poolUrl !== url) {
    // Ends once its checked-out clients are released.
    pool.end().catch(() => undefined);
    pool = undefined;
  }
  if (!pool) {
    poolUrl = url;
    pool = new pg.Pool({
      connectionString: url,
      max: 2,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: config.MONGODB_TIMEOUT_MS,
      statement_timeout: 10_000,
      query_timeout: 15_000,
      allowExitOnIdle: true,
    });
    // An idle client losing its connection must not crash the container.
    pool.on('error', (err) => logger.warn('legacy pool client error', { error: err.message }));
  }
  return pool;
}

export async function closeLegacyPool(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.end();
}

/** Whether the token is still listed in the old backend's `access_tokens` table (a logout there revokes it here). */
export async function tokenIsActive(userId: string, token: string): Promise<boolean> {
  const { rowCount } = await getLegacyPool().query('SELECT 1 FROM access_tokens WHERE user_id = $1 AND token = $2 LIMIT 1', [
    userId,
    token,
  ]);
  return (rowCount ?? 0) > 0;
}
