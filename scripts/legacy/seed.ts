/**
 * `npm run legacy:seed [-- --force]`: loads the sample legacy data (scripts/legacy/seed-data.ts: one thread per
 * legacy row shape, feedback, two legacy shares) into the legacy PostgreSQL, after applying the legacy schema.
 *
 * Target: LEGACY_DATABASE_URL when set (only a local host unless `--force`: this is sample data), else the dev
 * database of `npm start` (.data/legacy-pg, through the running server when there is one). Re-runnable: rows that
 * exist are left as they are.
 */
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { openLegacyDevDb, LEGACY_SCHEMA } from '#support/legacy-dev-db.js';
import { DEV_USER_ID, SEED_MESSAGES, SEED_SHARES, SEED_THREADS, seedLegacy } from './seed-data.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

async function main(): Promise<void> {
  const force = process.argv.includes('--force');
  let url = process.env.LEGACY_DATABASE_URL?.trim() || undefined;
  let stop = async () => undefined as void;
  if (url) {
    const host = new URL(url).hostname;
    if (!LOCAL_HOSTS.has(host) && !force) {
      throw new Error(`LEGACY_DATABASE_URL points at ${host}: refusing to load sample data there without --force`);
    }
  } else {
    const dev = await openLegacyDevDb({ log: (m) => console.error(`[legacy:seed] ${m}`) });
    url = dev.url;
    stop = dev.stop;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(await readFile(LEGACY_SCHEMA, 'utf8'));
    await seedLegacy((sql, params) => client.query(sql, params));
    const { rows } = await client.query<{ threads: number; messages: number; shares: number }>(
      `SELECT (SELECT COUNT(*)::int FROM threads) AS threads, (SELECT COUNT(*)::int FROM messages) AS messages,
              (SELECT COUNT(*)::int FROM share) AS shares`,
    );
    const n = rows[0]!;
    console.log(
      `legacy database seeded: ${SEED_THREADS.length} sample threads, ${SEED_MESSAGES.length} messages, ${SEED_SHARES.length} shares ` +
        `(now ${n.threads} threads, ${n.messages} messages, ${n.shares} shares in total)`,
    );
    console.log(
      `see them: TOKEN=$(npm run --silent token -- ${DEV_USER_ID}); curl -s localhost:3000/api/v3/threads -H "Authorization: Bearer $TOKEN"`,
    );
    console.log(`a legacy share: curl -s localhost:3000/api/v3/share/${SEED_SHARES[0]!.id}`);
  } finally {
    await client.end();
    await stop();
  }
}

main().catch((err: unknown) => {
  console.error(`legacy:seed failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
