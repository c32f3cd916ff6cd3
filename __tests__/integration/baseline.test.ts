// Comparing with the base: a real git repository, a real base commit checked out in a worktree and built.
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DockerEngine } from '../../src/docker/engine.js';
import { createReport, type BaselinePlan } from '../../src/pipeline.js';
import type { BuiltResult } from '../../src/report/types.js';
import { resolveSettings, type RawSettings } from '../../src/settings/schema.js';
import { commitAll, git, memoryLogger, repoFromFixture, tempDir } from '../support/workspace.js';

const VARIANTS = { 'single-stage': 'Dockerfile.single', 'multi-stage': { dockerfile: 'Dockerfile', target: 'runtime' } };

function report(dir: string, raw: RawSettings, baseline: BaselinePlan, runId: string, log = memoryLogger()) {
  return createReport({
    settings: resolveSettings(raw),
    workingDirectory: dir,
    engine: new DockerEngine(),
    baseline,
    head: {},
    runId,
    log,
  });
}

/** The head commit: the single-stage image gains a 500,000-byte layer; a new variant appears. */
function growSingleStage(dir: string): void {
  const file = path.join(dir, 'Dockerfile.single');
  writeFileSync(file, readFileSync(file, 'utf8').replace('COPY app.sh', 'RUN head -c 500000 /dev/zero > /app/cache.bin\nCOPY app.sh'));
  writeFileSync(path.join(dir, 'Dockerfile.new'), 'FROM busybox:latest\nRUN echo new > /new.txt\n');
}

describe('baseline: rebuild', () => {
  it('builds the base commit in a worktree and reports what changed, then removes the worktree', async () => {
    const { dir, sha: baseSha } = repoFromFixture('tiny-app');
    growSingleStage(dir);
    commitAll(dir, 'grow');
    const result = await report(
      dir,
      {
        variants: { ...VARIANTS, new: 'Dockerfile.new' },
        budgets: { 'single-stage': { 'max-increase': '400kB' }, new: { 'max-increase': '1%' } },
      },
      { source: 'rebuild', commit: baseSha, ref: 'main' },
      'rebuild',
    );
    expect(result.base).toEqual({ source: 'rebuild', sha: baseSha, ref: 'main' });
    const single = result.variants.find((v) => v.name === 'single-stage')!;
    expect(single.base?.status).toBe('built');
    expect(single.change!.layers).toBe(1);
    expect(single.change!.sizeBytes).toBeGreaterThanOrEqual(500_000);
    expect(single.change!.sizeBytes).toBeLessThan(510_000);
    expect(single.change!.sizeRatio).toBeCloseTo(single.change!.sizeBytes / (single.base as BuiltResult).sizeBytes, 10);

    const multi = result.variants.find((v) => v.name === 'multi-stage')!;
    expect(multi.change).toMatchObject({ sizeBytes: 0, layers: 0 });

    const fresh = result.variants.find((v) => v.name === 'new')!;
    expect(fresh.head.status).toBe('built');
    expect(fresh.base).toEqual({ status: 'absent', reason: expect.stringMatching(/^Dockerfile "Dockerfile\.new" does not exist/) });

    expect(result.budgets.map((c) => [c.variant, c.budget, c.outcome])).toEqual([
      ['single-stage', 'max-increase', 'fail'],
      ['new', 'max-increase', 'skipped'],
    ]);
    expect(result.status).toBe('fail');
    expect(git(dir, 'worktree', 'list').split('\n')).toHaveLength(1);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('fetches the base commit when the checkout is shallow, as actions/checkout leaves it', async () => {
    const { dir: origin, sha: baseSha } = repoFromFixture('tiny-app');
    growSingleStage(origin);
    const headSha = commitAll(origin, 'grow');
    const clone = path.join(tempDir('clone'), 'repo');
    git(path.dirname(clone), 'clone', '-q', '--depth=1', `file://${origin}`, clone);
    expect(git(clone, 'rev-parse', 'HEAD')).toBe(headSha);
    expect(() => git(clone, 'cat-file', '-e', `${baseSha}^{commit}`)).toThrow();

    const result = await report(clone, { variants: VARIANTS }, { source: 'rebuild', commit: baseSha, ref: 'main' }, 'shallow');
    expect(result.base.sha).toBe(baseSha);
    expect(result.variants.find((v) => v.name === 'single-stage')!.change!.layers).toBe(1);
  });

  it('works from a working directory below the repository root', async () => {
    const { dir: root } = repoFromFixture('tiny-app');
    mkdirSync(path.join(root, 'sub'));
    git(root, 'mv', 'Dockerfile', 'Dockerfile.single', 'app.sh', '.dockerignore', 'sub/');
    const baseSha = commitAll(root, 'move into sub/');
    writeFileSync(path.join(root, 'sub', 'app.sh'), '#!/bin/sh\necho changed\n');
    commitAll(root, 'change app.sh');
    const result = await report(path.join(root, 'sub'), { variants: VARIANTS }, { source: 'rebuild', commit: baseSha }, 'subdir');
    for (const v of result.variants) expect(v.base?.status).toBe('built');
  });
});

describe('a base that cannot be checked out', () => {
  it('still reports this change, with the reason and no comparison', async () => {
    const { dir } = repoFromFixture('tiny-app'); // no origin to fetch from
    const log = memoryLogger();
    const missing = 'f'.repeat(40);
    const result = await createReport({
      settings: resolveSettings({ variants: VARIANTS, budgets: { 'multi-stage': { 'max-increase': '1%' } } }),
      workingDirectory: dir,
      engine: new DockerEngine(),
      baseline: { source: 'rebuild', commit: missing, ref: 'main' },
      head: {},
      runId: 'no-base',
      log,
    });
    expect(result.base).toEqual({
      source: 'rebuild',
      ref: 'main',
      error: expect.stringMatching(/^The base commit f{40} is not in the checkout and could not be fetched from origin/),
    });
    for (const v of result.variants) {
      expect(v.head.status).toBe('built');
      expect(v.base).toEqual({ status: 'absent', reason: 'the base could not be checked out' });
    }
    expect(result.budgets[0]).toMatchObject({ outcome: 'skipped', note: 'not in the base: the base could not be checked out' });
    expect(result.status).toBe('pass');
    expect(log.warnings).toEqual([expect.stringMatching(/^The base \(main\) could not be checked out, so there is no comparison/)]);
  });
});

describe('baseline: file', () => {
  it('compares with a report saved by an earlier run', async () => {
    const { dir } = repoFromFixture('tiny-app');
    const saved = await report(dir, { variants: VARIANTS }, { source: 'none' }, 'saved');
    const file = path.join(tempDir('baseline'), 'report.json');
    writeFileSync(file, JSON.stringify(saved));
    growSingleStage(dir);
    const result = await report(dir, { variants: VARIANTS }, { source: 'file', file }, 'from-file');
    expect(result.base).toMatchObject({ source: 'file', file });
    const single = result.variants.find((v) => v.name === 'single-stage')!;
    expect(single.base).toEqual(saved.variants.find((v) => v.name === 'single-stage')!.head);
    expect(single.change!.layers).toBe(1);
  });

  it('warns when the saved report found compressed sizes another way than this engine does', async () => {
    const { dir } = repoFromFixture('tiny-app');
    const saved = await report(dir, { variants: VARIANTS }, { source: 'none' }, 'saved-sizing');
    const file = path.join(tempDir('baseline'), 'report.json');
    const quiet = memoryLogger();
    writeFileSync(file, JSON.stringify(saved));
    await report(dir, { variants: VARIANTS }, { source: 'file', file }, 'same-sizing', quiet);
    expect(quiet.warnings).toEqual([]);
    const other = saved.engine.compressedSizing === 'go1.27' ? 'go1.26' : 'go1.27';
    writeFileSync(file, JSON.stringify({ ...saved, engine: { ...saved.engine, compressedSizing: other } }));
    const log = memoryLogger();
    await report(dir, { variants: VARIANTS }, { source: 'file', file }, 'other-sizing', log);
    expect(log.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^The baseline file's compressed sizes were found as ${other}, this run's as ${saved.engine.compressedSizing} \\(.+\\): the compressed change also shows the difference between the two\\.$`,
        ),
      ),
    ]);
  });

  it('explains a baseline file that is missing or not a report', async () => {
    const { dir } = repoFromFixture('tiny-app');
    const missing = path.join(dir, 'nope.json');
    expect(existsSync(missing)).toBe(false);
    await expect(report(dir, { variants: VARIANTS }, { source: 'file', file: missing }, 'bad-file')).rejects.toThrow(
      /^baseline-file: ".*nope\.json" cannot be read \(ENOENT\)/,
    );
    const notReport = path.join(dir, 'package.json');
    writeFileSync(notReport, '{"name": "x"}');
    await expect(report(dir, { variants: VARIANTS }, { source: 'file', file: notReport }, 'bad-file')).rejects.toThrow(
      /is not an image-size-report report of schema version 1/,
    );
    unlinkSync(notReport);
  });
});
