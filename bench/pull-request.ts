/**
 * Bench section (not part of the tool): a pull-request run, the tool with `--base HEAD~1` in a temporary git
 * repository whose base commit holds the large image's Dockerfile and whose head adds one small layer,
 * against `docker build` of the head alone. Its parts (BENCH_PR): `warm`, every step but the added one cached;
 * `cold`, an empty build cache on both sides (a fresh runner); `registry`, the same cold run with
 * `--baseline registry`: the base commit's image built and pushed to a registry beforehand (untimed, what the
 * publishing job on the base branch did), so the tool builds the head alone and reads the base from the
 * registry. Its figures: bench/figures.ts; its part of RESULTS.md: bench/results.ts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Child, RegistryRun } from './analyze-result.js';
import { ANALYZE, CLI, ROOT, type Config } from './config.js';
import { loadavg } from './format.js';
import { docker, imageIds, legacyEnv, removeBenchImages } from './images.js';
import { say } from './log.js';
import { median, run } from './proc.js';
import { tempDir } from './temp.js';

export interface PullRequestRepo {
  dir: string;
  base: string;
  head: string;
}

export interface DockerHeadBuild {
  ms: number;
  cachedSteps: number;
  steps: number;
}

export interface ToolPullRequest {
  ms: number;
  buildMs: number;
  head: { buildMs: number; cachedSteps: number; steps: number; compressedBytes?: number; sizeBytes?: number };
  /** A base read from a registry was not built: its build figures are 0. */
  base: { buildMs: number; cachedSteps: number; steps: number; compressedBytes?: number; sizeBytes?: number };
  /** Where the base came from (the report's baseSource), when not a rebuild. */
  baseSource?: { source?: string; reference?: string; digest?: string };
  layerChanges?: number;
  peakTreeRss?: number;
}

/** The `registry` part: the base commit's image published, then the tool run against it. */
export interface RegistryPullRequest {
  /** What `--baseline-image` was given, and the reference it names for the one variant. */
  baselineImage: string;
  reference: string;
  /** Untimed in the figures: the base commit's cold build and its `docker push` (the publishing job). */
  published: { buildMs: number; pushMs: number; digest?: string };
  /** The tool with `--baseline registry`, empty build cache and layer cache. */
  tool: ToolPullRequest;
  /** `bench/analyze.ts registry REFERENCE none`: every blob of the base streamed and analysed, alone. */
  stream: Child<RegistryRun>;
}

export interface PullRequestResult {
  loadBefore: string;
  loadAfter: string;
  /** The warm part's repository (the cold parts have their own, with the same commits but an ARG line). */
  repo: PullRequestRepo;
  /** The warm part (absent when BENCH_PR leaves it out). */
  docker?: DockerHeadBuild;
  /** The tool with an empty layer cache. */
  fresh?: ToolPullRequest;
  /** The tool with the layer cache a run on the base commit left. */
  persisted?: ToolPullRequest;
  /**
   * The cold parts: both sides with an empty build cache; one docker build of the head, against the tool with
   * `--base HEAD~1` (`tool`, part `cold`) and with `--baseline registry` (`registry`).
   */
  cold?: {
    loadBefore?: string;
    loadAfter?: string;
    /** The 1-minute load average sampled every 10 s during the cold parts: lowest, median, highest. */
    loadDuring?: { min: number; median: number; max: number; samples: number };
    docker: DockerHeadBuild;
    tool?: ToolPullRequest;
    registry?: RegistryPullRequest;
    /** Why the registry part was not measured (the registry does not answer). */
    registrySkipped?: string;
  };
}

export async function pullRequest(config: Config): Promise<PullRequestResult> {
  const loadBefore = loadavg();
  const parts = config.prParts;
  const nonce = `${Date.now().toString(36)}-${process.pid}`;
  const repo = pullRequestRepo(config, nonce);
  let warm: Pick<PullRequestResult, 'docker' | 'fresh' | 'persisted'> = {};
  if (parts.includes('warm')) {
    say('pull request: docker build of the head alone (every step but the added one cached)…');
    const dockerHead = await dockerBuildHead(repo, nonce);
    say('pull request: the tool with --base HEAD~1, empty layer cache (a first run)…');
    const fresh = await toolPullRequest(repo, tempDir('cache'), REBUILD_ARGS);
    const persistedCache = tempDir('cache');
    say("pull request: filling a layer cache with a run of the tool on the base commit (untimed: what the base branch's run left)…");
    await toolOnBaseCommit(repo, persistedCache);
    say('pull request: the tool with --base HEAD~1, layer cache left by the run on the base commit…');
    const persisted = await toolPullRequest(repo, persistedCache, REBUILD_ARGS);
    warm = { docker: dockerHead, fresh, persisted };
  }
  let cold: PullRequestResult['cold'];
  if (parts.includes('cold') || parts.includes('registry')) {
    const coldLoadBefore = loadavg();
    const loads: number[] = [os.loadavg()[0]];
    const loadTimer = setInterval(() => loads.push(os.loadavg()[0]), 10_000);
    loadTimer.unref();
    try {
      // An empty build cache on each side, as on a fresh runner: every build below has an ARG value of its own,
      // in every RUN's cache key, so no build reuses another's layers (nor the kept image's). The tool's base
      // rebuild reuses its head's layers, as it would on the runner.
      let registrySkipped: string | undefined;
      let published: Published | undefined;
      let registryRepo: PullRequestRepo | undefined;
      if (parts.includes('registry')) {
        registrySkipped = await registryDown(config.registry);
        if (registrySkipped) say(`pull request: no registry part: ${registrySkipped}`);
        else {
          registryRepo = pullRequestRepo(config, nonce, `registry-${nonce}`);
          published = await publishBase(registryRepo, config.registry, `published-${nonce}`);
        }
      }
      say("pull request, empty build cache: docker build of the head alone (cold: minutes, Debian's mirror)…");
      const coldRepo = pullRequestRepo(config, nonce, `tool-${nonce}`);
      const coldDocker = await dockerBuildHead(coldRepo, `cold-${nonce}`, ['--build-arg', `BENCH_NONCE=docker-${nonce}`]);
      let tool: ToolPullRequest | undefined;
      if (parts.includes('cold')) {
        say('pull request, empty build cache: the tool with --base HEAD~1, empty layer cache…');
        tool = await toolPullRequest(coldRepo, tempDir('cache'), REBUILD_ARGS);
      }
      let registry: RegistryPullRequest | undefined;
      if (registryRepo && published) {
        say(
          `pull request, empty build cache: the tool with --baseline registry --baseline-image ${published.baselineImage}, empty layer cache…`,
        );
        const registryTool = await toolPullRequest(registryRepo, tempDir('cache'), [
          '--baseline',
          'registry',
          '--baseline-image',
          published.baselineImage,
        ]);
        if (registryTool.baseSource?.source !== 'registry')
          throw new Error(`the tool's base did not come from the registry: ${JSON.stringify(registryTool.baseSource)}`);
        say(`pull request: ${published.reference} streamed alone (bench/analyze.ts registry, every blob, no layer cache)…`);
        const stream = await analyzeChild<RegistryRun>(['registry', published.reference, 'none']);
        registry = {
          baselineImage: published.baselineImage,
          reference: published.reference,
          published: { buildMs: published.buildMs, pushMs: published.pushMs, digest: published.digest },
          tool: registryTool,
          stream,
        };
      }
      loads.push(os.loadavg()[0]);
      cold = {
        loadBefore: coldLoadBefore,
        loadDuring: { min: Math.min(...loads), median: median(loads), max: Math.max(...loads), samples: loads.length },
        docker: coldDocker,
        ...(tool ? { tool } : {}),
        ...(registry ? { registry } : {}),
        ...(registrySkipped ? { registrySkipped } : {}),
        loadAfter: loadavg(),
      };
    } finally {
      clearInterval(loadTimer);
    }
  }
  // the keys in the order the saved run has always had them
  return { loadBefore, repo, ...warm, ...(cold ? { cold } : {}), loadAfter: loadavg() };
}

const REBUILD_ARGS = ['--base', 'HEAD~1'];
/** The one variant's name in the temporary repository (no settings: the tool's default variant). */
const VARIANT = 'default';

async function analyzeChild<T>(args: string[]): Promise<Child<T>> {
  const r = await run(process.execPath, [ANALYZE, ...args], { cwd: ROOT, sampleRss: true });
  const result = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as T;
  return { ...result, childWallMs: r.ms, peakTreeRss: r.peakTreeRss };
}

/** Why the registry cannot be used (it does not answer the distribution API's base endpoint), or undefined. */
async function registryDown(registry: string): Promise<string | undefined> {
  try {
    const response = await fetch(`http://${registry}/v2/`, { signal: AbortSignal.timeout(5000) });
    return response.ok ? undefined : `http://${registry}/v2/ answers ${response.status} (the bench pushes without credentials)`;
  } catch (error) {
    return `http://${registry}/v2/ does not answer (${error instanceof Error ? error.message : String(error)}; bash scripts/setup-registry.sh starts the loopback one)`;
  }
}

interface Published {
  baselineImage: string;
  reference: string;
  buildMs: number;
  pushMs: number;
  digest?: string;
}

/**
 * What the publishing job on the base branch did: the base commit's image built (cold, with an ARG value of its
 * own, so the tool's head build later finds none of its layers in the build cache, as on another runner) and
 * pushed; the local image and its step images are removed again, so the registry holds the only copy.
 */
async function publishBase(repo: PullRequestRepo, registry: string, nonce: string): Promise<Published> {
  const baselineImage = `${registry}/bench/pr-base:{variant}`;
  const reference = baselineImage.replace('{variant}', VARIANT);
  const worktree = path.join(tempDir('published-worktree'), 'base');
  git(repo.dir, 'worktree', 'add', '--detach', worktree, 'HEAD~1');
  const before = await imageIds();
  try {
    say(`pull request, publishing the base commit (untimed): docker build of ${repo.base}, cold (minutes, Debian's mirror)…`);
    const build = await docker(['build', '--build-arg', `BENCH_NONCE=${nonce}`, '-t', reference, worktree], { env: legacyEnv });
    say(`pull request, publishing the base commit (untimed): docker push ${reference}…`);
    const push = await docker(['push', reference]);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1];
    return { baselineImage, reference, buildMs: build.ms, pushMs: push.ms, digest };
  } finally {
    await removeBenchImages([reference], before);
    git(repo.dir, 'worktree', 'remove', '--force', worktree);
  }
}

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * A git repository whose base commit holds the large image's Dockerfile and whose head adds one small layer.
 * `nonceArg`: an `ARG BENCH_NONCE=<value>` line after FROM, whose value is in every RUN's cache key (legacy
 * builder): a new value is an empty build cache for this Dockerfile without touching the kept image.
 */
function pullRequestRepo(config: Config, nonce: string, nonceArg?: string): PullRequestRepo {
  const repo = tempDir('repo');
  git(repo, 'init', '-q', '-b', 'main');
  let dockerfile = readFileSync(path.join(config.imageDir, 'Dockerfile'), 'utf8');
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

async function dockerBuildHead(repo: PullRequestRepo, label: string, buildArgs: string[] = []): Promise<DockerHeadBuild> {
  const before = await imageIds();
  const tag = `bench/pr-head:${label}`;
  const d = await docker(['build', ...buildArgs, '-t', tag, repo.dir], { env: legacyEnv });
  await removeBenchImages([tag], before);
  return {
    ms: d.ms,
    cachedSteps: (d.stdout.match(/---> Using cache/g) ?? []).length,
    steps: (d.stdout.match(/^Step \d+\//gm) ?? []).length,
  };
}

/** The tool run on the base commit alone (no comparison), as a push to the base branch would run it. */
async function toolOnBaseCommit(repo: PullRequestRepo, cacheDir: string): Promise<void> {
  const worktree = path.join(tempDir('base-worktree'), 'base');
  git(repo.dir, 'worktree', 'add', '--detach', worktree, 'HEAD~1');
  try {
    await run(process.execPath, [CLI, '-C', worktree, '--builder', 'legacy', '--cache-dir', cacheDir, '--no-fail-on-budget'], {
      cwd: ROOT,
    });
  } finally {
    git(repo.dir, 'worktree', 'remove', '--force', worktree);
  }
}

interface ReportedSide {
  status: string;
  buildMs?: number;
  cachedSteps?: number;
  steps?: number;
  compressedBytes?: number;
  sizeBytes?: number;
}

async function toolPullRequest(repo: PullRequestRepo, cacheDir: string, baseArgs: string[]): Promise<ToolPullRequest> {
  const json = path.join(tempDir('report'), 'report.json');
  const r = await run(
    process.execPath,
    [CLI, '-C', repo.dir, ...baseArgs, '--builder', 'legacy', '--cache-dir', cacheDir, '--no-fail-on-budget', '--json', json],
    { cwd: ROOT, sampleRss: true },
  );
  const report = JSON.parse(readFileSync(json, 'utf8')) as {
    variants: { head: ReportedSide; base: ReportedSide; layerChanges?: unknown[]; baseSource?: ToolPullRequest['baseSource'] }[];
  };
  const v = report.variants[0];
  for (const side of ['head', 'base'] as const)
    if (v[side]?.status !== 'built') throw new Error(`the tool did not build the ${side}: ${JSON.stringify(v[side]).slice(0, 300)}`);
  const figures = (side: ReportedSide) => ({
    buildMs: side.buildMs ?? 0,
    cachedSteps: side.cachedSteps ?? 0,
    steps: side.steps ?? 0,
    compressedBytes: side.compressedBytes,
    sizeBytes: side.sizeBytes,
  });
  const [head, base] = [figures(v.head), figures(v.base)];
  return {
    ms: r.ms,
    buildMs: head.buildMs + base.buildMs,
    head,
    base,
    ...(v.baseSource ? { baseSource: v.baseSource } : {}),
    layerChanges: v.layerChanges?.length,
    peakTreeRss: r.peakTreeRss,
  };
}
