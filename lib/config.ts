/** The configuration: the environment parsed once with zod, failing at cold start with every bad variable named. */
import * as z from 'zod';

import { DEV_SECRET_KEY } from './dev-secret.js';
const LOCAL_STAGES = new Set(['local', 'test']);

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** A number that may be absent or blank (unset), checked by `schema` when present. */
const optionalNumber = (schema: z.ZodNumber) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : Number(v)))
    .pipe(schema.optional());

const csv = z
  .string()
  .default('*')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const boolFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1');

const EnvSchema = z
  .object({
    STAGE: z.string().min(1).default('local'),
    MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URI'),
    MONGODB_DB: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,63}$/)
      .default('ansari'),
    MONGODB_MAX_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5),
    MONGODB_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    // A thread document's messages stay under this size; older ones move to overflow chunks (16 MB is MongoDB's limit).
    MAX_THREAD_DOC_BYTES: z.coerce
      .number()
      .int()
      .min(16 * 1024)
      .max(15 * 1024 * 1024)
      .default(12 * 1024 * 1024),
    // Total time a request may spend retrying an unavailable database before answering 503 (< function timeout).
    DB_RETRY_BUDGET_MS: z.coerce.number().int().min(0).max(60_000).default(12_000),
    SECRET_KEY: optionalString,
    ALGORITHM: z.literal('HS256').default('HS256'),
    REQUIRE_TOKEN_IN_DB: boolFlag,
    CORS_ORIGINS: csv,
    LEGACY_DATABASE_URL: optionalString,
    // Per-user limits (0 turns a window off): assistant turns, and every write together. Counters live in MongoDB.
    RATE_LIMIT_TURNS_PER_MINUTE: z.coerce.number().int().min(0).max(10_000).default(20),
    RATE_LIMIT_TURNS_PER_DAY: z.coerce.number().int().min(0).max(1_000_000).default(300),
    RATE_LIMIT_WRITES_PER_MINUTE: z.coerce.number().int().min(0).max(10_000).default(60),
    RATE_LIMIT_WRITES_PER_DAY: z.coerce.number().int().min(0).max(1_000_000).default(2_000),
    // When the counters cannot be read: "open" lets the request through (logged, RateLimitUnavailable), "closed" is a 503.
    RATE_LIMIT_ON_OUTAGE: z.enum(['open', 'closed']).default('open'),
    // One reply at a time per thread: a lease renewed while the reply runs, expiring by itself after a crash.
    REPLY_LEASE_MS: z.coerce.number().int().min(5_000).max(900_000).default(60_000),
    SHARE_DEFAULT_EXPIRES_DAYS: optionalNumber(z.number().int().min(1).max(365)),
    LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
    // The assistant (Claude). No key in a local stage selects the labelled offline stub model; elsewhere the
    // add-message function refuses to start without one (lib/agent/client.ts). The Messages API version the
    // SDK speaks (2026-10-21) refuses sampling parameters, so temperature is sent only when configured.
    ANTHROPIC_API_KEY: optionalString,
    ANTHROPIC_BASE_URL: optionalString.pipe(z.url().optional()),
    ANTHROPIC_MODEL: z.string().min(1).default('claude-sonnet-5-5'),
    ANTHROPIC_MAX_TOKENS: z.coerce.number().int().min(1).max(64_000).default(4096),
    // Unset by default, and then not sent (see above); set it only for an API version that accepts it.
    ANTHROPIC_TEMPERATURE: optionalNumber(z.number().min(0).max(1)),
    ANTHROPIC_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(900_000).default(120_000),
    ANTHROPIC_MAX_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
    // Search tools: each is offered to the model only when its key is set.
    KALIMAT_API_KEY: optionalString,
    KALIMAT_BASE_URL: z.url().default('https://api.kalimat.dev'),
    VECTARA_API_KEY: optionalString,
    VECTARA_BASE_URL: z.url().default('https://api.vectara.io'),
    MAWSUAH_VECTARA_CORPUS_KEY: z.string().min(1).default('mawsuah_unstructured'),
    USUL_API_TOKEN: optionalString,
    USUL_BASE_URL: z.url().default('https://api.usul.ai/v1/vector-search'),
    TAFSIR_ENCYC_BOOK_ID: z.string().min(1).default('pet7s2sjr900zvxjsafa3s3b'),
    TAFSIR_ENCYC_VERSION_ID: z.string().min(1).default('MT3i8pDNoM'),
    TOOL_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  })
  .transform((env, ctx) => {
    const local = LOCAL_STAGES.has(env.STAGE);
    if (!env.SECRET_KEY && !local) {
      ctx.addIssue({ code: 'custom', path: ['SECRET_KEY'], message: `is required in stage "${env.STAGE}"` });
    }
    if (env.SECRET_KEY === DEV_SECRET_KEY && !local) {
      ctx.addIssue({ code: 'custom', path: ['SECRET_KEY'], message: 'the development default is refused outside local stages' });
    }
    if (env.SECRET_KEY && env.SECRET_KEY.length < 32 && !local) {
      ctx.addIssue({ code: 'custom', path: ['SECRET_KEY'], message: 'must be at least 32 characters outside local stages' });
    }
    if (env.REQUIRE_TOKEN_IN_DB && !env.LEGACY_DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['REQUIRE_TOKEN_IN_DB'], message: 'needs LEGACY_DATABASE_URL (the access_tokens table)' });
    }
    return { ...env, SECRET_KEY: env.SECRET_KEY ?? DEV_SECRET_KEY, isLocal: local };
  });

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
