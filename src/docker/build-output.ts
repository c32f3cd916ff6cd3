/**
 * Reading the Engine API's build response: newline-delimited JSON, from either the legacy builder
 * (`{"stream"}` lines, `{"aux":{"ID"}}`) or BuildKit (`moby.buildkit.trace` lines carrying a base64
 * protobuf StatusResponse, and `moby.image.id`). A failed build is a line with `error`/`errorDetail` while the
 * HTTP status stays 200, so the stream is parsed here rather than with dockerode's followProgress.
 */
import protobuf from 'protobufjs';

/** The part of moby's buildkit control.proto StatusResponse that we read. */
const statusRoot = protobuf.Root.fromJSON({
  nested: {
    Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
    Vertex: {
      fields: {
        digest: { type: 'string', id: 1 },
        name: { type: 'string', id: 3 },
        cached: { type: 'bool', id: 4 },
        started: { type: 'Timestamp', id: 5 },
        completed: { type: 'Timestamp', id: 6 },
        error: { type: 'string', id: 7 },
      },
    },
    VertexLog: { fields: { vertex: { type: 'string', id: 1 }, msg: { type: 'bytes', id: 4 } } },
    StatusResponse: {
      fields: {
        vertexes: { rule: 'repeated', type: 'Vertex', id: 1 },
        logs: { rule: 'repeated', type: 'VertexLog', id: 3 },
      },
    },
  },
});
const StatusResponse = statusRoot.lookupType('StatusResponse');

interface DecodedVertex {
  digest?: string;
  name?: string;
  cached?: boolean;
  started?: unknown;
  completed?: unknown;
  error?: string;
}
interface DecodedStatus {
  vertexes?: DecodedVertex[];
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
  /** Dockerfile steps other than FROM that ran or came from the cache. */
  steps: number;
  /** Of those, how many came from the build cache. */
  cachedSteps: number;
}

const TAIL_LINES = 30;
/**
 * BuildKit names Dockerfile steps `[stage n/m] INSTRUCTION` or `[n/m] INSTRUCTION`; other vertexes are plumbing.
 * FROM only resolves the base image, is never "cached", and is not counted (by either builder).
 */
const BUILDKIT_STEP = /^\[(?:[^\]\s]+ )?\d+\/\d+\] (?!FROM )/;
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
  private readonly vertexes = new Map<string, { name: string; cached: boolean; completed: boolean; error?: string }>();
  private readonly vertexLogs = new Map<string, string[]>();
  // legacy builder
  private readonly legacyLines: string[] = [];
  private legacyStep?: string;
  private legacySteps = 0;
  private legacyCached = 0;
  private legacyStepReused = false;
  private readonly legacyCreated: string[] = [];

  constructor(private readonly onLine?: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    const text = this.pending + chunk.toString();
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.handleLine(line);
  }

  finish(): BuildOutcome {
    if (this.pending.trim()) this.handleLine(this.pending);
    this.pending = '';
    if (this.vertexes.size > 0) return this.buildkitOutcome();
    return {
      imageId: this.imageId,
      error: this.error,
      failedStep: this.error ? this.legacyStep : undefined,
      logTail: this.legacyTail(),
      createdImages: [...this.legacyCreated],
      steps: this.legacySteps,
      cachedSteps: this.legacyCached,
    };
  }

  /** On failure, the output of the failing step only; otherwise the end of the build's output. */
  private legacyTail(): string[] {
    const start = this.error && this.legacyStep ? this.legacyLines.lastIndexOf(this.legacyStep) : -1;
    return this.legacyLines.slice(start + 1).filter((line) => !/^ ---> |^Removing intermediate container /.test(line)).slice(-TAIL_LINES);
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
      if (LEGACY_STEP.test(line)) {
        this.legacyStep = line;
        // A FROM step's " ---> id" is the base image: never ours.
        this.legacyStepReused = LEGACY_FROM.test(line);
        if (!this.legacyStepReused) this.legacySteps += 1;
      } else if (line.trim() === '---> Using cache') {
        this.legacyCached += 1;
        this.legacyStepReused = true;
      } else if (committed && !this.legacyStepReused) {
        this.legacyCreated.push(committed[1]);
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
      }) as DecodedStatus;
    } catch {
      return; // a trace message we cannot read carries progress only; the outcome does not depend on it
    }
    for (const v of status.vertexes ?? []) {
      if (!v.digest) continue;
      const known = this.vertexes.get(v.digest) ?? { name: v.name ?? '', cached: false, completed: false };
      if (v.name) known.name = v.name;
      if (v.cached) known.cached = true;
      if (v.completed) known.completed = true;
      if (v.error) known.error = v.error;
      if (!this.vertexes.has(v.digest) && known.name) this.onLine?.(known.name);
      this.vertexes.set(v.digest, known);
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
    const steps = [...this.vertexes.values()].filter((v) => v.completed && BUILDKIT_STEP.test(v.name));
    const failed = [...this.vertexes.entries()].find(([, v]) => v.error && !v.error.includes('context canceled'));
    const failedDigest = failed?.[0];
    return {
      imageId: this.imageId,
      error: this.error ?? failed?.[1].error,
      failedStep: this.error || failed ? failed?.[1].name : undefined,
      logTail: (failedDigest ? this.vertexLogs.get(failedDigest) ?? [] : []).slice(-TAIL_LINES),
      steps: steps.length,
      cachedSteps: steps.filter((v) => v.cached).length,
      createdImages: [], // BuildKit commits no intermediate images
    };
  }
}

/** BuildKit's image ID line (`{"id":"moby.image.id","aux":{"ID":...}}`) is handled by the aux branch above. */
export function parseBuildOutput(body: string): BuildOutcome {
  const parser = new BuildOutputParser();
  parser.push(body);
  return parser.finish();
}
