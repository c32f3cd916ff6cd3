#!/usr/bin/env node
// The compressed sizer against gzip -6 (bench/sizer.ts; its header lists the options): bundles it from the
// sources in the tree into bench/.build/ and runs it with the arguments given.
//   node bench/sizer.mjs [--model go1.26|go1.27] [--part-size BYTES] [--reps N] [--go GOGZIP] [--kinds K,K] [--fresh] [--baseline REF] [FILE...]
// --baseline REF (or SIZER_BENCH_BASELINE=REF) also bundles the same tool against src/ as it is at that git
// ref (its src/measure/image/compressed-size.ts and what that imports), and both are measured back to back.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BUILD, bundle } from './bundle.mjs';

const ROOT = path.resolve(BUILD, '..', '..');
const args = process.argv.slice(2);
const env = { ...process.env };
const at = args.indexOf('--baseline');
if (at >= 0) {
  if (!args[at + 1]) {
    process.stderr.write('sizer bench: --baseline needs a git ref\n');
    process.exit(2);
  }
  env.SIZER_BENCH_BASELINE = args[at + 1];
  args.splice(at, 2);
}
const out = await bundle('sizer');
const ref = env.SIZER_BENCH_BASELINE;
if (ref) {
  // src/ as it is at the ref, so that the sizer there finds the modules it imports beside it
  const tree = path.join(BUILD, 'baseline');
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  execFileSync('bash', ['-c', 'set -o pipefail; git -C "$1" archive "$2" src | tar -x -C "$3"', 'bench', ROOT, ref, tree]);
  const source = path.join(tree, 'src', 'measure', 'image', 'compressed-size.ts');
  const baseline = {
    name: 'baseline-sizer',
    setup(b) {
      b.onResolve({ filter: /measure\/image\/compressed-size\.js$/ }, () => ({ path: source }));
    },
  };
  env.SIZER_BENCH_BASELINE_BUNDLE = await bundle('sizer', { out: 'sizer-baseline', plugins: [baseline] });
}
const child = spawn(process.execPath, [out, ...args], { stdio: 'inherit', env });
// stopped, the tool stops its own children (gzip, the sizer) too
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
