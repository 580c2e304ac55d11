'use strict';
/**
 * esbuild plugin of the packaged functions (custom.esbuild.plugins): libraries a function loads only on some requests
 * go into files of their own beside its bundle, `functions/vendor/<name>.cjs`, required when first used. A cold start
 * parses every byte of its bundle, used or not: `pg` (the legacy store, only with LEGACY_DATABASE_URL) and the
 * Anthropic SDK (only when a reply starts) would cost every cold start their parse time.
 *
 * Each vendor file is built once per packaging with the functions' esbuild settings, and written only into the zips
 * of the functions whose bundle requires it (serverless-esbuild's per-function `__only_<function>/` folder).
 * The SDK is reached through lib/agent/sdk.ts only: a value import of it from anywhere else fails the build.
 */
const path = require('node:path');
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');

const ROOT = path.resolve(__dirname, '../..');
const SDK_MODULE = path.join(ROOT, 'lib/agent/sdk.ts');

/** name -> what the vendor file holds (an esbuild entry). */
const VENDORS = {
  pg: { stdin: { contents: "module.exports = require('pg');", resolveDir: ROOT, loader: 'js' } },
  anthropic: { entryPoints: [SDK_MODULE] },
};

const builds = new Map();

/** Builds a vendor file once (in memory) with the function build's own settings. */
function buildVendor(esbuild, name, initial) {
  if (!builds.has(name)) {
    const { entryPoints: _e, outdir: _o, outExtension: _x, plugins: _p, metafile: _m, ...settings } = initial;
    builds.set(
      name,
      esbuild.build({
        ...settings,
        ...VENDORS[name],
        outfile: `${name}.cjs`,
        sourcemap: settings.sourcemap ? 'external' : false,
        write: false,
      }),
    );
  }
  return builds.get(name);
}

/** The serverless function whose handler is this build's entry (`functions/add-message.ts` -> `addMessage`). */
function functionOf(serverless, entry) {
  const base = entry.replace(/\.[cm]?[jt]s$/, '');
  const service = serverless.service;
  return service.getAllFunctions().find((name) => service.getFunction(name).handler.replace(/\.[^.]+$/, '') === base);
}

module.exports = (serverless) => [
  {
    name: 'vendor-files',
    setup(build) {
      const entry = path.relative(ROOT, path.resolve(build.initialOptions.entryPoints[0]));
      const fn = functionOf(serverless, entry);
      // outdir is <build dir>/<the entry's folder>; the function's own files go under <build dir>/__only_<fn>/.
      const buildDir = path.resolve(build.initialOptions.outdir, path.relative(path.dirname(entry), '.'));
      const dir = path.join(buildDir, `__only_${fn}`, path.dirname(entry), 'vendor');
      const used = new Set();
      // The build folder is kept between packagings: a vendor file the bundle no longer requires must not stay.
      build.onStart(() => {
        used.clear();
        rmSync(dir, { recursive: true, force: true });
      });
      build.onResolve({ filter: /^pg$/ }, () => {
        used.add('pg');
        return { path: './vendor/pg.cjs', external: true };
      });
      build.onResolve({ filter: /(^|\/)sdk\.js$/ }, (args) => {
        const target = args.path.startsWith('#lib/')
          ? path.join(ROOT, 'lib', args.path.slice(5))
          : path.resolve(args.resolveDir, args.path);
        if (target.replace(/\.js$/, '.ts') !== SDK_MODULE) return undefined;
        used.add('anthropic');
        return { path: './vendor/anthropic.cjs', external: true };
      });
      build.onResolve({ filter: /^@anthropic-ai\/sdk/ }, (args) => {
        if (args.importer === SDK_MODULE) return undefined;
        return { errors: [{ text: `import the Anthropic SDK through lib/agent/sdk.ts (${args.importer})` }] };
      });
      build.onEnd(async (result) => {
        if (result.errors.length || used.size === 0) return;
        if (!fn) throw new Error(`vendor-files: no function has the handler ${entry}`);
        mkdirSync(dir, { recursive: true });
        for (const name of used) {
          const out = await buildVendor(build.esbuild, name, build.initialOptions);
          for (const file of out.outputFiles) writeFileSync(path.join(dir, path.basename(file.path)), file.contents);
        }
      });
    },
  },
];
