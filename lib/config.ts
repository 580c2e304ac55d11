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

const boolFlag = z.pipe(
  z._default(z.enum(['true', 'false', '1', '0', '']), 'false'),
  z.transform((v) => v === 'true' || v === '1'),
);

const RawEnvSchema = z.object({
  STAGE: nonEmpty('local'),
  MONGODB_URI: z.string().check(z.regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URI')),
  MONGODB_DB: z._default(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,63}$/)), 'ansari'),
  MONGODB_MAX_POOL_SIZE: int(1, 100, 5),
  MONGODB_TIMEOUT_MS: int(100, 60_000, 5_000),
  // A thread document's messages stay under this size; older ones move to overflow chunks (16 MB is MongoDB's limit).
  MAX_THREAD_DOC_BYTES: int(16 * 1024, 15 * 1024 * 1024, 12 * 1024 * 1024),
  // Total time a request may spend retrying an unavailable database before answering 503 (< function timeout).
  DB_RETRY_BUDGET_MS: int(0, 60_000, 12_000),
  SECRET_KEY: optionalString,
  ALGORITHM: z._default(z.literal('HS256'), 'HS256'),
  REQUIRE_TOKEN_IN_DB: boolFlag,
  CORS_ORIGINS: csv,
  LEGACY_DATABASE_URL: optionalString,
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
});

const EnvSchema = z.pipe(
  RawEnvSchema,
  z.transform((env: z.output<typeof RawEnvSchema>, ctx) => {
    const local = LOCAL_STAGES.has(env.STAGE);
    if (!env.SECRET_KEY && !local) {
      ctx.issues.push({ code: 'custom', path: ['SECRET_KEY'], message: `is required in stage "${env.STAGE}"`, input: env });
    }
    if (env.SECRET_KEY === DEV_SECRET_KEY && !local) {
      ctx.issues.push({
        code: 'custom',
        path: ['SECRET_KEY'],
        message: 'the development default is refused outside local stages',
        input: env,
      });
    }
    if (env.SECRET_KEY && env.SECRET_KEY.length < 32 && !local) {
      ctx.issues.push({ code: 'custom', path: ['SECRET_KEY'], message: 'must be at least 32 characters outside local stages', input: env });
    }
    if (env.REQUIRE_TOKEN_IN_DB && !env.LEGACY_DATABASE_URL) {
      ctx.issues.push({
        code: 'custom',
        path: ['REQUIRE_TOKEN_IN_DB'],
        message: 'needs LEGACY_DATABASE_URL (the access_tokens table)',
        input: env,
      });
    }
    return { ...env, SECRET_KEY: env.SECRET_KEY ?? DEV_SECRET_KEY, isLocal: local };
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
  if (!cfg.ANTHROPIC_API_KEY && !cfg.isLocal) {
    throw new Error(`Invalid configuration:\n  ANTHROPIC_API_KEY: is required in stage "${cfg.STAGE}"`);
  }
}

// Parsed once per container: a bad deployment fails at cold start, not on some later request.
export const config: Config = parseConfig(process.env);
