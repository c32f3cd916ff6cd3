#!/usr/bin/env node
// The bench's launcher (bash bench/run.sh runs it; see bench/README.md): bundles bench/analyze.ts (the analysis
// the bench runs in child processes) and bench/run.ts (the bench) from the sources in the tree into
// bench/.build/, then runs the bench in this process with the arguments given (`--render [FILE]` rewrites
// RESULTS.md from a saved run).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

if (!existsSync(fileURLToPath(new URL('../node_modules', import.meta.url)))) {
  process.stderr.write('bench: node_modules is missing: run `npm ci` first (bench/run.sh does).\n');
  process.exit(2);
}
const { bundle } = await import('./bundle.mjs');
await bundle('analyze');
await import(pathToFileURL(await bundle('run')).href);
