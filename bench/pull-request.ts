/**
 * Bench section (not part of the tool): a pull-request run, the tool with `--base HEAD~1` in a temporary git
 * repository whose base commit holds the large image's Dockerfile and whose head adds one small layer,
 * against `docker build` of the head alone. Its figures: bench/figures.ts; its part of RESULTS.md:
 * bench/results.ts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, ROOT, type Config } from './config.js';
import { loadavg } from './format.js';
import { docker, imageIds, legacyEnv, removeBenchImages } from './images.js';
import { say } from './log.js';
import { run } from './proc.js';
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
  base: { buildMs: number; cachedSteps: number; steps: number };
  layerChanges?: number;
  peakTreeRss?: number;
}

export interface PullRequestResult {
  loadBefore: string;
  loadAfter: string;
  repo: PullRequestRepo;
  docker: DockerHeadBuild;
  /** The tool with an empty layer cache. */
  fresh: ToolPullRequest;
  /** The tool with the layer cache a run on the base commit left. */
  persisted: ToolPullRequest;
  /** BENCH_PR_COLD=1: both sides with an empty build cache. */
  cold?: { docker: DockerHeadBuild; tool: ToolPullRequest };
}

export async function pullRequest(config: Config): Promise<PullRequestResult> {
  const loadBefore = loadavg();
  const nonce = `${Date.now().toString(36)}-${process.pid}`;
  const repo = pullRequestRepo(config, nonce);
  say('pull request: docker build of the head alone (every step but the added one cached)…');
  const dockerHead = await dockerBuildHead(repo, nonce);
  say('pull request: the tool with --base HEAD~1, empty layer cache (a first run)…');
  const fresh = await toolPullRequest(repo, tempDir('cache'));
  const persistedCache = tempDir('cache');
  say("pull request: filling a layer cache with a run of the tool on the base commit (untimed: what the base branch's run left)…");
  await toolOnBaseCommit(repo, persistedCache);
  say('pull request: the tool with --base HEAD~1, layer cache left by the run on the base commit…');
  const persisted = await toolPullRequest(repo, persistedCache);
  let cold: PullRequestResult['cold'];
  if (config.prCold) {
    // an empty build cache on each side: the tool's head build is cold and its base build reuses it, as on a
    // fresh runner; the docker side gets its own ARG value, so neither side's cache serves the other
    const coldRepo = pullRequestRepo(config, nonce, `tool-${nonce}`);
    say("pull request, empty build cache: docker build of the head alone (cold: minutes, Debian's mirror)…");
    const coldDocker = await dockerBuildHead(coldRepo, `cold-${nonce}`, ['--build-arg', `BENCH_NONCE=docker-${nonce}`]);
    say('pull request, empty build cache: the tool with --base HEAD~1, empty layer cache…');
    const tool = await toolPullRequest(coldRepo, tempDir('cache'));
    cold = { docker: coldDocker, tool };
  }
  // the keys in the order the saved run has always had them
  return { loadBefore, repo, docker: dockerHead, fresh, persisted, ...(cold ? { cold } : {}), loadAfter: loadavg() };
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
  buildMs: number;
  cachedSteps: number;
  steps: number;
  compressedBytes?: number;
  sizeBytes?: number;
}

async function toolPullRequest(repo: PullRequestRepo, cacheDir: string): Promise<ToolPullRequest> {
  const json = path.join(tempDir('report'), 'report.json');
  const r = await run(
    process.execPath,
    [CLI, '-C', repo.dir, '--base', 'HEAD~1', '--builder', 'legacy', '--cache-dir', cacheDir, '--no-fail-on-budget', '--json', json],
    { cwd: ROOT, sampleRss: true },
  );
  const report = JSON.parse(readFileSync(json, 'utf8')) as {
    variants: { head: ReportedSide; base: ReportedSide; layerChanges?: unknown[] }[];
  };
  const v = report.variants[0];
  for (const side of ['head', 'base'] as const)
    if (v[side]?.status !== 'built') throw new Error(`the tool did not build the ${side}: ${JSON.stringify(v[side]).slice(0, 300)}`);
  return {
    ms: r.ms,
    buildMs: v.head.buildMs + v.base.buildMs,
    head: {
      buildMs: v.head.buildMs,
      cachedSteps: v.head.cachedSteps,
      steps: v.head.steps,
      compressedBytes: v.head.compressedBytes,
      sizeBytes: v.head.sizeBytes,
    },
    base: { buildMs: v.base.buildMs, cachedSteps: v.base.cachedSteps, steps: v.base.steps },
    layerChanges: v.layerChanges?.length,
    peakTreeRss: r.peakTreeRss,
  };
}
