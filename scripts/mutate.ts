/**
 * `npm run mutate`: mutation testing of the request path with StrykerJS (stryker.config.mjs), one Stryker run per
 * module of scripts/mutate-modules.json, smallest first; `MUTATE_MODULE=http npm run mutate` runs one module.
 * Each run writes reports/mutation/<module>.{json,html}; the table printed at the end is read from those reports
 * (killed, survived, timeout, no coverage, score). Exits 1 when a run fails or a module scores under 80%.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODULES = JSON.parse(readFileSync(path.join(ROOT, 'scripts/mutate-modules.json'), 'utf8')) as Record<string, unknown>;
const THRESHOLD = 80;

interface Report {
  files: Record<string, { mutants: { status: string }[] }>;
}

/** Counts of a module's last report, from Stryker's JSON (mutation-testing-report-schema). */
function tally(name: string) {
  const file = path.join(ROOT, 'reports/mutation', `${name}.json`);
  if (!existsSync(file)) return undefined;
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  const c: Record<string, number> = {};
  for (const f of Object.values(report.files)) for (const m of f.mutants) c[m.status] = (c[m.status] ?? 0) + 1;
  const killed = c.Killed ?? 0;
  const timeout = c.Timeout ?? 0;
  const survived = c.Survived ?? 0;
  const noCoverage = c.NoCoverage ?? 0;
  const detected = killed + timeout;
  const valid = detected + survived + noCoverage;
  return { killed, survived, timeout, noCoverage, ignored: c.Ignored ?? 0, score: valid ? (100 * detected) / valid : 100 };
}

const names = process.env.MUTATE_MODULE ? [process.env.MUTATE_MODULE] : Object.keys(MODULES);
let failed = false;
for (const name of names) {
  if (!(name in MODULES)) {
    console.error(`MUTATE_MODULE=${name}: not one of ${Object.keys(MODULES).join(', ')}`);
    process.exit(2);
  }
  console.log(`::: mutate ${name}`);
  const run = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, MUTATE_MODULE: name },
  });
  if (run.status !== 0) {
    console.error(`::: mutate ${name}: stryker exited with ${run.status}`);
    failed = true;
  }
}

console.log('\nmodule            killed  survived  timeout  no-cov  ignored   score');
for (const name of names) {
  const t = tally(name);
  if (!t) {
    console.log(`${name.padEnd(16)}  (no report)`);
    failed = true;
    continue;
  }
  if (t.score < THRESHOLD) failed = true;
  const cols = [t.killed, t.survived, t.timeout, t.noCoverage, t.ignored].map((n, i) => String(n).padStart([6, 10, 9, 8, 9][i]!));
  console.log(`${name.padEnd(16)}${cols.join('')}  ${t.score.toFixed(2).padStart(6)}%`);
}
process.exit(failed ? 1 : 0);
