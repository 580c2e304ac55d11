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
afterAll(() => rmSync(entries, { recursive: true, force: true }));

/** Builds `source` as the handler of function `fn`, as serverless-esbuild does: entry under the project, outdir mirrors it. */
async function build(fn: string, source: string) {
  const entry = path.join(entries, `${fn}.ts`);
  writeFileSync(entry, source);
  const rel = path.relative(ROOT, entry);
  const serverless = { service: { getAllFunctions: () => [fn], getFunction: () => ({ handler: rel.replace(/\.ts$/, '.handler') }) } };
  const buildDir = path.join(out, fn);
  const result = await esbuild.build({
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
  const bundle = path.join(buildDir, rel.replace(/\.ts$/, '.cjs'));
  const vendor = path.join(buildDir, `__only_${fn}`, path.dirname(rel), 'vendor');
  return { result, bundle: readFileSync(bundle, 'utf8'), vendor };
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

  it('refuses a value import of the SDK from anywhere but lib/agent/sdk.ts', async () => {
    await expect(
      build('direct', `import { BaseAnthropic } from '@anthropic-ai/sdk/client'; export const handler = () => BaseAnthropic;`),
    ).rejects.toThrow(/import the Anthropic SDK through lib\/agent\/sdk\.ts/);
  });
});
