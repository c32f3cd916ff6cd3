#!/usr/bin/env node
// The bench: measures the tool on this machine, side by side with plain `docker build` and `gzip -6`, in one
// run, prints a table of figures with their goals (issue 3), and writes bench/RESULTS.md with the machine
// described. It is a script that prints figures, not a test: nothing here passes or fails a build.
//
// Run it with `bash bench/run.sh` (or `npm run bench`) from anywhere; see bench/README.md for what it
// measures, how, and the environment variables. It uses the Docker engine that DOCKER_HOST names (default:
// the local socket) for both sides, and needs the network in RUN steps for the first build of the large
// image and for cold builds of examples/python-service. New parts are typed: bench/engine.ts, bench/kinds.ts
// (bundled with bench/lib.ts into bench/.build/lib.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = path.join(ROOT, 'bench');
const BUILD_DIR = path.join(BENCH, '.build');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const ANALYZE = path.join(BUILD_DIR, 'analyze.mjs');
const LIB = path.join(BUILD_DIR, 'lib.mjs');
/** bench/lib.ts, bundled: the typed parts (engine.ts, kinds.ts). Loaded by `prepare` or `loadLib`. */
let lib;

// ---------------------------------------------------------------------------------------------------------
// settings

const env = process.env;
const QUICK = env.BENCH_QUICK === '1';
const ALL_SECTIONS = ['throughput', 'kinds', 'overhead', 'pr'];
const SECTIONS = (env.BENCH_SECTIONS ?? ALL_SECTIONS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
for (const s of SECTIONS) if (!ALL_SECTIONS.includes(s)) die(`BENCH_SECTIONS: unknown section "${s}" (known: ${ALL_SECTIONS.join(', ')})`);
const CONFIG = {
  quick: QUICK,
  sections: SECTIONS,
  image: env.BENCH_IMAGE ?? (QUICK ? 'bench/quick:1' : 'bench/large:1'),
  imageDir: env.BENCH_IMAGE_DIR ?? path.join(BENCH, QUICK ? 'quick' : 'large'),
  rebuild: env.BENCH_REBUILD === '1',
  overheadModes: (env.BENCH_OVERHEAD ?? (QUICK ? 'warm' : 'cold,warm')).split(',').map((s) => s.trim()).filter(Boolean),
  coldReps: positiveInt('BENCH_REPS', QUICK ? 2 : 5),
  warmReps: positiveInt('BENCH_WARM_REPS', QUICK ? 2 : 5),
  example: path.join(ROOT, 'examples', 'python-service'),
  out: env.BENCH_OUT ? path.resolve(env.BENCH_OUT) : path.join(BENCH, QUICK ? 'RESULTS.quick.md' : 'RESULTS.md'),
  keepTemp: env.BENCH_KEEP_TMP === '1',
  prCold: env.BENCH_PR_COLD === '1',
  // the overhead's docker side: the legacy builder, and BuildKit through `docker buildx build` where there is buildx
  builders: list('BENCH_BUILDERS', 'legacy,buildkit', ['legacy', 'buildkit']),
  kindReps: positiveInt('BENCH_KIND_REPS', QUICK ? 1 : 3),
  kinds: list('BENCH_KINDS', 'rootfs,random,json,source,binaries', ['rootfs', 'random', 'json', 'source', 'binaries']),
  models: list('BENCH_MODELS', 'go1.26,go1.27', ['go1.26', 'go1.27']),
};
for (const m of CONFIG.overheadModes) if (!['cold', 'warm'].includes(m)) die(`BENCH_OVERHEAD: unknown mode "${m}" (known: cold, warm)`);

function list(name, fallback, known) {
  const values = (env[name] || fallback).split(',').map((s) => s.trim()).filter(Boolean);
  for (const v of values) if (!known.includes(v)) die(`${name}: unknown value "${v}" (known: ${known.join(', ')})`);
  return values;
}

function positiveInt(name, fallback) {
  if (env[name] === undefined || env[name] === '') return fallback;
  const n = Number(env[name]);
  if (!Number.isInteger(n) || n < 1) die(`${name}: "${env[name]}" is not a whole number of at least 1`);
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// small tools

const benchStarted = performance.now();
const temps = [];

function die(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function say(message) {
  const s = ((performance.now() - benchStarted) / 1000).toFixed(0).padStart(5);
  process.stderr.write(`[${s} s] ${message}\n`);
}

function tempDir(label) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `isr-bench-${label}-`));
  temps.push(dir);
  return dir;
}

function cleanupTemps() {
  if (CONFIG.keepTemp) {
    if (temps.length) say(`kept temporary directories: ${temps.join(' ')}`);
    return;
  }
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Run a command to the end; resolves with its output, exit code and wall time. Throws on failure unless `ok` says otherwise. */
function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => {
      err.push(c);
      if (options.echo) process.stderr.write(c);
    });
    const sampler = options.sampleRss ? rssSampler(child.pid) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = performance.now() - started;
      const peakTreeRss = sampler?.stop();
      const result = { code, signal, ms, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), peakTreeRss };
      if (code !== 0 && !options.allowFail) {
        reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}:\n${result.stderr.slice(-3000)}`));
      } else resolve(result);
    });
  });
}

function runSync(command, args) {
  const r = spawnSync(command, args, { encoding: 'utf8', env });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * Peak resident memory of a process and every process under it, sampled from /proc every 50 ms. The child's
 * own maxRSS (from the kernel, exact) misses helper processes; this catches them, at the cost of short peaks.
 */
function rssSampler(pid) {
  let peak = 0;
  const rssOf = (p) => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  };
  const childrenOf = (p) => {
    const kids = [];
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const text = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (text) kids.push(...text.split(/\s+/).map(Number));
      }
    } catch {
      // gone
    }
    return kids;
  };
  const sample = () => {
    let total = 0;
    const queue = [pid];
    while (queue.length) {
      const p = queue.pop();
      total += rssOf(p);
      queue.push(...childrenOf(p));
    }
    peak = Math.max(peak, total);
  };
  const timer = setInterval(sample, 50);
  sample();
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const seconds = (ms) => (ms >= 100_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`);
const mb = (bytes) => `${(bytes / 1e6).toFixed(bytes >= 1e9 ? 0 : 1)} MB`;
const mbps = (bytes, ms) => `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
const ratio = (x, digits = 2) => `${x.toFixed(digits)}×`;
const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

const docker = (args, options) => run('docker', args, options);
const legacyEnv = { DOCKER_BUILDKIT: '0' };

async function imageExists(ref) {
  return (await docker(['image', 'inspect', '--format', '{{.Id}}', ref], { allowFail: true })).code === 0;
}

async function imageIds(all = true) {
  const r = await docker(['images', ...(all ? ['-a'] : []), '-q', '--no-trunc']);
  return new Set(r.stdout.split('\n').filter(Boolean));
}

/** Remove what `docker build` left that the bench made: the tags given, and dangling images that were not there before. */
async function removeBenchImages(tags, before) {
  for (const tag of tags) await docker(['rmi', tag], { allowFail: true });
  if (!before) return;
  const dangling = (await docker(['images', '-q', '--no-trunc', '-f', 'dangling=true'])).stdout.split('\n').filter(Boolean);
  const ours = dangling.filter((id) => !before.has(id));
  if (ours.length) await docker(['rmi', ...ours], { allowFail: true });
}

// ---------------------------------------------------------------------------------------------------------
// preparation

async function prepare() {
  if (!existsSync(path.join(ROOT, 'node_modules'))) die('node_modules is missing: run `npm ci` first (bench/run.sh does).');
  if (!existsSync(CLI)) die('dist/cli.js is missing: run `npm run build` first (bench/run.sh does).');
  const engine = await docker(['version', '--format', '{{.Server.Version}}'], { allowFail: true });
  if (engine.code !== 0) die(`the Docker engine does not answer (${(engine.stderr.trim().split('\n').pop() || '').slice(0, 200)}); start it (bash scripts/setup-docker.sh) or set DOCKER_HOST.`);
  if (!(await imageExists('debian:bookworm-slim'))) die('debian:bookworm-slim is missing: run `bash scripts/setup-docker.sh --base-images` first.');
  // the analysis entry, bundled from the sources in the tree as scripts/bundle.mjs bundles the tool
  const { build } = await import('esbuild');
  mkdirSync(BUILD_DIR, { recursive: true });
  const { nodeBundle } = await import('../scripts/esbuild-options.mjs');
  await build({ ...nodeBundle, entryPoints: [path.join(BENCH, 'analyze.ts')], outfile: ANALYZE });
  await loadLib();
}

/** Bundle bench/lib.ts from the sources in the tree and load it. */
async function loadLib() {
  const { build } = await import('esbuild');
  const { nodeBundle } = await import('../scripts/esbuild-options.mjs');
  mkdirSync(BUILD_DIR, { recursive: true });
  await build({ ...nodeBundle, entryPoints: [path.join(BENCH, 'lib.ts')], outfile: LIB });
  lib = await import(`${pathToFileURL(LIB).href}?${Date.now()}`);
}

async function describeMachine() {
  const cpus = os.cpus();
  const info = JSON.parse((await docker(['info', '--format', '{{json .}}'])).stdout);
  const apiVersion = (await docker(['version', '--format', '{{.Server.APIVersion}}'])).stdout.trim();
  const root = info.DockerRootDir;
  let disk = 'unknown (engine not local)';
  if (root && existsSync(root)) {
    const df = runSync('df', ['-PT', '-B1', root])?.split('\n')[1]?.split(/\s+/);
    const source = runSync('findmnt', ['-no', 'SOURCE', '-T', root]);
    const parent = source ? runSync('lsblk', ['-no', 'PKNAME', source]) : undefined;
    const dev = parent || (source ? path.basename(source) : undefined);
    const rota = dev ? runSync('lsblk', ['-dno', 'ROTA,MODEL', `/dev/${dev}`]) : undefined;
    disk = df
      ? `${df[1]} on ${df[0]}, ${(Number(df[2]) / 1e9).toFixed(0)} GB, ${(Number(df[4]) / 1e9).toFixed(0)} GB free` +
        (rota ? `, ${rota.trim().startsWith('0') ? 'non-rotational' : 'rotational'}${rota.trim().slice(1).trim() ? ` (${rota.trim().slice(1).trim()})` : ''}` : '')
      : 'unknown';
  }
  const gitHead = runSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = runSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'dist']);
  const distStale = await distDiffers();
  const sizerSource = path.join(ROOT, 'src', 'measure', 'image', 'compressed-size.ts');
  const sizerDoc = existsSync(sizerSource) ? (/\/\*\*\s*\n?\s*\*?\s*([^\n]*)/.exec(readFileSync(sizerSource, 'utf8'))?.[1] ?? '').replace(/\*\/\s*$/, '').trim() : 'not found';
  const engine = await lib.describeEngine(ROOT);
  const push = lib.pushSizingFor({ serverVersion: engine.serverVersion, containerdStore: engine.containerdStore, goVersion: engine.goVersion });
  // whether the sizer in the tree offers the model the tool picks here (found by constructing sizers)
  const pushModel = (await lib.modelAvailability(ANALYZE, [push.model]))[push.model];
  return {
    date: new Date().toISOString(),
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    ramBytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    disk,
    dockerServer: info.ServerVersion,
    dockerApi: apiVersion,
    dockerClient: runSync('docker', ['version', '--format', '{{.Client.Version}}']) ?? '?',
    storage: info.Driver,
    engine,
    // how the tool finds compressed sizes on this engine (src/measure/image/push-sizing.ts)
    push: { method: push.method, model: push.model, asStored: push.asStored, reason: push.reason, modelAvailable: pushModel.available, modelMissing: pushModel.reason },
    node: process.version,
    gzip: runSync('gzip', ['--version'])?.split('\n')[0] ?? 'not found',
    taskset: Boolean(runSync('sh', ['-c', 'command -v taskset'])),
    commit: gitHead ? `${gitHead}${dirty ? ' (with uncommitted changes in src/ or dist/)' : ''}` : 'unknown',
    distStale,
    sizer: sizerDoc,
    loadStart: loadavg(),
  };
}

/**
 * Whether dist/ looks older than src/: src/ changed (in a commit or in the work tree) since the last commit that
 * touched dist/, and dist/ has no local changes (a local rebuild is taken to be current).
 */
async function distDiffers() {
  const gitOut = (...args) => runSync('git', ['-C', ROOT, ...args]);
  if (gitOut('status', '--porcelain', '--', 'dist')) return false;
  if (gitOut('status', '--porcelain', '--', 'src')) return true;
  const lastDist = gitOut('log', '-1', '--format=%H', '--', 'dist');
  if (!lastDist) return false;
  return spawnSync('git', ['-C', ROOT, 'diff', '--quiet', lastDist, 'HEAD', '--', 'src']).status === 1;
}

// ---------------------------------------------------------------------------------------------------------
// the large image

async function ensureImage(image = CONFIG.image, imageDir = CONFIG.imageDir) {
  let built;
  if (CONFIG.rebuild || !(await imageExists(image))) {
    say(`building ${image} from ${path.relative(ROOT, imageDir)}/Dockerfile (legacy builder; minutes, needs Debian's mirror)…`);
    const r = await docker(['build', '-t', image, imageDir], { env: legacyEnv });
    built = { ms: r.ms };
    say(`built ${image} in ${seconds(r.ms)}`);
  } else {
    say(`reusing ${image} (BENCH_REBUILD=1 rebuilds it)`);
  }
  const inspect = JSON.parse((await docker(['image', 'inspect', image])).stdout)[0];
  return { tag: image, id: inspect.Id, engineSizeBytes: inspect.Size, layers: inspect.RootFS.Layers.length, created: inspect.Created, built };
}

// ---------------------------------------------------------------------------------------------------------
// throughput, second run, memory

async function analyzeChild(args) {
  const r = await run(process.execPath, [ANALYZE, ...args], { sampleRss: true });
  const result = JSON.parse(r.stdout.trim().split('\n').pop());
  return { ...result, childWallMs: r.ms, peakTreeRss: r.peakTreeRss };
}

async function saveOnly(image) {
  say(`docker save ${image}, read through the engine API and dropped…`);
  return analyzeChild(['save', image]);
}

/**
 * gzip -6 over the layer tars of `docker save`, one layer at a time, pinned to one core; then the tool's sizer
 * alone over the same files, with the model the tool uses on this engine. On the containerd store the save
 * holds the layers' blobs as stored (gzipped): they are unzipped first (untimed), so both read layer tars.
 */
async function gzipBaseline(image, model) {
  const dir = tempDir('save');
  say(`docker save ${image} | tar -x into ${dir}…`);
  const { saveMs, layers: tars } = await lib.saveLayerTars(image, dir);
  const layers = tars.map((l) => l.file);
  const pinned = runSync('sh', ['-c', 'command -v taskset']) ? 'taskset -c 0 ' : '';
  say(`${pinned}gzip -6 over ${layers.length} layer tars…`);
  const results = [];
  for (const file of layers) results.push(await gzipOne(file, pinned));
  say(`the tool's compressed sizer (${model}) alone over the same ${layers.length} layer tars…`);
  const sizer = { ...(await analyzeChild(['sizer', '--model', model, ...layers])), model };
  rmSync(dir, { recursive: true, force: true });
  const bytes = results.reduce((s, l) => s + l.bytes, 0);
  const ms = results.reduce((s, l) => s + l.ms, 0);
  const gzBytes = results.reduce((s, l) => s + l.gzBytes, 0);
  const cpuMs = results.reduce((s, l) => s + (l.cpuMs ?? NaN), 0);
  const unzipped = tars.filter((l) => l.saved === 'gzip').length;
  return { saveToDiskMs: saveMs, unzipped, layers: results, bytes, ms, cpuMs, gzBytes, pinned: Boolean(pinned), sizer };
}

/** gzip -6 of one file, its output counted here; with GNU time, its CPU time too. */
function gzipOne(file, pinned) {
  return new Promise((resolve, reject) => {
    const timeFile = path.join(path.dirname(file), `.time-${path.basename(path.dirname(file))}`);
    const gzip = [...(pinned ? ['taskset', '-c', '0'] : []), 'gzip', '-6', '-c', file];
    const command = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', '%U %S', '-o', timeFile, ...gzip] : gzip;
    const started = performance.now();
    const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let gzBytes = 0;
    child.stdout.on('data', (chunk) => (gzBytes += chunk.length));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`gzip -6 ${file} exited with ${code}`));
      let cpuMs;
      if (existsSync(timeFile)) {
        const [user, system] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
        cpuMs = (user + system) * 1000;
        rmSync(timeFile);
      }
      resolve({ bytes: statSync(file).size, gzBytes, ms, cpuMs });
    });
  });
}

async function throughput(machine, image) {
  const out = { loadBefore: loadavg() };
  out.save = await saveOnly(image.tag);
  // the model the tool uses on this engine; the default where the sizer in the tree does not offer it
  out.gzip = await gzipBaseline(image.tag, machine.push.modelAvailable ? machine.push.model : 'go1.26');
  const cacheDir = tempDir('cache');
  say(`the tool's analysis of ${image.tag}, compressed sizes on, empty layer cache…`);
  out.first = await analyzeChild(['analyze', image.tag, cacheDir]);
  say(`the same again, same cache directory (a later run where the cache persisted)…`);
  out.second = await analyzeChild(['analyze', image.tag, cacheDir]);
  say(`the tool's analysis with compressed sizes off, no cache (the rest of the pass alone)…`);
  out.noCompress = await analyzeChild(['analyze', image.tag, 'none', '--no-compressed']);
  if (!CONFIG.quick) {
    // memory grows with the number of files, not bytes: the same analysis of an image of 300,000 small files
    const many = await ensureImage('bench/manyfiles:1', path.join(BENCH, 'manyfiles'));
    say(`the tool's analysis of ${many.tag} (300,000 files), compressed sizes on, empty layer cache…`);
    out.manyFiles = { image: many, first: await analyzeChild(['analyze', many.tag, tempDir('cache-many')]) };
  }
  out.loadAfter = loadavg();

  const bytes = out.first.distinctTarBytes;
  const gzipRate = out.gzip.bytes / (out.gzip.ms / 1000);
  const toolRate = bytes / (out.first.analyzeMs / 1000);
  const open = out.first.opens[0];
  const streamingMs = out.first.analyzeMs - (open?.firstByteMs ?? 0);
  out.figures = {
    bytes,
    gzipRate,
    toolRate,
    speedup: toolRate / gzipRate,
    speedupGoal: 0.9 * machine.cores,
    // the containerd store: the analysis takes each layer's compressed size from its stored blob, compressing nothing
    asStored: machine.push.asStored,
    streamingRate: bytes / (streamingMs / 1000),
    // the sizer alone over the very files gzip read: like with like, without docker save's wait
    sizerSpeedup: out.gzip.sizer.bytes / out.gzip.sizer.wallMs / (out.gzip.bytes / out.gzip.ms),
    secondRatio: out.first.childWallMs / out.second.childWallMs,
    secondAnalyzeRatio: out.first.analyzeMs / Math.max(out.second.analyzeMs, 0.001),
    peakRss: Math.max(out.first.maxRssBytes, out.first.peakTreeRss ?? 0),
    compressedVsGzip: out.first.compressedBytes / out.gzip.gzBytes - 1,
  };
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// overhead: the tool against docker build, examples/python-service

const EXAMPLE_BUILDS = [
  { name: 'single-stage', args: (dir) => ['-f', path.join(dir, 'Dockerfile.single')] },
  { name: 'multi-stage', args: (dir) => ['-f', path.join(dir, 'Dockerfile'), '--target', 'runtime'] },
];

/**
 * A copy of the example for a cold run: `ARG BENCH_NONCE` after every FROM, so that a new value of it is in
 * every RUN's cache key (legacy builder), which is an empty build cache for these Dockerfiles without
 * removing anything of the engine's. Each side of each repetition builds with a value of its own.
 */
function coldExample() {
  const dir = path.join(tempDir('example'), 'python-service');
  cpSync(CONFIG.example, dir, { recursive: true });
  for (const name of ['Dockerfile', 'Dockerfile.single']) {
    const file = path.join(dir, name);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^(FROM .*)$/gm, '$1\nARG BENCH_NONCE'));
  }
  return dir;
}

/**
 * The docker side of the overhead for a builder, and the tool's `--builder` to compare it with:
 * legacy: `DOCKER_BUILDKIT=0 docker build`; buildkit: `docker buildx build` on the engine's own builder (the
 * docker driver's, which loads the image into the engine's image store by default, `--load` being implied),
 * so that both sides build with the same BuildKit, in the same build cache, into the same image store.
 */
function builderSide(builder, machine) {
  if (builder === 'legacy') return { builder, command: 'DOCKER_BUILDKIT=0 docker build', args: ['build'], env: legacyEnv, tool: 'legacy' };
  const name = machine.engine.buildx.name;
  return { builder, command: 'docker buildx build', args: ['buildx', 'build', '--builder', name], env: {}, tool: 'buildkit', buildCache: name };
}

/**
 * After a cold repetition, what its builds left besides images: BuildKit's build-cache records that were not
 * there before it (the legacy builder's build cache is its step images, removed with the dangling images).
 */
async function removeColdBuildCache(side, example, cacheBefore) {
  if (!side.buildCache || !example.buildArgs.length) return;
  const r = await lib.removeNewBuildCache(side.buildCache, cacheBefore);
  if (r.left) say(`  warning: ${r.left} of the ${r.added} build-cache records this repetition added are still there${r.error ? ` (docker buildx prune: ${r.error})` : ''}`);
}

const buildCacheNow = (side, example) => (side.buildCache && example.buildArgs.length ? lib.buildCacheIds(side.buildCache) : undefined);

/** `example`: the folder and the build args of this run (a cold run's nonce), as `coldExample` made them. */
async function dockerBuildExample(example, label, side) {
  const before = await imageIds();
  const cacheBefore = await buildCacheNow(side, example);
  const tags = [];
  let ms = 0;
  const parts = {};
  for (const b of EXAMPLE_BUILDS) {
    const tag = `bench/overhead-${b.name}:${label}`;
    tags.push(tag);
    const r = await docker([...side.args, ...example.buildArgs.flatMap((a) => ['--build-arg', a]), ...b.args(example.dir), '-t', tag, example.dir], { env: side.env });
    parts[b.name] = r.ms;
    ms += r.ms;
  }
  await removeBenchImages(tags, before);
  await removeColdBuildCache(side, example, cacheBefore);
  return { ms, parts };
}

/**
 * `cacheDir`: the tool's layer cache, in the same state as the build cache: empty for a cold run, filled by
 * an earlier (untimed) run for a warm one, as a runner that keeps both would have it. After a cold run, the
 * build cache it leaves (as docker build leaves its own) is removed, untimed.
 */
async function toolExample(example, cacheDir, side) {
  const before = await imageIds();
  const cacheBefore = await buildCacheNow(side, example);
  const dir = tempDir('report');
  const json = path.join(dir, 'report.json');
  const r = await run(process.execPath, [
    CLI, '-C', example.dir, '--builder', side.tool, '--no-compressed-size', '--cache-dir', cacheDir ?? tempDir('layer-cache'),
    ...example.buildArgs.flatMap((a) => ['--build-arg', a]), '--no-fail-on-budget', '--json', json,
  ]);
  if (example.buildArgs.length) await removeBenchImages([], before);
  await removeColdBuildCache(side, example, cacheBefore);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const parts = {};
  for (const v of report.variants) {
    if (v.head.status !== 'built') throw new Error(`the tool did not build ${v.name}: ${v.head.error ?? v.head.reason}`);
    parts[v.name] = { buildMs: v.head.buildMs, cachedSteps: v.head.cachedSteps, steps: v.head.steps };
  }
  const buildMs = Object.values(parts).reduce((s, p) => s + p.buildMs, 0);
  return { ms: r.ms, buildMs, parts };
}

/** The builders the overhead compares on this engine: BuildKit only where `docker buildx` can use the engine's own builder. */
function overheadBuilders(machine) {
  return CONFIG.builders.filter((b) => b !== 'buildkit' || machine.engine.buildx);
}

async function overhead(machine) {
  const builders = overheadBuilders(machine);
  const out = { loadBefore: loadavg(), builders, runs: [] };
  if (CONFIG.builders.includes('buildkit') && !builders.includes('buildkit')) {
    out.noBuildKit = machine.engine.noBuildx;
    say(`overhead: no comparison with docker buildx build: ${machine.engine.noBuildx}`);
  }
  const sides = builders.map((b) => builderSide(b, machine));
  for (const mode of CONFIG.overheadModes) {
    const reps = mode === 'cold' ? CONFIG.coldReps : CONFIG.warmReps;
    const before = await imageIds();
    const primeTags = [];
    const warmCache = {};
    if (mode === 'warm') {
      for (const side of sides) {
        say(`warm: priming the build cache with one untimed ${side.command} of each variant…`);
        for (const b of EXAMPLE_BUILDS) {
          const tag = `bench/overhead-${b.name}:prime-${side.builder}`;
          primeTags.push(tag);
          await docker([...side.args, ...b.args(CONFIG.example), '-t', tag, CONFIG.example], { env: side.env });
        }
        say(`warm: priming the layer cache with one untimed run of the tool (--builder ${side.tool})…`);
        warmCache[side.builder] = tempDir('layer-cache');
        await toolExample({ dir: CONFIG.example, buildArgs: [] }, warmCache[side.builder], side);
      }
    }
    const cold = mode === 'cold' ? coldExample() : undefined;
    const nonce = `${Date.now().toString(36)}-${process.pid}`;
    const example = (side, builder, i) => (cold ? { dir: cold, buildArgs: [`BENCH_NONCE=${builder}-${side}-${nonce}-${i}`] } : { dir: CONFIG.example, buildArgs: [] });
    const rows = Object.fromEntries(builders.map((b) => [b, []]));
    for (let i = 0; i < reps; i += 1) {
      const order = i % 2 === 0 ? ['docker', 'tool'] : ['tool', 'docker'];
      for (const side of sides) {
        const row = { order: order.join(' then ') };
        for (const who of order) {
          say(`overhead ${mode} ${i + 1}/${reps}, ${side.builder}: ${who === 'docker' ? `${side.command} of both Dockerfiles` : `the tool (--builder ${side.tool} --no-compressed-size)`}…`);
          const ex = example(who, side.builder, i);
          row[who] = who === 'docker' ? await dockerBuildExample(ex, `${mode}-${side.builder}-${i}`, side) : await toolExample(ex, warmCache[side.builder], side);
        }
        say(`  ${side.command} ${seconds(row.docker.ms)}, tool ${seconds(row.tool.ms)} (${ratio(row.tool.ms / row.docker.ms, 3)})`);
        rows[side.builder].push(row);
      }
    }
    if (primeTags.length) await removeBenchImages(primeTags, before);
    for (const side of sides) {
      const r = rows[side.builder];
      const dockerMedian = median(r.map((x) => x.docker.ms));
      const toolMedian = median(r.map((x) => x.tool.ms));
      out.runs.push({ builder: side.builder, command: side.command, mode, rows: r, dockerMedian, toolMedian, ratio: toolMedian / dockerMedian, toolBuildMedian: median(r.map((x) => x.tool.buildMs)) });
    }
  }
  out.loadAfter = loadavg();
  return out;
}

/** The overhead's measurements, builder by builder (a run saved before the BuildKit comparison: legacy only). */
function overheadRuns(o) {
  return o.runs ?? Object.entries(o.modes).map(([mode, m]) => ({ builder: 'legacy', command: 'DOCKER_BUILDKIT=0 docker build', mode, ...m }));
}

// ---------------------------------------------------------------------------------------------------------
// a pull-request run: base = the large image's Dockerfile, head = that plus one small layer

function git(cwd, ...args) {
  const r = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * A git repository whose base commit holds the large image's Dockerfile and whose head adds one small layer.
 * `nonceArg`: an `ARG BENCH_NONCE=<value>` line after FROM, whose value is in every RUN's cache key (legacy
 * builder): a new value is an empty build cache for this Dockerfile without touching the kept image.
 */
function pullRequestRepo(nonce, nonceArg) {
  const repo = tempDir('repo');
  git(repo, 'init', '-q', '-b', 'main');
  let dockerfile = readFileSync(path.join(CONFIG.imageDir, 'Dockerfile'), 'utf8');
  if (nonceArg) dockerfile = dockerfile.replace(/^(FROM .*)$/m, `$1\nARG BENCH_NONCE=${nonceArg}`);
  writeFileSync(path.join(repo, 'Dockerfile'), dockerfile);
  writeFileSync(path.join(repo, '.dockerignore'), '.git\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'base: the large image');
  writeFileSync(path.join(repo, 'pr-note.txt'), `added by the pull request (bench run ${nonce})\n`);
  writeFileSync(path.join(repo, 'Dockerfile'), `${dockerfile}\nCOPY pr-note.txt /usr/local/share/pr-note.txt\n`);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'head: one small layer more');
  return { dir: repo, base: git(repo, 'rev-parse', '--short', 'HEAD~1'), head: git(repo, 'rev-parse', '--short', 'HEAD') };
}

async function dockerBuildHead(repo, label, buildArgs = []) {
  const before = await imageIds();
  const tag = `bench/pr-head:${label}`;
  const d = await docker(['build', ...buildArgs, '-t', tag, repo.dir], { env: legacyEnv });
  await removeBenchImages([tag], before);
  return { ms: d.ms, cachedSteps: (d.stdout.match(/---> Using cache/g) ?? []).length, steps: (d.stdout.match(/^Step \d+\//gm) ?? []).length };
}

/** The tool run on the base commit alone (no comparison), as a push to the base branch would run it. */
async function toolOnBaseCommit(repo, cacheDir) {
  const worktree = path.join(tempDir('base-worktree'), 'base');
  git(repo.dir, 'worktree', 'add', '--detach', worktree, 'HEAD~1');
  try {
    await run(process.execPath, [CLI, '-C', worktree, '--builder', 'legacy', '--cache-dir', cacheDir, '--no-fail-on-budget']);
  } finally {
    git(repo.dir, 'worktree', 'remove', '--force', worktree);
  }
}

async function toolPullRequest(repo, cacheDir) {
  const json = path.join(tempDir('report'), 'report.json');
  const r = await run(process.execPath, [CLI, '-C', repo.dir, '--base', 'HEAD~1', '--builder', 'legacy', '--cache-dir', cacheDir, '--no-fail-on-budget', '--json', json], { sampleRss: true });
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const v = report.variants[0];
  for (const side of ['head', 'base']) if (v[side]?.status !== 'built') throw new Error(`the tool did not build the ${side}: ${JSON.stringify(v[side]).slice(0, 300)}`);
  return {
    ms: r.ms,
    buildMs: v.head.buildMs + v.base.buildMs,
    head: { buildMs: v.head.buildMs, cachedSteps: v.head.cachedSteps, steps: v.head.steps, compressedBytes: v.head.compressedBytes, sizeBytes: v.head.sizeBytes },
    base: { buildMs: v.base.buildMs, cachedSteps: v.base.cachedSteps, steps: v.base.steps },
    layerChanges: v.layerChanges?.length,
    peakTreeRss: r.peakTreeRss,
  };
}

async function pullRequest(image) {
  const out = { loadBefore: loadavg() };
  const nonce = `${Date.now().toString(36)}-${process.pid}`;
  const repo = pullRequestRepo(nonce);
  out.repo = repo;
  say('pull request: docker build of the head alone (every step but the added one cached)…');
  out.docker = await dockerBuildHead(repo, nonce);
  say('pull request: the tool with --base HEAD~1, empty layer cache (a first run)…');
  out.fresh = await toolPullRequest(repo, tempDir('cache'));
  const persisted = tempDir('cache');
  say("pull request: filling a layer cache with a run of the tool on the base commit (untimed: what the base branch's run left)…");
  await toolOnBaseCommit(repo, persisted);
  say("pull request: the tool with --base HEAD~1, layer cache left by the run on the base commit…");
  out.persisted = await toolPullRequest(repo, persisted);
  if (CONFIG.prCold) {
    // an empty build cache on each side: the tool's head build is cold and its base build reuses it, as on a
    // fresh runner; the docker side gets its own ARG value, so neither side's cache serves the other
    const coldRepo = pullRequestRepo(nonce, `tool-${nonce}`);
    say('pull request, empty build cache: docker build of the head alone (cold: minutes, Debian\'s mirror)…');
    const docker = await dockerBuildHead(coldRepo, `cold-${nonce}`, ['--build-arg', `BENCH_NONCE=docker-${nonce}`]);
    say('pull request, empty build cache: the tool with --base HEAD~1, empty layer cache…');
    const tool = await toolPullRequest(coldRepo, tempDir('cache'));
    out.cold = { docker, tool };
  }
  out.loadAfter = loadavg();
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// report

function verdict(pass) {
  return pass === undefined ? '—' : pass ? 'pass' : 'MISS';
}

const builderWords = (m) => (m.builder === 'buildkit' ? 'BuildKit: tool / docker buildx build' : 'legacy builder: tool --builder legacy / DOCKER_BUILDKIT=0 docker build');

function figures(machine, image, t, o, p, k) {
  const rows = [];
  if (o) {
    for (const m of overheadRuns(o)) {
      const mode = m.mode;
      rows.push({
        figure: `Overhead, ${mode} (${mode === 'cold' ? 'empty build cache both sides' : 'every step cached both sides'}), ${builderWords(m)}`,
        value: `${ratio(m.ratio, 3)} (${seconds(m.toolMedian)} / ${seconds(m.dockerMedian)})`,
        goal: '≤ 1.05×',
        pass: m.ratio <= 1.05,
      });
      if (mode === 'cold') {
        // cold builds vary by tens of seconds with the mirror and the load; the builds are the same work on
        // both sides, so the tool's other work over docker's time is the steadier estimate of what it adds
        const rest = median(m.rows.map((r) => r.tool.ms - r.tool.buildMs));
        rows.push({
          figure: `Overhead, cold, ${m.builder === 'buildkit' ? 'BuildKit' : 'legacy builder'}, build times taken as equal: (docker's builds + the tool's work besides building) / docker's builds`,
          value: `${ratio((m.dockerMedian + rest) / m.dockerMedian, 3)} (+${seconds(rest)} on ${seconds(m.dockerMedian)})`,
          goal: '≤ 1.05× (estimate)',
          pass: (m.dockerMedian + rest) / m.dockerMedian <= 1.05,
        });
      }
    }
    if (o.noBuildKit) rows.push({ figure: 'Overhead, BuildKit: tool / docker buildx build', value: `not measured: ${o.noBuildKit}`, goal: '≤ 1.05×' });
  }
  if (t) {
    const f = t.figures;
    rows.push(
      f.asStored
        ? {
            figure: `Whole analysis, ${mb(f.bytes)} of layer tars (containerd store: compressed sizes as its blobs are stored, nothing compressed): tool / gzip -6 on one core`,
            value: `${ratio(f.speedup)} (${mbps(f.bytes, t.first.analyzeMs)} / ${mbps(t.gzip.bytes, t.gzip.ms)})`,
            goal: '— (no compression to measure)',
          }
        : {
            figure: `Compressed-size throughput, ${mb(f.bytes)} of layer tars: tool / gzip -6 on one core`,
            value: `${ratio(f.speedup)} (${mbps(f.bytes, t.first.analyzeMs)} / ${mbps(t.gzip.bytes, t.gzip.ms)})`,
            goal: `≥ ${ratio(f.speedupGoal, 1)} (0.9 × ${machine.cores} cores)`,
            pass: f.speedup >= f.speedupGoal,
          },
    );
    if (t.gzip.sizer) {
      rows.push({
        figure: `Compressed-size throughput, the sizer alone${t.gzip.sizer.model ? ` (${t.gzip.sizer.model})` : ''} over the same ${mb(t.gzip.sizer.bytes)} of layer tars on disk: tool / gzip -6 on one core`,
        value: `${ratio(f.sizerSpeedup)} (${mbps(t.gzip.sizer.bytes, t.gzip.sizer.wallMs)} / ${mbps(t.gzip.bytes, t.gzip.ms)})`,
        goal: `≥ ${ratio(f.speedupGoal, 1)} (0.9 × ${machine.cores} cores)`,
        pass: f.sizerSpeedup >= f.speedupGoal,
      });
    }
    rows.push({
      figure: 'Second run over the same image (layer cache kept): first / second',
      value: `${ratio(f.secondRatio, 0)} (${seconds(t.first.childWallMs)} / ${seconds(t.second.childWallMs)})`,
      goal: '≥ 20×',
      pass: f.secondRatio >= 20,
    });
    rows.push({
      figure: `Peak memory (RSS) measuring the image of ${mb(t.first.unpackedBytes)} of files`,
      value: mb(f.peakRss),
      goal: '< 200 MB',
      pass: f.peakRss < 200e6,
    });
    if (t.manyFiles) {
      const m = t.manyFiles.first;
      const peak = Math.max(m.maxRssBytes, m.peakTreeRss ?? 0);
      const files = m.layers.reduce((sum, l) => sum + l.files, 0);
      rows.push({
        figure: `Peak memory (RSS) measuring an image of ${files.toLocaleString('en-US')} files (${mb(m.unpackedBytes)})`,
        value: mb(peak),
        goal: '< 200 MB',
        pass: peak < 200e6,
      });
    }
  }
  if (k) rows.push(...lib.kindFigures(k, machine.cores));
  if (p) {
    rows.push({
      figure: 'Pull-request run (baseline rebuild, base one layer less), empty layer cache: tool / docker build of the head',
      value: `${ratio(p.fresh.ms / p.docker.ms, 1)} (${seconds(p.fresh.ms)} / ${seconds(p.docker.ms)})`,
      goal: '— (figure)',
    });
    rows.push({
      figure: "Pull-request run, layer cache left by a run on the base commit: tool / docker build of the head",
      value: `${ratio(p.persisted.ms / p.docker.ms, 1)} (${seconds(p.persisted.ms)} / ${seconds(p.docker.ms)})`,
      goal: '— (figure)',
    });
    if (p.cold) {
      rows.push({
        figure: 'Pull-request run, empty build cache and layer cache (a fresh runner): tool / docker build of the head',
        value: `${ratio(p.cold.tool.ms / p.cold.docker.ms, 2)} (${seconds(p.cold.tool.ms)} / ${seconds(p.cold.docker.ms)})`,
        goal: '— (figure)',
      });
    }
  }
  return rows;
}

function textTable(rows) {
  const head = ['Figure', 'Measured', 'Goal', ''];
  const body = rows.map((r) => [r.figure, r.value, r.goal, verdict(r.pass)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

const md = (s) => String(s).replace(/\|/g, '\\|');

/** The engine, for the Machine table: which one, its Docker and Go, its image store, buildx. */
function engineRows(machine) {
  const e = machine.engine;
  if (!e) {
    // a run saved before the engine was described
    return [`| Docker | server ${machine.dockerServer} (API ${machine.dockerApi}), storage driver ${machine.storage}, CLI ${machine.dockerClient} |`];
  }
  const where = `${e.dockerHost}${e.fromEnvironment ? ' (DOCKER_HOST)' : ' (the default socket; DOCKER_HOST unset)'}${e.matrixName ? `: the matrix's \`${e.matrixName}\`` : ''}`;
  const buildx = e.buildx
    ? `buildx ${e.buildx.version}, builder \`${e.buildx.name}\` (${e.buildx.driver} driver: the engine's own BuildKit${e.buildx.buildkit ? `, ${e.buildx.buildkit}` : ''})`
    : `no buildx: ${e.noBuildx}`;
  return [
    `| Engine | ${md(where)} |`,
    `| Docker | server ${e.serverVersion} (API ${e.apiVersion}), built with ${e.goVersion ?? 'an unknown Go'}; CLI ${e.clientVersion ?? '?'}; ${md(buildx)} |`,
    `| Image store | ${md(e.imageStore)} (docker info: Driver ${md(e.storageDriver)}) |`,
    ...(machine.push
      ? [
          `| Compressed sizes | as the tool finds them on this engine: ${md(machine.push.method)}, ${md(machine.push.reason)}` +
            (machine.push.modelAvailable === false && !machine.push.asStored ? `; **the sizer in this tree does not offer ${machine.push.model}** (${md(machine.push.modelMissing ?? '')}): what is measured is the default model` : '') +
            ' |',
        ]
      : []),
  ];
}

function markdown(machine, image, t, o, p, k, rows, totalMs, notes) {
  const L = [];
  L.push('# Bench results', '');
  L.push(
    `Written by \`bash bench/run.sh\`${CONFIG.quick ? ' with BENCH_QUICK=1' : ''} on ${machine.date.slice(0, 16).replace('T', ' ')} UTC; the whole run took ${seconds(totalMs)}. ` +
      'Re-run it to refresh this file (the notes section at the end is kept). What each figure means and how it is measured: bench/README.md.',
    '',
  );
  L.push('## Machine', '');
  L.push('| | |', '| :-- | :-- |');
  L.push(`| CPU | ${machine.cores} cores, ${md(machine.cpuModel)} |`);
  L.push(`| RAM | ${(machine.ramBytes / 2 ** 30).toFixed(1)} GiB |`);
  L.push(`| Disk (Docker's root) | ${md(machine.disk)} |`);
  L.push(`| Kernel | ${md(machine.kernel)} |`);
  L.push(...engineRows(machine));
  L.push(`| Node.js | ${machine.node} |`);
  L.push(`| gzip | ${md(machine.gzip)}${machine.taskset ? ', pinned to one core with taskset -c 0' : ', not pinned (no taskset)'} |`);
  L.push(`| Tool | commit ${md(machine.commit)}; compressed sizer: "${md(machine.sizer)}"${machine.distStale ? '; **dist/ looked older than src/**: the CLI figures are of dist/ as it was (run `npm run build` and re-run)' : ''} |`);
  L.push(`| Load average (1, 5, 15 min) | at start ${machine.loadStart}; at end ${machine.loadEnd} |`);
  L.push('');
  L.push('## Figures', '');
  L.push('| Figure | Measured | Goal | |', '| :-- | --: | :-- | :-: |');
  for (const r of rows) L.push(`| ${md(r.figure)} | ${md(r.value)} | ${md(r.goal)} | ${verdict(r.pass)} |`);
  L.push('');

  if (image) {
    L.push('## The large image', '');
    L.push(
      `\`${image.tag}\` from \`${path.relative(ROOT, CONFIG.imageDir)}/Dockerfile\` (Debian packages: compilers, Python with NumPy and SciPy, Boost, OpenBLAS, a JDK, TeX Live): ` +
        `${image.layers} layers, ${mb(image.engineSizeBytes)} as the engine counts it (${machine.engine?.containerdStore ? 'the containerd store: its blobs as stored, packed' : 'a graph driver: unpacked'})` +
        (t ? `, ${mb(t.first.unpackedBytes)} of files and ${mb(t.figures.bytes)} of layer tars as the tool reads them, ${mb(t.first.compressedBytes)} compressed` : '') +
        '. ' +
        (image.built ? `Built in this run in ${seconds(image.built.ms)} (cold, legacy builder, packages from Debian's mirror).` : `Reused (built ${image.created.slice(0, 16).replace('T', ' ')}); BENCH_REBUILD=1 rebuilds it.`),
      '',
    );
  }

  if (t) {
    const f = t.figures;
    const open = t.first.opens[0] ?? {};
    const saveOpen = t.save.opens[0] ?? {};
    L.push('## Throughput, second run and memory', '');
    L.push(`Load average before ${t.loadBefore}, after ${t.loadAfter}.`, '');
    L.push('| Step | Wall time | Rate over the layer tars | Notes |', '| :-- | --: | --: | :-- |');
    L.push(`| \`docker save\` read through the API and dropped | ${seconds(t.save.wallMs)} | ${mbps(f.bytes, t.save.wallMs)} | first byte after ${seconds(saveOpen.firstByteMs ?? 0)} (response headers after ${seconds(saveOpen.openMs ?? 0)}); ${mb(saveOpen.bytes ?? 0)} of tar |`);
    L.push(`| \`docker save \\| tar -x\` to a temporary directory | ${seconds(t.gzip.saveToDiskMs)} | ${mbps(f.bytes, t.gzip.saveToDiskMs)} | for the gzip baseline only${t.gzip.unzipped ? `; ${t.gzip.unzipped} layer blob(s) saved gzipped (as the containerd store keeps them), unzipped after, untimed` : ''} |`);
    L.push(`| \`gzip -6\` over the ${t.gzip.layers.length} layer tars, one at a time, one core | ${seconds(t.gzip.ms)} | ${mbps(t.gzip.bytes, t.gzip.ms)} | ${mb(t.gzip.gzBytes)} out${Number.isFinite(t.gzip.cpuMs) ? `; CPU ${seconds(t.gzip.cpuMs)}` : ''} |`);
    if (t.gzip.sizer) L.push(`| The tool's compressed sizer alone${t.gzip.sizer.model ? ` (model ${t.gzip.sizer.model})` : ''} over the same layer tars, one at a time, every core | ${seconds(t.gzip.sizer.wallMs)} | ${mbps(t.gzip.sizer.bytes, t.gzip.sizer.wallMs)} | ${mb(t.gzip.sizer.compressedBytes)} out (${((t.gzip.sizer.compressedBytes / t.gzip.gzBytes - 1) * 100).toFixed(2)}% against gzip -6); CPU ${seconds(t.gzip.sizer.cpuUserMs)} user + ${seconds(t.gzip.sizer.cpuSystemMs)} system; peak RSS ${mb(t.gzip.sizer.maxRssBytes)} |`);
    L.push(`| Tool analysis, compressed sizes on${f.asStored ? ' (taken from the stored blobs: nothing compressed)' : t.first.push ? ` (${t.first.push.method}${machine.push?.modelAvailable === false ? ', measured as go1.26: the sizer in the tree does not offer it' : ''})` : ''}, empty cache | ${seconds(t.first.analyzeMs)} | ${mbps(f.bytes, t.first.analyzeMs)} | first byte after ${seconds(open.firstByteMs ?? 0)}; from then on ${(f.streamingRate / 1e6).toFixed(1)} MB/s; CPU ${seconds(t.first.cpuUserMs)} user + ${seconds(t.first.cpuSystemMs)} system; ${t.first.work.passes} save pass(es); ${mb(t.first.compressedBytes)} compressed (${(f.compressedVsGzip * 100).toFixed(2)}% against gzip -6) |`);
    L.push(`| Tool analysis, compressed sizes off, no cache | ${seconds(t.noCompress.analyzeMs)} | ${mbps(f.bytes, t.noCompress.analyzeMs)} | hashing, tar listing and the save stream alone; CPU ${seconds(t.noCompress.cpuUserMs)} user + ${seconds(t.noCompress.cpuSystemMs)} system |`);
    L.push(`| Tool analysis again, same cache directory | ${seconds(t.second.analyzeMs)} | — | ${t.second.work.passes} save pass(es); the whole process ${seconds(t.second.childWallMs)} against ${seconds(t.first.childWallMs)} the first time |`);
    L.push('');
    if (Number.isFinite(t.gzip.cpuMs)) {
      const toolCpu = t.first.cpuUserMs + t.first.cpuSystemMs;
      L.push(
        `CPU time, which the other processes on the machine disturb less than wall time: gzip -6 used ${seconds(t.gzip.cpuMs)} (${mbps(t.gzip.bytes, t.gzip.cpuMs)} per CPU-second), ` +
          `the tool's first analysis ${seconds(toolCpu)} in all (${mbps(f.bytes, toolCpu)} per CPU-second: compression, hashing, tar listing, reading the stream, starting Node). ` +
          `With every core to itself, the tool could at best reach about ${(machine.cores * (t.gzip.cpuMs / toolCpu)).toFixed(2)}× gzip's one-core wall rate on ${machine.cores} cores.`,
        '',
      );
    }
    const files = t.first.layers.every((l) => typeof l.files === 'number') ? [...new Map(t.first.layers.map((l) => [l.diffId, l.files])).values()].reduce((a, b) => a + b, 0) : undefined;
    L.push(
      `Peak RSS of the first analysis: ${mb(t.first.maxRssBytes)} (the process's own maximum, from the kernel), ${mb(t.first.peakTreeRss ?? 0)} (process and children, sampled every 50 ms); the larger is the figure. ` +
        (t.first.memoryPeaks ? `Node's own figures at their peaks (sampled every 100 ms): heap used ${mb(t.first.memoryPeaks.heapUsed)} of ${mb(t.first.memoryPeaks.heapTotal)}, buffers outside the heap ${mb(t.first.memoryPeaks.external)}. ` : '') +
        `Without compressed sizes: ${mb(t.noCompress.maxRssBytes)}. The second run, which reads only the layer cache: ${mb(t.second.maxRssBytes)}` +
        (files !== undefined ? `; the image's layers hold ${files.toLocaleString('en-US')} regular files.` : '.'),
      '',
    );
    if (t.manyFiles) {
      const m = t.manyFiles.first;
      const files = m.layers.reduce((sum, l) => sum + l.files, 0);
      L.push(
        `\`bench/manyfiles:1\` (\`bench/manyfiles/Dockerfile\`: ${files.toLocaleString('en-US')} regular files, ${mb(m.distinctTarBytes)} of layer tars): analysis ${seconds(m.analyzeMs)}, peak RSS ${mb(Math.max(m.maxRssBytes, m.peakTreeRss ?? 0))}` +
          (m.memoryPeaks ? `; heap used ${mb(m.memoryPeaks.heapUsed)} of ${mb(m.memoryPeaks.heapTotal)}, buffers outside the heap ${mb(m.memoryPeaks.external)}` : '') +
          '. Its wasted-space figures need every path of the image: the layers\' listings are sorted to disk and merged, so memory does not grow with the number of files either.',
        '',
      );
    }
    L.push('<details><summary>Per layer</summary>', '');
    L.push('| Layer | Instruction | Tar | gzip -6 | Tool compressed |', '| --: | :-- | --: | --: | --: |');
    const distinct = [...new Map(t.first.layers.map((l) => [l.diffId, l])).values()];
    distinct.forEach((l, i) => {
      const g = t.gzip.layers[i];
      L.push(`| ${i + 1} | ${md(l.createdBy.replace(/^\/bin\/sh -c (#\(nop\)\s*)?/, '').slice(0, 70))} | ${mb(l.tarBytes)} | ${g ? mb(g.gzBytes) : '—'} | ${l.compressedBytes !== undefined ? mb(l.compressedBytes) : '—'} |`);
    });
    L.push('', '</details>', '');
  }

  if (k) L.push(...lib.kindMarkdown(k, machine.cores));

  if (o) {
    const runs = overheadRuns(o);
    const buildx = machine.engine?.buildx;
    L.push('## Overhead: the tool against `docker build`', '');
    L.push(
      'examples/python-service, its two variants (single-stage `Dockerfile.single`; multi-stage `Dockerfile`, target `runtime`), built by each side one after the other, with each builder. ' +
        'Legacy builder: `DOCKER_BUILDKIT=0 docker build` of each against `node dist/cli.js -C examples/python-service --builder legacy --no-compressed-size --cache-dir <dir> --no-fail-on-budget`. ' +
        (runs.some((m) => m.builder === 'buildkit')
          ? `BuildKit, what \`docker build\` is today: \`docker buildx build --builder ${buildx?.name ?? 'default'}\` of each (the engine's own builder, docker driver${buildx ? `, buildx ${buildx.version}` : ''}: the same BuildKit and build cache as the tool's builds; it loads the image into the engine's image store by default, \`--load\` being implied) against the same tool command with \`--builder buildkit\` (the default). `
          : `No BuildKit comparison${o.noBuildKit ? `: ${md(o.noBuildKit)}` : ''}. `) +
        "The tool builds, reads each image's layers in one pass over `docker save`, and removes its images. " +
        'Images either side built are removed between repetitions (untimed); the order alternates.',
      '',
    );
    L.push(`Load average before ${o.loadBefore}, after ${o.loadAfter}.`, '');
    L.push('| Builder | Cache state | Rep | Order | docker | tool | tool / docker | tool: builds | tool: the rest |', '| :-- | :-- | --: | :-- | --: | --: | --: | --: | --: |');
    for (const m of runs) {
      const who = m.builder === 'buildkit' ? 'BuildKit (`docker buildx build`)' : 'legacy (`DOCKER_BUILDKIT=0 docker build`)';
      m.rows.forEach((r, i) => {
        L.push(`| ${who} | ${m.mode} | ${i + 1} | ${r.order} | ${seconds(r.docker.ms)} | ${seconds(r.tool.ms)} | ${ratio(r.tool.ms / r.docker.ms, 3)} | ${seconds(r.tool.buildMs)} | ${seconds(r.tool.ms - r.tool.buildMs)} |`);
      });
      L.push(`| ${who} | ${m.mode} | median | | ${seconds(m.dockerMedian)} | ${seconds(m.toolMedian)} | **${ratio(m.ratio, 3)}** | ${seconds(m.toolBuildMedian)} | ${seconds(m.toolMedian - m.toolBuildMedian)} |`);
    }
    L.push(
      '',
      'cold: an empty build cache on both sides, as on a fresh runner: a copy of the example with `ARG BENCH_NONCE` after each FROM, built with a value of its own by each side in each repetition, so that every RUN runs (packages come from Debian\'s mirror; an ARG in scope is in every RUN\'s cache key with either builder); no `--no-cache`, so each side leaves its build cache as it would, removed between repetitions, untimed (legacy: the step images; BuildKit: the build-cache records the repetition added); an empty layer cache for the tool. warm: a first untimed build fills the cache, then every step is a cache hit on both sides; the tool\'s layer cache is the one an untimed run of the tool filled, as a runner keeping both caches would have them. ' +
        "tool: builds = the build requests as the tool times them (context packing included); the rest = the tool's wall time less its builds: starting Node, reading the layers of each image (docker save), removing its images.",
      '',
    );
  }

  if (p) {
    L.push('## Pull-request run', '');
    L.push(
      `A temporary git repository: the base commit (${p.repo.base}) holds the large image's Dockerfile, the head (${p.repo.head}) adds \`COPY pr-note.txt\`, one small layer. ` +
        `docker side: \`DOCKER_BUILDKIT=0 docker build\` of the head alone. Tool side: \`node dist/cli.js -C <repo> --base HEAD~1 --builder legacy --cache-dir <dir> --no-fail-on-budget\` ` +
        '(the full run: builds the head, measures it with compressed sizes, checks out the base in a worktree, builds and measures it, compares, removes its images). ' +
        `Build cache: every step but the added one is cached on both sides (\`${CONFIG.image}\` is present), so the builds are short and what the tool adds shows plainly.`,
      '',
    );
    L.push(`Load average before ${p.loadBefore}, after ${p.loadAfter}.`, '');
    L.push('| Run | Wall time | Builds (head + base) | Everything else | Peak RSS (tree) |', '| :-- | --: | --: | --: | --: |');
    L.push(`| docker build of the head (${p.docker.cachedSteps}/${p.docker.steps - 1} steps cached) | ${seconds(p.docker.ms)} | ${seconds(p.docker.ms)} | — | — |`);
    for (const [label, r] of [['tool, empty layer cache', p.fresh], ["tool, layer cache left by a run on the base commit", p.persisted]]) {
      L.push(`| ${label} | ${seconds(r.ms)} | ${seconds(r.head.buildMs)} + ${seconds(r.base.buildMs)} | ${seconds(r.ms - r.buildMs)} | ${mb(r.peakTreeRss ?? 0)} |`);
    }
    if (p.cold) {
      L.push(`| empty build cache: docker build of the head (${p.cold.docker.cachedSteps}/${p.cold.docker.steps - 1} steps cached) | ${seconds(p.cold.docker.ms)} | ${seconds(p.cold.docker.ms)} | — | — |`);
      L.push(`| empty build cache: tool, empty layer cache (head ${p.cold.tool.head.cachedSteps}/${p.cold.tool.head.steps}, base ${p.cold.tool.base.cachedSteps}/${p.cold.tool.base.steps} steps cached) | ${seconds(p.cold.tool.ms)} | ${seconds(p.cold.tool.head.buildMs)} + ${seconds(p.cold.tool.base.buildMs)} | ${seconds(p.cold.tool.ms - p.cold.tool.buildMs)} | ${mb(p.cold.tool.peakTreeRss ?? 0)} |`);
      L.push('', "Empty build cache (BENCH_PR_COLD=1): an `ARG BENCH_NONCE` after FROM, with a value of this run's, puts a new value in every RUN step's cache key (legacy builder), so nothing of the kept image is reused; the docker side builds with its own value. The tool's base build then reuses the head's layers, as on a fresh runner.");
    }
    L.push('');
  }

  L.push('## Notes', '');
  L.push(notes || '<!-- NOTES-START -->\n<!-- Written by hand; kept when the bench rewrites this file. -->\n<!-- NOTES-END -->');
  L.push('');
  return L.join('\n');
}

function keptNotes() {
  if (!existsSync(CONFIG.out)) return undefined;
  const m = /<!-- NOTES-START -->[\s\S]*?<!-- NOTES-END -->/.exec(readFileSync(CONFIG.out, 'utf8'));
  return m?.[0];
}

// ---------------------------------------------------------------------------------------------------------

const RAW = path.join(BUILD_DIR, 'last-run.json');

/** Print the table and write the Markdown from the figures of a run (this one, or the last one saved). */
function publish({ machine, image, t, o, p, k, totalMs }) {
  const rows = figures(machine, image, t, o, p, k);
  const e = machine.engine;
  const engine = e
    ? `Docker ${e.serverVersion} (${e.goVersion ?? 'Go unknown'}), ${e.imageStore}, ${e.buildx ? `buildx ${e.buildx.version}` : 'no buildx'}, at ${e.dockerHost}${e.matrixName ? ` (${e.matrixName})` : ''}`
    : `Docker ${machine.dockerServer}, ${machine.storage}`;
  process.stdout.write(`\n${textTable(rows)}\n\nWhole bench: ${seconds(totalMs)}. Machine: ${machine.cores} cores. Engine: ${engine}.\n`);
  writeFileSync(CONFIG.out, markdown(machine, image, t, o, p, k, rows, totalMs, keptNotes()));
  process.stdout.write(`Written: ${path.relative(process.cwd(), CONFIG.out) || CONFIG.out}\n`);
}

async function main() {
  if (process.argv[2] === '--render') {
    // rewrite RESULTS.md from the figures the last run saved, without measuring again (after editing the layout)
    const saved = JSON.parse(readFileSync(process.argv[3] ?? RAW, 'utf8'));
    Object.assign(CONFIG, saved.config);
    if (saved.config.quick && !env.BENCH_OUT) CONFIG.out = path.join(BENCH, 'RESULTS.quick.md');
    await loadLib();
    publish(saved);
    return;
  }
  await prepare();
  const machine = await describeMachine();
  const e = machine.engine;
  say(`machine: ${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadStart}`);
  say(`engine: ${e.dockerHost}${e.matrixName ? ` (${e.matrixName})` : ''}: Docker ${e.serverVersion}, ${e.goVersion ?? 'Go unknown'}, ${e.imageStore}; ${e.buildx ? `buildx ${e.buildx.version}, builder ${e.buildx.name} (${e.buildx.driver} driver)` : `no BuildKit comparison: ${e.noBuildx}`}; compressed sizes: ${machine.push.method}`);
  if (machine.distStale) say('warning: dist/ looks older than src/: the CLI figures measure dist/ as it is (npm run build, or BENCH_BUILD_DIST=1 with bench/run.sh)');
  const needImage = SECTIONS.includes('throughput') || SECTIONS.includes('pr');
  const image = needImage ? await ensureImage() : undefined;
  const { quick, image: imageTag, imageDir } = CONFIG;
  const record = { config: { quick, image: imageTag, imageDir }, machine, image };
  // saved after every part, so a run cut short still leaves what it measured (node bench/run.mjs --render)
  const save = () => {
    machine.loadEnd = loadavg();
    record.totalMs = performance.now() - benchStarted;
    writeFileSync(RAW, JSON.stringify(record, null, 1));
  };
  try {
    if (SECTIONS.includes('throughput')) {
      record.t = await throughput(machine, image);
      save();
    }
    if (SECTIONS.includes('kinds')) {
      record.k = await lib.kindsThroughput({
        root: ROOT,
        analyze: ANALYZE,
        workDir: tempDir('kinds'),
        quick: CONFIG.quick,
        reps: CONFIG.kindReps,
        kinds: CONFIG.kinds,
        models: CONFIG.models,
        rootfsImage: 'debian:bookworm-slim',
        log: say,
      });
      save();
    }
    if (SECTIONS.includes('overhead')) {
      record.o = await overhead(machine);
      save();
    }
    if (SECTIONS.includes('pr')) {
      record.p = await pullRequest(image);
      save();
    }
  } finally {
    cleanupTemps();
  }
  save();
  publish(record);
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, () => {
    say(`stopped by ${signal}; images tagged bench/... other than the large image may be left (docker images 'bench/*')`);
    cleanupTemps();
    process.exit(code);
  });
}

main().catch((error) => {
  cleanupTemps();
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
