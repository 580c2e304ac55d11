/** Runs `fn` and returns what it logged at INFO (the logger's calls) and the EMF records it published (stdout JSON). */
import { vi } from 'vitest';
import { logger } from '#lib/observability.js';

export async function observed<T>(fn: () => Promise<T>): Promise<{ result: T; logs: [string, Record<string, unknown>][]; emf: any[] }> {
  const info = vi.spyOn(logger, 'info');
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  // Records made from here on are published (the test setup disables EMF output).
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  try {
    const result = await fn();
    const emf = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l));
    return { result, logs: info.mock.calls as [string, Record<string, unknown>][], emf };
  } finally {
    process.stdout.write = write;
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    info.mockRestore();
  }
}
