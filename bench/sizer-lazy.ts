/**
 * Bench (not a test): the compressed-size model's throughput against `gzip -6` on one core, per kind of layer
 * (issue 10: at least 0.9 x cores x gzip's one-core speed on every kind, not only on average). It prints
 * figures and fails nothing. bench/sizer-lazy.mjs bundles it from the sources in the tree and runs it:
 *
 *   node bench/sizer-lazy.mjs                  every kind, 5 repetitions
 *   SIZER_BENCH_KINDS=json,text SIZER_BENCH_REPS=9 node bench/sizer-lazy.mjs
 *   SIZER_BENCH_BASELINE=main node bench/sizer-lazy.mjs   also the model as it is at a git ref, back to back
 *
 * Kinds (made once into bench/.build/sizer-inputs/, reused; SIZER_BENCH_FRESH=1 makes them again):
 *   json    GitHub's OpenAPI description (node_modules/@octokit/openapi/generated, four files, 178 MB): long,
 *           repetitive matches, where gzip's chains are cut short after a good match and Go's are not
 *   text    the JavaScript, TypeScript and Markdown of node_modules (about 80 MB)
 *   binary  ELF executables and libraries from /usr/bin, /usr/lib/x86_64-linux-gnu, /usr/libexec (up to 120 MB)
 *   debian  the layer of debian:bookworm-slim from `docker save` on the engine DOCKER_HOST names (a root
 *           filesystem, 78 MB); skipped when there is no engine or no such image
 *   random  200 MB of random bytes (stored blocks)
 *   zeros   200 MB of zero bytes (a preallocated or sparse file: the other extreme, 1000:1)
 *
 * Each repetition runs, back to back in alternating order, `taskset -c 0 gzip -6 -c FILE > /dev/null` (one core)
 * and a child process that feeds FILE to a CompressedSizer (every core) and reports its own time from the first
 * byte to the size. The child starts the sizer's worker pool first (once per run in the tool, shared by every
 * layer), untimed; the time that took is added back in the "with pool start" column. The ratio is gzip's time
 * over the sizer's (wall clock: what the requirement is about); the machine may be shared, so each figure is a
 * median over the repetitions with their spread (min-max). CPU times (user + system) are printed too: the
 * sizer's CPU per byte against gzip's is disturbed less by other load.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompressedSizer } from '../src/measure/image/compressed-size.js';

const env = process.env;
const HERE = path.dirname(fileURLToPath(import.meta.url)); // bench/.build once bundled
const ROOT = path.resolve(HERE, '..', '..');
const INPUTS = path.join(ROOT, 'bench', '.build', 'sizer-inputs');
const KINDS = ['json', 'text', 'binary', 'debian', 'random', 'zeros'] as const;
type Kind = (typeof KINDS)[number];

function die(message: string): never {
  process.stderr.write(`sizer bench: ${message}\n`);
  process.exit(2);
}
const say = (message: string): void => void process.stderr.write(`${message}\n`);

// ---------------------------------------------------------------------------------------------------------
// child mode: size one file and print the figures

/** CPU time every process of the machine has used since boot (ms, from /proc/stat; 10 ms steps), or NaN. */
function machineBusyMs(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: all but idle and iowait
    const busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + (fields[7] ?? 0);
    return (busy * 1000) / 100;
  } catch {
    return NaN;
  }
}

async function measure(file: string): Promise<void> {
  // The worker pool starts once per process and serves every layer after: started here (2 MiB of zeros, a part
  // for each of two workers), untimed, so that the figure is the layer's own; startMs is reported apart.
  const t0 = performance.now();
  const warm = new CompressedSizer();
  await warm.write(Buffer.alloc((2 << 20) + 1));
  await warm.end();
  const startMs = performance.now() - t0;
  const sizer = new CompressedSizer();
  const busy0 = machineBusyMs();
  const cpu0 = process.cpuUsage();
  const t1 = performance.now();
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    await sizer.write(chunk);
  }
  const size = await sizer.end();
  const wallMs = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const othersMs = machineBusyMs() - busy0 - cpuMs;
  process.stdout.write(`${JSON.stringify({ bytes, size, wallMs, cpuMs, othersMs, startMs, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

// ---------------------------------------------------------------------------------------------------------
// the inputs

function sh(script: string, args: string[] = []): void {
  const r = spawnSync('bash', ['-c', `set -euo pipefail; ${script}`, 'bench', ...args], { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (r.status !== 0) throw new Error(`bash -c '${script}' exited with ${r.status ?? r.signal}`);
}

/** The file of one kind, made when missing; undefined when it cannot be made here (said why). */
function input(kind: Kind): string | undefined {
  mkdirSync(INPUTS, { recursive: true });
  const file = path.join(INPUTS, `${kind}.${kind === 'random' || kind === 'zeros' ? 'bin' : 'tar'}`);
  if (existsSync(file) && env.SIZER_BENCH_FRESH !== '1') return file;
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  say(`making the ${kind} input (${path.relative(ROOT, file)})…`);
  switch (kind) {
    case 'json': {
      const dir = path.join(ROOT, 'node_modules', '@octokit', 'openapi', 'generated');
      const names = ['api.github.com.deref.json', 'ghec.deref.json', 'api.github.com.json', 'ghec.json'];
      if (!names.every((n) => existsSync(path.join(dir, n)))) return skip(kind, `${path.relative(ROOT, dir)} lacks ${names.join(', ')} (npm ci)`);
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
      if (docker.status !== 0) return skip(kind, `no debian:bookworm-slim on the engine DOCKER_HOST names (${(docker.stderr || 'docker not found').trim().split('\n').pop()})`);
      const dir = `${partial}.d`;
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      sh('docker save debian:bookworm-slim | tar -x -C "$1"', [dir]);
      // the one layer: the largest file of the save (OCI blobs/sha256/... or <id>/layer.tar); on the containerd
      // store it is the compressed blob, which is unpacked here
      const files = listFiles(dir).sort((a, b) => statSync(b).size - statSync(a).size);
      sh('if [ "$(head -c 2 "$1" | od -An -tx1 | tr -d " ")" = 1f8b ]; then gzip -dc "$1" > "$2"; else cp "$1" "$2"; fi', [files[0], partial]);
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
  cpuMs?: number;
  size?: number;
  /** The sizer's: starting its worker pool, once per process (not in wallMs). */
  startMs?: number;
  /** CPU time the machine's other processes used meanwhile. */
  othersMs?: number;
}

const children = new Set<ReturnType<typeof spawn>>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of children) if (child.pid !== undefined) process.kill(-child.pid, signal);
    process.exit(1);
  });
}

function run(command: string, args: string[]): Promise<{ stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // its own process group, so that stopping the bench stops gzip under bash and time too
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
    children.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      children.delete(child);
      const result = { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), ms: performance.now() - t0 };
      if (code === 0) resolve(result);
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}: ${result.stderr.slice(-2000)}`));
    });
  });
}

const hasTaskset = spawnSync('sh', ['-c', 'command -v taskset']).status === 0;
const hasTime = existsSync('/usr/bin/time');

async function gzip(file: string): Promise<Run> {
  const pin = hasTaskset ? 'taskset -c 0 ' : '';
  // /usr/bin/time prints gzip's own CPU time on the last line of stderr
  const timed = hasTime ? `/usr/bin/time -f '%U %S' ` : '';
  const busy0 = machineBusyMs();
  const r = await run('bash', ['-c', `${timed}${pin}gzip -6 -c "$1" > /dev/null`, 'gzip', file]);
  const busy = machineBusyMs() - busy0;
  const cpu = hasTime ? r.stderr.trim().split('\n').pop()!.split(' ').map(Number) : undefined;
  const cpuMs = cpu ? (cpu[0] + cpu[1]) * 1000 : undefined;
  return { wallMs: r.ms, cpuMs, othersMs: cpuMs === undefined ? undefined : busy - cpuMs };
}

async function sizer(bundle: string, file: string): Promise<Run> {
  const r = await run(process.execPath, [bundle, 'measure', file]);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Run;
}

/** Other processes' share of the machine's CPU during a run. */
function busyShare(r: Run): number {
  return r.othersMs === undefined || !Number.isFinite(r.othersMs) ? NaN : Math.max(0, r.othersMs) / (r.wallMs * os.availableParallelism());
}
const QUIET = 0.1;

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const mbps = (bytes: number, ms: number): number => bytes / 1e3 / ms;

async function main(): Promise<void> {
  if (process.argv[2] === 'measure') return measure(process.argv[3]);
  const reps = Number(env.SIZER_BENCH_REPS ?? 5);
  if (!Number.isInteger(reps) || reps < 1) die(`SIZER_BENCH_REPS: "${env.SIZER_BENCH_REPS}" is not a whole number of at least 1`);
  const kinds = (env.SIZER_BENCH_KINDS ?? KINDS.join(',')).split(',').map((k) => k.trim()).filter(Boolean);
  for (const k of kinds) if (!(KINDS as readonly string[]).includes(k)) die(`SIZER_BENCH_KINDS: unknown kind "${k}" (known: ${KINDS.join(', ')})`);
  // the sizers to measure: this bundle (the tree), and a baseline bundled by sizer-lazy.mjs when asked
  const sizers: Array<{ name: string; bundle: string }> = [{ name: 'tree', bundle: fileURLToPath(import.meta.url) }];
  if (env.SIZER_BENCH_BASELINE_BUNDLE) sizers.push({ name: env.SIZER_BENCH_BASELINE ?? 'baseline', bundle: env.SIZER_BENCH_BASELINE_BUNDLE });
  const cores = os.availableParallelism();
  const goal = 0.9 * cores;
  say(`${cores} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; gzip -6 ${hasTaskset ? 'pinned to core 0' : '(taskset missing: not pinned)'}; ${reps} repetitions; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  const rows: string[][] = [];
  for (const kind of kinds as Kind[]) {
    const file = input(kind);
    if (file === undefined) continue;
    const bytes = statSync(file).size;
    const ratios = new Map(sizers.map((s) => [s.name, [] as number[]]));
    // ratios of the repetitions where other processes used at most QUIET of the machine during both runs
    const quietRatios = new Map(sizers.map((s) => [s.name, [] as number[]]));
    const runs = new Map<string, Run[]>([['gzip', []], ...sizers.map((s) => [s.name, [] as Run[]] as [string, Run[]])]);
    const sizes = new Set<number>();
    for (let rep = 0; rep < reps; rep++) {
      // gzip, then each sizer; the next repetition the other way round
      const order = rep % 2 === 0 ? ['gzip', ...sizers.map((s) => s.name)] : [...sizers.map((s) => s.name).reverse(), 'gzip'];
      const these = new Map<string, Run>();
      for (const who of order) {
        const s = sizers.find((x) => x.name === who);
        const r = s ? await sizer(s.bundle, file) : await gzip(file);
        these.set(who, r);
        runs.get(who)!.push(r);
        if (r.size !== undefined) sizes.add(r.size);
      }
      const g = these.get('gzip')!;
      // cores used = CPU time over wall time: below 1 for gzip, or 2 for the sizer, other processes took the cores
      const used = (r: Run): string =>
        (r.cpuMs !== undefined ? `, ${(r.cpuMs / r.wallMs).toFixed(2)} cores` : '') + (r.othersMs !== undefined ? `, others ${(100 * busyShare(r)).toFixed(0)}%` : '');
      const line = [`${kind} #${rep + 1}: gzip ${mbps(bytes, g.wallMs).toFixed(1)} MB/s${used(g)}`];
      for (const s of sizers) {
        const r = these.get(s.name)!;
        ratios.get(s.name)!.push(g.wallMs / r.wallMs);
        if (busyShare(g) <= QUIET && busyShare(r) <= QUIET) quietRatios.get(s.name)!.push(g.wallMs / r.wallMs);
        line.push(`${s.name} ${mbps(bytes, r.wallMs).toFixed(1)} MB/s${used(r)} (${(g.wallMs / r.wallMs).toFixed(2)}x)`);
      }
      say(`${line.join(', ')}; load ${os.loadavg()[0].toFixed(2)}`);
    }
    const g = runs.get('gzip')!;
    for (const s of sizers) {
      const r = runs.get(s.name)!;
      const q = ratios.get(s.name)!;
      const quiet = quietRatios.get(s.name)!;
      const gzipCpu = g.every((x) => x.cpuMs !== undefined) ? median(g.map((x) => x.cpuMs!)) : NaN;
      const cpuRatio = gzipCpu / median(r.map((x) => x.cpuMs!));
      rows.push([
        kind,
        (bytes / 1e6).toFixed(0),
        s.name,
        mbps(bytes, median(g.map((x) => x.wallMs))).toFixed(1),
        mbps(bytes, median(r.map((x) => x.wallMs))).toFixed(1),
        `${median(q).toFixed(2)}x`,
        `${Math.min(...q).toFixed(2)}-${Math.max(...q).toFixed(2)}`,
        `${(median(g.map((x) => x.wallMs)) / (median(r.map((x) => x.wallMs)) + median(r.map((x) => x.startMs ?? 0)))).toFixed(2)}x`,
        quiet.length ? `${median(quiet).toFixed(2)}x (${quiet.length}: ${Math.min(...quiet).toFixed(2)}-${Math.max(...quiet).toFixed(2)})` : '-',
        Number.isFinite(cpuRatio) ? `${cpuRatio.toFixed(2)}` : '-',
        `${(quiet.length ? median(quiet) : median(q)) >= goal ? 'yes' : 'NO'}${quiet.length ? '' : ' (no quiet run)'}`,
      ]);
    }
    if (sizes.size > 1) say(`warning: ${kind}: the sizers gave different sizes: ${[...sizes].join(', ')}`);
  }
  const header = ['kind', 'MB', 'sizer', 'gzip MB/s', 'sizer MB/s', 'ratio (median)', 'ratio min-max', 'with pool start', `quiet runs (others <= ${100 * QUIET}%)`, 'gzip CPU / sizer CPU', `>= ${goal.toFixed(1)}x (quiet runs)`];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`\n${line(header)}\n${rows.map(line).join('\n')}\n`);
  process.stdout.write(
    `\nratio: gzip -6's wall time on one core over the sizer's on ${cores} cores (goal: 0.9 x ${cores} = ${goal.toFixed(1)}x, issue 10); ` +
      'median and spread of the repetitions, each measured back to back. The sizer\'s time is the layer\'s own: its process starts the worker pool first ' +
      '(once per run, shared by all layers; "with pool start" adds that time, as the first layer of a run sees it). ' +
      `"quiet runs": the repetitions where the machine's other processes used at most ${100 * QUIET}% of its CPU during both runs (from /proc/stat), how many, and their spread. ` +
      'The CPU ratio is the cost per byte, which other load disturbs less.\n',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`sizer bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
