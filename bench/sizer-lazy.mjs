#!/usr/bin/env node
// Runs bench/sizer-lazy.ts (the compressed-size model against gzip -6, per kind of layer; see its header):
// bundles it from the sources in the tree with esbuild into bench/.build/, as bench/run.mjs does
// bench/analyze.ts, and runs it. SIZER_BENCH_BASELINE=<git ref> also bundles the same bench against that ref's
// src/measure/image/compressed-size.ts (with the rest of that ref's src/measure/image/, which holds the models it
// imports), and both are measured back to back (before/after).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = path.join(ROOT, 'bench', '.build');
const SIZER_DIR = 'src/measure/image';
const SIZER = `${SIZER_DIR}/compressed-size.ts`;
const { build } = await import('esbuild');
const { nodeBundle } = await import('../scripts/esbuild-options.mjs');
mkdirSync(BUILD, { recursive: true });

const entry = path.join(ROOT, 'bench', 'sizer-lazy.ts');
const bundle = path.join(BUILD, 'sizer-lazy.mjs');
await build({ ...nodeBundle, entryPoints: [entry], outfile: bundle });

const env = { ...process.env };
const ref = process.env.SIZER_BENCH_BASELINE;
if (ref) {
  const tree = path.join(BUILD, 'baseline');
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  execFileSync('tar', ['-x', '-C', tree], { input: execFileSync('git', ['-C', ROOT, 'archive', ref, SIZER_DIR], { maxBuffer: 1 << 30 }) });
  const source = path.join(tree, SIZER);
  const baseline = {
    name: 'baseline-sizer',
    setup(b) {
      b.onResolve({ filter: /measure\/image\/compressed-size\.js$/ }, () => ({ path: source }));
    },
  };
  env.SIZER_BENCH_BASELINE_BUNDLE = path.join(BUILD, 'sizer-lazy-baseline.mjs');
  await build({ ...nodeBundle, entryPoints: [entry], outfile: env.SIZER_BENCH_BASELINE_BUNDLE, plugins: [baseline] });
}
const child = spawn(process.execPath, [bundle, ...process.argv.slice(2)], { stdio: 'inherit', env });
// stopped, the bench stops its own children (gzip, the sizer) too
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
