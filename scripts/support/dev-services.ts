/**
 * Optional local services `npm start` runs beside the API so a newcomer needs no credentials.
 * Each sets the environment variables the lib/ configuration reads, before lib/ is first imported.
 */
export interface DevServices {
  stop(): Promise<void>;
}

type Starter = (log: (msg: string) => void) => Promise<DevServices>;

const starters: Starter[] = [
  // The legacy PostgreSQL (embedded PGlite with the legacy schema) unless LEGACY_DATABASE_URL is set.
  (log) => import('./legacy-dev-db.js').then((m) => m.startLegacyDevService(log)),
  // The assistant: without ANTHROPIC_API_KEY, a labelled offline stub model answers through the real SDK path.
  (log) => import('./offline-model.js').then((m) => m.offlineModelStarter(log)),
];

export async function startDevServices(log: (msg: string) => void): Promise<DevServices> {
  const started: DevServices[] = [];
  for (const start of starters) started.push(await start(log));
  return { stop: async () => void (await Promise.all(started.map((s) => s.stop()))) };
}
