// ESLint: typescript-eslint's recommended type-aware rules over the sources, tests, bench and scripts.
// Formatting is Prettier's (npm run format); this checks what a formatter cannot.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/.build/', 'coverage/', '__tests__/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests read untyped JSON (GitHub's payloads, reports on disk, OpenAPI documents) and poke at it.
    files: ['__tests__/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The deflate models transcribe Go's loops, whose variables are declared with a value before the loop that
    // sets them: kept, so that each variable has one type from its declaration on (V8 keeps the loops optimized).
    files: ['src/measure/image/deflate/**'],
    rules: { 'no-useless-assignment': 'off' },
  },
);
