/**
 * The cutover: after the migration, the legacy layer switched off (LEGACY_DATABASE_URL unset) and the legacy
 * database gone, every old share link and every migrated thread opens through the same routes with the same content.
 * The same handlers are loaded twice: with the legacy layer on (before), then again without it (after).
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startLegacyDb } from '#support/legacy-dev-db.js';
import { DEV_USER_ID, SHARE_IDS, THREAD_IDS, seedLegacy } from '#scripts/legacy/seed-data.js';
import { tokenFor } from '#support/auth.js';
import { call } from '#support/lambda.js';

const legacy = await startLegacyDb();
process.env.LEGACY_DATABASE_URL = legacy.url;
process.env.MONGODB_DB = `ansari_legacy_cutover_${process.pid}`;
let legacyStopped = false;

/** The public and owner reads a user of the old app makes, through the handlers as loaded now. */
async function reads() {
  const getShare = (await import('#functions/get-share.js')).handler;
  const getThread = (await import('#functions/get-thread.js')).handler;
  const listThreads = (await import('#functions/list-threads.js')).handler;
  const token = await tokenFor(DEV_USER_ID);
  const shares = [];
  for (const id of Object.values(SHARE_IDS)) {
    for (const query of [undefined, { format: 'text' }]) {
      const res = await call(getShare, { path: `/api/v3/share/${id}`, resource: '/api/v3/share/{id}', pathParameters: { id }, query });
      shares.push({ id, query, status: res.status, json: res.json });
    }
  }
  const threads = [];
  for (const id of Object.values(THREAD_IDS).filter((t) => t !== THREAD_IDS.other)) {
    const res = await call(getThread, { token, path: `/api/v3/threads/${id}`, pathParameters: { thread_id: id } });
    threads.push({ id, status: res.status, json: { ...res.json, storage: undefined } });
  }
  const list = await call(listThreads, { token });
  return {
    shares,
    threads,
    list: (list.json as { thread_id: string; updated_at: string }[]).map((t) => [t.thread_id, t.updated_at]),
  };
}

afterAll(async () => {
  const { getDb, closeMongo } = await import('#lib/db/mongo.js');
  await (await getDb()).dropDatabase();
  await closeMongo();
  if (!legacyStopped) await legacy.stop();
});

describe('cutover: the legacy layer off after the migration', () => {
  it('opens every old share link and every migrated thread the same, with no legacy database at all', async () => {
    await seedLegacy((sql, params) => legacy.db.query(sql, params));
    const { ensureIndexes } = await import('#lib/db/indexes.js');
    const { getDb, closeMongo } = await import('#lib/db/mongo.js');
    await ensureIndexes(await getDb());
    const before = await reads();
    expect(before.shares.map((s) => s.status)).toEqual([200, 200, 200, 200]);
    expect(before.threads.map((t) => t.status)).toEqual(before.threads.map(() => 200));

    const { migrateLegacy } = await import('#scripts/ops/migrate/migrate.js');
    const { verifyLegacy } = await import('#scripts/ops/migrate/verify.js');
    const { closeLegacyPool } = await import('#lib/db/pg.js');
    await migrateLegacy();
    expect((await verifyLegacy()).clean).toBe(true);
    await closeLegacyPool();
    await closeMongo();

    // Switched off: LEGACY_DATABASE_URL unset (the stage redeployed without it), the legacy database stopped.
    delete process.env.LEGACY_DATABASE_URL;
    await legacy.stop();
    legacyStopped = true;
    vi.resetModules();
    const { legacyLayer } = await import('#lib/services/wiring.js');
    expect(await legacyLayer()).toBeUndefined();
    const after = await reads();
    expect(after).toEqual(before);
  });
});
