// The service's secrets: plain configured values in local and test stages; in deployed stages SSM Parameter Store
// SecureStrings read at cold start and read again after a max age, so a rotated secret is picked up without a deploy.
import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { config, secretValueProblem, SECRET_NAMES, type Config, type SecretName } from '#lib/config.js';
import { logger } from '#lib/observability.js';

export type { SecretName };

/** Secrets a function runs without: an absent search key only turns its tool off. */
const OPTIONAL: ReadonlySet<SecretName> = new Set(['KALIMAT_API_KEY', 'VECTARA_API_KEY', 'USUL_API_TOKEN']);

/** After a failed re-read (SSM unavailable, a parameter deleted), the values in hand are kept this long before the next try. */
const STALE_RETRY_MS = 30_000;

/** A secret that could not be read or is not valid; the message names the parameters, never a value. */
export class SecretsError extends Error {
  override name = 'SecretsError';
}

export interface SecretSources {
  /** Plain values (local and test stages). */
  values: Partial<Record<SecretName, string>>;
  /** SSM parameter names (deployed stages): only these are ever read, so a function reads only what it is given. */
  parameters: Partial<Record<SecretName, string>>;
  maxAgeSeconds: number;
  isLocal: boolean;
}

export function sourcesFromConfig(cfg: Config): SecretSources {
  const values: SecretSources['values'] = {};
  const parameters: SecretSources['parameters'] = {};
  for (const name of SECRET_NAMES) {
    const value = cfg[name];
    const parameter = cfg[`${name}_PARAM`];
    if (value !== undefined) values[name] = value;
    else if (parameter !== undefined) parameters[name] = parameter;
  }
  return { values, parameters, maxAgeSeconds: cfg.SECRETS_MAX_AGE_SECONDS, isLocal: cfg.isLocal };
}

export class Secrets {
  private readonly loaded = new Map<SecretName, string | undefined>();
  /** Optional parameters found missing, and until when that answer is reused (so they are not asked for per request). */
  private readonly missingUntil = new Map<SecretName, number>();
  private pending: Promise<void> | undefined;
  private provider: SSMProvider | undefined;
  /** Whether every required secret has been read once (from then on a failed re-read keeps the values in hand). */
  private complete = false;
  private quietUntil = 0;

  constructor(
    private readonly sources: SecretSources,
    // Loaded on the first read: the SSM client (the runtime's AWS SDK) costs a cold start that reads no parameter
    // (local and test stages) a few hundred milliseconds of module loading.
    private readonly makeProvider: () => SSMProvider | Promise<SSMProvider> = async () =>
      new (await import('@aws-lambda-powertools/parameters/ssm')).SSMProvider(),
  ) {}

  /** Whether the secret is configured at all (a value or a parameter name): known without reading anything. */
  has(name: SecretName): boolean {
    return this.sources.values[name] !== undefined || this.sources.parameters[name] !== undefined;
  }

  /** The secret's current value (undefined when not configured, or an optional parameter that does not exist). */
  get(name: SecretName): string | undefined {
    if (this.sources.parameters[name] === undefined) return this.sources.values[name];
    if (!this.loaded.has(name)) throw new SecretsError(`${name} was read before the secrets were loaded (await refresh() first)`);
    return this.loaded.get(name);
  }

  /**
   * Reads every configured parameter the first time, and afterwards those whose value is older than the max age
   * (Powertools keeps the values and decides what is stale; a call with nothing stale makes no request). Until the
   * first complete read, throws a SecretsError naming each required parameter that is missing, unreadable or invalid:
   * a cold start without its secrets fails. Later, a failed re-read is logged and the values in hand are kept, so an
   * SSM outage does not take a running service down. Concurrent calls share one read.
   */
  refresh(): Promise<void> {
    if (Object.keys(this.sources.parameters).length === 0 || Date.now() < this.quietUntil) return Promise.resolve();
    this.pending ??= this.read()
      .then(() => {
        this.complete = true;
      })
      .catch((err: unknown) => {
        if (!this.complete) throw err;
        this.quietUntil = Date.now() + Math.min(STALE_RETRY_MS, this.sources.maxAgeSeconds * 1000);
        logger.warn('secrets could not be read again; keeping the values in hand', { error: (err as Error).message });
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  private async read(): Promise<void> {
    const now = Date.now();
    const wanted = (Object.entries(this.sources.parameters) as [SecretName, string][]).filter(
      ([name]) => !((this.missingUntil.get(name) ?? 0) > now),
    );
    if (wanted.length === 0) return;
    this.provider ??= await this.makeProvider();
    let result: Record<string, unknown> & { _errors?: string[] };
    try {
      result = await this.provider.getParametersByName(Object.fromEntries(wanted.map(([, parameter]) => [parameter, {}])), {
        decrypt: true,
        maxAge: this.sources.maxAgeSeconds,
        throwOnError: false,
      });
    } catch (err) {
      const cause = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new SecretsError(`Could not read SSM parameters ${wanted.map(([, p]) => p).join(', ')} (${cause})`, { cause: err });
    }
    const failed = new Set(result._errors ?? []);
    const problems: string[] = [];
    for (const [name, parameter] of wanted) {
      const value = result[parameter];
      if (failed.has(parameter) || typeof value !== 'string') {
        if (OPTIONAL.has(name)) {
          this.loaded.set(name, undefined);
          this.missingUntil.set(name, now + this.sources.maxAgeSeconds * 1000);
        } else problems.push(`${parameter} (${name}): parameter not found`);
        continue;
      }
      const problem = secretValueProblem(name, value, this.sources.isLocal);
      if (problem) problems.push(`${parameter} (${name}): ${problem}`);
      else {
        this.loaded.set(name, value);
        this.missingUntil.delete(name);
      }
    }
    if (problems.length) throw new SecretsError(`Secrets missing or invalid in SSM Parameter Store:\n  ${problems.join('\n  ')}`);
  }
}

/** This container's secrets, as configured by its environment. */
export const secrets = new Secrets(sourcesFromConfig(config));

/** The current value of a secret (see Secrets.get); deployed functions load them first (lib/http/middleware.ts). */
export const secret = (name: SecretName): string | undefined => secrets.get(name);

// Cold start: start reading during the init phase; the first request awaits the same read (and fails on its error).
secrets.refresh().catch(() => undefined);
