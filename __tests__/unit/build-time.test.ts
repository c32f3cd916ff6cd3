import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { comparableBuildTimes, withComparableBuildTimes, type TimedBuild } from '../../src/compare/build-time.js';
import { changeBetween } from '../../src/compare/compare.js';
import { BuildOutputParser, parseBuildOutput } from '../../src/docker/build-output.js';
import type { BuiltResult, SideResult } from '../../src/report/types.js';
import { built } from '../support/report-fixture.js';

/** Steps that take `ms` to run and nothing from the cache; each build also spends `OVERHEAD` of its own. */
const OVERHEAD = 100;
const DURATION: Record<string, number> = { from: 0, deps: 2000, compile: 5000, copy: 40, head: 300, base: 400, test: 800 };

/**
 * Builds run one after another on one engine, whose cache starts with `preCached` and gains every step a build
 * runs: each build's steps, cached or run, and the wall time that follows. The same builds can so be run in
 * any order, which is what the function must see through.
 */
function simulate(order: string[][], preCached: string[] = []): TimedBuild[] {
  const cache = new Set(preCached);
  return order.map((steps) => {
    const stepRecords = steps.map((key) => ({ key, cached: cache.has(key), durationMs: cache.has(key) ? 0 : DURATION[key] }));
    for (const key of steps) cache.add(key);
    return { wallMs: OVERHEAD + stepRecords.reduce((sum, s) => sum + s.durationMs, 0), stepRecords };
  });
}

const cold = (steps: string[]) => OVERHEAD + steps.reduce((sum, key) => sum + DURATION[key], 0);

describe('comparableBuildTimes', () => {
  const HEAD = ['deps', 'copy', 'head'];
  const BASE = ['deps', 'copy', 'base'];

  it('gives head and base the same figures whichever was built first', () => {
    const headFirst = comparableBuildTimes(simulate([HEAD, BASE]));
    const baseFirst = comparableBuildTimes(simulate([BASE, HEAD]));
    expect(headFirst.map((t) => t.comparableMs)).toEqual([cold(HEAD), cold(BASE)]);
    expect(baseFirst.map((t) => t.comparableMs)).toEqual([cold(BASE), cold(HEAD)]);
    // The wall times alone would have favoured whichever came second.
    expect(simulate([HEAD, BASE])[1].wallMs).toBeLessThan(simulate([BASE, HEAD])[0].wallMs);
    expect(headFirst[1]).toEqual({ comparableMs: cold(BASE), borrowedMs: 2040, cachedFromRun: 2, cachedBeforeRun: 0 });
    expect(baseFirst[1]).toEqual({ comparableMs: cold(HEAD), borrowedMs: 2040, cachedFromRun: 2, cachedBeforeRun: 0 });
    expect(headFirst[0]).toEqual({ comparableMs: cold(HEAD), borrowedMs: 0, cachedFromRun: 0, cachedBeforeRun: 0 });
  });

  it('counts steps cached before the run as free for every build, whatever the order', () => {
    for (const order of [
      [HEAD, BASE],
      [BASE, HEAD],
    ]) {
      const times = comparableBuildTimes(simulate(order, ['deps']));
      for (const [i, t] of times.entries()) {
        expect(t.comparableMs).toBe(cold(order[i]) - DURATION.deps);
        expect(t.cachedBeforeRun).toBe(1);
      }
      expect(times.map((t) => t.cachedFromRun)).toEqual([0, 1]); // the copy, run by the first build
    }
  });

  it('gives the same figures to several variants on both sides that share steps, in every order', () => {
    // Single-stage and multi-stage variants share the dependency and compile steps; head and base differ in one.
    const builds = {
      headSingle: ['deps', 'compile', 'head'],
      headMulti: ['deps', 'compile', 'head', 'copy'],
      baseSingle: ['deps', 'compile', 'base'],
      baseMulti: ['deps', 'compile', 'base', 'copy', 'test'],
    };
    const names = Object.keys(builds) as (keyof typeof builds)[];
    const orders = [
      names,
      [...names].reverse(),
      ['headMulti', 'baseSingle', 'headSingle', 'baseMulti'] as const,
      ['baseMulti', 'headSingle', 'baseSingle', 'headMulti'] as const,
    ];
    for (const order of orders) {
      const times = comparableBuildTimes(simulate(order.map((name) => builds[name])));
      const byName = Object.fromEntries(order.map((name, i) => [name, times[i].comparableMs]));
      expect(byName).toEqual(Object.fromEntries(names.map((name) => [name, cold(builds[name])])));
      // Only the first build runs deps and compile; everyone after takes them from this run.
      expect(times.slice(1).every((t) => t.cachedFromRun >= 2)).toBe(true);
      expect(times[0].cachedFromRun).toBe(0);
    }
  });

  it('lends the time of the latest run of a step that was run twice', () => {
    const builds: TimedBuild[] = [
      { wallMs: 1100, stepRecords: [{ key: 'k', cached: false, durationMs: 1000 }] },
      // The cache lost k in between (pruned, or a build without cache): it ran again, slower.
      { wallMs: 1300, stepRecords: [{ key: 'k', cached: false, durationMs: 1200 }] },
      { wallMs: 50, stepRecords: [{ key: 'k', cached: true, durationMs: 0 }] },
    ];
    expect(comparableBuildTimes(builds).map((t) => t.comparableMs)).toEqual([1100, 1300, 1250]);
  });

  it('lends only what a build ran before, not what a later build runs', () => {
    const builds: TimedBuild[] = [
      { wallMs: 10, stepRecords: [{ key: 'k', cached: true, durationMs: 0 }] },
      { wallMs: 900, stepRecords: [{ key: 'k', cached: false, durationMs: 800 }] },
    ];
    expect(comparableBuildTimes(builds)).toEqual([
      { comparableMs: 10, borrowedMs: 0, cachedFromRun: 0, cachedBeforeRun: 1 },
      { comparableMs: 900, borrowedMs: 0, cachedFromRun: 0, cachedBeforeRun: 0 },
    ]);
  });

  it('lends the finished steps of a failed build, and nothing for a step a build reuses from itself', () => {
    const builds: TimedBuild[] = [
      // Failed after running k; its failing step has no record.
      { wallMs: 700, stepRecords: [{ key: 'k', cached: false, durationMs: 600 }] },
      // Legacy builder, two identical stages: the second takes j from the first, in the same build.
      {
        wallMs: 400,
        stepRecords: [
          { key: 'k', cached: true, durationMs: 0 },
          { key: 'j', cached: false, durationMs: 300 },
          { key: 'j', cached: true, durationMs: 0 },
        ],
      },
    ];
    expect(comparableBuildTimes(builds)[1]).toEqual({ comparableMs: 1000, borrowedMs: 600, cachedFromRun: 1, cachedBeforeRun: 0 });
  });

  it('has nothing to say about an empty run', () => {
    expect(comparableBuildTimes([])).toEqual([]);
  });

  it("does not depend on the order of a build's own steps (Docker 28.5 reports them in an order of its own)", () => {
    const builds = simulate(
      [
        ['deps', 'copy', 'head'],
        ['deps', 'copy', 'base'],
        ['copy', 'deps', 'test'],
      ],
      ['test'],
    );
    // Legacy builder, two identical stages in one build: the second takes j from the first, whichever is listed first.
    builds.push({
      wallMs: 400,
      stepRecords: [
        { key: 'j', cached: true, durationMs: 0 },
        { key: 'j', cached: false, durationMs: 300 },
        { key: 'deps', cached: true, durationMs: 0 },
      ],
    });
    const reversed = builds.map((b) => ({ ...b, stepRecords: [...b.stepRecords].reverse() }));
    expect(comparableBuildTimes(reversed)).toEqual(comparableBuildTimes(builds));
    expect(comparableBuildTimes(builds)[3]).toEqual({ comparableMs: 2400, borrowedMs: 2000, cachedFromRun: 1, cachedBeforeRun: 0 });
  });

  it("lends the legacy builder's step for the labels like any step, without counting it among the cached steps", () => {
    // An unchanged variant on both sides: same image below the label step, same label (the run's), so the
    // later build takes that step from the cache too.
    const label = { key: 'l1', cached: false, durationMs: 500, added: true };
    const [, later] = comparableBuildTimes([
      { wallMs: 2600, stepRecords: [{ key: 'a', cached: false, durationMs: 2000 }, label] },
      {
        wallMs: 100,
        stepRecords: [
          { key: 'a', cached: true, durationMs: 0 },
          { ...label, cached: true, durationMs: 5 },
        ],
      },
    ]);
    expect(later).toEqual({ comparableMs: 2600, borrowedMs: 2500, cachedFromRun: 1, cachedBeforeRun: 0 });
  });
});

describe('comparableBuildTimes and BuildKit layer exports', () => {
  // BuildKit makes the layer of a step it ran when it exports the image; a later image with that layer reuses it.
  const EXPORT: Record<string, number> = { deps: 900, copy: 10, head: 30, base: 40, same: 20 };

  /** As `simulate`, BuildKit's way: single-stage images, each new layer exported once, by the first image that has it. */
  function simulateExports(order: string[][]): TimedBuild[] {
    const cache = new Set<string>();
    const exported = new Set<string>();
    return order.map((steps) => {
      const stepRecords = steps.map((key) => ({
        key,
        cached: cache.has(key),
        durationMs: cache.has(key) ? 0 : (DURATION[key] ?? 100),
        exported: true,
        exportMs: cache.has(key) ? 0 : EXPORT[key],
      }));
      const exportMs = steps.filter((key) => !exported.has(key)).reduce((sum, key) => sum + EXPORT[key], 0);
      for (const key of steps) {
        cache.add(key);
        exported.add(key);
      }
      return { wallMs: OVERHEAD + exportMs + stepRecords.reduce((sum, s) => sum + s.durationMs, 0), stepRecords };
    });
  }
  const coldWithExport = (steps: string[]) => OVERHEAD + steps.reduce((sum, key) => sum + (DURATION[key] ?? 100) + EXPORT[key], 0);

  it('gives an unchanged variant the same figure on both sides, its layers included, whichever side is built first', () => {
    const changedHead = ['deps', 'copy', 'head'];
    const changedBase = ['deps', 'copy', 'base'];
    const same = ['deps', 'copy', 'same'];
    for (const order of [
      [changedHead, same, changedBase, same],
      [changedBase, same, changedHead, same],
      [same, changedHead, same, changedBase],
    ]) {
      const times = comparableBuildTimes(simulateExports(order));
      const sameTimes = order.flatMap((steps, i) => (steps === same ? [times[i].comparableMs] : []));
      expect(sameTimes).toEqual([coldWithExport(same), coldWithExport(same)]);
      expect(times.map((t) => t.comparableMs)).toEqual(order.map(coldWithExport));
    }
  });

  it('lends the export of a layer only to a build whose image has it', () => {
    const builder = { key: 'deps', cached: true, durationMs: 0, exported: false };
    const [, inBuilderStage, inImage] = comparableBuildTimes([
      { wallMs: 3000, stepRecords: [{ key: 'deps', cached: false, durationMs: 2000, exported: true, exportMs: 900 }] },
      { wallMs: 50, stepRecords: [builder] },
      { wallMs: 50, stepRecords: [{ ...builder, exported: true }] },
    ]);
    expect(inBuilderStage.borrowedMs).toBe(2000);
    expect(inImage.borrowedMs).toBe(2900);
  });
});

describe('comparableBuildTimes on builds recorded from the real engine', () => {
  const stream = (name: string) => readFileSync(new URL(`../fixtures/build-streams/${name}`, import.meta.url), 'utf8');

  it.each([
    ['Docker 20.10', 'buildkit'],
    ['Docker 28.5, overlay2', 'buildkit-28.5-overlay2'],
    ['Docker 28.5, containerd store', 'buildkit-28.5-containerd'],
  ])('BuildKit of %s: the base borrows what the head ran of the three steps they share, and their layers', (_, prefix) => {
    const head = parseBuildOutput(stream(`${prefix}-shared-head-cold.ndjson`));
    const base = parseBuildOutput(stream(`${prefix}-shared-base-warm.ndjson`));
    const [headTime, baseTime] = comparableBuildTimes([
      { wallMs: 4000, stepRecords: head.stepRecords },
      { wallMs: 1000, stepRecords: base.stepRecords },
    ]);
    const shared = head.stepRecords.slice(0, 3);
    const sharedRun = shared.reduce((sum, r) => sum + r.durationMs, 0);
    // The head exported their layers; the base's image has them, ready-made.
    const sharedExport = shared.reduce((sum, r) => sum + r.exportMs, 0);
    expect(sharedRun).toBeGreaterThan(2000); // two `sleep 1` among them
    expect(sharedExport).toBeGreaterThan(0);
    expect(headTime).toEqual({ comparableMs: 4000, borrowedMs: 0, cachedFromRun: 0, cachedBeforeRun: 0 });
    expect(baseTime.borrowedMs).toBeCloseTo(sharedRun + sharedExport, 6);
    expect(baseTime).toMatchObject({ comparableMs: 1000 + baseTime.borrowedMs, cachedFromRun: 3, cachedBeforeRun: 0 });
  });

  it('BuildKit of Docker 28.5: steps the base had in the cache from before the run, under the instructions the head ran, borrow nothing', () => {
    // The head's build and the base's, parsed with contexts whose Dockerfile.single differ: the base's COPY and
    // the step after it are not the ones the head ran (BuildKit found them in a cache made before the run).
    const parse = (name: string, single: string) => {
      const contents = new Map([['Dockerfile.single', `f644:${single}`]]);
      const parser = new BuildOutputParser(undefined, { contextContents: contents });
      parser.push(stream(name));
      return parser.finish();
    };
    const head = parse('buildkit-28.5-overlay2-shared-head-cold.ndjson', 'head-content');
    const base = parse('buildkit-28.5-overlay2-shared-base-warm.ndjson', 'base-content');
    const [, baseTime] = comparableBuildTimes([
      { wallMs: 4000, stepRecords: head.stepRecords },
      { wallMs: 1000, stepRecords: base.stepRecords },
    ]);
    const first = head.stepRecords[0];
    expect(baseTime).toEqual({
      comparableMs: 1000 + first.durationMs + first.exportMs,
      borrowedMs: first.durationMs + first.exportMs,
      cachedFromRun: 1,
      cachedBeforeRun: 2,
    });
  });

  it('legacy builder: the same, with step times from when the lines arrived', () => {
    const timed = (name: string) => {
      let now = 0;
      const parser = new BuildOutputParser(undefined, { now: () => now });
      for (const line of stream(name).split('\n')) {
        now += 1000;
        parser.push(`${line}\n`);
      }
      return parser.finish();
    };
    const head = timed('legacy-shared-head-cold.ndjson');
    const base = timed('legacy-shared-base-warm.ndjson');
    const [, baseTime] = comparableBuildTimes([
      { wallMs: 26_000, stepRecords: head.stepRecords },
      { wallMs: 20_000, stepRecords: base.stepRecords },
    ]);
    expect(baseTime).toEqual({ comparableMs: 30_000, borrowedMs: 10_000, cachedFromRun: 3, cachedBeforeRun: 0 }); // 4 s + 2 s + 4 s
  });
});

describe('changeBetween and build time', () => {
  const withComparable = (result: SideResult, comparableBuildMs: number): SideResult => ({ ...(result as BuiltResult), comparableBuildMs });

  it('compares order-independent times when both sides have them', () => {
    // The base came second and took the head's slow step from the cache: 5 s of wall time, 30 s comparable.
    const base = withComparable(built(100, 3, 5_000), 30_000);
    const head = withComparable(built(100, 3, 31_000), 31_000);
    expect(changeBetween(base, head)!.buildMs).toBe(1_000);
  });

  it('falls back to wall times when one side has none (a baseline file from an earlier version)', () => {
    expect(changeBetween(built(100, 3, 5_000), withComparable(built(100, 3, 31_000), 31_000))!.buildMs).toBe(26_000);
  });
});

describe('withComparableBuildTimes', () => {
  it('gives each built result of both sides its comparable time in new maps, in build order, and leaves the inputs as they were', () => {
    const [baseBuild, headBuild] = simulate([
      ['deps', 'copy', 'base'],
      ['deps', 'copy', 'head'],
    ]);
    const head = {
      results: new Map<string, SideResult>([['app', built(1000, 3)]]),
      timings: new Map([['app', { ...headBuild, startedAt: 20 }]]),
    };
    const base = {
      results: new Map<string, SideResult>([['app', built(900, 3)]]),
      timings: new Map([['app', { ...baseBuild, startedAt: 10 }]]),
    };
    const saved = { results: new Map<string, SideResult>([['app', { ...(built(800, 3) as BuiltResult), comparableBuildMs: 7 }]]) };
    const [headResults, baseResults, savedResults] = withComparableBuildTimes([head, base, saved]);
    expect(headResults!.get('app')).toMatchObject({ comparableBuildMs: cold(['deps', 'copy', 'head']), cachedFromRun: 2 });
    expect(baseResults!.get('app')).toMatchObject({ comparableBuildMs: cold(['deps', 'copy', 'base']), cachedFromRun: 0 });
    expect(savedResults!.get('app')).toEqual(saved.results.get('app'));
    expect(head.results.get('app')).not.toHaveProperty('comparableBuildMs');
    expect(headResults).not.toBe(head.results);
  });
});
