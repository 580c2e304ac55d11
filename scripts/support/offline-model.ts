/**
 * The offline stub model of `npm start`: with no ANTHROPIC_API_KEY (and no ANTHROPIC_BASE_URL) in a local stage,
 * a small local Messages API server answers instead of Claude, so a newcomer can try the whole flow (streaming,
 * storage, thread names, ?format=text) with no credentials. The add-message route runs its real code path: the
 * real SDK, pointed at this server through ANTHROPIC_BASE_URL. Every answer says plainly that it is the stub.
 *
 * The server is scripts/support/fake-anthropic.ts, which also checks each request against the Messages API rules
 * (a violation is answered 400, as the real API would, and logged here).
 */
import { startFakeAnthropic, type RecordedBody } from '#support/fake-anthropic.js';

const OFFLINE_LABEL = '[Offline stub model, not Claude]';

/** The text of the last user question (its text blocks), shortened for the echo. */
function lastQuestion(body: RecordedBody): string {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== 'user') continue;
    const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : Array.isArray(m.content) ? m.content : [];
    const text = blocks
      .filter(
        (b): b is { type: 'text'; text: string } => typeof b === 'object' && b !== null && b.type === 'text' && typeof b.text === 'string',
      )
      .map((b) => b.text)
      .join(' ')
      .replace(/\s+/g, ' ')
      .trim();
    if (text) return Array.from(text).length > 200 ? `${Array.from(text).slice(0, 200).join('')}…` : text;
  }
  return '';
}

function offlineAnswer(body: RecordedBody): string {
  const question = lastQuestion(body);
  return (
    `**${OFFLINE_LABEL}** No ANTHROPIC_API_KEY is set, so this answer comes from the local stub that \`npm start\` ` +
    'runs in its place. It does not know anything about Islam; it only lets you try the whole flow: the reply ' +
    'streams word by word, and the question and this answer are stored in the thread.\n\n' +
    (question ? `You asked: "${question}"\n\n` : '') +
    'To talk to Claude, set ANTHROPIC_API_KEY (and the search tool keys, e.g. KALIMAT_API_KEY) and restart `npm start`.'
  );
}

interface OfflineModel {
  url: string;
  stop(): Promise<void>;
}

async function startOfflineModel(log: (msg: string) => void): Promise<OfflineModel> {
  const fake = await startFakeAnthropic({
    host: '127.0.0.1',
    log: (line) => {
      if (!line.includes('-> 200')) log(`offline model: ${line}`);
    },
  });
  fake.respondWith((body) => {
    fake.requests.splice(0, fake.requests.length - 1); // a long dev session keeps only the latest request
    const words = offlineAnswer(body);
    return {
      blocks: [{ type: 'text', text: words }],
      chunkSize: 4,
      chunkDelayMs: 15,
      usage: { input_tokens: JSON.stringify(body.messages ?? []).length >> 2, output_tokens: words.length >> 2 },
    };
  });
  return { url: fake.url, stop: () => fake.close() };
}

/** The `npm start` starter: runs the stub and points the SDK at it, unless a key or a base URL is configured. */
export async function offlineModelStarter(log: (msg: string) => void): Promise<{ stop(): Promise<void> }> {
  const stage = process.env.STAGE ?? 'local';
  const configured = (process.env.ANTHROPIC_API_KEY ?? '').trim() !== '' || (process.env.ANTHROPIC_BASE_URL ?? '').trim() !== '';
  if (configured || (stage !== 'local' && stage !== 'test')) return { stop: async () => undefined };
  const model = await startOfflineModel(log);
  process.env.ANTHROPIC_BASE_URL = model.url;
  process.env.ANTHROPIC_API_KEY = 'offline-stub-model';
  log(
    `no ANTHROPIC_API_KEY: replies come from the OFFLINE STUB MODEL at ${model.url} (not Claude); set ANTHROPIC_API_KEY for real answers`,
  );
  return model;
}
