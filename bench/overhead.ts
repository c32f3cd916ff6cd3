/**
 * Bench section (not part of the tool): the tool's overhead over `docker build` on examples/python-service,
 * per builder (legacy; BuildKit through `docker buildx build` on the engine's own builder) and cache state
 * (cold, warm). Its figures: bench/figures.ts; its part of RESULTS.md: bench/results.ts.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, ROOT, type Builder, type CacheState, type Config } from './config.js';
import { buildCacheIds, removeNewBuildCache } from './engine.js';
import { loadavg, ratio, seconds } from './format.js';
import { docker, imageIds, legacyEnv, removeBenchImages } from './images.js';
import { say } from './log.js';
import type { DescribedMachine } from './machine.js';
import { median, run } from './proc.js';
import { tempDir } from './temp.js';

export interface DockerSide {
  ms: number;
  parts: Record<string, number>;
}

export interface ToolSide {
  ms: number;
  buildMs: number;
  parts: Record<string, { buildMs: number; cachedSteps: number; steps: number }>;
}

export interface OverheadRow {
  order: string;
  docker: DockerSide;
  tool: ToolSide;
}

export interface OverheadRun {
  builder: Builder;
  command: string;
  mode: CacheState;
  rows: OverheadRow[];
  dockerMedian: number;
  toolMedian: number;
  ratio: number;
  toolBuildMedian: number;
}

export interface OverheadResult {
  loadBefore: string;
  loadAfter?: string;
  builders: Builder[];
  /** Why BuildKit was asked for and not compared. */
  noBuildKit?: string;
  runs?: OverheadRun[];
  /** A run saved before the BuildKit comparison: the legacy builder's, by cache state. */
  modes?: Record<string, Omit<OverheadRun, 'builder' | 'command' | 'mode'>>;
}

/** The overhead's measurements, builder by builder (a run saved before the BuildKit comparison: legacy only). */
export function overheadRuns(o: OverheadResult): OverheadRun[] {
  return (
    o.runs ??
    Object.entries(o.modes ?? {}).map(([mode, m]) => ({
      builder: 'legacy',
      command: 'DOCKER_BUILDKIT=0 docker build',
      mode: mode as CacheState,
      ...m,
    }))
  );
}

const EXAMPLE_BUILDS = [
  { name: 'single-stage', args: (dir: string) => ['-f', path.join(dir, 'Dockerfile.single')] },
  { name: 'multi-stage', args: (dir: string) => ['-f', path.join(dir, 'Dockerfile'), '--target', 'runtime'] },
];

/** The folder and the build args of one build of the example (a cold run's nonce). */
interface Example {
  dir: string;
  buildArgs: string[];
}

/** One side of the comparison for a builder: the docker command, and the tool's `--builder` to compare it with. */
interface Side {
  builder: Builder;
  command: string;
  args: string[];
  env: Record<string, string>;
  tool: 'legacy' | 'buildkit';
  /** The buildx builder whose build-cache records a cold repetition removes (BuildKit only). */
  buildCache?: string;
}

export async function overhead(config: Config, machine: DescribedMachine): Promise<OverheadResult> {
  const builders = overheadBuilders(config, machine);
  const out: OverheadResult = { loadBefore: loadavg(), builders, runs: [] };
  const runs: OverheadRun[] = [];
  out.runs = runs;
  if (config.builders.includes('buildkit') && !builders.includes('buildkit')) {
    out.noBuildKit = machine.engine.noBuildx;
    say(`overhead: no comparison with docker buildx build: ${machine.engine.noBuildx}`);
  }
  const sides = builders.map((b) => builderSide(b, machine));
  for (const mode of config.overheadModes) {
    const reps = mode === 'cold' ? config.coldReps : config.warmReps;
    const before = await imageIds();
    const primeTags: string[] = [];
    const warmCache: Partial<Record<Builder, string>> = {};
    if (mode === 'warm') {
      for (const side of sides) {
        say(`warm: priming the build cache with one untimed ${side.command} of each variant…`);
        for (const b of EXAMPLE_BUILDS) {
          const tag = `bench/overhead-${b.name}:prime-${side.builder}`;
          primeTags.push(tag);
          await docker([...side.args, ...b.args(config.example), '-t', tag, config.example], { env: side.env });
        }
        say(`warm: priming the layer cache with one untimed run of the tool (--builder ${side.tool})…`);
        const cacheDir = tempDir('layer-cache');
        warmCache[side.builder] = cacheDir;
        await toolExample({ dir: config.example, buildArgs: [] }, cacheDir, side);
      }
    }
    const cold = mode === 'cold' ? coldExample(config) : undefined;
    const nonce = `${Date.now().toString(36)}-${process.pid}`;
    const example = (who: string, builder: Builder, i: number): Example =>
      cold ? { dir: cold, buildArgs: [`BENCH_NONCE=${builder}-${who}-${nonce}-${i}`] } : { dir: config.example, buildArgs: [] };
    const rows = Object.fromEntries(builders.map((b) => [b, [] as OverheadRow[]])) as Record<Builder, OverheadRow[]>;
    for (let i = 0; i < reps; i += 1) {
      const order = i % 2 === 0 ? (['docker', 'tool'] as const) : (['tool', 'docker'] as const);
      for (const side of sides) {
        const row: Partial<OverheadRow> = { order: order.join(' then ') };
        for (const who of order) {
          say(
            `overhead ${mode} ${i + 1}/${reps}, ${side.builder}: ${who === 'docker' ? `${side.command} of both Dockerfiles` : `the tool (--builder ${side.tool} --no-compressed-size)`}…`,
          );
          const ex = example(who, side.builder, i);
          if (who === 'docker') row.docker = await dockerBuildExample(ex, `${mode}-${side.builder}-${i}`, side);
          else row.tool = await toolExample(ex, warmCache[side.builder], side);
        }
        const done = row as OverheadRow;
        say(`  ${side.command} ${seconds(done.docker.ms)}, tool ${seconds(done.tool.ms)} (${ratio(done.tool.ms / done.docker.ms, 3)})`);
        rows[side.builder].push(done);
      }
    }
    if (primeTags.length) await removeBenchImages(primeTags, before);
    for (const side of sides) {
      const r = rows[side.builder];
      const dockerMedian = median(r.map((x) => x.docker.ms));
      const toolMedian = median(r.map((x) => x.tool.ms));
      runs.push({
        builder: side.builder,
        command: side.command,
        mode,
        rows: r,
        dockerMedian,
        toolMedian,
        ratio: toolMedian / dockerMedian,
        toolBuildMedian: median(r.map((x) => x.tool.buildMs)),
      });
    }
  }
  out.loadAfter = loadavg();
  return out;
}

/** The builders the overhead compares on this engine: BuildKit only where `docker buildx` can use the engine's own builder. */
function overheadBuilders(config: Config, machine: DescribedMachine): Builder[] {
  return config.builders.filter((b) => b !== 'buildkit' || machine.engine.buildx);
}

/**
 * A copy of the example for a cold run: `ARG BENCH_NONCE` after every FROM, so that a new value of it is in
 * every RUN's cache key (legacy builder), which is an empty build cache for these Dockerfiles without
 * removing anything of the engine's. Each side of each repetition builds with a value of its own.
 */
function coldExample(config: Config): string {
  const dir = path.join(tempDir('example'), 'python-service');
  cpSync(config.example, dir, { recursive: true });
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
function builderSide(builder: Builder, machine: DescribedMachine): Side {
  if (builder === 'legacy') return { builder, command: 'DOCKER_BUILDKIT=0 docker build', args: ['build'], env: legacyEnv, tool: 'legacy' };
  const name = machine.engine.buildx!.name;
  return {
    builder,
    command: 'docker buildx build',
    args: ['buildx', 'build', '--builder', name],
    env: {},
    tool: 'buildkit',
    buildCache: name,
  };
}

/**
 * After a cold repetition, what its builds left besides images: BuildKit's build-cache records that were not
 * there before it (the legacy builder's build cache is its step images, removed with the dangling images).
 */
async function removeColdBuildCache(side: Side, example: Example, cacheBefore: Set<string> | undefined): Promise<void> {
  if (!side.buildCache || !example.buildArgs.length || !cacheBefore) return;
  const r = await removeNewBuildCache(side.buildCache, cacheBefore);
  if (r.left)
    say(
      `  warning: ${r.left} of the ${r.added} build-cache records this repetition added are still there${r.error ? ` (docker buildx prune: ${r.error})` : ''}`,
    );
}

const buildCacheNow = (side: Side, example: Example): Promise<Set<string>> | undefined =>
  side.buildCache && example.buildArgs.length ? buildCacheIds(side.buildCache) : undefined;

async function dockerBuildExample(example: Example, label: string, side: Side): Promise<DockerSide> {
  const before = await imageIds();
  const cacheBefore = await buildCacheNow(side, example);
  const tags: string[] = [];
  let ms = 0;
  const parts: Record<string, number> = {};
  for (const b of EXAMPLE_BUILDS) {
    const tag = `bench/overhead-${b.name}:${label}`;
    tags.push(tag);
    const r = await docker(
      [...side.args, ...example.buildArgs.flatMap((a) => ['--build-arg', a]), ...b.args(example.dir), '-t', tag, example.dir],
      { env: side.env },
    );
    parts[b.name] = r.ms;
    ms += r.ms;
  }
  await removeBenchImages(tags, before);
  await removeColdBuildCache(side, example, cacheBefore);
  return { ms, parts };
}

interface ReportedSide {
  status: string;
  error?: string;
  reason?: string;
  buildMs: number;
  cachedSteps: number;
  steps: number;
}

/**
 * `cacheDir`: the tool's layer cache, in the same state as the build cache: empty for a cold run, filled by
 * an earlier (untimed) run for a warm one, as a runner that keeps both would have it. After a cold run, the
 * build cache it leaves (as docker build leaves its own) is removed, untimed.
 */
async function toolExample(example: Example, cacheDir: string | undefined, side: Side): Promise<ToolSide> {
  const before = await imageIds();
  const cacheBefore = await buildCacheNow(side, example);
  const dir = tempDir('report');
  const json = path.join(dir, 'report.json');
  const r = await run(
    process.execPath,
    [
      CLI,
      '-C',
      example.dir,
      '--builder',
      side.tool,
      '--no-compressed-size',
      '--cache-dir',
      cacheDir ?? tempDir('layer-cache'),
      ...example.buildArgs.flatMap((a) => ['--build-arg', a]),
      '--no-fail-on-budget',
      '--json',
      json,
    ],
    { cwd: ROOT },
  );
  if (example.buildArgs.length) await removeBenchImages([], before);
  await removeColdBuildCache(side, example, cacheBefore);
  const report = JSON.parse(readFileSync(json, 'utf8')) as { variants: { name: string; head: ReportedSide }[] };
  const parts: ToolSide['parts'] = {};
  for (const v of report.variants) {
    if (v.head.status !== 'built') throw new Error(`the tool did not build ${v.name}: ${v.head.error ?? v.head.reason}`);
    parts[v.name] = { buildMs: v.head.buildMs, cachedSteps: v.head.cachedSteps, steps: v.head.steps };
  }
  const buildMs = Object.values(parts).reduce((s, p) => s + p.buildMs, 0);
  return { ms: r.ms, buildMs, parts };
}
