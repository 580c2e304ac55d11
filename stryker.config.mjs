// Mutation testing (npm run mutate, scripts/mutate.ts): StrykerJS with the vitest runner, one request-path module a run.
// The module comes from MUTATE_MODULE (a key of modules.json); each has its files to mutate and the test files that
// speak for it. Per-test coverage runs each mutant against only the tests that reach it; incremental mode reuses the
// results of unchanged code and tests from the module's last run (reports/mutation/<module>.incremental.json).
import process from 'node:process';
import modules from './scripts/mutate-modules.json' with { type: 'json' };

const name = process.env.MUTATE_MODULE ?? 'history';
const mod = modules[name];
if (!mod) throw new Error(`MUTATE_MODULE=${name}: not one of ${Object.keys(modules).join(', ')}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: mod.mutate,
  testFiles: mod.tests,
  coverageAnalysis: 'perTest',
  // Mutants that only run while a module loads would need the whole suite for each: left out (see docs/mutation-testing.md).
  ignoreStatic: true,
  // Two cores are shared by everyone on this machine.
  concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 2),
  incremental: true,
  incrementalFile: `reports/mutation/${name}.incremental.json`,
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 90, low: 80, break: null },
  timeoutMS: 20_000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['.ci', '.data', '.cache', '.serverless', '.esbuild', 'reports', 'coverage', '.stryker-tmp'],
};
