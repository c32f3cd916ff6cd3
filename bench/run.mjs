#!/usr/bin/env node
// The bench's launcher (bash bench/run.sh runs it; see bench/README.md): bundles bench/analyze.ts (the analysis
// the bench runs in child processes) and bench/run.ts (the bench) from the sources in the tree into
// bench/.build/, then runs the bench in this process with the arguments given (`--render [FILE]` rewrites
// RESULTS.md from a saved run).
import { pathToFileURL } from 'node:url';
import { bundle } from './bundle.mjs';

await bundle('analyze');
await import(pathToFileURL(await bundle('run')).href);
