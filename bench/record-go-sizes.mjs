// Bundles bench/record-go-sizes.ts (see it) into bench/.build/ and runs it: node bench/record-go-sizes.mjs GOGZIP.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { nodeBundle } from '../scripts/esbuild-options.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(BENCH, '.build', 'record-go-sizes.mjs');
mkdirSync(path.dirname(out), { recursive: true });
await build({ ...nodeBundle, entryPoints: [path.join(BENCH, 'record-go-sizes.ts')], outfile: out });
const result = spawnSync(process.execPath, [out, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
