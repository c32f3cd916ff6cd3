// Bundles the action (dist/index.js) and the command-line tool (dist/cli.js) with esbuild, and copies what
// dockerode reads from disk at run time (its BuildKit session .proto files) next to them.
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
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

const result = await build({
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
  metafile: true,
});

// dockerode loads lib/proto/*.proto from `${__dirname}/proto`: copy them next to the output file that holds
// that code (esbuild decides which file, the shared chunk today).
const loaders = Object.keys(result.metafile.outputs).filter(
  (file) => file.endsWith('.js') && readFileSync(file, 'utf8').includes('auth.proto'),
);
if (loaders.length === 0) throw new Error('no bundled file loads dockerode\'s .proto files: check scripts/bundle.mjs');
for (const file of loaders) cpSync('node_modules/dockerode/lib/proto', path.join(path.dirname(file), 'proto'), { recursive: true });
