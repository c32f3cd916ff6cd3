/**
 * The JSON report: what a run measured, compared and judged. Also the input of `baseline: file`. Its schema, with
 * the bounds a report read from elsewhere must keep, is schema.ts (typed against these types: tsc fails when they
 * differ).
 */

/** 2: compressed size, layer details and wasted space (reports of version 1 are still read as baselines). */
export const REPORT_SCHEMA_VERSION = 2;

/** The longest `Report.name` (the report-name input). */
export const REPORT_NAME_MAX = 100;

/** One filesystem layer of an image, oldest first. */
export interface LayerDetail {
  diffId: string;
  /** The Dockerfile instruction that made it (from the image history), build-arg values cut out. */
  instruction: string;
  /** Unpacked: regular files plus symlink targets, as overlay2 counts them. */
  sizeBytes: number;
  /** What a push from the engine uploads (see `Report.engine.compressedSizing`). */
  compressedBytes?: number;
  /** The containerd image store keeps this layer uncompressed and a push uploads it so: `compressedBytes` is its whole tar. */
  pushedUncompressed?: true;
  /** Part of the image the Dockerfile starts FROM. */
  fromBaseImage: boolean;
}

/** Wasted space as dive defines it (measured by measure/image/efficiency.ts). */
export interface Efficiency {
  /** dive's efficiency score, 0..1; 1 means nothing is stored twice or deleted later. */
  score: number;
  /** dive's wasted bytes: all copies of paths found in two or more layers. */
  wastedBytes: number;
  /** The largest wasted paths, largest first. */
  topWasted: WastedPath[];
}

export interface WastedPath {
  path: string;
  /** All copies together (dive's cumulative size). */
  bytes: number;
  /** In how many layers the path appears. */
  copies: number;
}

export type SideResult =
  | {
      status: 'built';
      imageId: string;
      /**
       * Unpacked size: the sum of the layers' regular files and symlinks, read from the image itself, so it
       * means the same on every daemon. When the layers could not be read: the engine's `Size`.
       */
      sizeBytes: number;
      /** What a registry stores and a pull downloads: every layer gzipped. Absent when not measured. */
      compressedBytes?: number;
      /** The engine's image `Size` (see `engine.sizeMeaning`). */
      engineSizeBytes?: number;
      /** Filesystem layers, base image included. */
      layers: number;
      /** Layers that come from the image the Dockerfile starts FROM; absent when that image is unknown. */
      baseImageLayers?: number;
      /** Layers with at least one byte (WORKDIR and no-op RUN layers have none). */
      contentLayers?: number;
      layerDetails?: LayerDetail[];
      efficiency?: Efficiency;
      /** Why the layers could not be read, when they could not; size then is the engine's. */
      analysisError?: string;
      /** Wall time of the build; absent when no build ran (a base read from a registry: not applicable). */
      buildMs?: number;
      steps?: number;
      cachedSteps?: number;
      /**
       * Build time that does not depend on build order: `buildMs` plus the time of every step this build took
       * from the cache of another build of the same run (this change's or the base's), as measured where that
       * build ran it (with BuildKit, with its share of that build's layer export, when this image has the
       * layer); what it would have taken had it run first. Steps cached before the run count nothing.
       * Absent in reports of earlier versions; compare it only with another `comparableBuildMs`.
       */
      comparableBuildMs?: number;
      /** Of `cachedSteps`, those another build of this run had run before this one (the rest were cached before the run). */
      cachedFromRun?: number;
    }
  | { status: 'failed'; error: string; failedStep?: string; log: string[]; buildMs?: number }
  /** Not buildable on this side: no such Dockerfile or target in the base commit, or no baseline at all. */
  | { status: 'absent'; reason: string }
  /**
   * Not measured: the run was cancelled first. `during`: what was under way for it then (its build, or the
   * reading of its layers); absent when it had not started.
   */
  | { status: 'cancelled'; during?: 'build' | 'layers' };

/** How compressed sizes were found (see `Report.engine.compressedSizing`). */
export const COMPRESSED_SIZINGS = ['go1.26', 'go1.27', 'as-stored'] as const;
export type CompressedSizing = (typeof COMPRESSED_SIZINGS)[number];

export type BuiltResult = Extract<SideResult, { status: 'built' }>;

export interface Change {
  sizeBytes: number;
  /** Relative change of size, e.g. 0.05 for +5%; undefined when the base is 0 bytes. */
  sizeRatio?: number;
  compressedBytes?: number;
  compressedRatio?: number;
  layers: number;
  wastedBytes?: number;
  /**
   * Change of `comparableBuildMs` when both sides have it, otherwise of the wall time `buildMs`; absent when a
   * side was not built (a base read from a registry).
   */
  buildMs?: number;
  /**
   * Where the size change came from (compare/attribution.ts): the layers of the image the Dockerfile starts FROM
   * (a new digest of the base image), and the layers the Dockerfile adds. Only when both sides know their
   * base-image layers (`baseImageLayers`) and have layer details; `baseImage` + `own` is the whole change.
   */
  baseImage?: ChangePart;
  own?: ChangePart;
}

/** Part of a size change: unpacked, and compressed when every layer of both sides has a compressed size. */
export interface ChangePart {
  sizeBytes: number;
  compressedBytes?: number;
}

/**
 * What counts as a change (the `min-change` setting, compare/noise.ts): a size, or a percentage of the figure on
 * the base side (never less than 512 bytes, one tar block).
 */
export interface MinChange {
  kind: 'bytes' | 'percent';
  value: number;
}

/** A layer that is new, changed or gone against the base, matched by diff ID and then by instruction. */
export interface LayerChange {
  kind: 'added' | 'changed' | 'removed';
  instruction: string;
  /** Size change, unpacked (negative when it shrank or went away). */
  sizeBytes: number;
  compressedBytes?: number;
  /** Size in this change (0 when removed). */
  headBytes: number;
  /** Compressed size in this change (0 when removed), when known. */
  headCompressedBytes?: number;
}

export interface VariantReport {
  /** The row's name: the variant's, with its platform when the variant lists platforms (`multi-stage (linux/arm64)`). */
  name: string;
  /** The variant as configured, when this row is one platform of it (absent: `name`). */
  variant?: string;
  /** The platform built (`linux/arm64`), when the variant lists platforms; absent: the engine's own. */
  platform?: string;
  dockerfile: string;
  target?: string;
  context: string;
  /** Stages built for the target: more than one means a multi-stage build. */
  stages: number;
  head: SideResult;
  base?: SideResult;
  change?: Change;
  /** Where it grew: layers new or changed against the base, largest change first. */
  layerChanges?: LayerChange[];
  /**
   * Where this variant's base came from, when `baseline` lists sources (or is `registry`). Absent in reports of
   * earlier versions and when the one source is `rebuild`, `file` or `none` (then `Report.base` says it).
   */
  baseSource?: BaseSource;
}

/** The sources a base can come from (see settings `baseline`). */
export type BaseSourceKind = 'rebuild' | 'file' | 'registry';

export interface BaseSource {
  /** Absent: no source had this variant (it is new). */
  source?: BaseSourceKind;
  /** registry: the reference looked up (as configured). */
  reference?: string;
  /** registry: the digest of the image manifest measured. */
  digest?: string;
  /** registry: the lookup failed (unauthorized, platform missing, no answer); the base is not available. */
  error?: string;
}

export interface StageComparison {
  variant: string;
  reference: string;
  /** variant size / reference size */
  ratio: number;
  savedBytes: number;
}

/** Decimal (1 MB = 1,000,000 bytes, as `docker images`) or binary (1 MiB = 1,048,576 bytes) units. */
export type Units = 'decimal' | 'binary';

/** A budget kind's key (settings/budget-kinds.ts describes each). */
export type BudgetKind =
  'max-size' | 'max-increase' | 'max-own-increase' | 'max-layers' | 'max-build-time' | 'max-ratio' | 'min-efficiency' | 'max-wasted';
export type Quantity = 'bytes' | 'percent' | 'count' | 'ms' | 'ratio' | 'score';

export interface BudgetCheck {
  variant: string;
  budget: BudgetKind;
  quantity: Quantity;
  limit: number;
  /** Undefined when the check could not be made (build failed, no base, ...); see `note`. */
  actual?: number;
  /** For max-ratio: the reference variant. */
  of?: string;
  outcome: 'pass' | 'fail' | 'skipped';
  note?: string;
}

export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  /**
   * What this report is of, among the reports one comment shows (a matrix job's platform or image, say): the
   * action's `report-name` input. Free text, escaped where shown. Absent when not given.
   */
  name?: string;
  tool: { name: string; version: string };
  createdAt: string;
  engine: {
    serverVersion: string;
    apiVersion: string;
    storage: string;
    containerdStore: boolean;
    /** The Go that built the engine (`go1.27.1`): its gzip compresses layers on push. */
    goVersion?: string;
    /**
     * How compressed sizes were found (measure/image/push-sizing.ts): `go1.26`, `go1.27`, a model of that Go's gzip
     * (a graph driver compresses each layer on push); `as-stored`, the containerd image store's blobs as kept.
     */
    compressedSizing?: CompressedSizing;
    sizeMeaning: string;
    /**
     * Where the engine was (never credentials) and what chose it: DOCKER_HOST, a docker context (named), or the
     * default socket. Absent in reports of earlier versions.
     */
    endpoint?: { host: string; from: 'DOCKER_HOST' | 'context' | 'default'; context?: string };
  };
  units: Units;
  head: { ref?: string; sha?: string };
  /**
   * `error`: the base could not be checked out; this change is still reported. `source`: the one source the
   * bases came from, `mixed` when the variants' came from several (each variant's `baseSource` says which).
   * `ref`/`sha` are the rebuilt commit's, `file` the saved report's.
   */
  base: { source: BaseSourceKind | 'none' | 'mixed'; ref?: string; sha?: string; file?: string; error?: string };
  variants: VariantReport[];
  comparisons: StageComparison[];
  budgets: BudgetCheck[];
  /** `fail` when a build failed or a budget was broken; `cancelled` when the run was cancelled before it finished. */
  status: 'pass' | 'fail' | 'cancelled';
  /** The run was cancelled (by this signal) before it finished: results not measured by then are `cancelled`. */
  cancelled?: { signal: 'SIGINT' | 'SIGTERM' };
  /** What counted as a change when the report was made (`min-change`); absent in older reports: the default, 0.1%. */
  minChange?: MinChange;
}
