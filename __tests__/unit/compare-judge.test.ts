import { describe, expect, it } from 'vitest';
import { changeBetween, stageComparisons } from '../../src/compare/compare.js';
import { evaluateBudgets, failsRun, verdict } from '../../src/judge/budgets.js';
import { built, variant } from '../support/report-fixture.js';

describe('changeBetween', () => {
  it('gives size, relative size, layer and build-time change', () => {
    expect(changeBetween(built(100_000_000, 5, 60_000), built(105_000_000, 6, 45_000))).toEqual({
      sizeBytes: 5_000_000,
      sizeRatio: 0.05,
      layers: 1,
      buildMs: -15_000,
    });
  });

  it('has no change when either side was not built', () => {
    expect(changeBetween({ status: 'absent', reason: 'new' }, built(1, 1))).toBeUndefined();
    expect(changeBetween(built(1, 1), { status: 'failed', error: 'x', log: [] })).toBeUndefined();
    expect(changeBetween(undefined, built(1, 1))).toBeUndefined();
  });
});

describe('stageComparisons', () => {
  it('holds each multi-stage variant against the one single-stage variant', () => {
    const v = [variant('single', 1, built(400e6, 8)), variant('multi', 2, built(100e6, 5)), variant('distroless', 3, built(50e6, 3))];
    expect(stageComparisons(v, {})).toEqual([
      { variant: 'multi', reference: 'single', ratio: 0.25, savedBytes: 300e6 },
      { variant: 'distroless', reference: 'single', ratio: 0.125, savedBytes: 350e6 },
    ]);
  });

  it('is silent when the single-stage reference is ambiguous, unless a max-ratio budget names it', () => {
    const v = [variant('a', 1, built(400e6, 8)), variant('b', 1, built(300e6, 8)), variant('m', 2, built(100e6, 5))];
    expect(stageComparisons(v, {})).toEqual([]);
    expect(stageComparisons(v, { m: { maxRatio: { of: 'b', fraction: 0.5 } } })).toEqual([
      { variant: 'm', reference: 'b', ratio: 1 / 3, savedBytes: 200e6 },
    ]);
  });

  it('skips pairs where a build failed', () => {
    const v = [variant('single', 1, { status: 'failed', error: 'x', log: [] }), variant('multi', 2, built(1, 1))];
    expect(stageComparisons(v, {})).toEqual([]);
  });
});

describe('evaluateBudgets', () => {
  const base = built(100_000_000, 5, 60_000);

  it('checks each limit against the measured value', () => {
    const v = [variant('app', 2, built(106_000_000, 7, 95_000), base)];
    const checks = evaluateBudgets(
      v,
      { app: { maxSize: 105e6, maxLayers: 7, maxBuildTimeMs: 90_000, maxIncrease: { kind: 'percent', percent: 5 } } },
      [],
    );
    expect(checks.map((c) => [c.budget, c.limit, c.actual, c.outcome])).toEqual([
      ['max-size', 105e6, 106e6, 'fail'],
      ['max-layers', 7, 7, 'pass'],
      ['max-build-time', 90_000, 95_000, 'fail'],
      ['max-increase', 5, expect.closeTo(6, 6), 'fail'],
    ]);
  });

  it('checks max-increase in bytes, and skips it with a reason when there is no base', () => {
    const grown = [variant('app', 1, built(110e6, 5), base)];
    expect(evaluateBudgets(grown, { app: { maxIncrease: { kind: 'bytes', bytes: 10e6 } } }, [])[0]).toMatchObject({
      actual: 10e6,
      outcome: 'pass',
    });
    const fresh = [variant('app', 1, built(110e6, 5), { status: 'absent', reason: 'Dockerfile "D" does not exist' })];
    expect(evaluateBudgets(fresh, { app: { maxIncrease: { kind: 'bytes', bytes: 1 } } }, [])[0]).toMatchObject({
      outcome: 'skipped',
      note: 'not in the base: Dockerfile "D" does not exist',
    });
    const noBase = [variant('app', 1, built(110e6, 5))];
    expect(evaluateBudgets(noBase, { app: { maxIncrease: { kind: 'percent', percent: 1 } } }, [])[0]).toMatchObject({
      outcome: 'skipped',
      note: 'no base to compare with',
    });
  });

  it('checks max-ratio against the comparison', () => {
    const v = [variant('single', 1, built(400e6, 8)), variant('multi', 2, built(240e6, 5))];
    const budgets = { multi: { maxRatio: { of: 'single', fraction: 0.5 } } };
    const [check] = evaluateBudgets(v, budgets, stageComparisons(v, budgets));
    expect(check).toMatchObject({ budget: 'max-ratio', of: 'single', limit: 0.5, actual: 0.6, outcome: 'fail' });
  });

  it('skips every budget of a variant that failed to build, and the verdict fails', () => {
    const v = [variant('app', 1, { status: 'failed', error: 'exit code: 1', log: [] })];
    const checks = evaluateBudgets(v, { app: { maxSize: 1 } }, []);
    expect(checks[0]).toMatchObject({ outcome: 'skipped', note: 'not measured: the build failed' });
    expect(verdict(v, checks)).toBe('fail');
  });

  it('passes when everything is within budget, even if a base build failed', () => {
    const v = [variant('app', 1, built(10, 1), { status: 'failed', error: 'x', log: [] })];
    const checks = evaluateBudgets(v, { app: { maxSize: 100 } }, []);
    expect(verdict(v, checks)).toBe('pass');
  });
});

describe('failsRun', () => {
  const broken = [variant('app', 1, built(200, 1))];
  const budgets = evaluateBudgets(broken, { app: { maxSize: 100 } }, []);

  it('fails on a broken budget only when fail-on-budget is on', () => {
    expect(failsRun({ variants: broken, budgets }, true)).toBe(true);
    expect(failsRun({ variants: broken, budgets }, false)).toBe(false);
    expect(failsRun({ variants: broken, budgets: [] }, true)).toBe(false);
  });

  it('always fails on a failed build', () => {
    const failed = [variant('app', 1, { status: 'failed', error: 'x', log: [] })];
    expect(failsRun({ variants: failed, budgets: [] }, false)).toBe(true);
  });
});
