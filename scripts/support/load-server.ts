/**
 * The server `npm run load` drives (scripts/load.ts), in its own process so the load generator does not share its
 * event loop: the `npm start` server (every route of serverless.yml, streaming included) on PORT, against the
 * MongoDB at MONGODB_URI, with the offline stub model answering through the real SDK path. No legacy database:
 * the load is on the MongoDB path every deployment has. Prints READY when it listens.
 */
import { offlineModelStarter } from '#support/offline-model.js';
import { createDevServer } from '#scripts/dev-server.js';

const port = Number(process.env.PORT);
const model = await offlineModelStarter(() => undefined);
const { ensureIndexes } = await import('#lib/db/indexes.js');
const { getDb, closeMongo } = await import('#lib/db/mongo.js');
await ensureIndexes(await getDb());
const server = await createDevServer({ stage: 'local' });
server.listen(port, '127.0.0.1', () => console.log('READY'));

process.on('SIGTERM', () => {
  server.close();
  void Promise.all([model.stop(), closeMongo()]).finally(() => process.exit(0));
});
