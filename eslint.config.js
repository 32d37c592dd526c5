// Lint rules, chiefly the import boundaries of DESIGN.md: lib/ is a leaf; operator/ and sidecar/
// never import each other; each SDK is imported only by its adapter folder.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const boundary = (group, message) => ({ group, message });

export default tseslint.config(
  { ignores: ['node_modules/**', '.cache/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly', performance: 'readonly', queueMicrotask: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', {
        selector: 'MemberExpression[object.name="process"][property.name="env"]',
        message: 'Read the environment only in main/entry files and pass it in (lib/config is pure).',
      }],
    },
  },
  {
    files: ['lib/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        boundary(['**/operator/**', '**/sidecar/**', '**/cli/**'], 'lib/ is a leaf: it imports neither operator/, sidecar/ nor cli/.'),
        boundary(['undici', '@kubernetes/client-node', 'amqplib'], 'I/O clients belong to sidecar/ or operator/ adapters, not lib/.'),
      ] }],
    },
  },
  {
    files: ['sidecar/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        boundary(['**/operator/**'], 'sidecar/ never imports operator/ (share through lib/).'),
        boundary(['@kubernetes/client-node'], 'Only operator/kube talks to the Kubernetes API.'),
      ] }],
    },
  },
  {
    files: ['operator/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        boundary(['**/sidecar/**'], 'operator/ never imports sidecar/ (share through lib/).'),
      ] }],
    },
  },
  {
    // Entry points, tests, benchmarks and tooling may read the environment.
    files: ['**/main.ts', 'cli/**', 'test/**', 'bench/**', '**/*.test.ts', '*.config.*'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
