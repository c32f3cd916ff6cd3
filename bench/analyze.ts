/**
 * Bench helper (not part of the tool): runs the tool's own image analysis, or only `docker save`, on one image
 * and prints one line of JSON with the figures (their types: bench/analyze-result.ts). bench/run.mjs bundles it
 * from the sources in the tree with esbuild and the bench runs it in a child process, so its memory is the
 * tool's own and nothing else's.
 *
 *   node analyze.mjs analyze IMAGE CACHE_DIR|none [--no-compressed]
 *   node analyze.mjs save IMAGE
 *   node analyze.mjs sizer [--model MODEL] FILE...
 *   node analyze.mjs models MODEL...
 *   node analyze.mjs registry REFERENCE CACHE_DIR|none
 *
 * `analyze` calls analyzeImage exactly as the tool does after a build (src/measure/layers.ts): the image's
 * ID and diff IDs from the engine, `docker save` through the engine class, the layer cache in CACHE_DIR, and
 * compressed sizes found as a push from this engine would upload them (the pipeline's pushSizingFor: the
 * model of the Go that built the engine, or the containerd store's blobs as stored).
 * `save` only reads the whole `docker save` stream and throws it away: the floor under any analysis.
 * `sizer` runs the tool's compressed sizer alone over layer tars on disk, one after the other: the same input,
 * read the same way, as the `gzip -6` baseline, so the two compare like with like. `--model` is
 * CompressedSizer's `model` option (default: the sizer's own default).
 * `registry` measures a published image as `baseline: registry` does (src/measure/registry-image.ts): manifest
 * and config from the registry, every blob the layer cache in CACHE_DIR does not know streamed and analysed; the
 * registry client reads the docker CLI's credentials. With `none`, every blob: the peak memory of streaming them.
 * `models` says which of the models named the sizer in the tree offers, by constructing sizers: a model is
 * available when a sizer takes it and refuses a name that is no model.
 */
import { Transform, type Readable } from 'node:stream';
import { DockerEngine } from '../src/docker/engine.js';
import { analyzeImage } from '../src/measure/image/analyze.js';
import { CompressedSizer, type CompressedSizerOptions } from '../src/measure/image/compressed-size.js';
import { LayerCache } from '../src/measure/image/layer-cache.js';
import { pushSizingFor } from '../src/measure/image/push-sizing.js';
import { measureRegistryImage } from '../src/measure/registry-image.js';
import { createRegistry } from '../src/registry/client.js';
import type { AnalyzeRun, ModelsRun, Opened, ProcessFigures, RegistryRun, SaveRun, SizerRun } from './analyze-result.js';
import { sizeFile } from './size-file.js';

const processStart = performance.timeOrigin;
const sinceStart = () => Date.now() - processStart;

/** Open `docker save` and tap the stream for timings; the tap passes chunks through untouched. */
async function openTapped(engine: DockerEngine, image: string, record: Opened[]): Promise<Readable> {
  const started = performance.now();
  const source = await engine.saveImage(image);
  const opened: Opened = { openMs: performance.now() - started, bytes: 0 };
  record.push(opened);
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (opened.firstByteMs === undefined) opened.firstByteMs = performance.now() - started;
      opened.bytes += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      opened.endMs = performance.now() - started;
      callback();
    },
  });
  source.on('error', (error) => tap.destroy(error));
  tap.on('close', () => source.destroy());
  return source.pipe(tap);
}

function usage(): never {
  process.stderr.write(
    'usage: analyze.mjs analyze IMAGE CACHE_DIR|none [--no-compressed] | save IMAGE | sizer [--model MODEL] FILE... | models MODEL... | registry REFERENCE CACHE_DIR|none\n',
  );
  process.exit(2);
}

/** Peaks of Node's own memory figures, sampled every 100 ms: which part of the RSS is heap, which is buffers. */
function memorySampler(): { stop(): Record<string, number> } {
  const peaks: Record<string, number> = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    for (const key of Object.keys(peaks)) peaks[key] = Math.max(peaks[key], m[key as keyof NodeJS.MemoryUsage]);
  };
  const timer = setInterval(sample, 100);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}

async function main(): Promise<void> {
  const [mode, image, cacheDir, ...flags] = process.argv.slice(2);
  const memory = memorySampler();
  if (!image) usage();
  const engine = new DockerEngine(); // unused by `sizer`; creating it opens no connection
  const startedAt = sinceStart();
  const t0 = performance.now();
  const opens: Opened[] = [];
  let result:
    | Omit<AnalyzeRun, keyof ProcessFigures>
    | Omit<SaveRun, keyof ProcessFigures>
    | Omit<SizerRun, keyof ProcessFigures>
    | Omit<RegistryRun, keyof ProcessFigures>;

  if (mode === 'models') {
    // constructing (and ending) a sizer is the test; a name that is no model must be refused, or the option is not read
    const accepts = async (model: string): Promise<string | undefined> => {
      try {
        await new CompressedSizer({ model } as CompressedSizerOptions).end();
        return undefined;
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    };
    const checksOption = (await accepts('bench-no-such-model')) !== undefined;
    const models: ModelsRun = {};
    for (const model of [image, ...(cacheDir ? [cacheDir] : []), ...flags]) {
      const refusal = await accepts(model);
      models[model] =
        refusal !== undefined
          ? { available: false, reason: `the sizer refuses it: ${refusal}` }
          : !checksOption && model !== 'go1.26'
            ? {
                available: false,
                reason: 'the sizer takes any model name, one that is no model too, so it would be measured as the default (go1.26)',
              }
            : { available: true };
    }
    process.stdout.write(`${JSON.stringify(models)}\n`);
    return;
  }
  if (mode === 'sizer') {
    let files = [image, ...(cacheDir ? [cacheDir] : []), ...flags];
    let options: CompressedSizerOptions = {};
    if (files[0] === '--model') {
      options = { model: files[1] as CompressedSizerOptions['model'] };
      files = files.slice(2);
    }
    if (files.length === 0) usage();
    const layers = [];
    for (const file of files) layers.push(await sizeFile(file, options));
    result = {
      mode: 'sizer',
      model: options.model ?? 'default',
      layers,
      bytes: layers.reduce((sum, l) => sum + l.bytes, 0),
      compressedBytes: layers.reduce((sum, l) => sum + l.compressedBytes, 0),
      wallMs: performance.now() - t0,
    };
  } else if (mode === 'save') {
    const stream = await openTapped(engine, image, opens);
    for await (const _ of stream); // read and drop
    result = { mode: 'save', wallMs: performance.now() - t0 };
  } else if (mode === 'analyze' && cacheDir) {
    const push = pushSizingFor(await engine.connect());
    const i0 = performance.now();
    const facts = await engine.inspect(image);
    const inspectMs = performance.now() - i0;
    const compressed = !flags.includes('--no-compressed');
    const cache = new LayerCache(cacheDir === 'none' ? undefined : cacheDir);
    const a0 = performance.now();
    const analysis = await analyzeImage({
      imageId: facts.id,
      diffIds: facts.layers,
      open: () => openTapped(engine, facts.id, opens),
      cache,
      compressed,
      push,
    });
    const analyzeMs = performance.now() - a0;
    // distinct layers: an image may hold the same layer twice (two empty WORKDIRs), measured once
    const distinct = new Map(analysis.layers.map((l) => [l.diffId, l]));
    result = {
      mode: 'analyze',
      push: { method: push.method, model: push.model, reason: push.reason },
      imageId: facts.id,
      engineSizeBytes: facts.sizeBytes,
      compressed,
      inspectMs,
      analyzeMs,
      wallMs: performance.now() - t0,
      layers: analysis.layers.map((l) => ({
        diffId: l.diffId,
        tarBytes: l.tarBytes,
        unpackedBytes: l.unpackedBytes,
        compressedBytes: l.compressedBytes,
        files: l.files,
        createdBy: l.createdBy.slice(0, 120),
      })),
      distinctTarBytes: [...distinct.values()].reduce((s, l) => s + l.tarBytes, 0),
      unpackedBytes: analysis.unpackedBytes,
      compressedBytes: analysis.compressedBytes,
      efficiency: { score: analysis.efficiency.score, wastedBytes: analysis.efficiency.wastedBytes },
      work: analysis.work,
    };
  } else if (mode === 'registry' && cacheDir) {
    const registry = await createRegistry({ env: process.env });
    const info = await engine.connect();
    const cache = new LayerCache(cacheDir === 'none' ? undefined : cacheDir);
    const measured = await measureRegistryImage({
      registry,
      reference: image,
      platform: info.platform ?? { os: 'linux', architecture: 'amd64' },
      cache,
      secrets: [],
    });
    if (!measured.found) throw new Error(`${image}: ${measured.reason}`);
    result = {
      mode: 'registry',
      reference: image,
      wallMs: performance.now() - t0,
      layers: measured.result.layers,
      unpackedBytes: measured.result.sizeBytes,
      compressedBytes: measured.result.compressedBytes ?? 0,
      work: measured.work,
    };
    cache.close();
  } else {
    usage();
  }
  const usage_ = process.resourceUsage();
  const figures: ProcessFigures = {
    opens,
    // from process start (node, module loading) to the work starting: what a fresh run pays first
    startupMs: startedAt,
    processMs: sinceStart(),
    maxRssBytes: usage_.maxRSS * 1024,
    memoryPeaks: memory.stop(),
    cpuUserMs: usage_.userCPUTime / 1000,
    cpuSystemMs: usage_.systemCPUTime / 1000,
  };
  process.stdout.write(JSON.stringify({ ...result, ...figures }) + '\n');
}

await main();
