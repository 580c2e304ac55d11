import pg from 'pg';
import { config } from '#lib/config.js';
import { logger } from '#lib/observability.js';

let pool: pg.Pool | undefined;

/** Whether the legacy PostgreSQL store is configured (LEGACY_DATABASE_URL). When not, the hybrid layer is off. */
export const legacyEnabled = (): boolean => config.LEGACY_DATABASE_URL !== undefined;

/** The container's small pg pool for the legacy database, created on first use. */
export function getLegacyPool(): pg.Pool {
  if (!config.LEGACY_DATABASE_URL) throw new Error('LEGACY_DATABASE_URL is not configured');
  if (!pool) {
    pool = new pg.Pool({
      connectionString: config.LEGACY_DATABASE_URL,
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
