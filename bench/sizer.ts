/**
 * Bench tool (not a test; apart from the bench run): the compressed sizer alone against `gzip -6` on one core,
 * back to back, on files given or on kinds of layer it makes, and its sizes against real Go gzip. It prints
 * figures and fails nothing. bench/sizer.mjs bundles it from the sources in the tree and runs it:
 *
 *   node bench/sizer.mjs [OPTIONS] FILE...    the files given (3 repetitions)
 *   node bench/sizer.mjs [OPTIONS]            the kinds below (5 repetitions)
 *
 *   --model go1.26|go1.27   CompressedSizer's `model` (default: the sizer's own default)
 *   --part-size BYTES       CompressedSizer's `blockSize`, bytes per part parsed by one worker
 *   --reps N                repetitions (SIZER_BENCH_REPS)
 *   --go GOGZIP             also Go's gzip size of each input (a binary built from bench/gogzip with the Go to
 *                           compare with) and the sizer's deviation from it
 *   --kinds K,K             which kinds (SIZER_BENCH_KINDS; default all)
 *   --fresh                 make the kinds' inputs again (SIZER_BENCH_FRESH=1)
 *   --baseline REF          also the sizer as src/ is at a git ref, in the same repetitions: before and after
 *                           (SIZER_BENCH_BASELINE; bench/sizer.mjs bundles it)
 *
 * Kinds (made once into bench/.build/sizer-inputs/, reused):
 *   json    GitHub's OpenAPI description (node_modules/@octokit/openapi/generated, four files, 178 MB): long,
 *           repetitive matches, where gzip's chains are cut short after a good match and Go's are not
 *   text    the JavaScript, TypeScript and Markdown of node_modules (about 80 MB)
 *   binary  ELF executables and libraries from /usr/bin, /usr/lib/x86_64-linux-gnu, /usr/libexec (up to 120 MB)
 *   debian  the layer of debian:bookworm-slim from `docker save` on the engine DOCKER_HOST names (a root
 *           filesystem, 78 MB); skipped when there is no engine or no such image
 *   random  200 MB of random bytes (stored blocks)
 *   zeros   200 MB of zero bytes (a preallocated or sparse file: the other extreme, 1000:1)
 *
 * Each repetition runs, back to back in alternating order, `taskset -c 0 gzip -6 -c FILE | wc -c` (one core)
 * and, per sizer, a child process that feeds FILE to a CompressedSizer (every core, 1 MiB chunks as the
 * analysis reads layer tars) and reports its own time from the first byte to the size. The child starts the
 * sizer's worker pool first (once per run in the tool, shared by every layer), untimed; the "with pool start"
 * column adds that time back. The ratio is gzip's wall time over the sizer's (what issue 10's goal of
 * 0.9 x cores is about); the machine may be shared, so each figure is a median over the repetitions with their
 * spread, and the repetitions where other processes used at most 10% of the machine (from /proc/stat) are
 * counted apart. The CPU ratio (gzip's CPU time over the sizer's, every thread) is the cost per byte, which
 * other load disturbs less: with the cores to itself the wall ratio is about cores x the CPU ratio.
 *
 *   node bench/.build/sizer.mjs measure FILE [--model M] [--part-size B]   one run, one line of JSON
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompressedSizerOptions, DeflateModelName } from '../src/measure/image/compressed-size.js';
import { gzip6 } from './gzip.js';
import { hasTaskset, machineBusyMs, median, run, stopChildren } from './proc.js';
import { sizeFile, startSizerPool } from './size-file.js';

const env = process.env;
const HERE = path.dirname(fileURLToPath(import.meta.url)); // bench/.build once bundled
const ROOT = path.resolve(HERE, '..', '..');
const INPUTS = path.join(ROOT, 'bench', '.build', 'sizer-inputs');
const KINDS = ['json', 'text', 'binary', 'debian', 'random', 'zeros'] as const;
type Kind = (typeof KINDS)[number];
/** A repetition is quiet when the machine's other processes used at most this share of its CPU during each run. */
const QUIET = 0.1;

function die(message: string): never {
  process.stderr.write(`sizer bench: ${message}\n`);
  process.exit(2);
}
const say = (message: string): void => void process.stderr.write(`${message}\n`);

/** Take `--name VALUE` (or `--name` alone, `boolean`) out of the arguments. */
function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) die(`${name} needs a value`);
  args.splice(i, 2);
  return value;
}
function booleanFlag(args: string[], name: string): boolean {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
}

function sizerOptions(args: string[]): { options: CompressedSizerOptions; childArgs: string[] } {
  const model = flag(args, '--model') as DeflateModelName | undefined;
  const partSize = flag(args, '--part-size');
  if (partSize !== undefined && !(Number.isInteger(Number(partSize)) && Number(partSize) > 0))
    die(`--part-size: "${partSize}" is not a whole number of bytes`);
  return {
    options: { ...(model ? { model } : {}), ...(partSize ? { blockSize: Number(partSize) } : {}) },
    childArgs: [...(model ? ['--model', model] : []), ...(partSize ? ['--part-size', partSize] : [])],
  };
}

// ---------------------------------------------------------------------------------------------------------
// child mode: size one file and print the figures

/** The figures a child prints. */
interface Measured {
  bytes: number;
  compressedBytes: number;
  wallMs: number;
  cpuMs: number;
  /** CPU time the machine's other processes used meanwhile. */
  othersMs: number;
  /** Starting the sizer's worker pool, once per process (not in wallMs). */
  startMs: number;
  maxRssBytes: number;
}

async function measure(file: string, options: CompressedSizerOptions): Promise<void> {
  const startMs = await startSizerPool(options);
  const sized = await sizeFile(file, options);
  const measured: Measured = {
    bytes: sized.bytes,
    compressedBytes: sized.compressedBytes,
    wallMs: sized.ms,
    cpuMs: sized.cpuMs,
    othersMs: sized.othersMs,
    startMs,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
  process.stdout.write(`${JSON.stringify(measured)}\n`);
}

// ---------------------------------------------------------------------------------------------------------
// the kinds' inputs

function sh(script: string, args: string[] = []): void {
  const r = spawnSync('bash', ['-c', `set -euo pipefail; ${script}`, 'bench', ...args], { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (r.status !== 0) throw new Error(`bash -c '${script}' exited with ${r.status ?? r.signal}`);
}

/** The file of one kind, made when missing (or `fresh`); undefined when it cannot be made here (said why). */
function input(kind: Kind, fresh: boolean): string | undefined {
  mkdirSync(INPUTS, { recursive: true });
  const file = path.join(INPUTS, `${kind}.${kind === 'random' || kind === 'zeros' ? 'bin' : 'tar'}`);
  if (existsSync(file) && !fresh) return file;
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  say(`making the ${kind} input (${path.relative(ROOT, file)})…`);
  switch (kind) {
    case 'json': {
      const dir = path.join(ROOT, 'node_modules', '@octokit', 'openapi', 'generated');
      const names = ['api.github.com.deref.json', 'ghec.deref.json', 'api.github.com.json', 'ghec.json'];
      if (!names.every((n) => existsSync(path.join(dir, n))))
        return skip(kind, `${path.relative(ROOT, dir)} lacks ${names.join(', ')} (npm ci)`);
      sh('tar -C "$1" -cf "$2" "${@:3}"', [dir, partial, ...names]);
      break;
    }
    case 'text':
      sh(
        'cd "$1" && find . -type f \\( -name "*.js" -o -name "*.mjs" -o -name "*.cjs" -o -name "*.ts" -o -name "*.md" \\) ! -path "./@octokit/openapi/*" -print0 | LC_ALL=C sort -z | tar --null -T - -cf "$2"',
        [path.join(ROOT, 'node_modules'), partial],
      );
      break;
    case 'binary':
      sh(
        'find /usr/bin /usr/lib/x86_64-linux-gnu /usr/libexec -maxdepth 2 -type f -size +20k -printf "%s %p\\n" 2>/dev/null | LC_ALL=C sort -k2 ' +
          '| while read -r size name; do [ "$(head -c 4 "$name" | od -An -c | tr -d " ")" = "177ELF" ] && echo "$size $name"; done ' +
          '| awk \'{ total += $1; if (total < 120000000) print $2 }\' | tar -T - -cf "$1" 2>/dev/null',
        [partial],
      );
      break;
    case 'debian': {
      const docker = spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', 'debian:bookworm-slim'], { encoding: 'utf8', env });
      if (docker.status !== 0)
        return skip(
          kind,
          `no debian:bookworm-slim on the engine DOCKER_HOST names (${(docker.stderr || 'docker not found').trim().split('\n').pop()})`,
        );
      const dir = `${partial}.d`;
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      sh('docker save debian:bookworm-slim | tar -x -C "$1"', [dir]);
      // the one layer: the largest file of the save (OCI blobs/sha256/... or <id>/layer.tar); on the containerd
      // store it is the compressed blob, which is unpacked here
      const files = listFiles(dir).sort((a, b) => statSync(b).size - statSync(a).size);
      sh('if [ "$(head -c 2 "$1" | od -An -tx1 | tr -d " ")" = 1f8b ]; then gzip -dc "$1" > "$2"; else cp "$1" "$2"; fi', [
        files[0],
        partial,
      ]);
      rmSync(dir, { recursive: true, force: true });
      break;
    }
    case 'random':
    case 'zeros': {
      const fd = openSync(partial, 'w');
      const zeros = Buffer.alloc(1_000_000);
      for (let i = 0; i < 200; i++) writeSync(fd, kind === 'random' ? randomBytes(1_000_000) : zeros);
      closeSync(fd);
      break;
    }
  }
  renameSync(partial, file);
  return file;
}

function skip(kind: Kind, why: string): undefined {
  say(`skipping ${kind}: ${why}`);
  return undefined;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (entry.isFile()) out.push(realpathSync(full));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// the runs

interface Run {
  wallMs: number;
  cpuMs: number;
  /** The sizer's: starting its worker pool, once per process (not in wallMs). */
  startMs?: number;
  /** CPU time the machine's other processes used meanwhile. */
  othersMs: number;
  compressedBytes?: number;
}

async function gzip(file: string, pinned: boolean): Promise<Run> {
  const busy0 = machineBusyMs();
  const g = await gzip6(file, pinned, { group: true });
  return { wallMs: g.ms, cpuMs: g.cpuMs, othersMs: machineBusyMs() - busy0 - g.cpuMs };
}

async function sizer(bundle: string, file: string, childArgs: string[]): Promise<Run> {
  const r = await run(process.execPath, [bundle, 'measure', file, ...childArgs], { group: true });
  const m = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Measured;
  return { wallMs: m.wallMs, cpuMs: m.cpuMs, startMs: m.startMs, othersMs: m.othersMs, compressedBytes: m.compressedBytes };
}

/** Other processes' share of the machine's CPU during a run. */
function busyShare(r: Run): number {
  return !Number.isFinite(r.othersMs) ? NaN : Math.max(0, r.othersMs) / (r.wallMs * os.availableParallelism());
}

const mbps = (bytes: number, ms: number): number => bytes / 1e3 / ms;
const spread = (values: number[]): string => `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const { options, childArgs } = sizerOptions(args);
  if (args[0] === 'measure') {
    if (!args[1]) die('usage: sizer.mjs measure FILE [--model M] [--part-size B]');
    return measure(args[1], options);
  }
  const repsText = flag(args, '--reps') ?? env.SIZER_BENCH_REPS;
  const goGzip = flag(args, '--go');
  const kindsText = flag(args, '--kinds') ?? env.SIZER_BENCH_KINDS;
  const fresh = booleanFlag(args, '--fresh') || env.SIZER_BENCH_FRESH === '1';
  const unknown = args.find((a) => a.startsWith('--'));
  if (unknown) {
    die(
      `unknown option ${unknown}; usage: node bench/sizer.mjs [--model go1.26|go1.27] [--part-size BYTES] [--reps N] [--go GOGZIP] [--kinds K,K] [--fresh] [--baseline REF] [FILE...]`,
    );
  }
  const reps = repsText === undefined || repsText === '' ? (args.length ? 3 : 5) : Number(repsText);
  if (!Number.isInteger(reps) || reps < 1) die(`--reps / SIZER_BENCH_REPS: "${repsText}" is not a whole number of at least 1`);

  // the inputs: the files given, or the kinds
  let inputs: { label: string; file: string }[];
  if (args.length) {
    for (const file of args) if (!existsSync(file)) die(`${file}: no such file`);
    inputs = args.map((file) => ({ label: file, file }));
  } else {
    const kinds = (kindsText ?? KINDS.join(','))
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    for (const k of kinds)
      if (!(KINDS as readonly string[]).includes(k)) die(`--kinds / SIZER_BENCH_KINDS: unknown kind "${k}" (known: ${KINDS.join(', ')})`);
    inputs = [];
    for (const kind of kinds as Kind[]) {
      const file = input(kind, fresh);
      if (file !== undefined) inputs.push({ label: kind, file });
    }
  }

  // the sizers to measure: this bundle (the tree), and a baseline bundled by bench/sizer.mjs when asked
  const sizers: Array<{ name: string; bundle: string }> = [{ name: 'tree', bundle: fileURLToPath(import.meta.url) }];
  if (env.SIZER_BENCH_BASELINE_BUNDLE)
    sizers.push({ name: env.SIZER_BENCH_BASELINE ?? 'baseline', bundle: env.SIZER_BENCH_BASELINE_BUNDLE });
  const cores = os.availableParallelism();
  const goal = 0.9 * cores;
  const pinned = hasTaskset();
  say(
    `${cores} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; model ${options.model ?? 'default'}${options.blockSize ? `, parts of ${options.blockSize} bytes` : ''}; ` +
      `gzip -6 ${pinned ? 'pinned to core 0' : '(taskset missing: not pinned)'}; ${reps} repetitions; goal: sizer >= ${goal.toFixed(1)} x gzip -6 on one core; load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );

  const rows: string[][] = [];
  const lowest = { wall: Infinity, cpu: Infinity };
  for (const { label, file } of inputs) {
    const bytes = statSync(file).size;
    const ratios = new Map(sizers.map((s) => [s.name, [] as number[]]));
    const cpuRatios = new Map(sizers.map((s) => [s.name, [] as number[]]));
    // ratios of the repetitions where other processes used at most QUIET of the machine during both runs
    const quietRatios = new Map(sizers.map((s) => [s.name, [] as number[]]));
    const runs = new Map<string, Run[]>([['gzip', []], ...sizers.map((s) => [s.name, [] as Run[]] as [string, Run[]])]);
    const sizes = new Map<string, number>();
    for (let rep = 0; rep < reps; rep++) {
      // gzip, then each sizer; the next repetition the other way round
      const order = rep % 2 === 0 ? ['gzip', ...sizers.map((s) => s.name)] : [...sizers.map((s) => s.name).reverse(), 'gzip'];
      const these = new Map<string, Run>();
      for (const who of order) {
        const s = sizers.find((x) => x.name === who);
        const r = s ? await sizer(s.bundle, file, childArgs) : await gzip(file, pinned);
        these.set(who, r);
        runs.get(who)!.push(r);
        if (s && r.compressedBytes !== undefined) sizes.set(s.name, r.compressedBytes);
      }
      const g = these.get('gzip')!;
      // cores used = CPU time over wall time: below 1 for gzip, or 2 for the sizer, other processes took the cores
      const used = (r: Run): string =>
        `, ${(r.cpuMs / r.wallMs).toFixed(2)} cores` + (Number.isFinite(r.othersMs) ? `, others ${(100 * busyShare(r)).toFixed(0)}%` : '');
      const line = [`${label} #${rep + 1}: gzip ${mbps(bytes, g.wallMs).toFixed(1)} MB/s${used(g)}`];
      for (const s of sizers) {
        const r = these.get(s.name)!;
        ratios.get(s.name)!.push(g.wallMs / r.wallMs);
        cpuRatios.get(s.name)!.push(g.cpuMs / r.cpuMs);
        if (busyShare(g) <= QUIET && busyShare(r) <= QUIET) quietRatios.get(s.name)!.push(g.wallMs / r.wallMs);
        line.push(
          `${s.name} ${mbps(bytes, r.wallMs).toFixed(1)} MB/s${used(r)} (wall ${(g.wallMs / r.wallMs).toFixed(2)}x, CPU ${(g.cpuMs / r.cpuMs).toFixed(2)}x)`,
        );
      }
      say(`${line.join(', ')}; load ${os.loadavg()[0].toFixed(2)}`);
    }
    const go = goGzip
      ? Number(execFileSync(goGzip, [file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\t')[0])
      : undefined;
    const g = runs.get('gzip')!;
    for (const s of sizers) {
      const r = runs.get(s.name)!;
      const q = ratios.get(s.name)!;
      const quiet = quietRatios.get(s.name)!;
      const cpuRatio = median(g.map((x) => x.cpuMs)) / median(r.map((x) => x.cpuMs));
      lowest.wall = Math.min(lowest.wall, median(q));
      lowest.cpu = Math.min(lowest.cpu, median(cpuRatios.get(s.name)!));
      const size = sizes.get(s.name);
      rows.push([
        label,
        (bytes / 1e6).toFixed(0),
        s.name,
        mbps(bytes, median(g.map((x) => x.wallMs))).toFixed(1),
        mbps(bytes, median(r.map((x) => x.wallMs))).toFixed(1),
        `${median(q).toFixed(2)}x`,
        spread(q),
        `${(median(g.map((x) => x.wallMs)) / (median(r.map((x) => x.wallMs)) + median(r.map((x) => x.startMs ?? 0)))).toFixed(2)}x`,
        quiet.length ? `${median(quiet).toFixed(2)}x (${quiet.length}: ${spread(quiet)})` : '-',
        Number.isFinite(cpuRatio) ? `${cpuRatio.toFixed(2)}` : '-',
        `${(quiet.length ? median(quiet) : median(q)) >= goal ? 'yes' : 'NO'}${quiet.length ? '' : ' (no quiet run)'}`,
        String(size ?? '-'),
        ...(go !== undefined
          ? [String(go), size === undefined ? '-' : `${size - go >= 0 ? '+' : ''}${size - go} (${(((size - go) / go) * 100).toFixed(4)}%)`]
          : []),
      ]);
    }
    if (new Set(sizes.values()).size > 1)
      say(`warning: ${label}: the sizers gave different sizes: ${[...sizes].map(([n, v]) => `${n} ${v}`).join(', ')}`);
  }
  if (rows.length === 0) die('nothing to measure');
  const header = [
    'input',
    'MB',
    'sizer',
    'gzip MB/s',
    'sizer MB/s',
    'ratio (median)',
    'ratio min-max',
    'with pool start',
    `quiet runs (others <= ${100 * QUIET}%)`,
    'gzip CPU / sizer CPU',
    `>= ${goal.toFixed(1)}x (quiet runs)`,
    'size',
    ...(goGzip ? ['Go size', 'sizer - Go'] : []),
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`\n${line(header)}\n${rows.map(line).join('\n')}\n`);
  process.stdout.write(
    `\nratio: gzip -6's wall time on one core over the sizer's on ${cores} cores (goal: 0.9 x ${cores} = ${goal.toFixed(1)}x, issue 10); ` +
      "median and spread of the repetitions, each measured back to back. The sizer's time is the layer's own: its process starts the worker pool first " +
      '(once per run, shared by all layers; "with pool start" adds that time, as the first layer of a run sees it). ' +
      `"quiet runs": the repetitions where the machine's other processes used at most ${100 * QUIET}% of its CPU during both runs (from /proc/stat), how many, and their spread. ` +
      'The CPU ratio is the cost per byte, which other load disturbs less (with the cores to itself, the wall ratio is about cores x the CPU ratio).\n' +
      `lowest median ratios: wall ${lowest.wall.toFixed(2)}x (goal ${goal.toFixed(1)}x), CPU ${lowest.cpu.toFixed(2)}x (goal 0.9x)\n`,
  );
}

// stopped, the tool stops its children (gzip under bash, the sizers) too
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopChildren(signal);
    process.exit(1);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`sizer bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
