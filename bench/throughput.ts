/**
 * Bench section (not part of the tool): compressed-size throughput against `gzip -6` on one core over the large
 * image's layer tars, the second run with the layer cache kept, and peak memory (of the large image and of
 * an image of 300,000 files). Its figures: bench/figures.ts; its part of RESULTS.md: bench/results.ts.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { AnalyzeRun, Child, SaveRun, SizerRun } from './analyze-result.js';
import { ANALYZE, BENCH, ROOT, type Config } from './config.js';
import { saveLayerTars } from './engine.js';
import { loadavg } from './format.js';
import { gzip6 } from './gzip.js';
import { ensureImage, type BenchImage } from './images.js';
import { say } from './log.js';
import type { DescribedMachine } from './machine.js';
import { hasTaskset, run } from './proc.js';
import { tempDir } from './temp.js';

export interface GzipLayer {
  bytes: number;
  gzBytes: number;
  ms: number;
  cpuMs?: number;
}

export interface GzipBaseline {
  saveToDiskMs: number;
  /** Layers saved as gzipped blobs (the containerd store), unzipped before gzip read them. */
  unzipped: number;
  layers: GzipLayer[];
  bytes: number;
  ms: number;
  cpuMs: number;
  gzBytes: number;
  pinned: boolean;
  /** The tool's sizer alone over the same files, with the model it uses on this engine. */
  sizer: Child<SizerRun> & { model: string };
}

export interface ThroughputFigures {
  bytes: number;
  gzipRate: number;
  toolRate: number;
  speedup: number;
  speedupGoal: number;
  /** The containerd store: the analysis takes each layer's compressed size from its stored blob, compressing nothing. */
  asStored: boolean;
  streamingRate: number;
  /** The sizer alone over the very files gzip read: like with like, without docker save's wait. */
  sizerSpeedup: number;
  secondRatio: number;
  secondAnalyzeRatio: number;
  peakRss: number;
  compressedVsGzip: number;
}

export interface ThroughputResult {
  loadBefore: string;
  loadAfter: string;
  save: Child<SaveRun>;
  gzip: GzipBaseline;
  first: Child<AnalyzeRun>;
  second: Child<AnalyzeRun>;
  noCompress: Child<AnalyzeRun>;
  /** Not in a quick run. */
  manyFiles?: { image: BenchImage; first: Child<AnalyzeRun> };
  figures: ThroughputFigures;
}

export async function throughput(config: Config, machine: DescribedMachine, image: BenchImage): Promise<ThroughputResult> {
  const loadBefore = loadavg();
  const save = await saveOnly(image.tag);
  // the model the tool uses on this engine; the default where the sizer in the tree does not offer it
  const gzip = await gzipBaseline(image.tag, machine.push.modelAvailable ? machine.push.model : 'go1.26');
  const cacheDir = tempDir('cache');
  say(`the tool's analysis of ${image.tag}, compressed sizes on, empty layer cache…`);
  const first = await analyzeChild<AnalyzeRun>(['analyze', image.tag, cacheDir]);
  say(`the same again, same cache directory (a later run where the cache persisted)…`);
  const second = await analyzeChild<AnalyzeRun>(['analyze', image.tag, cacheDir]);
  say(`the tool's analysis with compressed sizes off, no cache (the rest of the pass alone)…`);
  const noCompress = await analyzeChild<AnalyzeRun>(['analyze', image.tag, 'none', '--no-compressed']);
  let manyFiles: ThroughputResult['manyFiles'];
  if (!config.quick) {
    // memory grows with the number of files, not bytes: the same analysis of an image of 300,000 small files
    const many = await ensureImage(config, 'bench/manyfiles:1', path.join(BENCH, 'manyfiles'));
    say(`the tool's analysis of ${many.tag} (300,000 files), compressed sizes on, empty layer cache…`);
    manyFiles = { image: many, first: await analyzeChild<AnalyzeRun>(['analyze', many.tag, tempDir('cache-many')]) };
  }
  const loadAfter = loadavg();

  const bytes = first.distinctTarBytes;
  const gzipRate = gzip.bytes / (gzip.ms / 1000);
  const toolRate = bytes / (first.analyzeMs / 1000);
  const open = first.opens[0];
  const streamingMs = first.analyzeMs - (open?.firstByteMs ?? 0);
  const figures: ThroughputFigures = {
    bytes,
    gzipRate,
    toolRate,
    speedup: toolRate / gzipRate,
    speedupGoal: 0.9 * machine.cores,
    asStored: machine.push.asStored,
    streamingRate: bytes / (streamingMs / 1000),
    sizerSpeedup: gzip.sizer.bytes / gzip.sizer.wallMs / (gzip.bytes / gzip.ms),
    secondRatio: first.childWallMs / second.childWallMs,
    secondAnalyzeRatio: first.analyzeMs / Math.max(second.analyzeMs, 0.001),
    peakRss: Math.max(first.maxRssBytes, first.peakTreeRss ?? 0),
    compressedVsGzip: (first.compressedBytes ?? NaN) / gzip.gzBytes - 1,
  };
  // the keys in the order the saved run has always had them
  return { loadBefore, save, gzip, first, second, noCompress, ...(manyFiles ? { manyFiles } : {}), loadAfter, figures };
}

/** bench/analyze.ts in a process of its own: its figures, with the process's wall time and peak memory (tree). */
async function analyzeChild<T>(args: string[]): Promise<Child<T>> {
  const r = await run(process.execPath, [ANALYZE, ...args], { cwd: ROOT, sampleRss: true });
  const result = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as T;
  return { ...result, childWallMs: r.ms, peakTreeRss: r.peakTreeRss };
}

async function saveOnly(image: string): Promise<Child<SaveRun>> {
  say(`docker save ${image}, read through the engine API and dropped…`);
  return analyzeChild<SaveRun>(['save', image]);
}

/**
 * gzip -6 over the layer tars of `docker save`, one layer at a time, pinned to one core; then the tool's sizer
 * alone over the same files, with the model the tool uses on this engine. On the containerd store the save
 * holds the layers' blobs as stored (gzipped): they are unzipped first (untimed), so both read layer tars.
 */
async function gzipBaseline(image: string, model: string): Promise<GzipBaseline> {
  const dir = tempDir('save');
  say(`docker save ${image} | tar -x into ${dir}…`);
  const { saveMs, layers: tars } = await saveLayerTars(image, dir);
  const pinned = hasTaskset();
  say(`${pinned ? 'taskset -c 0 ' : ''}gzip -6 over ${tars.length} layer tars…`);
  const results: GzipLayer[] = [];
  for (const tar of tars) {
    const g = await gzip6(tar.file, pinned);
    results.push({ bytes: tar.bytes, gzBytes: g.outBytes, ms: g.ms, cpuMs: g.cpuMs });
  }
  say(`the tool's compressed sizer (${model}) alone over the same ${tars.length} layer tars…`);
  const sizer = { ...(await analyzeChild<SizerRun>(['sizer', '--model', model, ...tars.map((l) => l.file)])), model };
  rmSync(dir, { recursive: true, force: true });
  const bytes = results.reduce((s, l) => s + l.bytes, 0);
  const ms = results.reduce((s, l) => s + l.ms, 0);
  const gzBytes = results.reduce((s, l) => s + l.gzBytes, 0);
  const cpuMs = results.reduce((s, l) => s + (l.cpuMs ?? NaN), 0);
  const unzipped = tars.filter((l) => l.saved === 'gzip').length;
  return { saveToDiskMs: saveMs, unzipped, layers: results, bytes, ms, cpuMs, gzBytes, pinned, sizer };
}
