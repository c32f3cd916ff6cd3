/**
 * Measuring one side (this change, or the base) of every variant: check each Dockerfile and target, build,
 * and read size and layers from the engine. Build failures become results, not exceptions.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { unlessCancelled } from '../cancel.js';
import { InputError, messageOf } from '../errors.js';
import type { StepRecord } from '../docker/build-output.js';
import type { DockerEngine } from '../docker/engine.js';
import { baseImageFor, parseStages, stageCountFor, targetStageIndex } from '../docker/dockerfile.js';
import type { Logger } from '../log.js';
import type { BuiltResult, SideResult } from '../report/types.js';
import { redact } from '../secrets/redact.js';
import { TARGET_ARGS, targetArgs } from '../settings/platforms.js';
import type { Settings, VariantSpec } from '../settings/schema.js';
import type { LayerCache } from './image/layer-cache.js';
import type { PushSizing } from './image/push-sizing.js';
import { readLayers, type LayerRequest } from './layers.js';

export type Side = 'head' | 'base';

function pick(values: Record<string, string>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((key) => Object.hasOwn(values, key)).map((key) => [key, values[key]]));
}

/**
 * The run context: what every measurement of one run shares, built once by the pipeline and passed as one
 * object to both sides.
 */
export interface MeasureRun {
  engine: DockerEngine;
  settings: MeasureSettings;
  /** Names the run's tags and its label (`RUN_LABEL`). */
  runId: string;
  log: Logger;
  /** Layer measurements by diff ID, shared by both sides and all variants. */
  cache: LayerCache;
  /**
   * The run's record of what it made in the engine, for the clean-up at the end: each tag is entered before
   * its build starts, intermediate images after it, so a run that stops half-way still removes them.
   */
  created: CreatedImages;
  /**
   * The run's cancellation. Once it aborts, the build under way is stopped in the engine, so is the layer
   * reading, and every variant not measured by then is `cancelled`; those measured before are kept.
   */
  signal?: AbortSignal;
}

/** What measuring needs of the settings, and how a push from this engine compresses a layer (push-sizing.ts). */
export type MeasureSettings = Pick<Settings, 'noCache' | 'pull' | 'builder' | 'timeoutMs' | 'compressedSize'> & { push: PushSizing };

export const IMAGE_REPOSITORY = 'image-size-report';
export const RUN_LABEL = 'io.github.image-size-report.run';

export interface SideMeasurement {
  results: Map<string, SideResult>;
  /** Stages built per variant (known when the Dockerfile could be read). */
  stages: Map<string, number>;
  /** Every build that ran (failed ones too), by variant: what compare/build-time.ts needs. */
  timings: Map<string, BuildTiming>;
}

/** One build's wall time and steps; step names are redacted. */
export interface BuildTiming {
  /** When it started (`performance.now()`), to put the builds of a run in order. */
  startedAt: number;
  wallMs: number;
  stepRecords: StepRecord[];
}

/** What a run has created in the engine, for the clean-up at the end (unless asked to keep it). */
export interface CreatedImages {
  tags: string[];
  /**
   * Legacy builder: images its steps committed (its build cache; a multi-stage build's earlier stages are
   * not parents of the result). Removed only with no-cache: see pipeline.ts.
   */
  intermediates: string[];
}

export interface Prepared {
  variant: VariantSpec;
  dockerfile: string;
  context: string;
  stages: number;
  /** The image the target stage starts FROM (null: scratch; undefined: not known before the build). */
  baseImage: string | null | undefined;
}

/** A variant that cannot be built on a side, and why (a sentence without the variant's name). */
export interface Unbuildable {
  variant: VariantSpec;
  problem: string;
}

/** The tag of the image built for a variant: it shows whose it is, which side and which run. */
export function imageTag(variant: VariantSpec, side: Side, runId: string): string {
  return `${IMAGE_REPOSITORY}/${variant.slug}:${side}-${runId}`;
}

/**
 * Check a variant can be built from `root`: the Dockerfile exists, the target is one of its stages, the
 * context is a directory.
 */
export function prepareVariant(root: string, variant: VariantSpec): Prepared | Unbuildable {
  const dockerfile = path.resolve(root, variant.dockerfile);
  const context = path.resolve(root, variant.context);
  const unbuildable = (problem: string): Unbuildable => ({ variant, problem });
  if (!existsSync(dockerfile) || !statSync(dockerfile).isFile()) {
    return unbuildable(`Dockerfile "${variant.dockerfile}" does not exist (looked for ${dockerfile}).`);
  }
  if (!existsSync(context) || !statSync(context).isDirectory()) {
    return unbuildable(`context "${variant.context}" is not a directory (looked for ${context}).`);
  }
  const parsed = parseStages(readFileSync(dockerfile, 'utf8'));
  if (parsed.stages.length === 0) return unbuildable(`"${variant.dockerfile}" has no FROM instruction.`);
  if (targetStageIndex(parsed, variant.target) === -1) {
    const names = parsed.stages.map((s) => s.name).filter(Boolean);
    return unbuildable(
      `target "${variant.target}" is not a stage of ${variant.dockerfile} (${names.length ? `stages: ${names.join(', ')}` : 'it has no named stages'}).`,
    );
  }
  // A platform's TARGETARCH (...) is known before the build, so `FROM base:${TARGETARCH}` names its base image.
  const known = variant.platform ? { ...targetArgs(variant.platform), ...pick(variant.buildArgs, TARGET_ARGS) } : {};
  return {
    variant,
    dockerfile,
    context,
    stages: stageCountFor(parsed, variant.target),
    baseImage: baseImageFor(parsed, variant.target, known),
  };
}

/**
 * Check every variant of one side before anything is built. For this change a problem is the user's to fix:
 * all of them in one error. For the base it only means the variant is not there yet.
 */
export function prepareSide(root: string, variants: VariantSpec[], side: Side): (Prepared | Unbuildable)[] {
  const prepared = variants.map((v) => prepareVariant(root, v));
  const problems = prepared.filter((p): p is Unbuildable => 'problem' in p);
  if (side === 'head' && problems.length) {
    throw new InputError(problems.map((p) => `variants.${p.variant.name}: ${p.problem}`).join('\n'));
  }
  return prepared;
}

/**
 * Build and measure the variants of one side, as `prepareSide` found them. The results are complete when it
 * returns: a variant whose layers were not read by then (the run was cancelled) is `cancelled`.
 */
export async function measureSide(run: MeasureRun, side: Side, prepared: (Prepared | Unbuildable)[]): Promise<SideMeasurement> {
  const { engine, settings, runId, log, cache, created, signal } = run;
  const stages = new Map<string, number>();
  const timings = new Map<string, BuildTiming>();
  /** Each variant's result in order: a built one waits for its layers (`measured`, set once they are read). */
  const outcomes: ({ name: string; result: SideResult } | { name: string; measured?: SideResult })[] = [];
  /** Layer reading, one image after another, behind the builds. readLayers reports failures, never throws. */
  let reading: Promise<void> = Promise.resolve();
  for (const item of prepared) {
    const { variant } = item;
    if ('problem' in item) {
      outcomes.push({ name: variant.name, result: { status: 'absent', reason: item.problem } });
      continue;
    }
    if (signal?.aborted) {
      outcomes.push({ name: variant.name, result: { status: 'cancelled' } });
      continue;
    }
    stages.set(variant.name, item.stages);
    const tag = imageTag(variant, side, runId);
    created.tags.push(tag); // even a failed or timed-out build may leave it behind
    const secrets = Object.values(variant.buildArgs);
    const title = `Building ${variant.name} (${side === 'head' ? 'this change' : 'base'})`;
    const result = await log.group(title, async (): Promise<SideResult> => {
      let build: Awaited<ReturnType<DockerEngine['build']>>;
      const startedAt = performance.now();
      try {
        build = await engine.build({
          contextDir: item.context,
          dockerfile: item.dockerfile,
          target: variant.target,
          ...(variant.platform !== undefined ? { platform: variant.platform } : {}),
          buildArgs: variant.buildArgs,
          tag,
          labels: { [RUN_LABEL]: runId },
          noCache: settings.noCache,
          pull: settings.pull,
          builder: settings.builder,
          timeoutMs: settings.timeoutMs,
          onLine: (line) => log.buildLine(redact(line, secrets)),
          signal,
        });
      } catch (error) {
        if (signal?.aborted) return { status: 'cancelled', during: 'build' };
        return { status: 'failed', error: redact(`the build could not be started: ${messageOf(error)}`, secrets), log: [] };
      }
      created.intermediates.push(...build.createdImages);
      // Finished or not, a build the cancel overtook is not measured (its image, if any, is removed with the rest).
      if (build.cancelled || signal?.aborted) return { status: 'cancelled', during: 'build' };
      const stepRecords = build.stepRecords.map((step) => ({ ...step, name: redact(step.name, secrets) }));
      timings.set(variant.name, { startedAt, wallMs: build.durationMs, stepRecords });
      if (build.error || !build.imageId) {
        return {
          status: 'failed',
          error: redact(build.error ?? 'the build produced no image', secrets),
          failedStep: build.failedStep === undefined ? undefined : redact(build.failedStep, secrets),
          log: build.logTail.map((line) => redact(line, secrets)),
          buildMs: Math.round(build.durationMs),
        };
      }
      let facts;
      try {
        facts = await engine.inspect(tag, variant.platform);
      } catch (error) {
        return { status: 'failed', error: `built, but the image could not be inspected: ${messageOf(error)}`, log: [] };
      }
      const built: BuiltResult = {
        status: 'built',
        imageId: facts.id,
        sizeBytes: facts.sizeBytes,
        engineSizeBytes: facts.sizeBytes,
        layers: facts.layers.length,
        buildMs: Math.round(build.durationMs),
        steps: build.steps,
        cachedSteps: build.cachedSteps,
      };
      // The layers are read while the next variant builds (one image at a time), so measuring adds little
      // to the run's wall time; the variant's result is made once they are read.
      const volatile = [`${RUN_LABEL}=${runId}`];
      const request = {
        facts,
        baseImage: item.baseImage,
        compressed: settings.compressedSize,
        push: settings.push,
        cache,
        secrets,
        volatile,
        signal,
      };
      const outcome: { name: string; measured?: SideResult } = { name: variant.name };
      outcomes.push(outcome);
      reading = reading.then(async () => {
        outcome.measured = await measuredLayers(run, side, variant.name, built, request);
      });
      return built;
    });
    if (result.status === 'failed') log.warning(`${variant.name} (${side}) failed to build: ${result.error}`);
    if (result.status !== 'built') outcomes.push({ name: variant.name, result });
  }
  // Once cancelled, the reading stops with the save it was reading; it is not waited for beyond a moment.
  await unlessCancelled(reading, signal, READING_GRACE_MS);
  const results = new Map(
    outcomes.map((o): [string, SideResult] => [
      o.name,
      'result' in o ? o.result : (o.measured ?? { status: 'cancelled', during: 'layers' }),
    ]),
  );
  return { results, stages, timings };
}

/** After a cancel, how long the layer reading under way may take to notice it (it stops with its save stream). */
const READING_GRACE_MS = 1000;

/** A built variant with its layers read, or `cancelled` when the cancel came before or during the reading. */
async function measuredLayers(run: MeasureRun, side: Side, name: string, built: BuiltResult, request: LayerRequest): Promise<SideResult> {
  if (run.signal?.aborted) return { status: 'cancelled', during: 'layers' };
  const figures = await readLayers(run.engine, request);
  // The cancel stopped the save under way: the figures are the engine's, not the image's.
  if (run.signal?.aborted && figures.analysisError) return { status: 'cancelled', during: 'layers' };
  if (figures.analysisError) run.log.warning(`${name} (${side}): ${figures.analysisError}`);
  return { ...built, ...figures };
}
