/**
 * Build times that do not depend on build order. Builds of one run share the engine's cache, so a build that
 * comes later takes from the cache the steps an earlier build (of this change or of the base, of this variant
 * or another) has just run, and its wall time is flattered by the order alone. Here each build is given back
 * the time of those steps, as measured in the build that ran them: the result is what it would have taken had
 * it run first in this run. Steps that were in the cache before the run stay free for every build. Pure.
 */
import type { SideResult } from '../report/types.js';

/** One build of the run: its wall time and its Dockerfile steps (see `StepRecord` in docker/build-output.ts). */
export interface TimedBuild {
  wallMs: number;
  stepRecords: readonly TimedStep[];
}

/** The part of a `StepRecord` that timing needs. */
export interface TimedStep {
  key: string;
  cached: boolean;
  durationMs: number;
  /** The build had to export the step's layer with its image (BuildKit); absent: false. */
  exported?: boolean;
  /** A step that ran and was exported: its share of the build's layer export time (BuildKit); absent: 0. */
  exportMs?: number;
  /** The legacy builder's step for the request's labels: timed and lent like any, but not counted among the cached steps. */
  added?: boolean;
}

export interface ComparableTime {
  /** `wallMs` plus `borrowedMs`: what the build would have taken had it run first in this run. */
  comparableMs: number;
  /**
   * Time of the steps it took from the cache that another build of this run had run before it, with, for those
   * in its image, the time that build took to export their layers (BuildKit exports a layer once).
   */
  borrowedMs: number;
  /**
   * Cached steps that another build of this run had run before it (their time is in `borrowedMs`, with that of
   * the legacy builder's step for the labels when it is one of them, which is not a Dockerfile step).
   */
  cachedFromRun: number;
  /**
   * Cached steps that no build of this run had run before it: in the cache before the run. (A step a build
   * reuses from its own earlier step, as the legacy builder does with two identical stages, is neither.)
   */
  cachedBeforeRun: number;
}

/**
 * Order-independent times for every build of a run, given in the order they ran (each result at its build's
 * index). A cached step borrows the time of the latest run of its key by an earlier build: that run's result
 * is what the cache held. Only runs that finished count, so a failed build's finished steps lend their time
 * like any other. The order of a build's own steps does not matter (Docker 28.5's BuildKit reports them in an
 * order of its own).
 */
export function comparableBuildTimes(builds: readonly TimedBuild[]): ComparableTime[] {
  /** Key of every step run so far (not taken from the cache), with the time of its latest run and of its export. */
  const ran = new Map<string, { durationMs: number; exportMs: number }>();
  return builds.map((build) => {
    /** Keys this build ran itself: a cached step of the same key reuses its own work. */
    const ranHere = new Set(build.stepRecords.filter((s) => !s.cached).map((s) => s.key));
    let borrowedMs = 0;
    let cachedFromRun = 0;
    let cachedBeforeRun = 0;
    for (const step of build.stepRecords) {
      if (!step.cached || ranHere.has(step.key)) continue;
      const lent = ran.get(step.key);
      const counted = step.added ? 0 : 1;
      if (lent === undefined) {
        cachedBeforeRun += counted;
      } else {
        cachedFromRun += counted;
        // Its layer too came ready-made, when this build's image has it and the lender exported it.
        borrowedMs += lent.durationMs + (step.exported ? lent.exportMs : 0);
      }
    }
    for (const step of build.stepRecords)
      if (!step.cached) ran.set(step.key, { durationMs: step.durationMs, exportMs: step.exportMs ?? 0 });
    return { comparableMs: build.wallMs + borrowedMs, borrowedMs, cachedFromRun, cachedBeforeRun };
  });
}

/** One side of a run for `withComparableBuildTimes`: its results, and the builds that ran for it, by variant. */
export interface TimedSide {
  results?: ReadonlyMap<string, SideResult>;
  /** `startedAt` (`performance.now()`) puts the builds of both sides in the order they ran. */
  timings?: ReadonlyMap<string, TimedBuild & { startedAt: number }>;
}

/**
 * Each side's results (new maps, in the same order), every built one given its order-independent build time and
 * the number of its cached steps that another build of the run had run (`comparableBuildTimes`): builds of both
 * sides share the engine's cache, so whichever comes later would otherwise look faster. Results with no build
 * in `timings` (read from a baseline file) keep their own.
 */
export function withComparableBuildTimes(sides: readonly TimedSide[]): (Map<string, SideResult> | undefined)[] {
  const out = sides.map((side) => side.results && new Map(side.results));
  const builds = sides
    .flatMap((side, index) => [...(side.timings ?? [])].map(([name, timing]) => ({ results: out[index], name, timing })))
    .sort((a, b) => a.timing.startedAt - b.timing.startedAt);
  const times = comparableBuildTimes(builds.map((b) => b.timing));
  builds.forEach(({ results, name }, i) => {
    const result = results?.get(name);
    if (result?.status !== 'built') return;
    results!.set(name, { ...result, comparableBuildMs: Math.round(times[i].comparableMs), cachedFromRun: times[i].cachedFromRun });
  });
  return out;
}
