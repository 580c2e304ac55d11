/** `npm run db:setup`: creates the MongoDB indexes (idempotent). Part of every deploy; see README. */
import { config } from '#lib/config.js';
import { closeMongo, getDb } from '#lib/db/mongo.js';
import { ensureIndexes } from '#lib/db/indexes.js';

try {
  const created = await ensureIndexes(await getDb());
  for (const [collection, names] of Object.entries(created)) console.log(`${config.MONGODB_DB}.${collection}: ${names.join(', ')}`);
} catch (err) {
  console.error(`db:setup failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await closeMongo();
}
