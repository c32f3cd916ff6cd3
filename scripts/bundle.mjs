// Bundles the action (dist/index.js) and the command-line tool (dist/cli.js) with esbuild, and copies what
// dockerode reads from disk at run time (its BuildKit session .proto files) next to them.
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { nodeBundle } from './esbuild-options.mjs';

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });

const result = await build({
  ...nodeBundle,
  entryPoints: { index: 'src/index.ts', cli: 'src/cli.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'none',
  metafile: true,
});

// dockerode loads lib/proto/*.proto from `${__dirname}/proto`: copy them next to the output file that holds
// that code (esbuild decides which file, the shared chunk today).
const loaders = Object.keys(result.metafile.outputs).filter(
  (file) => file.endsWith('.js') && readFileSync(file, 'utf8').includes('auth.proto'),
);
if (loaders.length === 0) throw new Error("no bundled file loads dockerode's .proto files: check scripts/bundle.mjs");
for (const file of loaders) cpSync('node_modules/dockerode/lib/proto', path.join(path.dirname(file), 'proto'), { recursive: true });
