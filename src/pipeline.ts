/**
 * The engine shared by the action and the command line: measure this change, get the base (rebuild it in a
 * worktree, read it from a file, or none), compare, judge, and clean up what was built.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cancellation, cleanupDeadline } from './cancel.js';
import { withComparableBuildTimes } from './compare/build-time.js';
import { changeBetween, layerChanges, stageComparisons } from './compare/compare.js';
import type { DockerEngine, EngineInfo } from './docker/engine.js';
import { engineLine } from './docker/endpoint.js';
import { isUserError } from './errors.js';
import { Git } from './git/git.js';
import { evaluateBudgets, verdict } from './judge/budgets.js';
import type { Logger } from './log.js';
import { LayerCache } from './measure/image/layer-cache.js';
import { pushSizingFor, sizeMeaning } from './measure/image/push-sizing.js';
import { measureSide, prepareSide, RUN_LABEL, type BuildTiming, type MeasureRun, type SideMeasurement } from './measure/measure.js';
import { readBaselineFile } from './report/read-report.js';
import { REPORT_SCHEMA_VERSION, type Report, type SideResult, type VariantReport } from './report/types.js';
import type { Settings } from './settings/schema.js';
import { TOOL } from './version.js';

export type BaselinePlan =
  | { source: 'none' }
  | { source: 'file'; file: string }
  /** `commit`: a SHA or ref to check out; `ref`: the name to show (e.g. the base branch). */
  | { source: 'rebuild'; commit: string; ref?: string };

export interface PipelineInput {
  settings: Settings;
  /** Absolute path; variant paths are relative to it. */
  workingDirectory: string;
  engine: DockerEngine;
  baseline: BaselinePlan;
  head: { ref?: string; sha?: string };
  runId: string;
  log: Logger;
  /** Where the base worktree goes (defaults to the system temp directory). */
  tempDirectory?: string;
  /**
   * The run's cancellation (src/cancel.ts). Once it aborts, the build under way is stopped, nothing more is
   * built, what the run made is removed within seconds, and the report comes back marked `cancelled` with what
   * was measured by then.
   */
  signal?: AbortSignal;
}

/** The run context (measure.ts's MeasureRun) with all the settings: made once in `createReport`. */
type Run = MeasureRun & { settings: Settings & MeasureRun['settings'] };

export async function createReport(input: PipelineInput): Promise<Report> {
  const { settings, workingDirectory, engine, log } = input;
  const headPlan = prepareSide(workingDirectory, settings.variants, 'head'); // bad config fails before the engine is asked
  const saved = input.baseline.source === 'file' ? readBaselineFile(input.baseline.file) : undefined; // before any build
  for (const warning of engine.resolved?.warnings ?? []) log.warning(warning);
  const engineInfo = await engine.connect(input.signal);
  log.info(engineLine(engineInfo));
  const measuring = { ...settings, push: pushSizingFor(engineInfo) };
  if (saved?.compressedSizing && saved.compressedSizing !== measuring.push.method) {
    log.warning(
      `The baseline file's compressed sizes were found as ${saved.compressedSizing}, this run's as ${measuring.push.method} ` +
        `(${measuring.push.reason}): the compressed change also shows the difference between the two.`,
    );
  }
  const run: Run = {
    engine,
    settings: measuring,
    runId: input.runId,
    log,
    cache: new LayerCache(settings.cacheDir && path.resolve(workingDirectory, settings.cacheDir)),
    created: { tags: [], intermediates: [] },
    signal: input.signal,
  };
  try {
    const head = await measureSide(run, 'head', headPlan);
    const base: BaseOutcome =
      input.baseline.source === 'file' && saved
        ? { results: saved.results, meta: { source: 'file', file: input.baseline.file, sha: saved.sha, ref: saved.ref } }
        : await rebuildBase(input, run);
    const [headResults, baseResults] = withComparableBuildTimes([head, base]);
    return assemble(input, engineInfo, { ...head, results: headResults! }, { ...base, results: baseResults });
  } finally {
    run.cache.close(); // its temporary files; what it keeps across runs stays in the cache directory
    if (!settings.keepImages) await removeImages(run, cleanupDeadline(input.signal));
  }
}

interface BaseOutcome {
  results?: Map<string, SideResult>;
  meta: Report['base'];
  /** The base's builds, when it was rebuilt in this run. */
  timings?: Map<string, BuildTiming>;
}

async function rebuildBase(input: PipelineInput, run: Run): Promise<BaseOutcome> {
  const plan = input.baseline;
  if (plan.source !== 'rebuild') return { meta: { source: 'none' } };
  const ref = plan.ref ?? plan.commit;
  const notMeasured = () => new Map(run.settings.variants.map((v) => [v.name, { status: 'cancelled' } as SideResult]));
  if (run.signal?.aborted) return { results: notMeasured(), meta: { source: 'rebuild', ref } };
  // git stops (fetching, checking out) on the cancel; removing the worktree does not.
  const git = new Git(input.workingDirectory, run.signal);
  let checkout: { top: string; sha: string; parent: string; worktree: string };
  let parent: string | undefined;
  try {
    const top = await git.topLevel();
    const sha = await git.ensureCommit(plan.commit);
    parent = mkdtempSync(path.join(input.tempDirectory ?? os.tmpdir(), 'image-size-report-base-'));
    checkout = { top, sha, parent, worktree: path.join(parent, 'tree') };
    await git.addWorktree(checkout.worktree, sha);
  } catch (error) {
    // This change is measured already: report it without a base rather than not at all.
    if (parent) {
      // git removes a worktree it could not finish, but one it was stopped in the middle of may stay registered
      if (existsSync(path.join(parent, 'tree'))) await git.removeWorktree(path.join(parent, 'tree'));
      rmSync(parent, { recursive: true, force: true });
    }
    if (run.signal?.aborted) return { results: notMeasured(), meta: { source: 'rebuild', ref } };
    if (!isUserError(error)) throw error;
    run.log.warning(`The base (${ref}) could not be checked out, so there is no comparison: ${error.message}`);
    const reason = 'the base could not be checked out';
    const results = new Map(run.settings.variants.map((v) => [v.name, { status: 'absent', reason } as SideResult]));
    return { results, meta: { source: 'rebuild', ref, error: error.message } };
  }
  try {
    const root = path.join(checkout.worktree, path.relative(checkout.top, input.workingDirectory));
    const base = await measureSide(run, 'base', prepareSide(root, run.settings.variants, 'base'));
    return { results: base.results, meta: { source: 'rebuild', sha: checkout.sha, ref }, timings: base.timings };
  } finally {
    await git.removeWorktree(checkout.worktree);
    rmSync(checkout.parent, { recursive: true, force: true });
  }
}

function assemble(input: PipelineInput, engine: EngineInfo, head: SideMeasurement, base: BaseOutcome): Report {
  const { settings } = input;
  const variants: VariantReport[] = settings.variants.map((spec) => {
    const headResult = head.results.get(spec.name)!;
    const baseResult =
      base.meta.source === 'none'
        ? undefined
        : (base.results?.get(spec.name) ?? { status: 'absent' as const, reason: 'not in the saved report' });
    const grew = layerChanges(baseResult, headResult);
    return {
      name: spec.name,
      ...(spec.variant !== undefined ? { variant: spec.variant } : {}),
      ...(spec.platform !== undefined ? { platform: spec.platform } : {}),
      dockerfile: spec.dockerfile,
      ...(spec.target ? { target: spec.target } : {}),
      context: spec.context,
      stages: head.stages.get(spec.name) ?? 1,
      head: headResult,
      ...(baseResult ? { base: baseResult } : {}),
      ...(baseResult ? { change: changeBetween(baseResult, headResult) } : {}),
      ...(grew ? { layerChanges: grew } : {}),
    };
  });
  const comparisons = stageComparisons(variants, settings.budgets);
  const budgets = evaluateBudgets(variants, settings.budgets, comparisons);
  const cancelled = cancellation(input.signal);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: TOOL.name, version: TOOL.version },
    createdAt: new Date().toISOString(),
    engine: {
      serverVersion: engine.serverVersion,
      apiVersion: engine.apiVersion,
      storage: engine.storage,
      containerdStore: engine.containerdStore,
      ...(engine.goVersion ? { goVersion: engine.goVersion } : {}),
      compressedSizing: pushSizingFor(engine).method,
      sizeMeaning: sizeMeaning(engine),
      ...(engine.endpoint ? { endpoint: engine.endpoint } : {}),
    },
    units: settings.units,
    head: input.head,
    base: base.meta,
    variants,
    comparisons,
    budgets,
    status: cancelled ? 'cancelled' : verdict(variants, budgets),
    ...(cancelled ? { cancelled: { signal: cancelled.signal } } : {}),
    minChange: settings.minChange,
  };
}

/**
 * Remove what the run made: its tagged images, and anything still carrying its label. The images a legacy
 * build committed for its steps are its build cache, which `docker build` keeps too: they go only with
 * `no-cache` (they would serve no later build of this run's kind), else the next run would build cold.
 */
async function removeImages(run: Run, deadline?: AbortSignal): Promise<void> {
  const { created } = run;
  const intermediates = run.settings.noCache ? created.intermediates : [];
  const problems = await run.engine.removeRunArtifacts(
    { tags: created.tags, intermediates, label: { key: RUN_LABEL, value: run.runId } },
    deadline,
  );
  for (const problem of problems) run.log.warning(problem);
}
