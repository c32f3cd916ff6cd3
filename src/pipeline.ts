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
import { isUserError, messageOf } from './errors.js';
import { Git } from './git/git.js';
import { evaluateBudgets, verdict } from './judge/budgets.js';
import type { Logger } from './log.js';
import { LayerCache } from './measure/image/layer-cache.js';
import { pushSizingFor, sizeMeaning } from './measure/image/push-sizing.js';
import { alignSharedLayers, measureRegistryImage, withBaseImageOf } from './measure/registry-image.js';
import { measureSide, prepareSide, RUN_LABEL, type BuildTiming, type MeasureRun, type SideMeasurement } from './measure/measure.js';
import { readBaselineFile } from './report/read-report.js';
import type { Platform, Registry } from './registry/types.js';
import { REPORT_SCHEMA_VERSION, type BaseSource, type Report, type SideResult, type VariantReport } from './report/types.js';
import { redact } from './secrets/redact.js';
import { ociPlatform } from './settings/platforms.js';
import { baselineReference, type BaselineImage, type Settings, type VariantSpec } from './settings/schema.js';
import { TOOL } from './version.js';

/** One source of bases: a saved report, a rebuild of a commit, or the published images in a registry. */
export type BaselineStep =
  | { source: 'file'; file: string }
  /** `commit`: a SHA or ref to check out; `ref`: the name to show (e.g. the base branch). */
  | { source: 'rebuild'; commit: string; ref?: string }
  /** `image`: each variant's reference (settings `baseline-image`); `registry`: the client that reads them. */
  | { source: 'registry'; registry: Registry; image: BaselineImage };

export type BaselinePlan = { source: 'none' } | BaselineStep;

export interface PipelineInput {
  settings: Settings;
  /** Absolute path; variant paths are relative to it. */
  workingDirectory: string;
  engine: DockerEngine;
  /**
   * Where bases come from: one source, or several in order (`registry, rebuild`): each variant takes its base
   * from the first that has it (see `measureBase`); an empty list is `none`.
   */
  baseline: BaselinePlan | BaselineStep[];
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
  const steps = baselineSteps(input.baseline);
  const fileStep = steps.find((step) => step.source === 'file');
  const saved = fileStep ? readBaselineFile(fileStep.file) : undefined; // before any build
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
    const base = await measureBase(input, run, { steps, saved, engine: engineInfo, head: head.results });
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
  /** Where each variant's base came from, when `baseline` lists sources or is `registry`. */
  sources?: Map<string, BaseSource>;
}

function baselineSteps(plan: PipelineInput['baseline']): BaselineStep[] {
  if (Array.isArray(plan)) return plan;
  return plan.source === 'none' ? [] : [plan];
}

/**
 * Each variant's base from the first source that has it, in the order given. A source has a variant unless its
 * result is `absent` (not in the saved report, no such reference in the registry, no such Dockerfile or target in
 * the base commit): then the next source is tried, and after the last the variant is new. Only the variants that
 * reach `rebuild` are built, so with every base in the registry no base build runs at all.
 *
 * A registry that refuses or fails (unauthorized, the platform missing, no answer) does not fall through: that
 * variant's base is not available, with the error and a warning, and the others are still compared. Falling
 * through to a rebuild would hide a credential to fix behind a run as slow as one without the registry.
 */
async function measureBase(
  input: PipelineInput,
  run: Run,
  known: { steps: BaselineStep[]; saved?: SavedBaseline; engine: EngineInfo; head: Map<string, SideResult> },
): Promise<BaseOutcome> {
  const { steps, saved } = known;
  if (steps.length === 0) return { meta: { source: 'none' } };
  const [only] = steps;
  if (steps.length === 1 && only.source === 'file' && saved) {
    return { results: saved.results, meta: { source: 'file', file: only.file, sha: saved.sha, ref: saved.ref } };
  }
  if (steps.length === 1 && only.source === 'rebuild') return rebuildBase(input, run, only, run.settings.variants);
  const results = new Map<string, SideResult>();
  const sources = new Map<string, BaseSource>();
  const meta: Omit<Report['base'], 'source'> = {};
  let timings: Map<string, BuildTiming> | undefined;
  const take = (name: string, result: SideResult, source: BaseSource) => {
    results.set(name, result);
    sources.set(name, source);
  };
  /** Why each variant not found yet is not there, for the one that is new in the end. */
  const reasons = new Map<string, string>();
  for (const step of steps) {
    const pending = run.settings.variants.filter((v) => !results.has(v.name));
    if (pending.length === 0) break;
    if (step.source === 'file' && saved) {
      Object.assign(meta, { file: step.file, ...(saved.sha ? { sha: saved.sha } : {}), ...(saved.ref ? { ref: saved.ref } : {}) });
      for (const spec of pending) {
        const result = saved.results.get(spec.name);
        if (result && result.status !== 'absent') take(spec.name, result, { source: 'file' });
        else reasons.set(spec.name, result?.status === 'absent' ? result.reason : 'not in the saved report');
      }
    } else if (step.source === 'registry') {
      for (const spec of pending) {
        const outcome = await registryBase(run, step, spec, known);
        if (outcome.result) take(spec.name, outcome.result, outcome.source);
        else reasons.set(spec.name, outcome.reason);
      }
    } else if (step.source === 'rebuild') {
      const rebuilt = await rebuildBase(input, run, step, pending);
      const { ref, sha, error } = rebuilt.meta; // the commit rebuilt, or why it could not be checked out
      Object.assign(meta, { ...(ref ? { ref } : {}), ...(sha ? { sha } : {}), ...(error ? { error } : {}) });
      timings = rebuilt.timings;
      for (const spec of pending) {
        const result = rebuilt.results?.get(spec.name);
        if (result && result.status !== 'absent') take(spec.name, result, { source: 'rebuild' });
        else if (result) reasons.set(spec.name, result.reason);
      }
    }
  }
  for (const spec of run.settings.variants) {
    if (results.has(spec.name)) continue;
    const cancelled = run.signal?.aborted;
    results.set(
      spec.name,
      cancelled ? { status: 'cancelled' } : { status: 'absent', reason: reasons.get(spec.name) ?? 'no baseline source has it' },
    );
    sources.set(spec.name, {});
  }
  const used = new Set([...sources.values()].flatMap((s) => (s.source && !s.error ? [s.source] : [])));
  const source: Report['base']['source'] = used.size > 1 ? 'mixed' : ([...used][0] ?? only.source);
  return { results, meta: { source, ...meta }, timings, sources };
}

type SavedBaseline = ReturnType<typeof readBaselineFile>;

/** A variant's base from the registry: measured, not there (a reason), or not available (the error, as a result). */
async function registryBase(
  run: Run,
  step: Extract<BaselineStep, { source: 'registry' }>,
  spec: VariantSpec,
  known: { engine: EngineInfo; head: Map<string, SideResult> },
): Promise<{ result: SideResult; source: BaseSource } | { result?: undefined; reason: string }> {
  const reference = baselineReference(step.image, spec);
  if (!reference) return { reason: 'baseline-image names no image for it' };
  if (run.signal?.aborted) return { result: { status: 'cancelled' }, source: { source: 'registry', reference } };
  const platform = platformOf(spec, known.engine);
  try {
    const found = await run.log.group(`Reading the base of ${spec.name} from ${reference}`, () =>
      measureRegistryImage({
        registry: step.registry,
        reference,
        platform,
        cache: run.cache,
        secrets: Object.values(spec.buildArgs),
        signal: run.signal,
      }),
    );
    if (!found.found) {
      run.log.info(`${spec.name}: ${reference} is not in the registry (${found.reason}).`);
      return { reason: `${reference} is not in the registry (${found.reason})` };
    }
    const head = known.head.get(spec.name);
    const result = head?.status === 'built' ? withBaseImageOf(alignSharedLayers(found.result, head), head) : found.result;
    return { result, source: { source: 'registry', reference, digest: found.image.manifestDigest } };
  } catch (error) {
    if (run.signal?.aborted) return { result: { status: 'cancelled' }, source: { source: 'registry', reference } };
    const message = redact(messageOf(error), Object.values(spec.buildArgs));
    run.log.warning(`The base of ${spec.name} could not be read from ${reference}, so it has no comparison: ${message}`);
    return {
      result: { status: 'absent', reason: 'the registry base could not be read' },
      source: { source: 'registry', reference, error: message },
    };
  }
}

/** The platform to look a row's image up for: the row's own, else the engine's. */
function platformOf(spec: VariantSpec, engine: EngineInfo): Platform {
  if (spec.platform) return ociPlatform(spec.platform); // normalised when the settings were read
  return engine.platform ?? { os: 'linux', architecture: 'amd64' };
}

async function rebuildBase(
  input: PipelineInput,
  run: Run,
  plan: Extract<BaselineStep, { source: 'rebuild' }>,
  variants: VariantSpec[],
): Promise<BaseOutcome> {
  const ref = plan.ref ?? plan.commit;
  const notMeasured = () => new Map(variants.map((v) => [v.name, { status: 'cancelled' } as SideResult]));
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
    const results = new Map(variants.map((v) => [v.name, { status: 'absent', reason } as SideResult]));
    return { results, meta: { source: 'rebuild', ref, error: error.message } };
  }
  try {
    const root = path.join(checkout.worktree, path.relative(checkout.top, input.workingDirectory));
    const base = await measureSide(run, 'base', prepareSide(root, variants, 'base'));
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
      ...(base.sources?.has(spec.name) ? { baseSource: base.sources.get(spec.name)! } : {}),
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
