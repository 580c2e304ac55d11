/** The container's Anthropic client (one per container, explicit timeout and retries). */
import { assertModelKey, config } from '#lib/config.js';
import { secret } from '#lib/secrets.js';
import { BaseAnthropic, Messages } from './sdk.js';

// Only the functions that talk to the model need its key: checked when this module loads, so add-message fails at
// cold start with a clear message while the other functions run without it.
assertModelKey(config);

/**
 * Placeholder key for local stages only (assertModelKey refuses a missing key elsewhere): `npm start` points
 * ANTHROPIC_BASE_URL at its offline stub model, which accepts any key.
 */
const LOCAL_PLACEHOLDER_KEY = 'local-no-key';

/**
 * The SDK's client with the one resource the service calls. `Anthropic` itself constructs every resource (beta,
 * files, models, ...), which triples the code a reply's cold start loads; this is the SDK's own base client and
 * Messages resource, so requests, retries, errors and streaming are the SDK's.
 */
class ModelClient extends BaseAnthropic {
  messages: Messages = new Messages(this);
}

let client: ModelClient | undefined;
let clientKey: string | undefined;

/**
 * The container's Anthropic client, created once and reused by every request. Explicit timeout (time to the
 * response headers, per attempt) and retries (failures before the stream starts), instead of the SDK's
 * 10-minute / 2-retry defaults. No beta headers: prompt caching is generally available.
 */
export function anthropicClient(): ModelClient {
  const apiKey = secret('ANTHROPIC_API_KEY') ?? LOCAL_PLACEHOLDER_KEY;
  // A rotated key (read again after its max age) gets a new client.
  if (clientKey !== apiKey) client = undefined;
  clientKey = apiKey;
  client ??= new ModelClient({
    apiKey,
    // SDK 1.x sends the key as `Authorization: Bearer`; the API prefers x-api-key when both are present, and
    // gateways or proxies that only read x-api-key keep working.
    defaultHeaders: { 'x-api-key': apiKey },
    ...(config.ANTHROPIC_BASE_URL ? { baseURL: config.ANTHROPIC_BASE_URL } : {}),
    timeout: config.ANTHROPIC_TIMEOUT_MS,
    maxRetries: config.ANTHROPIC_MAX_RETRIES,
  });
  return client;
}
