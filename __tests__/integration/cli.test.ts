// The bundled command-line tool (dist/cli.js), run as a developer runs it before pushing.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/types.js';
import { toolImageTags } from '../support/docker-cli.js';
import { commitAll, repoFromFixture, tempDir } from '../support/workspace.js';

const CLI = path.resolve(import.meta.dirname, '../../dist/cli.js');
const ROOT = path.resolve(import.meta.dirname, '../..');
const VARIANTS = '{single-stage: Dockerfile.single, multi-stage: {dockerfile: Dockerfile, target: runtime}}';

function cli(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 900_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('image-size-report (CLI)', () => {
  it('prints the table with the base comparison, and exits 0 within budget', () => {
    const { dir, sha } = repoFromFixture('tiny-app');
    writeFileSync(path.join(dir, 'app.sh'), '#!/bin/sh\necho "a slightly longer app script"\n');
    commitAll(dir, 'change the app');
    const run = cli(dir, '--variants', VARIANTS, '--base', sha, '--budgets', '{multi-stage: {max-ratio: {of: single-stage, max: 90%}}}');
    expect(run.stderr).toMatch(/Building single-stage \(this change\)\.\.\.\n {2}done in [\d.]+ s\n/);
    expect(run.stderr).toContain('Building multi-stage (base)...');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\| Variant +\| +\| +Base \| +Current \| +Change \|$/m);
    // a few bytes more: no change beyond min-change (0.1%), one row
    expect(run.stdout).toMatch(/^\| single-stage +\| Size +\| +[\d.]+ MB \| +[\d.]+ MB \| +no change beyond 0\.1% \|$/m);
    expect(run.stdout).toMatch(/^multi-stage is \d+\.\d% smaller than single-stage \([\d.]+ [kM]B vs [\d.]+ MB\)\.$/m);
    expect(run.stdout).toMatch(/\| multi-stage \| max-ratio \(of single-stage\) \| 90% +\| [\d.]+% +\| pass +\|/);
    expect(run.stdout.trimEnd().endsWith('Result: PASS')).toBe(true);
    expect(toolImageTags()).toEqual([]);
  });

  it('exits 1 on a broken budget (0 with --no-fail-on-budget) and writes the JSON report', () => {
    const { dir } = repoFromFixture('tiny-app');
    const json = path.join(tempDir('cli-json'), 'report.json');
    const broken = cli(dir, '--variants', VARIANTS, '--budgets', '{single-stage: {max-size: 1kB}}', '--json', json);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^single-stage: budget max-size broken: size [\d.]+ MB is over the limit of 1\.00 kB\.$/m);
    expect(broken.stdout.trimEnd().endsWith('Result: FAIL')).toBe(true);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(report.status).toBe('fail');
    expect(report.budgets).toMatchObject([{ variant: 'single-stage', budget: 'max-size', limit: 1000, outcome: 'fail' }]);

    const lenient = cli(dir, '--variants', VARIANTS, '--budgets', '{single-stage: {max-size: 1kB}}', '--no-fail-on-budget', '--json', '-');
    expect(lenient.code).toBe(0);
    expect((JSON.parse(lenient.stdout) as Report).status).toBe('fail');
  });

  it('--min-change: 0 counts every byte, so the few bytes the app script grew show; a bad value exits 2 naming it', () => {
    const { dir, sha } = repoFromFixture('tiny-app');
    writeFileSync(path.join(dir, 'app.sh'), '#!/bin/sh\necho "a slightly longer app script"\n');
    commitAll(dir, 'change the app');
    const run = cli(dir, '--variants', '{single-stage: Dockerfile.single}', '--base', sha, '--min-change', '0');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\| single-stage +\| Size +\| +[\d.]+ MB \| +[\d.]+ MB \| +\+\d+ B \(0\.0%\) \|$/m);
    expect(run.stdout).toMatch(/^ +\+\d+ B +changed +COPY app\.sh/m);
    const bad = cli(dir, '--min-change', 'lots');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^image-size-report: min-change: "lots" is neither a percentage \(such as 5%\) nor a size\./);
  });

  it('exits 2 with one line on bad input, and shows help', () => {
    const { dir } = repoFromFixture('tiny-app');
    const bad = cli(dir, '--budgets', '{default: {max-size: 12 parsecs}}');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'image-size-report: budgets.default.max-size: "12 parsecs" is not a size. Use a number with a unit: B, kB, MB, GB, TB (decimal, as `docker images` shows) or KiB, MiB, GiB, TiB (binary), e.g. 150MB or 1.2GiB.\n',
    );
    const flag = cli(dir, '--colour');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^image-size-report: Unknown option '--colour'/);
    const help = cli(dir, '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: image-size-report \[options\]/);
  });

  // The story behind the project, for real: a Python service with a compiled helper, built from Debian's
  // packages as a single-stage and a multi-stage image. This is the one slow test (minutes, cold).
  it('shows the multi-stage example app clearly smaller than the single-stage one', () => {
    const json = path.join(tempDir('example'), 'report.json');
    const run = cli(ROOT, '-C', 'examples/python-service', '--json', json);
    expect(run.stderr).not.toMatch(/warning/);
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    const [single, multi] = report.variants.map((v) => (v.head.status === 'built' ? v.head.sizeBytes : NaN));
    expect(report.variants.map((v) => [v.name, v.stages])).toEqual([
      ['single-stage', 1],
      ['multi-stage', 2],
    ]);
    expect(multi / single).toBeLessThan(0.5);
    expect(report.budgets.filter((c) => c.outcome === 'fail')).toEqual([]);
    expect(report.budgets.find((c) => c.budget === 'max-ratio')).toMatchObject({
      variant: 'multi-stage',
      of: 'single-stage',
      outcome: 'pass',
    });
    expect(run.stdout).toMatch(/^multi-stage is \d\d\.\d% smaller than single-stage/m);
  });
});
