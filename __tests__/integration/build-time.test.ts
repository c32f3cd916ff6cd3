// Build order must not flatter either side: a real repository whose base and head share a slow step, built
// as the pipeline builds them (this change first, then the base, on one engine and one cache).
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DockerEngine, type BuildRequest, type BuildResult } from '../../src/docker/engine.js';
import { createReport } from '../../src/pipeline.js';
import type { BuiltResult } from '../../src/report/types.js';
import { resolveSettings } from '../../src/settings/schema.js';
import { commitAll, git, memoryLogger, tempDir } from '../support/workspace.js';

/** The real engine, with every build's result kept for the test to read (its steps are not in the report). */
class WatchedEngine extends DockerEngine {
  readonly builds = new Map<string, BuildResult>();

  override async build(request: BuildRequest): Promise<BuildResult> {
    const result = await super.build(request);
    this.builds.set(request.tag, result);
    return result;
  }
}

/** `app` and `other` share a COPY from the context and a slow RUN; the base and the head differ in app's last step. */
function repository(): { dir: string; baseSha: string } {
  const dir = tempDir('build-time');
  git(dir, 'init', '-q', '-b', 'main');
  // A new file content in every run, so the shared steps cannot be in the cache from an earlier test run.
  writeFileSync(path.join(dir, 'shared.txt'), `${randomUUID()}\n`);
  const shared = 'FROM busybox:latest\nCOPY shared.txt /shared.txt\nRUN sleep 2 && cat /shared.txt > /a\n';
  writeFileSync(path.join(dir, 'Dockerfile'), `${shared}RUN echo base > /b\n`);
  writeFileSync(path.join(dir, 'Dockerfile.other'), `${shared}RUN echo other > /c\n`);
  const baseSha = commitAll(dir, 'base');
  writeFileSync(path.join(dir, 'Dockerfile'), `${shared}RUN echo head > /b\n`);
  commitAll(dir, 'head');
  return { dir, baseSha };
}

describe.each(['buildkit', 'legacy'] as const)('comparable build time, %s', (builder) => {
  it('gives each build back the time of the steps it took from a build that ran before it', async () => {
    const { dir, baseSha } = repository();
    const engine = new WatchedEngine();
    const runId = `build-time-${builder}`;
    const report = await createReport({
      settings: resolveSettings({ variants: { app: 'Dockerfile', other: 'Dockerfile.other' }, builder }),
      workingDirectory: dir,
      engine,
      baseline: { source: 'rebuild', commit: baseSha, ref: 'main' },
      head: {},
      runId,
      log: memoryLogger(),
    });
    const build = (variant: string, side: 'head' | 'base') => engine.builds.get(`image-size-report/${variant}:${side}-${runId}`)!;
    const result = (variant: string, side: 'head' | 'base') => {
      const v = report.variants.find((x) => x.name === variant)!;
      expect(v[side]?.status).toBe('built');
      return v[side] as BuiltResult;
    };
    // In the order they ran: head app runs all three steps; head other takes the COPY and the sleep from it;
    // base app takes the same two and runs its own last step; base other is head other again, all cached.
    const headApp = build('app', 'head');
    const headOther = build('other', 'head');
    const baseApp = build('app', 'base');
    const baseOther = build('other', 'base');
    // (The legacy builder's own step for the run's label is not the Dockerfile's: not among the steps.)
    // The records are in Dockerfile order because the parser puts them so: Docker 20.10's BuildKit reported the
    // steps in that order, Docker 28.5's reports them in another, which changes from build to build.
    const cached = (build: BuildResult) => build.stepRecords.map((s) => s.cached);
    expect(cached(headApp)).toEqual([false, false, false]);
    expect(cached(headOther)).toEqual([true, true, false]);
    expect(cached(baseApp)).toEqual([true, true, false]);
    expect(cached(baseOther)).toEqual([true, true, true]);
    const [copy, sleep] = headApp.stepRecords;
    expect([copy.name, sleep.name]).toEqual([expect.stringContaining('COPY shared.txt'), expect.stringContaining('RUN sleep 2')]);
    expect(baseApp.stepRecords.slice(0, 2).map((s) => s.key)).toEqual([copy.key, sleep.key]);
    expect(sleep.durationMs).toBeGreaterThanOrEqual(2000); // it ran `sleep 2`

    expect(result('app', 'head')).toMatchObject({ comparableBuildMs: Math.round(headApp.durationMs), cachedFromRun: 0 });
    expect(result('other', 'head')).toMatchObject({
      comparableBuildMs: Math.round(headOther.durationMs + copy.durationMs + sleep.durationMs),
      cachedFromRun: 2,
    });
    const base = result('app', 'base');
    expect(base).toMatchObject({
      buildMs: Math.round(baseApp.durationMs),
      comparableBuildMs: Math.round(baseApp.durationMs + copy.durationMs + sleep.durationMs),
      cachedSteps: 2,
      cachedFromRun: 2,
    });
    expect(base.comparableBuildMs! - base.buildMs).toBeGreaterThanOrEqual(Math.floor(sleep.durationMs));
    const ranByHeadOther = headOther.stepRecords.filter((s) => !s.cached);
    expect(result('other', 'base')).toMatchObject({
      comparableBuildMs: Math.round(baseOther.durationMs + copy.durationMs + sleep.durationMs + ranByHeadOther.reduce((sum, s) => sum + s.durationMs, 0)),
      cachedSteps: 3,
      cachedFromRun: 3,
    });
    // The change compares the order-independent times.
    const app = report.variants.find((v) => v.name === 'app')!;
    expect(app.change!.buildMs).toBe(result('app', 'head').comparableBuildMs! - base.comparableBuildMs!);
  });
});
