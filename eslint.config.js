// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const io = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'path', 'node:path', 'os', 'node:os',
  'child_process', 'node:child_process', 'process', 'node:process', 'net', 'node:net', 'http', 'node:http',
  'worker_threads', 'node:worker_threads', 'ink', 'react', 'commander'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/.data/**', 'examples/**/node_modules/**', 'examples/ts-batch/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Nothing imports a command module: commands are leaves loaded lazily by src/cli.ts.
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/commands/*', '**/commands/**'], message: 'src/commands is only loaded by src/cli.ts.' }] }],
    },
  },
  {
    // Commands are leaves: not even another command imports one.
    files: ['src/commands/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['./*', '**/commands/**'], message: 'a command imports no other command; shared code belongs in src/ui or src/store.' }] }] },
  },
  {
    // Hook files run in the sandbox, where `bfly` (log, metric) is a global.
    files: ['examples/hooks/**/*.js', 'templates/hooks/**/*.js'],
    languageOptions: { globals: { bfly: 'readonly' } },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { args: 'none' }] },
  },
  {
    // The web UI runs in the browser: from src/ it takes the contracts' types only (no runtime
    // code of the CLI or the service reaches its bundle).
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['**/src/**'], message: 'the web UI imports only types from src/ (import type).', allowTypeImports: true }] }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/cli.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // src/core is pure: no I/O, no process, no UI.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: io.map((name) => ({ name, message: 'src/core must stay free of I/O and UI.' })),
        patterns: [{ group: ['**/store/**', '**/runner/**', '**/commands/**', '**/ui/**', '**/ml/**'], message: 'src/core depends on nothing else in src/.' }],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'src/core must not touch the process.' }, { name: 'console', message: 'src/core does not print.' }],
    },
  },
  {
    // src/ml is pure numeric code: no I/O, depends only on src/core.
    files: ['src/ml/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: io.map((name) => ({ name, message: 'src/ml must stay free of I/O and UI.' })),
        patterns: [{ group: ['**/store/**', '**/runner/**', '**/commands/**', '**/ui/**'], message: 'src/ml depends only on src/core.' }],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'src/ml must not touch the process.' }, { name: 'console', message: 'src/ml does not print.' }],
    },
  },
  {
    // src/runner reports only through events: no UI, no CLI, no console.
    files: ['src/runner/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['ink', 'react', 'commander'].map((name) => ({ name, message: 'src/runner reports through events, never a UI.' })),
        patterns: [{ group: ['**/commands/**', '**/ui/**'], message: 'src/runner does not depend on commands or UI.' }],
      }],
      'no-restricted-globals': ['error', { name: 'console', message: 'src/runner emits log events instead of printing.' }],
    },
  },
  {
    // src/store touches only .butterfly/; never the UI, the CLI or the cwd.
    files: ['src/store/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['ink', 'react', 'commander'].map((name) => ({ name, message: 'src/store has no UI.' })),
        patterns: [{ group: ['**/commands/**', '**/ui/**', '**/runner/**', '**/ml/**'], message: 'src/store depends only on src/core.' }],
      }],
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.object.name='process'][callee.property.name='cwd']", message: 'src/store takes the workspace root as a parameter.' }],
      'no-restricted-globals': ['error', { name: 'console', message: 'src/store does not print.' }],
    },
  },
);
