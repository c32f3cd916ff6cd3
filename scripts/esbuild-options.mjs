// esbuild options shared by every bundle of this project's sources (scripts/bundle.mjs for dist/, bench/run.mjs
// for the bench's analysis), so what the bench measures is bundled the way dist/ is.

// CommonJS dependencies bundled into ESM still call require() and read __dirname: give them both.
const banner = [
  "import { createRequire as __isrCreateRequire } from 'node:module';",
  "import { fileURLToPath as __isrFileURLToPath } from 'node:url';",
  "import { dirname as __isrDirname } from 'node:path';",
  'const require = __isrCreateRequire(import.meta.url);',
  'const __filename = __isrFileURLToPath(import.meta.url);',
  'const __dirname = __isrDirname(__filename);',
].join('\n');

/** @type {import('esbuild').BuildOptions} */
export const nodeBundle = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  banner: { js: banner },
  // ssh2's optional native add-ons: left out so the bundle is the same on every machine (ssh2 falls back to JS).
  external: ['cpu-features', '*.node'],
  logLevel: 'warning',
};
