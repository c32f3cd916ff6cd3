/**
 * Reading the Engine API's build response: newline-delimited JSON, from either the legacy builder
 * (`{"stream"}` lines, `{"aux":{"ID"}}`) or BuildKit (`moby.buildkit.trace` lines carrying a base64
 * protobuf StatusResponse, and `moby.image.id`). A failed build is a line with `error`/`errorDetail` while the
 * HTTP status stays 200, so the stream is parsed here rather than with dockerode's followProgress.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import protobuf from 'protobufjs';

/** The part of moby's buildkit control.proto StatusResponse that we read. */
const statusRoot = protobuf.Root.fromJSON({
  nested: {
    Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
    Vertex: {
      fields: {
        digest: { type: 'string', id: 1 },
        inputs: { rule: 'repeated', type: 'string', id: 2 },
        name: { type: 'string', id: 3 },
        cached: { type: 'bool', id: 4 },
        started: { type: 'Timestamp', id: 5 },
        completed: { type: 'Timestamp', id: 6 },
        error: { type: 'string', id: 7 },
      },
    },
    VertexStatus: {
      fields: {
        ID: { type: 'string', id: 1 },
        vertex: { type: 'string', id: 2 },
        name: { type: 'string', id: 3 },
        started: { type: 'Timestamp', id: 7 },
        completed: { type: 'Timestamp', id: 8 },
      },
    },
    VertexLog: { fields: { vertex: { type: 'string', id: 1 }, msg: { type: 'bytes', id: 4 } } },
    StatusResponse: {
      fields: {
        vertexes: { rule: 'repeated', type: 'Vertex', id: 1 },
        statuses: { rule: 'repeated', type: 'VertexStatus', id: 2 },
        logs: { rule: 'repeated', type: 'VertexLog', id: 3 },
      },
    },
  },
});
const StatusResponse = statusRoot.lookupType('StatusResponse');

interface DecodedTimestamp {
  seconds?: number;
  nanos?: number;
}
interface DecodedVertex {
  digest?: string;
  inputs?: string[];
  name?: string;
  cached?: boolean;
  started?: DecodedTimestamp;
  completed?: DecodedTimestamp;
  error?: string;
}
interface DecodedVertexStatus {
  ID?: string;
  vertex?: string;
  name?: string;
  started?: DecodedTimestamp;
  completed?: DecodedTimestamp;
}
interface DecodedStatus {
  vertexes?: DecodedVertex[];
  statuses?: DecodedVertexStatus[];
  logs?: { vertex?: string; msg?: Uint8Array }[];
}

export interface BuildOutcome {
  imageId?: string;
  /** The build's error message, when it failed. */
  error?: string;
  /** The Dockerfile step that failed, e.g. `[builder 3/4] RUN make` or `Step 3/5 : RUN make`. */
  failedStep?: string;
  /** The last lines of output of the failed step (or of the build). */
  logTail: string[];
  /**
   * Legacy builder only: IDs of the intermediate images this build committed (not those it took from the cache
   * or the base image), oldest first. A failed legacy build leaves them behind; they are ours to remove.
   */
  createdImages: string[];
  /** Dockerfile steps other than FROM that ran or came from the cache (`stepRecords` but the `added` one). */
  steps: number;
  /** Of those, how many came from the build cache. */
  cachedSteps: number;
  /**
   * Those steps, and the legacy builder's step for the request's labels (`added`). Legacy builder: in the order
   * it ran them. BuildKit: each step after the steps it takes input from, and steps that do not depend on each
   * other by when they started, then by name (Docker 28.5's BuildKit announces a build's vertexes in an order of
   * its own, which changes from build to build: see `orderSteps`).
   */
  stepRecords: StepRecord[];
}

/** One Dockerfile step (not FROM) that finished, by running or from the cache, or the legacy builder's `added` step. */
export interface StepRecord {
  /**
   * The step's identity across the builds of one engine, so a step one build takes from the cache can be
   * matched with the build that ran it. Legacy builder: the ID of the image the step committed (a cached step
   * names the image it reuses). BuildKit: the vertex digest; BuildKit gives every build's context a new
   * digest, so for a step that depends on the context (a COPY from it and every step after) the key is
   * instead derived from the step's instruction and the keys of its inputs.
   */
  key: string;
  /** The step as the builder names it (`[builder 2/3] RUN make`, `Step 2/5 : RUN make`); may hold build-arg values. */
  name: string;
  cached: boolean;
  /** BuildKit: from the vertex's start to its completion, as the engine stamped them. Legacy: from the step's first line to its image ID's line, as they arrived. */
  durationMs: number;
  /**
   * BuildKit: the step's layer is one of the exported image's (the step is on the chain of the image's stage, or
   * of a stage it starts FROM), so the build had to export it unless an earlier build had. Legacy builder: always
   * false, as each step commits its own layer within `durationMs`.
   */
  exported: boolean;
  /**
   * BuildKit, a step that ran and was exported: its share of the time the build spent exporting layers. BuildKit
   * makes the layers of the steps it ran only when it exports the image (`exporting layers`, and on the containerd
   * image store `unpacking to`), once per layer: a later build whose image has the same layers exports them in no
   * time. That time is split among the exported steps that ran, in proportion to their `durationMs` (the stream does
   * not tell which layer took how long). 0 for every other step, and with the legacy builder.
   */
  exportMs: number;
  /**
   * Legacy builder: the step it adds for the request's labels (`LABEL …` after the Dockerfile's last step). Not
   * the Dockerfile's, so not among `steps` and `cachedSteps`, but a step of the build all the same, which commits
   * an image: a later build of the run whose image is the same below it (an unchanged variant's, on the other
   * side) takes it from the cache, and is lent its time like any step's.
   */
  added?: true;
}

export interface ParserOptions {
  /** Milliseconds from any fixed origin; times the legacy builder's steps (default `performance.now`). */
  now?: () => number;
  /**
   * The labels the build request adds. The legacy builder adds them as a last step of its own
   * (`Step 8/8 : LABEL key=value`): not the Dockerfile's, so it is not counted among its steps (its record is `added`).
   */
  labels?: Record<string, string>;
  /**
   * BuildKit: what the build's context holds (`PackedContext.contents` of docker/context.ts, read when the build
   * finishes), so that a COPY from the context is keyed by what it copies (see `VertexKeys`).
   */
  contextContents?: ReadonlyMap<string, string>;
}

const TAIL_LINES = 30;
/**
 * BuildKit names Dockerfile steps `[stage n/m] INSTRUCTION` or `[n/m] INSTRUCTION`; other vertexes are plumbing.
 * FROM only resolves the base image, is never "cached", and is not counted (by either builder).
 */
const BUILDKIT_STEP = /^\[(?:[^\]\s]+ )?\d+\/\d+\] (?!FROM )/;
const BUILDKIT_FROM = /^\[(?:[^\]\s]+ )?\d+\/\d+\] FROM /;
/** `[builder 2/3] ` or `[2/3] `: where the step sits, which does not make it a different step. */
const BUILDKIT_POSITION = /^\[[^\]]*\] /;
const LEGACY_STEP = /^Step \d+\/\d+ : /;
const LEGACY_FROM = /^Step \d+\/\d+ : FROM /i;
/** The image a legacy step committed: ` ---> 0123456789ab`. */
const LEGACY_COMMIT = /^ ---> ([0-9a-f]{12,64})$/;

/** Incremental parser: feed it chunks of the response body, then call `finish()`. */
export class BuildOutputParser {
  private pending = '';
  private imageId?: string;
  private error?: string;
  // BuildKit
  private readonly vertexes = new Map<string, VertexState>();
  private readonly vertexLogs = new Map<string, string[]>();
  /** Progress of a vertex's parts (`exporting layers`, `unpacking to …`), by vertex and the part's ID (its text). */
  private readonly vertexStatuses = new Map<string, StatusState>();
  // legacy builder
  private readonly legacyLines: string[] = [];
  private legacyStep?: string;
  private legacyStepReused = false;
  /** The step being built: when its first line arrived, whether it is FROM, cached, and already recorded. */
  private legacyCurrent?: { name: string; startedMs: number; from: boolean; added: boolean; cached: boolean; done: boolean };
  private readonly legacyRecords: StepRecord[] = [];
  private readonly legacyCreated: string[] = [];
  private readonly now: () => number;
  /** The words of the legacy builder's step for the request's labels, sorted; undefined without labels. */
  private readonly labelStep?: string;
  private readonly contextContents?: ReadonlyMap<string, string>;
  /** When the chunk being parsed arrived. */
  private arrivedMs = 0;

  constructor(
    private readonly onLine?: (line: string) => void,
    options: ParserOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
    this.labelStep = labelStepText(options.labels);
    this.contextContents = options.contextContents;
  }

  push(chunk: Buffer | string): void {
    this.arrivedMs = this.now();
    const text = this.pending + chunk.toString();
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.handleLine(line);
  }

  finish(): BuildOutcome {
    this.arrivedMs = this.now();
    if (this.pending.trim()) this.handleLine(this.pending);
    this.pending = '';
    if (this.vertexes.size > 0) return this.buildkitOutcome();
    return {
      imageId: this.imageId,
      error: this.error,
      failedStep: this.error ? this.legacyStep : undefined,
      logTail: this.legacyTail(),
      createdImages: [...this.legacyCreated],
      ...counted(this.legacyRecords),
    };
  }

  /** On failure, the output of the failing step only; otherwise the end of the build's output. */
  private legacyTail(): string[] {
    const start = this.error && this.legacyStep ? this.legacyLines.lastIndexOf(this.legacyStep) : -1;
    return this.legacyLines
      .slice(start + 1)
      .filter((line) => !/^ ---> |^Removing intermediate container /.test(line))
      .slice(-TAIL_LINES);
  }

  private handleLine(line: string): void {
    if (!line.trim()) return;
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.addLegacyText(line);
      return;
    }
    if (typeof message.error === 'string' || message.errorDetail) {
      const detail = message.errorDetail as { message?: string } | undefined;
      this.error = String(message.error ?? detail?.message ?? 'build failed');
      this.onLine?.(`ERROR: ${this.error}`);
      return;
    }
    if (message.id === 'moby.buildkit.trace' && typeof message.aux === 'string') {
      this.handleTrace(message.aux);
      return;
    }
    const aux = message.aux as { ID?: string } | undefined;
    if (aux && typeof aux.ID === 'string') {
      this.imageId = aux.ID;
      return;
    }
    if (typeof message.stream === 'string') this.addLegacyText(message.stream);
  }

  private addLegacyText(text: string): void {
    for (const raw of text.split('\n')) {
      const line = raw.replace(/\r$/, '');
      if (!line.trim()) continue;
      const committed = LEGACY_COMMIT.exec(line);
      const step = this.legacyCurrent;
      if (LEGACY_STEP.test(line)) {
        this.legacyStep = line;
        // A FROM step's " ---> id" is the base image: never ours.
        this.legacyStepReused = LEGACY_FROM.test(line);
        const added = this.labelStep !== undefined && isLabelStep(line, this.labelStep);
        this.legacyCurrent = { name: line, startedMs: this.arrivedMs, from: this.legacyStepReused, added, cached: false, done: false };
      } else if (line.trim() === '---> Using cache') {
        this.legacyStepReused = true;
        if (step) step.cached = true;
      } else if (committed) {
        if (!this.legacyStepReused) this.legacyCreated.push(committed[1]);
        if (step && !step.from && !step.done) {
          step.done = true;
          const durationMs = this.arrivedMs - step.startedMs;
          this.legacyRecords.push({
            key: committed[1],
            name: step.name,
            cached: step.cached,
            durationMs,
            exported: false,
            exportMs: 0,
            ...(step.added ? { added: true as const } : {}),
          });
        }
      }
      this.legacyLines.push(line);
      if (this.legacyLines.length > TAIL_LINES * 4) this.legacyLines.splice(0, this.legacyLines.length - TAIL_LINES);
      this.onLine?.(line);
    }
  }

  private handleTrace(base64: string): void {
    let status: DecodedStatus;
    try {
      status = StatusResponse.toObject(StatusResponse.decode(Buffer.from(base64, 'base64')), {
        defaults: false,
        longs: Number,
      }) as DecodedStatus;
    } catch {
      return; // a trace message we cannot read carries progress only; the outcome does not depend on it
    }
    for (const v of status.vertexes ?? []) {
      if (!v.digest) continue;
      const known = this.vertexes.get(v.digest) ?? { name: v.name ?? '', inputs: [], cached: false, completed: false };
      if (v.name) known.name = v.name;
      if (v.inputs?.length) known.inputs = v.inputs;
      if (v.cached) known.cached = true;
      if (v.completed) known.completed = true;
      if (v.error) known.error = v.error;
      // A vertex can be reported started more than once; it ran from the first start to the last completion.
      const started = toMs(v.started);
      const completed = toMs(v.completed);
      if (started !== undefined) known.startedMs = Math.min(known.startedMs ?? started, started);
      if (completed !== undefined) known.completedMs = Math.max(known.completedMs ?? completed, completed);
      if (!this.vertexes.has(v.digest) && known.name) this.onLine?.(known.name);
      this.vertexes.set(v.digest, known);
    }
    for (const part of status.statuses ?? []) {
      if (!part.vertex) continue;
      // The part is named by its ID (`exporting layers`); `name` is empty in the streams of 20.10 and 28.5.
      const id = `${part.vertex}\n${part.ID ?? ''}`;
      const known = this.vertexStatuses.get(id) ?? { vertex: part.vertex, name: part.ID || part.name || '' };
      const started = toMs(part.started);
      const completed = toMs(part.completed);
      if (started !== undefined) known.startedMs = Math.min(known.startedMs ?? started, started);
      if (completed !== undefined) known.completedMs = Math.max(known.completedMs ?? completed, completed);
      this.vertexStatuses.set(id, known);
    }
    for (const log of status.logs ?? []) {
      if (!log.vertex || !log.msg) continue;
      const lines = this.vertexLogs.get(log.vertex) ?? [];
      for (const line of Buffer.from(log.msg).toString('utf8').split(/\r?\n/)) {
        if (!line.trim()) continue;
        lines.push(line);
        this.onLine?.(line);
      }
      if (lines.length > TAIL_LINES * 4) lines.splice(0, lines.length - TAIL_LINES);
      this.vertexLogs.set(log.vertex, lines);
    }
  }

  private buildkitOutcome(): BuildOutcome {
    const keys = new VertexKeys(this.vertexes, this.contextContents);
    const steps = [...this.vertexes.entries()].filter(([, v]) => v.completed && !v.error && BUILDKIT_STEP.test(v.name)); // a failed step left nothing to reuse
    const exported = exportedSteps(this.vertexes);
    const records: StepRecord[] = orderSteps(steps, this.vertexes).map(([digest, v]) => ({
      key: keys.of(digest),
      name: v.name,
      cached: v.cached,
      durationMs: v.startedMs !== undefined && v.completedMs !== undefined ? Math.max(0, v.completedMs - v.startedMs) : 0,
      exported: exported.has(digest),
      exportMs: 0,
    }));
    shareExportTime(records, this.layerExportMs());
    const failed = [...this.vertexes.entries()].find(([, v]) => v.error && !v.error.includes('context canceled'));
    const failedDigest = failed?.[0];
    return {
      imageId: this.imageId,
      error: this.error ?? failed?.[1].error,
      failedStep: this.error || failed ? failed?.[1].name : undefined,
      logTail: (failedDigest ? (this.vertexLogs.get(failedDigest) ?? []) : []).slice(-TAIL_LINES),
      ...counted(records),
      createdImages: [], // BuildKit commits no intermediate images
    };
  }

  /**
   * Time the build spent making and storing the layers of its image: the `exporting layers` part of BuildKit's
   * export vertex (`exporting to image`), and on the containerd image store its `unpacking to …` part (the
   * layers unpacked into the snapshotter). Both are per layer and take no time for a layer exported before. The
   * rest of the export (the image config, the manifest, the name) is the same work in every build, left to `wallMs`.
   */
  private layerExportMs(): number {
    const exports = new Set([...this.vertexes].filter(([, v]) => /^exporting to /.test(v.name)).map(([digest]) => digest));
    const spans: [number, number][] = [];
    for (const part of this.vertexStatuses.values()) {
      if (!exports.has(part.vertex) || !/^(exporting layers|unpacking to )/.test(part.name)) continue;
      if (part.startedMs !== undefined && part.completedMs !== undefined) spans.push([part.startedMs, part.completedMs]);
    }
    // Overlapping parts count once.
    spans.sort((a, b) => a[0] - b[0]);
    let total = 0;
    let end = -Infinity;
    for (const [from, to] of spans) {
      if (to <= end) continue;
      total += to - Math.max(from, end);
      end = to;
    }
    return total;
  }
}

interface StatusState {
  vertex: string;
  name: string;
  startedMs?: number;
  completedMs?: number;
}

/**
 * The recorded steps with each after every step it takes input from (through any vertex in between), and among
 * those free to come next, the one that started first, then by name and digest. BuildKit v0.8 (Docker 20.10)
 * announced a build's vertexes inputs first, so the order they were first reported in was the Dockerfile's;
 * v0.25 (Docker 28.5) does not: recorded `[3/4]`, `[2/4]`, `[1/4]`, then `[4/4]`, and another order in the next
 * build (its solver announces a vertex while walking its states, through Go maps, under a new progress ID each
 * time where v0.8 used the vertex digest). Cached steps start when their parent completes, often in the same
 * microsecond, so the start time alone does not order them.
 */
function orderSteps(steps: [string, VertexState][], vertexes: ReadonlyMap<string, VertexState>): [string, VertexState][] {
  const recorded = new Set(steps.map(([digest]) => digest));
  /** The recorded steps each one takes input from, directly or through vertexes that are not recorded. */
  const before = new Map<string, Set<string>>();
  for (const [digest] of steps) {
    const found = new Set<string>();
    const seen = new Set<string>([digest]);
    const stack = [...(vertexes.get(digest)?.inputs ?? [])];
    while (stack.length) {
      const input = stack.pop()!;
      if (seen.has(input)) continue;
      seen.add(input);
      if (recorded.has(input)) found.add(input);
      else stack.push(...(vertexes.get(input)?.inputs ?? []));
    }
    before.set(digest, found);
  }
  const earlier = ([a, va]: [string, VertexState], [b, vb]: [string, VertexState]) =>
    (va.startedMs ?? Infinity) - (vb.startedMs ?? Infinity) ||
    (va.name < vb.name ? -1 : va.name > vb.name ? 1 : a < b ? -1 : a > b ? 1 : 0);
  const placed = new Set<string>();
  const ordered: [string, VertexState][] = [];
  let pending = [...steps];
  while (pending.length) {
    const ready = pending.filter(([digest]) => [...before.get(digest)!].every((d) => placed.has(d)));
    // A cycle (which LLB cannot have) would leave none ready: take them as they are then.
    const next = (ready.length ? ready : pending).reduce((best, step) => (earlier(step, best) < 0 ? step : best));
    ordered.push(next);
    placed.add(next[0]);
    pending = pending.filter((step) => step !== next);
  }
  return ordered;
}

/**
 * Digests of the steps whose layers are the exported image's: the steps no other step takes input from (the last
 * step of the target stage: BuildKit solves only what the target needs), and below each its parents. A step's
 * parent is its first input (a COPY's source or a mount comes after it), except in a stage `FROM scratch`, which
 * has no vertex: there a `COPY --from=builder` has the builder as its only input, which is not its parent. A
 * chain ends at FROM, at `FROM scratch`, or at the context.
 */
function exportedSteps(vertexes: ReadonlyMap<string, VertexState>): Set<string> {
  const isStep = (digest: string) => BUILDKIT_STEP.test(vertexes.get(digest)?.name ?? '');
  const parent = (digest: string): string | undefined => {
    const v = vertexes.get(digest);
    if (!v) return undefined;
    // The instruction's flags: `COPY --from=builder`, `RUN --mount=type=bind,from=builder`.
    const flags = v.name.replace(BUILDKIT_POSITION, '').split(/\s+/).slice(1);
    const fromAnother = flags
      .slice(
        0,
        Math.max(
          0,
          flags.findIndex((w) => !w.startsWith('--')),
        ),
      )
      .some((f) => /^--from=|^--mount=.*\bfrom=/.test(f));
    return v.inputs.length === 1 && fromAnother ? undefined : v.inputs[0];
  };
  const inputOfStep = new Set<string>();
  for (const [digest, v] of vertexes) if (isStep(digest)) for (const input of v.inputs) inputOfStep.add(input);
  const exported = new Set<string>();
  for (const [digest] of vertexes) {
    if (!isStep(digest) || inputOfStep.has(digest)) continue;
    for (let d: string | undefined = digest; d && isStep(d) && !exported.has(d); d = parent(d)) exported.add(d);
  }
  return exported;
}

/** Give the build's layer export time to the exported steps it ran, in proportion to their durations. */
function shareExportTime(records: StepRecord[], exportMs: number): void {
  const makers = records.filter((r) => r.exported && !r.cached);
  if (!makers.length || exportMs <= 0) return;
  const total = makers.reduce((sum, r) => sum + r.durationMs, 0);
  for (const r of makers) r.exportMs = total > 0 ? (exportMs * r.durationMs) / total : exportMs / makers.length;
}

interface VertexState {
  name: string;
  /** Digests of the vertexes this one takes as input (its parent step, a COPY's source, the context). */
  inputs: string[];
  cached: boolean;
  completed: boolean;
  startedMs?: number;
  completedMs?: number;
  error?: string;
}

function labelStepText(labels: Record<string, string> | undefined): string | undefined {
  const pairs = Object.entries(labels ?? {}).map(([key, value]) => `${key}=${value}`);
  return pairs.length ? pairs.sort().join(' ') : undefined;
}

/** `Step 8/8 : LABEL a=1 b=2`: the last step, setting exactly these labels (in any order, maybe quoted). */
function isLabelStep(line: string, expected: string): boolean {
  const match = /^Step (\d+)\/(\d+) : LABEL (.*)$/.exec(line);
  if (!match || match[1] !== match[2]) return false;
  const words = match[3].replace(/["']/g, '').trim().split(/\s+/);
  return words.sort().join(' ') === expected;
}

function counted(records: StepRecord[]): Pick<BuildOutcome, 'steps' | 'cachedSteps' | 'stepRecords'> {
  const dockerfiles = records.filter((r) => !r.added);
  return { steps: dockerfiles.length, cachedSteps: dockerfiles.filter((r) => r.cached).length, stepRecords: records };
}

function toMs(time: DecodedTimestamp | undefined): number | undefined {
  if (!time || (time.seconds === undefined && time.nanos === undefined)) return undefined;
  return Number(time.seconds ?? 0) * 1000 + (time.nanos ?? 0) / 1e6;
}

/**
 * Keys of BuildKit vertexes that mean the same step in every build of a run. A vertex digest covers the whole
 * operation and its inputs, so it is the key wherever it is stable. It is not for anything that depends on
 * the build context: moby hands BuildKit an uploaded context as `http://build-context-<random ID>`
 * (builder-next's reqbodyhandler.go, in 20.10 and 28.5 alike), so the `[internal] load remote build context`
 * vertex has a new digest in every build, and so do `copy /context /`, every COPY from it and every step after
 * (recorded on 20.10 and on 28.5 with both stores), though BuildKit's cache, which goes by content, reuses them.
 * Such a vertex is keyed by its instruction (without the `[stage n/m]` position), the keys of its inputs and,
 * for a COPY or ADD from the context, what its sources hold in the context that was sent (`contextContents`):
 * what its digest would be with the context named by its content.
 *
 * Besides the instruction's wording, which an unchanged Dockerfile keeps, what such a key covers is a part of
 * what BuildKit's cache key covers (the parent, the copied files' bytes, modes and link targets, not their
 * times): a step BuildKit takes from the cache thus gets the key of the run that put it there, and a step
 * cached before the run is not taken for one the run ran from other bytes. Where the key covers less, two
 * different steps can share it: sources it cannot read as BuildKit does (wildcards, the JSON form, which
 * BuildKit prints as a Go list, `--exclude`, a source that is a link, a heredoc, a URL) count only by their
 * text, `RUN --mount=type=bind` reads the context unseen, and the name does not show all that a digest covers
 * (an ENV set earlier, for one). That misleads only when one build of the run runs one of them and another
 * build takes the other from a cache made before the run.
 */
class VertexKeys {
  private readonly keys = new Map<string, { key: string; stable: boolean }>();
  /** Digest of what each source path holds ('' for nothing that counts), computed once per build. */
  private readonly selections = new Map<string, string>();

  constructor(
    private readonly vertexes: ReadonlyMap<string, VertexState>,
    private readonly contents?: ReadonlyMap<string, string>,
  ) {}

  of(digest: string): string {
    return this.resolve(digest, new Set()).key;
  }

  private resolve(digest: string, visiting: Set<string>): { key: string; stable: boolean } {
    const known = this.keys.get(digest);
    if (known) return known;
    const vertex = this.vertexes.get(digest);
    // An input never described, or a cycle (which LLB cannot have): take the digest as it is.
    if (!vertex || visiting.has(digest)) return { key: digest, stable: true };
    visiting.add(digest);
    const inputs = vertex.inputs.map((input) => this.resolve(input, visiting));
    visiting.delete(digest);
    // Roots other than a FROM step (the context, a URL, an image named only in COPY --from) may be per build.
    const stable = vertex.inputs.length === 0 ? BUILDKIT_FROM.test(vertex.name) : inputs.every((i) => i.stable);
    let key = digest;
    if (!stable) {
      const instruction = vertex.name.replace(BUILDKIT_POSITION, '');
      const copied = this.copied(instruction);
      const identity = [instruction, inputs.map((i) => i.key), ...(copied === undefined ? [] : [copied])];
      key = 'step:' + createHash('sha256').update(JSON.stringify(identity)).digest('hex');
    }
    const resolved = { key, stable };
    this.keys.set(digest, resolved);
    return resolved;
  }

  /** For a COPY or ADD from the context: a digest of what each source it names holds ('' for one it cannot read). */
  private copied(instruction: string): string[] | undefined {
    if (!this.contents) return undefined;
    const sources = contextSources(instruction);
    return sources?.map((source) => {
      if (source === null) return '';
      let digest = this.selections.get(source);
      if (digest === undefined) {
        const held = selection(this.contents!, source);
        digest = held ? createHash('sha256').update(JSON.stringify(held)).digest('base64url') : '';
        this.selections.set(source, digest);
      }
      return digest;
    });
  }
}

/**
 * The context paths a COPY or ADD instruction (as BuildKit names it, ARGs and ENVs expanded) copies from,
 * cleaned as BuildKit cleans them ('' is the whole context), or null for a source that is not a plain path
 * (a wildcard, an escape, a heredoc, a URL); undefined when the instruction takes nothing from the context or
 * cannot be read (`--from`, `--exclude`, the JSON form).
 */
export function contextSources(instruction: string): (string | null)[] | undefined {
  const match = /^(?:COPY|ADD) (.*)$/.exec(instruction);
  if (!match) return undefined;
  const words = match[1].trim().split(/\s+/);
  let first = 0;
  for (; first < words.length && words[first].startsWith('--'); first++) {
    if (/^--(from|exclude)(=|$)/.test(words[first])) return undefined;
  }
  const operands = words.slice(first);
  // BuildKit prints the JSON form as a Go list, `COPY [a b, /x/]`: its words are not its paths.
  if (operands.length < 2 || operands[0].startsWith('[')) return undefined;
  return operands.slice(0, -1).map((source) => {
    if (/^<<|:\/\/|^git@|[*?[\\]/.test(source)) return null;
    return path.posix.normalize(`/${source}`).replace(/^\/+|\/+$/g, '');
  });
}

/**
 * What a source holds: the file, or every entry under the folder, by path relative to it, sorted (not the
 * folder's own mode: BuildKit copies what is in it); null when it is not in the context, or is a link (which
 * BuildKit follows to what it points to).
 */
function selection(contents: ReadonlyMap<string, string>, source: string): [string, string][] | null {
  const root = source === '' ? 'd' : contents.get(source);
  if (root === undefined || root.startsWith('l')) return null;
  if (root.startsWith('f')) return [['', root]];
  const found: [string, string][] = [];
  for (const [entry, identity] of contents) {
    if (source === '') found.push([entry, identity]);
    else if (entry.startsWith(`${source}/`)) found.push([entry.slice(source.length + 1), identity]);
  }
  return found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** BuildKit's image ID line (`{"id":"moby.image.id","aux":{"ID":...}}`) is handled by the aux branch above. */
export function parseBuildOutput(body: string): BuildOutcome {
  const parser = new BuildOutputParser();
  parser.push(body);
  return parser.finish();
}
