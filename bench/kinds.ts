/**
 * Bench section (not part of the tool): compressed-size throughput per kind of layer (its figures:
 * bench/figures.ts; its part of RESULTS.md: bench/results.ts). The goal (issue 10): the
 * sizer at least 0.9 x cores x `gzip -6` on one core on every kind of layer, for both compressor models
 * (`CompressedSizer`'s `model`: 'go1.26', compress/flate up to Go 1.26; 'go1.27', Go 1.27's level 6).
 *
 * Each kind is one file of layer-like bytes, made once per run in a temporary directory:
 *   rootfs    the layer of `docker save debian:bookworm-slim` (a Debian root filesystem tar; unzipped when the
 *             containerd store saves it gzipped)
 *   random    random bytes (400 MB): nothing to find, every match search fails
 *   json      GitHub's OpenAPI description (node_modules/@octokit/openapi/generated/*.json, whole files in name
 *             order up to 180 MB, concatenated): highly repetitive text, long matches
 *   source    a tar of the source text under node_modules and src/ (*.js, *.mjs, *.cjs, *.ts)
 *   binaries  a tar of ELF files from /usr/bin, in name order, up to 200 MB
 * With BENCH_QUICK=1 every kind is cut to 40 MB.
 *
 * Per kind and repetition, back to back: `taskset -c 0 gzip -6 -c FILE | wc -c` (the baseline, one core), and
 * the sizer of each model over the same file in a process of its own (bench/analyze.ts `sizer`: every core,
 * the file read in 1 MiB chunks as layer tars are); the order alternates between repetitions. The figure is
 * the median over repetitions of gzip's wall time over the sizer's. Also the ratio of CPU times (gzip's over
 * the sizer's, every thread): on a shared machine the wall ratio tells about the neighbours too; with the
 * cores to itself the wall ratio is about cores x the CPU ratio.
 */
import { randomFillSync } from 'node:crypto';
import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { ModelsRun, SizerRun } from './analyze-result.js';
import { saveLayerTars } from './engine.js';
import { loadavg, mbps as rate } from './format.js';
import { gzip6, type GzipRun } from './gzip.js';
import { hasTaskset, median, run } from './proc.js';

export const MODELS = ['go1.26', 'go1.27'] as const;
export type ModelName = (typeof MODELS)[number];
export const KINDS = ['rootfs', 'random', 'json', 'source', 'binaries'] as const;
export type Kind = (typeof KINDS)[number];

const MB = 1e6;
const FULL_LIMITS: Record<Kind, number | undefined> = {
  rootfs: undefined,
  random: 400 * MB,
  json: 180 * MB,
  source: undefined,
  binaries: 200 * MB,
};
const QUICK_LIMIT = 40 * MB;

export interface KindsOptions {
  root: string;
  /** bench/.build/analyze.mjs */
  analyze: string;
  /** A temporary directory of the caller's (removed by it). */
  workDir: string;
  quick: boolean;
  reps: number;
  kinds: readonly Kind[];
  models: readonly ModelName[];
  /** The image whose layer is the root filesystem kind. */
  rootfsImage: string;
  log: (message: string) => void;
}

export interface KindInput {
  kind: Kind;
  file: string;
  bytes: number;
  /** Where the bytes came from, in words. */
  source: string;
}

type Timed = GzipRun;

export interface KindRun {
  order: string;
  gzip: Timed;
  sizers: Partial<Record<ModelName, Timed>>;
}

export interface ModelFigure {
  /** Median of gzip's wall time over the sizer's, per repetition. */
  ratio: number;
  cpuRatio: number;
  medianMs: number;
  compressedBytes: number;
}

export interface KindResult {
  input: KindInput;
  runs: KindRun[];
  gzipMedianMs: number;
  gzipBytes: number;
  models: Partial<Record<ModelName, ModelFigure>>;
}

export interface KindsResult {
  loadBefore: string;
  loadAfter: string;
  reps: number;
  pinned: boolean;
  /** Per model: available, or why not. */
  availability: ModelsRun;
  kinds: KindResult[];
}

/**
 * Which models the sizer in the tree offers, found by constructing sizers (bench/analyze.ts `models`): a model
 * is available when a sizer takes it and refuses a name that is no model (else the option is not looked at,
 * and every name would be measured as the default).
 */
export async function modelAvailability(analyze: string, models: readonly string[]): Promise<ModelsRun> {
  const r = await run(process.execPath, [analyze, 'models', ...models]);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as ModelsRun;
}

export async function kindsThroughput(options: KindsOptions): Promise<KindsResult> {
  const loadBefore = loadavg();
  const pinned = hasTaskset();
  const available = await modelAvailability(options.analyze, options.models);
  const models = options.models.filter((m) => available[m]?.available);
  for (const m of options.models)
    if (!available[m]?.available) options.log(`kinds: model ${m} not available: ${available[m]?.reason ?? 'unknown'}`);
  const kinds: KindResult[] = [];
  for (const kind of options.kinds) {
    const dir = path.join(options.workDir, kind);
    const input = await makeInput(kind, dir, options);
    options.log(
      `kinds: ${kind}, ${(input.bytes / MB).toFixed(1)} MB (${input.source}): ${options.reps} repetition(s) of gzip -6 and the sizer (${models.join(', ') || 'no model'})…`,
    );
    const runs: KindRun[] = [];
    for (let rep = 0; rep < options.reps; rep++) {
      const order = rep % 2 === 0 ? ['gzip', ...models] : [...[...models].reverse(), 'gzip'];
      const kindRun: KindRun = { order: order.join(', '), gzip: { ms: 0, cpuMs: 0, outBytes: 0 }, sizers: {} };
      for (const step of order) {
        if (step === 'gzip') kindRun.gzip = await gzip6(input.file, pinned);
        else kindRun.sizers[step as ModelName] = await sizer(options.analyze, input.file, step as ModelName);
      }
      runs.push(kindRun);
    }
    const figures: Partial<Record<ModelName, ModelFigure>> = {};
    for (const m of models) {
      figures[m] = {
        ratio: median(runs.map((r) => r.gzip.ms / r.sizers[m]!.ms)),
        cpuRatio: median(runs.map((r) => r.gzip.cpuMs / r.sizers[m]!.cpuMs)),
        medianMs: median(runs.map((r) => r.sizers[m]!.ms)),
        compressedBytes: runs[0].sizers[m]!.outBytes,
      };
    }
    const result: KindResult = {
      input,
      runs,
      gzipMedianMs: median(runs.map((r) => r.gzip.ms)),
      gzipBytes: runs[0].gzip.outBytes,
      models: figures,
    };
    kinds.push(result);
    rmSync(dir, { recursive: true, force: true });
    rmSync(input.file, { force: true });
    const said = models.map((m) => `${m} ${figures[m]!.ratio.toFixed(2)}×`).join(', ');
    options.log(`  ${kind}: gzip -6 ${rate(input.bytes, result.gzipMedianMs)}; sizer / gzip: ${said || '—'}`);
  }
  return { loadBefore, loadAfter: loadavg(), reps: options.reps, pinned, availability: available, kinds };
}

/** The sizer of one model over one file, in a process of its own (bench/analyze.ts `sizer`). */
async function sizer(analyze: string, file: string, model: ModelName): Promise<Timed> {
  const r = await run(process.execPath, [analyze, 'sizer', '--model', model, file]);
  const result = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as SizerRun;
  const layer = result.layers[0];
  return { ms: layer.ms, cpuMs: layer.cpuMs, outBytes: layer.compressedBytes };
}

// ---------------------------------------------------------------------------------------------------------
// the inputs

async function makeInput(kind: Kind, dir: string, options: KindsOptions): Promise<KindInput> {
  const limit = options.quick ? QUICK_LIMIT : FULL_LIMITS[kind];
  mkdirSync(dir, { recursive: true });
  const file = path.join(options.workDir, `${kind}.bin`);
  let source: string;
  switch (kind) {
    case 'rootfs': {
      const { layers } = await saveLayerTars(options.rootfsImage, dir);
      const largest = layers.reduce((a, b) => (b.bytes > a.bytes ? b : a));
      await run('mv', [largest.file, file]);
      source = `the layer of docker save ${options.rootfsImage}${largest.saved === 'gzip' ? ', unzipped' : ''}`;
      break;
    }
    case 'random':
      writeRandom(file, limit ?? 400 * MB);
      source = 'random bytes';
      break;
    case 'json': {
      const folder = path.join(options.root, 'node_modules', '@octokit', 'openapi', 'generated');
      const files = readdirSync(folder)
        .filter((n) => n.endsWith('.json'))
        .sort()
        .map((n) => path.join(folder, n));
      const chosen = wholeFilesUpTo(files, limit, 0);
      await run('bash', ['-c', 'cat -- "$@" > "$0"', file, ...chosen]);
      source = `${chosen.map((f) => path.basename(f)).join(', ')} from node_modules/@octokit/openapi/generated, concatenated`;
      break;
    }
    case 'source': {
      const files = [...walk(path.join(options.root, 'node_modules')), ...walk(path.join(options.root, 'src'))]
        .filter((f) => /\.(m|c)?js$|\.ts$/.test(f))
        .sort();
      const chosen = wholeFilesUpTo(files, limit, 512);
      await tarOf(options.root, chosen, file, dir);
      source = `a tar of ${chosen.length} source files (*.js, *.mjs, *.cjs, *.ts) under node_modules/ and src/`;
      break;
    }
    case 'binaries': {
      const files = readdirSync('/usr/bin')
        .sort()
        .map((n) => path.join('/usr/bin', n))
        .filter(isElf);
      const chosen = wholeFilesUpTo(files, limit, 512);
      await tarOf('/', chosen, file, dir);
      source = `a tar of ${chosen.length} ELF files from /usr/bin`;
      break;
    }
  }
  if (limit !== undefined && statSync(file).size > limit) truncateSync(file, limit);
  return {
    kind,
    file,
    bytes: statSync(file).size,
    source: limit !== undefined && options.quick ? `${source}, cut to ${limit / MB} MB` : source,
  };
}

function writeRandom(file: string, bytes: number): void {
  const fd = openSync(file, 'w');
  try {
    const chunk = Buffer.alloc(1 << 20);
    for (let written = 0; written < bytes; written += chunk.length) {
      randomFillSync(chunk);
      writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written));
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Files in order, passing over any that would take the total (their sizes plus `overhead` each, a tar header)
 * past `limit`; at least one.
 */
function wholeFilesUpTo(files: string[], limit: number | undefined, overhead: number): string[] {
  if (limit === undefined) return files;
  const chosen: string[] = [];
  let total = 0;
  for (const f of files) {
    const size = statSync(f).size + overhead;
    if (chosen.length > 0 && total + size > limit) continue;
    chosen.push(f);
    total += size;
  }
  return chosen;
}

function* walk(dir: string): Generator<string> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(full);
    else if (e.isFile()) yield full;
  }
}

function isElf(file: string): boolean {
  try {
    if (!lstatSync(file).isFile()) return false;
    const fd = openSync(file, 'r');
    try {
      const head = Buffer.alloc(4);
      return readSync(fd, head, 0, 4, 0) === 4 && head.toString('latin1') === '\x7fELF';
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** A tar of `files` (absolute), named relative to `base`, as a layer holds them. */
async function tarOf(base: string, files: string[], out: string, scratch: string): Promise<void> {
  const list = path.join(scratch, 'files');
  writeFileSync(list, files.map((f) => path.relative(base, f)).join('\0') + '\0');
  await run('tar', ['-c', '-f', out, '-C', base, '--no-recursion', '--null', '-T', list]);
}
