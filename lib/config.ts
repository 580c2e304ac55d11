/** The configuration: the environment parsed once with zod, failing at cold start with every bad variable named. */
import { en } from 'zod/locales';
import * as z from 'zod/mini';

import { DEV_SECRET_KEY } from './dev-secret.js';
const LOCAL_STAGES = new Set(['local', 'test']);

// zod/mini (the tree-shakable functional API, a fraction of the classic one's load time: cold starts) with English
// messages, which mini leaves out unless asked.
z.config(en());

const blankToUndefined = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
const optionalString = z.pipe(z.optional(z.string()), z.transform(blankToUndefined));

/** A number that may be absent or blank (unset), checked by `schema` when present. */
const optionalNumber = (schema: z.core.$ZodType<number, number>) =>
  z.pipe(
    z.pipe(
      z.optional(z.string()),
      z.transform((v) => (v === undefined || v.trim() === '' ? undefined : Number(v))),
    ),
    z.optional(schema),
  );

/** An integer from the environment, coerced, within [min, max], `fallback` when unset. */
const int = (min: number, max: number, fallback: number) =>
  z._default(z.pipe(z.coerce.number(), z.int().check(z.minimum(min), z.maximum(max))), fallback);

const url = (fallback: string) => z._default(z.url(), fallback);
const nonEmpty = (fallback: string) => z._default(z.string().check(z.minLength(1)), fallback);

const csv = z.pipe(
  z._default(z.string(), '*'),
  z.transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ),
);

/**
 * The name of an SSM SecureString parameter holding a secret (deployed stages: the environment carries these names,
 * never the values; lib/secrets.ts reads them at run time). Blank means unset.
 */
const parameterName = z.pipe(
  optionalString,
  z.optional(
    z.string().check(z.regex(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, 'must be an SSM parameter name such as /ansari-threads/prod/mongodb-uri')),
  ),
);

/** Secrets: each comes either as a plain variable (local and test stages) or as `<NAME>_PARAM`, a parameter name. */
export const SECRET_NAMES = [
  'MONGODB_URI',
  'SECRET_KEY',
  'LEGACY_DATABASE_URL',
  'ANTHROPIC_API_KEY',
  'KALIMAT_API_KEY',
  'VECTARA_API_KEY',
  'USUL_API_TOKEN',
] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

const MONGODB_URI_RULE = /^mongodb(\+srv)?:\/\//;

/** What is wrong with a secret's value, if anything (checked on plain values here and on values read from SSM). */
export function secretValueProblem(name: SecretName, value: string, isLocal: boolean): string | undefined {
  if (name === 'MONGODB_URI' && !MONGODB_URI_RULE.test(value)) return 'must be a mongodb:// or mongodb+srv:// URI';
  if (name === 'SECRET_KEY' && !isLocal) {
    if (value === DEV_SECRET_KEY) return 'the development default is refused outside local stages';
    if (value.length < 32) return 'must be at least 32 characters outside local stages';
  }
  return undefined;
}

const boolFlag = z.pipe(
  z._default(z.enum(['true', 'false', '1', '0', '']), 'false'),
  z.transform((v) => v === 'true' || v === '1'),
);

const RawEnvSchema = z.object({
  STAGE: nonEmpty('local'),
  MONGODB_URI: optionalString,
  MONGODB_DB: z._default(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,63}$/)), 'ansari'),
  MONGODB_MAX_POOL_SIZE: int(1, 100, 5),
  MONGODB_TIMEOUT_MS: int(100, 60_000, 5_000),
  // A thread document's messages stay under this size; older ones move to overflow chunks (16 MB is MongoDB's limit).
  MAX_THREAD_DOC_BYTES: int(16 * 1024, 15 * 1024 * 1024, 12 * 1024 * 1024),
  // Total time a request may spend on an unavailable database, from its arrival, before answering 503 (< timeout).
  DB_RETRY_BUDGET_MS: int(0, 60_000, 12_000),
  SECRET_KEY: optionalString,
  ALGORITHM: z._default(z.literal('HS256'), 'HS256'),
  REQUIRE_TOKEN_IN_DB: boolFlag,
  CORS_ORIGINS: csv,
  LEGACY_DATABASE_URL: optionalString,
  // Per-user limits (0 turns a window off): assistant turns, and every write together. Counters live in MongoDB.
  RATE_LIMIT_TURNS_PER_MINUTE: int(0, 10_000, 20),
  RATE_LIMIT_TURNS_PER_DAY: int(0, 1_000_000, 300),
  RATE_LIMIT_WRITES_PER_MINUTE: int(0, 10_000, 60),
  RATE_LIMIT_WRITES_PER_DAY: int(0, 1_000_000, 2_000),
  // When the counters cannot be read: "open" lets the request through (logged, RateLimitUnavailable), "closed" is a 503.
  RATE_LIMIT_ON_OUTAGE: z._default(z.enum(['open', 'closed']), 'open'),
  // One reply at a time per thread: a lease renewed while the reply runs, expiring by itself after a crash.
  REPLY_LEASE_MS: int(5_000, 900_000, 60_000),
  SHARE_DEFAULT_EXPIRES_DAYS: optionalNumber(z.int().check(z.minimum(1), z.maximum(365))),
  LOG_LEVEL: z._default(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']), 'INFO'),
  // The assistant (Claude). No key in a local stage selects the labelled offline stub model; elsewhere the
  // add-message function refuses to start without one (lib/agent/client.ts). The Messages API version the
  // SDK speaks (2026-10-21) refuses sampling parameters, so temperature is sent only when configured.
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: z.pipe(optionalString, z.optional(z.url())),
  ANTHROPIC_MODEL: nonEmpty('claude-sonnet-5-5'),
  ANTHROPIC_MAX_TOKENS: int(1, 64_000, 4096),
  // Unset by default, and then not sent (see above); set it only for an API version that accepts it.
  ANTHROPIC_TEMPERATURE: optionalNumber(z.number().check(z.minimum(0), z.maximum(1))),
  ANTHROPIC_TIMEOUT_MS: int(1_000, 900_000, 120_000),
  ANTHROPIC_MAX_RETRIES: int(0, 5, 2),
  // Search tools: each is offered to the model only when its key is set.
  KALIMAT_API_KEY: optionalString,
  KALIMAT_BASE_URL: url('https://api.kalimat.dev'),
  VECTARA_API_KEY: optionalString,
  VECTARA_BASE_URL: url('https://api.vectara.io'),
  MAWSUAH_VECTARA_CORPUS_KEY: nonEmpty('mawsuah_unstructured'),
  USUL_API_TOKEN: optionalString,
  USUL_BASE_URL: url('https://api.usul.ai/v1/vector-search'),
  TAFSIR_ENCYC_BOOK_ID: nonEmpty('pet7s2sjr900zvxjsafa3s3b'),
  TAFSIR_ENCYC_VERSION_ID: nonEmpty('MT3i8pDNoM'),
  TOOL_TIMEOUT_MS: int(100, 60_000, 10_000),
  // Deployed stages: where each secret lives in SSM Parameter Store, and how long a value read from it is reused
  // before it is read again (a rotated secret is picked up within this time, without a deploy).
  MONGODB_URI_PARAM: parameterName,
  SECRET_KEY_PARAM: parameterName,
  LEGACY_DATABASE_URL_PARAM: parameterName,
  ANTHROPIC_API_KEY_PARAM: parameterName,
  KALIMAT_API_KEY_PARAM: parameterName,
  VECTARA_API_KEY_PARAM: parameterName,
  USUL_API_TOKEN_PARAM: parameterName,
  SECRETS_MAX_AGE_SECONDS: int(1, 3600, 300),
});

const EnvSchema = z.pipe(
  RawEnvSchema,
  z.transform((env: z.output<typeof RawEnvSchema>, ctx) => {
    const local = LOCAL_STAGES.has(env.STAGE);
    const issue = (path: string, message: string) => ctx.issues.push({ code: 'custom', path: [path], message, input: env });
    for (const name of SECRET_NAMES) {
      const value = env[name];
      if (value !== undefined && env[`${name}_PARAM`] !== undefined) issue(name, `set either ${name} or ${name}_PARAM, not both`);
      const problem = value === undefined ? undefined : secretValueProblem(name, value, local);
      if (problem) issue(name, problem);
    }
    if (!env.MONGODB_URI && !env.MONGODB_URI_PARAM) issue('MONGODB_URI', 'is required (or MONGODB_URI_PARAM, its SSM parameter)');
    if (env.REQUIRE_TOKEN_IN_DB && !env.LEGACY_DATABASE_URL && !env.LEGACY_DATABASE_URL_PARAM) {
      issue('REQUIRE_TOKEN_IN_DB', 'needs LEGACY_DATABASE_URL (the access_tokens table)');
    }
    // Local stages fall back to the development key, unless the key is to be read from SSM. Elsewhere the routes that
    // verify tokens require it when they are built (lib/http/auth.ts): the public share page runs without it.
    const SECRET_KEY = env.SECRET_KEY ?? (env.SECRET_KEY_PARAM || !local ? undefined : DEV_SECRET_KEY);
    return { ...env, SECRET_KEY, isLocal: local };
  }),
);

export type Config = z.output<typeof EnvSchema>;

/** Parses an environment; throws one readable error naming every bad variable. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = EnvSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** The model key is required outside local stages, by the functions that call the model (lib/agent/client.ts). */
export function assertModelKey(cfg: Config): void {
  if (!cfg.ANTHROPIC_API_KEY && !cfg.ANTHROPIC_API_KEY_PARAM && !cfg.isLocal) {
    throw new Error(`Invalid configuration:\n  ANTHROPIC_API_KEY: is required in stage "${cfg.STAGE}" (or ANTHROPIC_API_KEY_PARAM)`);
  }
}

// Parsed once per container: a bad deployment fails at cold start, not on some later request.
export const config: Config = parseConfig(process.env);
