/**
 * Bench helper (not part of the tool): the compressed sizer's throughput against `gzip -6` on one core, and
 * its sizes against real Go gzip. `node bench/sizer.mjs` bundles this file from the sources in the tree
 * (as bench/run.mjs bundles analyze.ts) and runs it.
 *
 *   node bench/sizer.mjs [--model go1.26|go1.27] [--reps N] [--part-size BYTES] [--go GOGZIP] FILE...
 *
 * For each file and repetition, back to back: `taskset -c 0 gzip -6 -c FILE > /dev/null` (the baseline: one
 * core), then the sizer in a fresh process (every core, the file read in 1 MiB chunks as bench/analyze.ts reads
 * layer tars), timed by wall clock. Prints MB/s of both and their ratio per run, then the median ratio: the goal
 * is at least 0.9 x cores. The machine may be shared: ratios of runs back to back, repeated, are what to read.
 * Also the ratio of CPU times (gzip's over the sizer's, all its threads): on a busy machine the wall-clock
 * ratio says more about the neighbours than about us, and wall ratio ~= CPU ratio x cores when the cores are
 * ours; so the CPU ratio should be at least 0.9.
 * With --go (a binary built from bench/gogzip with the Go to compare with, e.g. Go 1.27.3), also prints Go's
 * gzip size of each file and the sizer's deviation from it.
 *
 *   node bench/.build/sizer.mjs measure FILE [--model M] [--part-size B]   one run, one line of JSON
 */
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { CompressedSizer, type CompressedSizerOptions, type DeflateModelName } from '../src/measure/image/compressed-size.js';

interface Measured {
  bytes: number;
  compressedBytes: number;
  ms: number;
  cpuMs: number;
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
}

async function measure(file: string, options: CompressedSizerOptions): Promise<Measured> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const sizer = new CompressedSizer(options);
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    await sizer.write(chunk);
  }
  const compressedBytes = await sizer.end();
  const cpu = process.cpuUsage(cpu0);
  // the calling thread's CPU and the workers' (process.cpuUsage counts every thread)
  return { bytes, compressedBytes, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** `gzip -6` on one core: wall time, and its CPU time (bash's `times` after it: the children's user and system). */
async function gzip(file: string): Promise<{ ms: number; cpuMs: number }> {
  const { ms, stdout } = await run('bash', ['-c', 'taskset -c 0 gzip -6 -c "$1" > /dev/null; times', 'gzip', file]);
  const children = stdout.trim().split('\n').pop() ?? '';
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
  return { ms, cpuMs: seconds * 1000 };
}

function run(command: string, args: string[]): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ ms: performance.now() - t0, stdout }) : reject(new Error(`${command} exited with ${code}`))));
  });
}

const mbps = (bytes: number, ms: number): string => `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const model = flag(args, '--model') as DeflateModelName | undefined;
  const partSize = flag(args, '--part-size');
  const options: CompressedSizerOptions = { ...(model ? { model } : {}), ...(partSize ? { blockSize: Number(partSize) } : {}) };
  if (args[0] === 'measure') {
    process.stdout.write(`${JSON.stringify(await measure(args[1], options))}\n`);
    return;
  }
  const reps = Number(flag(args, '--reps') ?? 3);
  const goGzip = flag(args, '--go');
  if (args.length === 0) {
    process.stderr.write('usage: node bench/sizer.mjs [--model go1.26|go1.27] [--reps N] [--part-size BYTES] [--go GOGZIP] FILE...\n');
    process.exit(2);
  }
  const cores = availableParallelism();
  const self = process.argv[1];
  const childArgs = [...(model ? ['--model', model] : []), ...(partSize ? ['--part-size', partSize] : [])];
  console.log(`model ${model ?? 'go1.26 (default)'}, ${cores} cores, goal: sizer >= ${(0.9 * cores).toFixed(1)} x gzip -6 on one core`);
  const allRatios: number[] = [];
  const allCpuRatios: number[] = [];
  for (const file of args) {
    const bytes = statSync(file).size;
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    let size = 0;
    for (let rep = 0; rep < reps; rep++) {
      const base = await gzip(file);
      const child = await run(process.execPath, [self, 'measure', file, ...childArgs]);
      const ours = JSON.parse(child.stdout) as Measured;
      size = ours.compressedBytes;
      ratios.push(base.ms / ours.ms);
      cpuRatios.push(base.cpuMs / ours.cpuMs);
      console.log(
        `${file}  rep ${rep + 1}: gzip -6 (1 core) ${mbps(bytes, base.ms)}, sizer ${mbps(bytes, ours.ms)} (using ${(ours.cpuMs / ours.ms).toFixed(2)} cores): ` +
          `wall ${(base.ms / ours.ms).toFixed(2)}x, CPU ${(base.cpuMs / ours.cpuMs).toFixed(2)}x`,
      );
    }
    allRatios.push(median(ratios));
    allCpuRatios.push(median(cpuRatios));
    let line = `${file}  ${(bytes / 1e6).toFixed(1)} MB: median wall ${median(ratios).toFixed(2)}x gzip -6, CPU ${median(cpuRatios).toFixed(2)}x; size ${size}`;
    if (goGzip) {
      const go = Number(execFileSync(goGzip, [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\t')[0]);
      line += `, Go ${go}: ${size - go >= 0 ? '+' : ''}${size - go} bytes (${(((size - go) / go) * 100).toFixed(4)}%)`;
    }
    console.log(line);
  }
  console.log(
    `lowest median ratios: wall ${Math.min(...allRatios).toFixed(2)}x (goal ${(0.9 * cores).toFixed(1)}x), CPU ${Math.min(...allCpuRatios).toFixed(2)}x (goal 0.9x)`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
