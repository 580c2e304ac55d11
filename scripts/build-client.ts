/**
 * `npm run build:client`: the typed client as one dependency-free ES module for apps outside this repository:
 * client/dist/index.js (esbuild: client/index.ts with the display renderer it imports, for browsers, React Native
 * and Node 20+) and its declarations under client/dist/types/ (tsc).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(ROOT, 'client/dist');
rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: [path.join(ROOT, 'client/index.ts')],
  outfile: path.join(dist, 'index.js'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  sourcemap: true,
  logLevel: 'warning',
});
execFileSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', path.join(ROOT, 'client/tsconfig.build.json')], { stdio: 'inherit' });
console.log('wrote client/dist/index.js and client/dist/types/client/index.d.ts');
