// Bundles the action (dist/index.js) and the command-line tool (dist/cli.js) with esbuild, and copies what
// dockerode reads from disk at run time (its BuildKit session .proto files) next to them.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });

// CommonJS dependencies bundled into ESM still call require() and read __dirname: give them both.
const banner = [
  "import { createRequire as __isrCreateRequire } from 'node:module';",
  "import { fileURLToPath as __isrFileURLToPath } from 'node:url';",
  "import { dirname as __isrDirname } from 'node:path';",
  'const require = __isrCreateRequire(import.meta.url);',
  'const __filename = __isrFileURLToPath(import.meta.url);',
  'const __dirname = __isrDirname(__filename);',
].join('\n');

await build({
  entryPoints: { index: 'src/index.ts', cli: 'src/cli.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: banner },
  // ssh2's optional native add-ons: left out so dist/ is the same on every machine (ssh2 falls back to JS).
  external: ['cpu-features', '*.node'],
  legalComments: 'none',
  logLevel: 'warning',
});

// dockerode loads lib/proto/*.proto relative to its own file; in the bundle that is dist/ (and dist/chunks/).
for (const dir of ['dist/proto', 'dist/chunks/proto']) {
  cpSync('node_modules/dockerode/lib/proto', dir, { recursive: true });
}
