/** The packaging plugin that moves `pg` and the Anthropic SDK out of the bundles (scripts/serverless/vendor-files.cjs). */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const vendorFiles = require(path.join(ROOT, 'scripts/serverless/vendor-files.cjs')) as (serverless: unknown) => esbuild.Plugin[];

// Entries live under the project (the plugin names files relative to it), in its ignored .cache/.
mkdirSync(path.join(ROOT, '.cache'), { recursive: true });
const entries = mkdtempSync(path.join(ROOT, '.cache', 'vendor-test-'));
const out = mkdtempSync(path.join(entries, 'build-'));
const contexts: esbuild.BuildContext[] = [];
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.dispose()));
  rmSync(entries, { recursive: true, force: true });
});

/**
 * Builds `source` as the handler of function `fn` as serverless-esbuild does: the entry under the project, the outdir
 * mirroring it, through an esbuild context (serverless-esbuild rebuilds one context per entry). `again` rebuilds it
 * with a new source.
 */
async function build(fn: string, source: string) {
  const entry = path.join(entries, `${fn}.ts`);
  writeFileSync(entry, source);
  const rel = path.relative(ROOT, entry);
  const serverless = { service: { getAllFunctions: () => [fn], getFunction: () => ({ handler: rel.replace(/\.ts$/, '.handler') }) } };
  const buildDir = path.join(out, fn);
  const context = await esbuild.context({
    absWorkingDir: ROOT,
    entryPoints: [rel],
    outdir: path.join(buildDir, path.dirname(rel)),
    outExtension: { '.js': '.cjs' },
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'silent',
    plugins: vendorFiles(serverless),
  });
  contexts.push(context);
  const vendor = path.join(buildDir, `__only_${fn}`, path.dirname(rel), 'vendor');
  const run = async () => {
    await context.rebuild();
    return { bundle: readFileSync(path.join(buildDir, rel.replace(/\.ts$/, '.cjs')), 'utf8'), vendor };
  };
  const first = await run();
  return {
    ...first,
    again: async (next: string) => {
      writeFileSync(entry, next);
      return run();
    },
  };
}

describe('vendor files', () => {
  it('leaves pg and the SDK out of the bundle, requires them from vendor files written for that function only', async () => {
    const { bundle, vendor } = await build(
      'withBoth',
      `import pg from 'pg';
       import { BaseAnthropic, Messages } from '#lib/agent/sdk.js';
       export const handler = () => [pg.Pool, BaseAnthropic, Messages];`,
    );
    expect(bundle).toContain('require("./vendor/pg.cjs")');
    expect(bundle).toContain('require("./vendor/anthropic.cjs")');
    // The libraries' code is not in the bundle: a few hundred bytes of glue, not 200 KiB.
    expect(bundle.length).toBeLessThan(5_000);
    const sdk = require(path.join(vendor, 'anthropic.cjs')) as Record<string, unknown>;
    for (const name of ['BaseAnthropic', 'Messages', 'APIError', 'APIConnectionError', 'APIConnectionTimeoutError']) {
      expect(typeof sdk[name], name).toBe('function');
    }
    expect(typeof (require(path.join(vendor, 'pg.cjs')) as { Pool: unknown }).Pool).toBe('function');
  });

  it('writes no vendor file a bundle does not require', async () => {
    const { bundle, vendor } = await build('withPgOnly', `import pg from 'pg'; export const handler = () => pg.Client;`);
    expect(bundle).toContain('require("./vendor/pg.cjs")');
    expect(existsSync(path.join(vendor, 'pg.cjs'))).toBe(true);
    expect(existsSync(path.join(vendor, 'anthropic.cjs'))).toBe(false);
  });

  it('removes a vendor file the bundle no longer requires (rebuilt, or built again in the kept build folder)', async () => {
    const first = await build('changes', `import pg from 'pg'; export const handler = () => pg.Client;`);
    expect(existsSync(path.join(first.vendor, 'pg.cjs'))).toBe(true);
    await first.again(`export const handler = () => 1;`);
    expect(existsSync(path.join(first.vendor, 'pg.cjs'))).toBe(false);
    const fresh = await build('changes', `import pg from 'pg'; export const handler = () => pg.Client;`);
    expect(existsSync(path.join(fresh.vendor, 'pg.cjs'))).toBe(true);
    const other = await build('changes', `export const handler = () => 2;`);
    expect(existsSync(path.join(other.vendor, 'pg.cjs'))).toBe(false);
  });

  it('refuses a value import of the SDK from anywhere but lib/agent/sdk.ts', async () => {
    await expect(
      build('direct', `import { BaseAnthropic } from '@anthropic-ai/sdk/client'; export const handler = () => BaseAnthropic;`),
    ).rejects.toThrow(/import the Anthropic SDK through lib\/agent\/sdk\.ts/);
  });
});
