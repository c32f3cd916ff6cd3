// Bundles bench/sizer.ts from the sources in the tree (as bench/run.mjs bundles analyze.ts) into bench/.build/
// and runs it with the arguments given: node bench/sizer.mjs [--model go1.27] [--reps N] FILE... (see sizer.ts).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { nodeBundle } from '../scripts/esbuild-options.mjs';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(BENCH, '.build', 'sizer.mjs');
mkdirSync(path.dirname(out), { recursive: true });
await build({ ...nodeBundle, entryPoints: [path.join(BENCH, 'sizer.ts')], outfile: out });
const result = spawnSync(process.execPath, [out, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
