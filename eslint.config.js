// Lint rules: typescript-eslint's recommended set, import hygiene, and the layering of lib/ (docs/architecture.md).
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const infra = [
  'lib/config.ts',
  'lib/errors.ts',
  'lib/ids.ts',
  'lib/json.ts',
  'lib/observability.ts',
  'lib/secrets.ts',
  'lib/dev-secret.ts',
  'lib/db',
  'lib/http',
];
const domain = ['lib/blocks', 'lib/threads', 'lib/share', 'lib/agent', 'lib/legacy'];
const above = (what, ...folders) => ({ target: what, from: folders, message: 'imports a layer above it (see docs/architecture.md)' });

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.serverless/',
      '.esbuild/',
      '.data/',
      '.ci/',
      '.cache/',
      'coverage/',
      'reports/',
      '.stryker-tmp/',
      'client/dist/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })] },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Test helpers read arbitrary JSON responses.
      '@typescript-eslint/no-explicit-any': 'off',
      'import-x/no-cycle': 'error',
      'import-x/no-self-import': 'error',
      'import-x/no-duplicates': 'error',
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*', './../*'], message: 'Use a subpath import (#lib/..., #support/...) instead of climbing.' }] },
      ],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            // Infrastructure never reaches into the domain or the route services.
            ...infra.map((f) => above(f, ...domain, 'lib/services')),
            // Domain folders form a chain: blocks <- threads <- {share, agent, legacy}; share <- legacy.
            above('lib/blocks', 'lib/threads', 'lib/share', 'lib/agent', 'lib/legacy', 'lib/services'),
            above('lib/threads', 'lib/share', 'lib/agent', 'lib/legacy', 'lib/services'),
            above('lib/share', 'lib/agent', 'lib/legacy', 'lib/services'),
            above('lib/agent', 'lib/share', 'lib/legacy', 'lib/services'),
            above('lib/legacy', 'lib/agent', 'lib/services'),
            // The request library never imports handlers, operator scripts or tests; scripts never import tests.
            above('lib', 'functions', 'scripts', 'test'),
            above('functions', 'scripts', 'test'),
            above('scripts', 'test'),
          ],
        },
      ],
    },
  },
  {
    // The client has no runtime dependencies: its own files and the server's display renderer only.
    files: ['client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(?!\\./|#lib/blocks/(text|types)\\.js$)', message: 'client/ imports only ./ files and #lib/blocks/text.js.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
