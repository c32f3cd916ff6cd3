/**
 * Every conversation with the Docker engine goes through this class: connecting, building, inspecting and
 * removing images. Nothing else in the code base imports dockerode.
 */
import { randomUUID } from 'node:crypto';
import type { Agent } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import { Transform, type Duplex, type Readable } from 'node:stream';
import Docker from 'dockerode';
import { EnvironmentError, messageOf } from '../errors.js';
import { ociPlatform, targetArgs } from '../settings/platforms.js';
import { BuildOutputParser, type BuildOutcome } from './build-output.js';
import { packContext } from './context.js';
import { connectionFailure, dockerClient, resolveEndpoint, type EndpointInfo, type ResolvedEndpoint } from './endpoint.js';

export interface EngineInfo {
  serverVersion: string;
  apiVersion: string;
  /** Storage driver (`overlay2`, ...), or the snapshotter when the containerd image store is used. */
  storage: string;
  /** With the containerd image store, `Size` (Docker 28 and 29) is the packed size: the blobs as stored. */
  containerdStore: boolean;
  /** The Go release that built the engine (`go1.27.1`), when it says: its gzip compresses layers on push. */
  goVersion?: string;
  /** The engine's own ID (`GET /info`): tells apart engines whose stores keep the same layer differently. */
  id?: string;
  /** The containers it runs (`GET /info` OSType: linux, windows): it builds images of that operating system only. */
  osType?: string;
  /** Where the engine is and what chose it (set when the engine was found from the environment). */
  endpoint?: EndpointInfo;
  /** The engine's own platform (`GET /version` `Os`/`Arch`): what it builds when no platform is asked for. */
  platform?: { os: string; architecture: string };
}

export interface BuildRequest {
  contextDir: string;
  dockerfile: string;
  target?: string;
  /** The platform to build (`linux/arm64`); absent: the engine's own. */
  platform?: string;
  buildArgs: Record<string, string>;
  tag: string;
  labels: Record<string, string>;
  noCache: boolean;
  pull: boolean;
  builder: 'buildkit' | 'legacy';
  timeoutMs: number;
  onLine?: (line: string) => void;
  /** The run's cancellation: when it aborts, the build is stopped in the engine and resolves with `cancelled`. */
  signal?: AbortSignal;
}

export interface BuildResult extends BuildOutcome {
  durationMs: number;
  /** The run was cancelled before the build finished: it was stopped in the engine, and `error` says so. */
  cancelled?: boolean;
}

export interface EngineOptions {
  /** Time limit of each API call other than a build (inspect, remove, list). Default 2 minutes. */
  callTimeoutMs?: number;
  /** The engine to use (src/docker/endpoint.ts); without it, and without a client, found from the environment. */
  endpoint?: ResolvedEndpoint;
}

/** What a run created, for `removeRunArtifacts`. */
export interface RunArtifacts {
  /** Tags the run gave (removed by tag, so an image also tagged elsewhere stays). */
  tags: string[];
  /** Images a legacy build committed that are to go (removed by ID, newest first, parents kept). */
  intermediates: string[];
  /** The run's label: anything still carrying exactly this key and value is the run's own. */
  label: { key: string; value: string };
}

/** One entry of an image's history as `GET /images/{id}/history` gives it (sizes as the image store counts them). */
export interface HistoryEntry {
  createdBy: string;
  comment: string;
  sizeBytes: number;
}

export interface ImageFacts {
  id: string;
  /** The platform asked for when it was inspected: its history and save are of that platform too. */
  platform?: string;
  sizeBytes: number;
  /** Filesystem layers (diff IDs), base image included. */
  layers: string[];
}

/** Connecting, and finding out whether an engine still answers after a build broke off. */
const PROBE_TIMEOUT_MS = 5000;
const CALL_TIMEOUT_MS = 120_000;
/** After a timed-out BuildKit build, how long to wait for the engine to acknowledge the cancel request. */
const CANCEL_TIMEOUT_MS = 5000;
/**
 * When the run is cancelled, how long each request that stops a build (BuildKit's cancel, removing a legacy
 * build's container) may take: the process has seconds in all (src/cancel.ts).
 */
const STOP_ON_CANCEL_MS = 1000;
/** The line a legacy build prints when a step's container starts. */
const LEGACY_RUNNING = /^ ---> Running in ([0-9a-f]{12,64})$/;

export class DockerEngine {
  private readonly docker: Docker;
  private readonly callTimeoutMs: number;
  /** Every connection this engine opened that is still open (http/https only; ssh is left to its agent). */
  private readonly sockets = new Set<Duplex>();
  /** Set once the engine stopped answering (a probe or call ran out of time): later calls fail at once. */
  private unresponsive?: string;
  /** The endpoint, when it was resolved (always, unless a dockerode client was given as it is). */
  readonly resolved?: ResolvedEndpoint;
  /** What `connect` found: whether image calls take a platform. */
  private info?: EngineInfo;

  /** The engine the docker CLI would use: DOCKER_HOST, else the docker context (see endpoint.ts). */
  static fromEnvironment(options: Omit<EngineOptions, 'endpoint'> = {}): DockerEngine {
    return new DockerEngine(undefined, { ...options, endpoint: resolveEndpoint() });
  }

  constructor(docker?: Docker, options: EngineOptions = {}) {
    this.resolved = options.endpoint ?? (docker ? undefined : resolveEndpoint());
    this.docker = docker ?? dockerClient(this.resolved!);
    this.callTimeoutMs = options.callTimeoutMs ?? CALL_TIMEOUT_MS;
    this.trackConnections();
  }

  /** Where we connect, for messages: unix:///var/run/docker.sock, tcp://host:port, ... */
  get endpoint(): string {
    if (this.resolved) return this.resolved.info.host;
    const modem = this.docker.modem as { socketPath?: unknown; host?: string; port?: string | number; protocol?: string };
    if (modem.host) return `${modem.protocol === 'ssh' ? 'ssh' : 'tcp'}://${modem.host}${modem.port ? `:${modem.port}` : ''}`;
    if (typeof modem.socketPath === 'string') return `unix://${modem.socketPath}`;
    return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  }

  /**
   * Route every request through an agent of our own that remembers its connections, so that a build broken off
   * (timed out, or an engine that stopped answering) can close all of them, the BuildKit session included, and
   * nothing is left holding the process open.
   */
  private trackConnections(): void {
    const modem = this.docker.modem as { agent?: Agent; protocol?: string };
    if (modem.protocol === 'ssh') return;
    const agent = modem.agent ?? (modem.protocol === 'https' ? new https.Agent() : new http.Agent());
    const create = agent.createConnection.bind(agent);
    agent.createConnection = (options, callback) => {
      const socket = create(options, callback);
      if (socket) {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
      }
      return socket;
    };
    modem.agent = agent;
  }

  /** Connections to the engine still open (none between calls once a run is over). */
  get openConnections(): number {
    return [...this.sockets].filter((socket) => !socket.destroyed).length;
  }

  private closeConnections(only?: (socket: Duplex) => boolean): void {
    for (const socket of [...this.sockets]) if (!only || only(socket)) socket.destroy();
  }

  /**
   * Check the engine answers (within seconds) and describe it. `cancel`, the run's cancellation, ends the wait
   * at once (rejecting with its reason) and closes the connections it opened.
   */
  async connect(cancel?: AbortSignal): Promise<EngineInfo> {
    const timeout = AbortSignal.timeout(PROBE_TIMEOUT_MS);
    const signal = cancel ? AbortSignal.any([timeout, cancel]) : timeout;
    try {
      await this.withSignal(this.docker.ping, signal);
      const [version, info] = await Promise.all([
        this.withSignal<Docker.DockerVersion>(this.docker.version, signal),
        this.withSignal<{ Driver?: string; DriverStatus?: [string, string][]; ID?: string; OSType?: string }>(this.docker.info, signal),
      ]);
      const snapshotter = (info.DriverStatus ?? []).find(([key]) => key === 'driver-type')?.[1];
      const containerdStore = snapshotter?.startsWith('io.containerd.snapshotter') ?? false;
      return (this.info = {
        serverVersion: version.Version,
        apiVersion: version.ApiVersion,
        storage: info.Driver ?? 'unknown',
        containerdStore,
        ...(version.GoVersion ? { goVersion: version.GoVersion } : {}),
        ...(info.ID ? { id: info.ID } : {}),
        ...(info.OSType ? { osType: info.OSType } : {}),
        ...(this.resolved ? { endpoint: this.resolved.info } : {}),
        ...(version.Os && version.Arch ? { platform: { os: version.Os, architecture: version.Arch } } : {}),
      });
    } catch (error) {
      if (signal.aborted) this.closeConnections();
      if (cancel?.aborted) throw cancel.reason;
      const reason = signal.aborted ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s` : describeConnectError(error);
      if (this.resolved) throw new EnvironmentError(connectionFailure(this.resolved, error, signal.aborted ? reason : undefined));
      throw new EnvironmentError(
        `The Docker engine is not reachable at ${this.endpoint} (${reason}). ` +
          "Start Docker (on this project's machines: bash scripts/setup-docker.sh), or set DOCKER_HOST to the engine to use.",
      );
    }
  }

  // dockerode accepts { abortSignal } on these calls; its typings do not say so.
  private withSignal<T>(method: (...args: never[]) => unknown, signal: AbortSignal): Promise<T> {
    return (method as unknown as (options: object) => Promise<T>).call(this.docker, { abortSignal: signal });
  }

  /**
   * Whether the engine answers a ping now. An engine that does not answer in time is marked unresponsive: every
   * later call fails at once instead of waiting out its own time limit.
   */
  private async probe(): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (this.unresponsive) return { ok: false, reason: this.unresponsive };
    const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS);
    try {
      await this.withSignal(this.docker.ping, signal);
      return { ok: true };
    } catch (error) {
      if (!signal.aborted) return { ok: false, reason: describeConnectError(error) };
      this.markUnresponsive(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`);
      return { ok: false, reason: this.unresponsive! };
    }
  }

  private markUnresponsive(reason: string): void {
    this.unresponsive ??= reason;
    this.closeConnections();
  }

  /** The engine stopped answering earlier in this run: say so instead of waiting for it again. */
  private unresponsiveError(): EnvironmentError {
    return new EnvironmentError(`the Docker engine at ${this.endpoint} stopped answering (${this.unresponsive})`);
  }

  /**
   * An API call other than a build, bounded by the call time limit. `fn` gets an abort signal (dockerode honours
   * it on most calls); the call is also raced against it, for the calls that ignore it. `limits.cancel`: the
   * run's cancellation, which ends the call with its reason. `limits.deadline`: when the caller gives up on the
   * engine (the clean-up of a cancelled run); the engine then counts as not answering, and the call fails with
   * an EnvironmentError that says so.
   */
  private async call<T>(
    what: string,
    fn: (signal: AbortSignal) => Promise<T>,
    limits: { cancel?: AbortSignal; deadline?: AbortSignal } = {},
  ): Promise<T> {
    if (this.unresponsive) throw this.unresponsiveError();
    if (limits.cancel?.aborted) throw limits.cancel.reason;
    if (limits.deadline?.aborted) throw this.gaveUp(what);
    const timeout = AbortSignal.timeout(this.callTimeoutMs);
    const extra = [limits.cancel, limits.deadline].filter((s): s is AbortSignal => s !== undefined);
    const signal = extra.length ? AbortSignal.any([timeout, ...extra]) : timeout;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(signal), stopped]);
    } catch (error) {
      if (!signal.aborted) throw error;
      if (limits.cancel?.aborted) throw limits.cancel.reason;
      if (limits.deadline?.aborted && !timeout.aborted) throw this.gaveUp(what);
      this.markUnresponsive(`no answer to ${what} within ${formatMs(this.callTimeoutMs)}`);
      throw this.unresponsiveError();
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  }

  /** The caller's deadline passed during `what`: nothing more is asked of the engine in this run. */
  private gaveUp(what: string): EnvironmentError {
    this.markUnresponsive(`it had not finished ${what} when the time for clean-up ran out`);
    return new EnvironmentError(
      `the Docker engine at ${this.endpoint} had not finished ${what} when the time a cancelled run has for clean-up ran out`,
    );
  }

  /**
   * Build one image (`buildOnce`). A build that finds the engine's disk full before any step of its Dockerfile
   * ran (while the engine unpacks its context) is tried again after a pause, twice at most: an engine gives back
   * the space of a build that failed on a full disk (its failed step's snapshot) a moment after that build ends,
   * 0.2 s after it on the containerd image store here, so a next build started at once fails on space about to be
   * free. A step that ran out of space is not tried again: that is the image's own size.
   */
  async build(request: BuildRequest): Promise<BuildResult> {
    let result = await this.buildOnce(request);
    for (const pauseMs of DISK_FULL_RETRY_PAUSES_MS) {
      const beforeAnyStep = result.error !== undefined && !result.cancelled && result.stepRecords.length === 0 && isDiskFull(result);
      if (!beforeAnyStep || !(await pause(pauseMs, request.signal))) break;
      result = await this.buildOnce(request);
    }
    return result;
  }

  /**
   * Build one image, once. A failed, timed-out or broken-off build resolves with `error` set. The images a legacy build
   * committed come back in `createdImages`, for the caller to remove with the rest. Throws an EnvironmentError
   * when the engine cannot be reached to start the build. When `request.signal` aborts (the run is cancelled),
   * the build is stopped in the engine as a timed-out one is, without waiting for the engine to be probed, and
   * resolves with `cancelled` set.
   */
  private async buildOnce(request: BuildRequest): Promise<BuildResult> {
    if (this.unresponsive) throw this.unresponsiveError();
    const started = performance.now();
    const cancel = request.signal;
    const cancelledResult = (outcome: BuildOutcome): BuildResult => ({
      ...outcome,
      imageId: undefined,
      error: 'the run was cancelled before the build finished',
      cancelled: true,
      durationMs: performance.now() - started,
    });
    const nothing: BuildOutcome = { logTail: [], createdImages: [], steps: 0, cachedSteps: 0, stepRecords: [] };
    if (cancel?.aborted) return cancelledResult(nothing);
    const foreignOs = request.platform?.split('/')[0];
    if (foreignOs && this.info?.osType && foreignOs !== this.info.osType) {
      // Emulation covers another architecture, never another operating system: not worth a build to find out.
      const error =
        `The Docker engine at ${this.endpoint} runs ${this.info.osType} containers: it cannot build ${request.platform} images. ` +
        `Remove ${request.platform} from platforms, or build it on a ${foreignOs} engine`;
      return { ...nothing, imageId: undefined, error, durationMs: performance.now() - started };
    }
    // The time limit counts from here: packing the context, opening the BuildKit session, the build itself.
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const signal = cancel ? AbortSignal.any([timeout, cancel]) : timeout;
    const openBefore = new Set(this.sockets);
    const buildId = `image-size-report-${randomUUID()}`;
    // BuildKit names the context by a digest that is new in every build: the parser keys COPY steps by what they copy.
    const packed = await packContext(request.contextDir, request.dockerfile, { contents: request.builder === 'buildkit' });
    if (cancel?.aborted) {
      packed.stream.destroy();
      return cancelledResult(nothing);
    }
    // The legacy builder runs each step in a container it names in its output; a cancelled build's is removed.
    let running: string | undefined;
    const onLine = (line: string) => {
      running = LEGACY_RUNNING.exec(line)?.[1] ?? running;
      request.onLine?.(line);
    };
    const parser = new BuildOutputParser(onLine, { labels: request.labels, contextContents: packed.contents });
    const options = {
      t: request.tag,
      dockerfile: packed.dockerfile,
      ...(request.target ? { target: request.target } : {}),
      ...(request.platform ? { platform: request.platform } : {}),
      buildargs: request.platform ? { ...this.platformArgs(request.platform, request.builder), ...request.buildArgs } : request.buildArgs,
      labels: request.labels,
      nocache: request.noCache,
      pull: request.pull,
      rm: true,
      forcerm: true,
      // BuildKit: the ID that `POST /build/cancel` takes (API 1.32+); the legacy builder ignores it.
      ...(request.builder === 'buildkit' ? { version: '2' as const, buildid: buildId } : {}),
      abortSignal: signal,
    };
    let streamStarted = false;
    try {
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        if (signal.aborted)
          onAbort(); // packing the context took the whole time
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        const response = await Promise.race([this.docker.buildImage(packed.stream, options as Docker.ImageBuildOptions), aborted]);
        streamStarted = true;
        await Promise.race([
          aborted,
          new Promise<void>((resolve, reject) => {
            let ended = false;
            response.on('data', (chunk: Buffer) => parser.push(chunk));
            response.on('end', () => {
              ended = true;
              resolve();
            });
            response.on('close', () => {
              if (!ended) reject(new Error('the connection closed before the build finished'));
            });
            response.on('error', reject);
          }),
        ]);
      } finally {
        signal.removeEventListener('abort', onAbort!);
      }
    } catch (error) {
      packed.stream.destroy();
      const outcome = parser.finish();
      if (cancel?.aborted) {
        // Stopped as a timed-out build is, each request bounded, and no probe: the process has seconds to end.
        if (request.builder === 'buildkit') await this.cancelBuild(buildId, STOP_ON_CANCEL_MS);
        this.closeConnections((socket) => !openBefore.has(socket));
        // Closing the connection stops a legacy build and removes its container within a fraction of a second
        // on the engines we know; removing it here covers a connection kept open by something in between.
        if (request.builder === 'legacy' && running) await this.removeBuildContainer(running);
        return cancelledResult(outcome);
      }
      if (signal.aborted) {
        // Closing the connection cancels the build on the engines we know; ask BuildKit explicitly as well, so
        // that its RUN processes stop even where a connection is kept open by something in between.
        if (request.builder === 'buildkit') await this.cancelBuild(buildId);
        this.closeConnections((socket) => !openBefore.has(socket));
        const health = await this.probe();
        const engineNote = health.ok ? '' : `, and the Docker engine at ${this.endpoint} stopped answering (${health.reason})`;
        return {
          ...outcome,
          imageId: undefined,
          error: `the build did not finish within the timeout of ${formatMs(request.timeoutMs)}${engineNote}`,
          durationMs: performance.now() - started,
        };
      }
      this.closeConnections((socket) => !openBefore.has(socket));
      const health = await this.probe();
      if (!health.ok && !streamStarted) {
        throw new EnvironmentError(`the Docker engine is not reachable at ${this.endpoint} (${health.reason})`);
      }
      const error_ = !health.ok
        ? `the Docker engine at ${this.endpoint} went away during the build (it no longer answers: ${health.reason})`
        : streamStarted
          ? `the Docker engine broke off the build (${describeConnectError(error)})`
          : `the Docker engine refused the build: ${messageOf(error)}`;
      return { ...outcome, imageId: undefined, error: error_, durationMs: performance.now() - started };
    }
    const outcome = parser.finish();
    const durationMs = performance.now() - started;
    if (!outcome.error && !outcome.imageId) {
      return { ...outcome, error: 'the build ended without producing an image', durationMs };
    }
    if (outcome.error && isDiskFull(outcome)) {
      return { ...outcome, error: `${outcome.error}. ${DISK_FULL_HELP}`, durationMs };
    }
    const cannotRun = outcome.error && request.platform ? platformHelp(request.platform, outcome) : undefined;
    if (cannotRun) return { ...outcome, error: `${outcome.error}. ${cannotRun}`, durationMs };
    return { ...outcome, durationMs };
  }

  /** Ask BuildKit to stop a build (`POST /build/cancel?id=`). Best effort: the connection is closed anyway. */
  private async cancelBuild(buildId: string, timeoutMs = CANCEL_TIMEOUT_MS): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    await new Promise<void>((resolve) => {
      this.docker.modem.dial(
        {
          path: '/build/cancel?',
          method: 'POST',
          options: { id: buildId },
          abortSignal: signal,
          statusCodes: { 200: true, 500: 'server error' },
        } as Parameters<Docker['modem']['dial']>[0],
        () => resolve(),
      );
    });
  }

  /**
   * Remove the container a cancelled legacy build was running a step in (killed first: `force`), within
   * STOP_ON_CANCEL_MS. Best effort: already gone (the engine removes it when the build's connection closes) is
   * the usual case.
   */
  private async removeBuildContainer(id: string): Promise<void> {
    const signal = AbortSignal.timeout(STOP_ON_CANCEL_MS);
    try {
      await Promise.race([
        this.docker.getContainer(id).remove({ force: true, v: true, abortSignal: signal }),
        new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true })),
      ]);
    } catch {
      // gone already, or the engine does not answer: the clean-up reports what is left
    }
  }

  /**
   * Legacy builds leave untagged images behind: every step's of a failed build, and the earlier stages' of a
   * multi-stage one. Remove exactly the IDs given (those a build committed), newest first, without pruning
   * parents (which may be someone's build cache). Already gone or still in use: left as it is.
   */
  async removeImageIds(ids: string[], deadline?: AbortSignal): Promise<void> {
    for (const id of [...ids].reverse()) {
      try {
        await this.call('removing an image', (abortSignal) => this.docker.getImage(id).remove({ noprune: true, abortSignal }), {
          deadline,
        });
      } catch (error) {
        // Still in use (a child we did not make, a container): then it is not ours to force. An engine that is
        // gone or stopped answering: nothing more can be removed.
        if (error instanceof EnvironmentError || isConnectionError(error)) throw asEnvironmentError(error, this.endpoint);
      }
    }
  }

  /**
   * The image's ID, size and layers. `platform`: on the containerd image store a tag can hold several platforms
   * (a multi-platform base image), and the engine picks its own unless told: the platform is passed where the API
   * takes it (inspect from API 1.49, history and save from 1.48). A graph driver's tag holds one image.
   */
  async inspect(reference: string, platform?: string): Promise<ImageFacts> {
    const query = this.platformQuery(platform, '1.49');
    const image = await this.call('an image inspection', (abortSignal) =>
      query ? this.dialImage<Docker.ImageInspectInfo>(reference, 'json', query, abortSignal) : this.docker.getImage(reference).inspect(),
    );
    return { id: image.Id, ...(platform ? { platform } : {}), sizeBytes: image.Size, layers: image.RootFS?.Layers ?? [] };
  }

  /** The image's history, oldest entry first (the API lists the newest first). `platform`: as for `inspect`. */
  async history(reference: string, platform?: string): Promise<HistoryEntry[]> {
    const query = this.platformQuery(platform, '1.48');
    const entries = await this.call('an image history', (abortSignal) =>
      query ? this.dialImage<unknown[]>(reference, 'history', query, abortSignal) : this.docker.getImage(reference).history(),
    );
    return (entries as { CreatedBy?: string; Comment?: string; Size?: number }[])
      .map((e) => ({ createdBy: e.CreatedBy ?? '', comment: e.Comment ?? '', sizeBytes: e.Size ?? 0 }))
      .reverse();
  }

  /**
   * The automatic platform build args (TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT) where the engine does not
   * set them itself for a build through the Engine API: the legacy builder never does, and BuildKit on API 1.41
   * (Docker 20.10) leaves them empty. With them, `ARG TARGETARCH` + `FROM base:${TARGETARCH}` works on every engine.
   * The user's own build args of the same names win.
   */
  private platformArgs(platform: string, builder: BuildRequest['builder']): Record<string, string> {
    if (builder === 'buildkit' && (!this.info || apiAtLeast(this.info.apiVersion, '1.42'))) return {};
    return targetArgs(platform);
  }

  /** The `platform` query of an image call, when it matters (the containerd store) and the engine's API takes it. */
  private platformQuery(platform: string | undefined, since: string): { platform: object } | undefined {
    if (!platform || !this.info?.containerdStore || !apiAtLeast(this.info.apiVersion, since)) return undefined;
    return { platform: ociPlatform(platform) };
  }

  /** `GET /images/{reference}/{what}` with a query (dockerode's image calls send none). */
  private dialImage<T>(reference: string, what: 'json' | 'history' | 'get', query: object, abortSignal: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.docker.modem.dial(
        {
          path: `/images/${encodeURIComponent(reference)}/${what}?`,
          method: 'GET',
          options: query,
          isStream: what === 'get',
          abortSignal,
          statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such image', 500: 'server error' },
        } as Parameters<Docker['modem']['dial']>[0],
        (error, data) => (error ? reject(error) : resolve(data as T)),
      );
    });
  }

  /**
   * `docker save` of one image, as a stream of the tar the engine writes. The call limit applies to the first
   * byte and to every pause between chunks (Docker before 25 writes the whole export to disk before sending
   * any of it), so an engine that freezes mid-save ends the stream with an error instead of hanging it.
   * `signal`, the run's cancellation, ends the save at once: the stream fails with its reason and the engine's
   * export is closed.
   */
  async saveImage(reference: string, signal?: AbortSignal, platform?: string): Promise<Readable> {
    const query = this.platformQuery(platform, '1.48');
    const source = (await this.call(
      'an image save',
      (abortSignal) =>
        query
          ? this.dialImage<Readable>(reference, 'get', query, abortSignal)
          : (this.docker.getImage(reference).get() as Promise<Readable>),
      { cancel: signal },
    )) as Readable;
    let timer: NodeJS.Timeout | undefined;
    const watched = new Transform({
      transform(chunk, _encoding, done) {
        arm();
        done(null, chunk);
      },
    });
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.markUnresponsive(`no data from an image save within ${formatMs(this.callTimeoutMs)}`);
        source.destroy();
        watched.destroy(this.unresponsiveError());
      }, this.callTimeoutMs);
    };
    arm();
    const onCancel = () => {
      source.destroy();
      watched.destroy(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onCancel, { once: true });
    source.on('error', (error) => watched.destroy(error));
    watched.on('close', () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCancel);
      source.destroy(); // a reader that stops early must not leave the engine's export running
    });
    if (signal?.aborted) onCancel();
    return source.pipe(watched);
  }

  /**
   * Remove an image by the tag we gave it (never by ID, so an image that is also tagged elsewhere stays), and
   * nothing under it: with pruning, the engine would also delete its untagged parents, which a legacy build
   * takes from the build cache, and which may be someone else's untagged image.
   */
  async removeTag(tag: string, deadline?: AbortSignal): Promise<void> {
    try {
      await this.call('removing an image', (abortSignal) => this.docker.getImage(tag).remove({ noprune: true, abortSignal }), { deadline });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }

  /**
   * Remove everything a run left in the engine: its tags, the images its legacy builds committed and, as a safety
   * net, any container or image still carrying the run's label with exactly this run's value (a build that
   * finished in the engine after we gave up on it, ...). Never throws: returns what could not be removed, as
   * sentences for warnings. When the engine is gone, one sentence says so. `deadline`: when to give up on the
   * engine (a cancelled run has seconds); the sentence then says the time ran out.
   */
  async removeRunArtifacts(artifacts: RunArtifacts, deadline?: AbortSignal): Promise<string[]> {
    const problems: string[] = [];
    const filters = JSON.stringify({ label: [`${artifacts.label.key}=${artifacts.label.value}`] });
    const gone = (error: unknown) => {
      const message = messageOf(asEnvironmentError(error, this.endpoint));
      return [
        `Nothing more could be removed from the Docker engine: ${message}. What this run left is labelled ` +
          `${artifacts.label.key}=${artifacts.label.value} (docker image ls --filter label=${artifacts.label.key}=${artifacts.label.value}).`,
      ];
    };
    try {
      for (const tag of artifacts.tags) {
        try {
          await this.removeTag(tag, deadline);
        } catch (error) {
          if (error instanceof EnvironmentError || isConnectionError(error)) throw error;
          problems.push(`Could not remove the image ${tag}: ${messageOf(error)}`);
        }
      }
      await this.removeImageIds(artifacts.intermediates, deadline);
      const containers = await this.call(
        'listing containers',
        (abortSignal) => this.docker.listContainers({ all: true, filters, abortSignal } as Docker.ContainerListOptions),
        { deadline },
      );
      for (const container of containers) {
        try {
          await this.call(
            'removing a container',
            (abortSignal) => this.docker.getContainer(container.Id).remove({ force: true, v: true, abortSignal }),
            { deadline },
          );
        } catch (error) {
          if (error instanceof EnvironmentError || isConnectionError(error)) throw error;
          if ((error as { statusCode?: number }).statusCode !== 404) {
            problems.push(`Could not remove the container ${container.Id.slice(0, 12)}: ${messageOf(error)}`);
          }
        }
      }
      const images = await this.call(
        'listing images',
        (abortSignal) => this.docker.listImages({ all: true, filters, abortSignal } as Docker.ListImagesOptions),
        { deadline },
      );
      for (const image of images) {
        try {
          await this.call('removing an image', (abortSignal) => this.docker.getImage(image.Id).remove({ noprune: true, abortSignal }), {
            deadline,
          });
        } catch (error) {
          if (error instanceof EnvironmentError || isConnectionError(error)) throw error;
          if ((error as { statusCode?: number }).statusCode !== 404) {
            problems.push(`Could not remove the image ${image.Id}: ${messageOf(error)}`);
          }
        }
      }
    } catch (error) {
      return [...problems, ...gone(error)];
    }
    return problems;
  }
}

const CONNECTION_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);

function isConnectionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && CONNECTION_CODES.has(code) && (error as { statusCode?: number }).statusCode === undefined;
}

function asEnvironmentError(error: unknown, endpoint: string): EnvironmentError {
  if (error instanceof EnvironmentError) return error;
  return new EnvironmentError(`the Docker engine is not reachable at ${endpoint} (${describeConnectError(error)})`);
}

function describeConnectError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no socket there';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'EACCES') return 'permission denied on the socket';
  if (code === 'ECONNRESET') return 'the connection was reset';
  if (code === 'EPIPE') return 'the connection was closed';
  return code ? `${code}: ${messageOf(error)}` : messageOf(error);
}

const DISK_FULL = /no space left on device/i;
/** Pauses before a build that found the disk full before any step ran is tried again (see `build`). */
const DISK_FULL_RETRY_PAUSES_MS = [500, 1500];

/** Wait `ms`; false when `cancel` aborts first. */
function pause(ms: number, cancel: AbortSignal | undefined): Promise<boolean> {
  if (cancel?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (waited: boolean) => {
      clearTimeout(timer);
      cancel?.removeEventListener('abort', onAbort);
      resolve(waited);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    cancel?.addEventListener('abort', onAbort, { once: true });
  });
}
const DISK_FULL_HELP =
  'The Docker engine ran out of disk space ("no space left on device"): the disk that holds its data (images, ' +
  'build cache, containers) is full. Free space there (docker system df shows what uses it; docker builder prune ' +
  'and docker image prune remove unused cache and images), give the engine a larger disk, or make the image smaller';

/** A build that failed because the engine's disk is full: said in the error, or in the failing step's output. */
function isDiskFull(outcome: BuildOutcome): boolean {
  return DISK_FULL.test(outcome.error ?? '') || outcome.logTail.some((line) => DISK_FULL.test(line));
}

/** Whether API version `version` (`1.51`) is `since` or later. */
function apiAtLeast(version: string, since: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  const [wantMajor, wantMinor] = since.split('.').map(Number);
  return major > wantMajor || (major === wantMajor && minor >= wantMinor);
}

/**
 * What to do when a build for `platform` failed because the engine cannot run that platform's programs: no QEMU
 * registered for a foreign architecture (`exec format error`), or an operating system this engine does not run.
 */
export function platformHelp(platform: string, outcome: Pick<BuildOutcome, 'error' | 'logTail'>): string | undefined {
  const text = [outcome.error ?? '', ...outcome.logTail].join('\n');
  if (/exec format error/i.test(text)) {
    return (
      `The Docker engine cannot run ${platform} programs (exec format error): no emulator is registered for it. ` +
      `Register QEMU before this step (on GitHub Actions: docker/setup-qemu-action), or remove ${platform} from platforms`
    );
  }
  if (
    /operating system is not supported|no match for platform|does not match the specified platform|unsupported platform|not supported on this platform/i.test(
      text,
    )
  ) {
    return `The Docker engine cannot build for ${platform} (its operating system or architecture is not one this engine runs, or the base image has no ${platform} image). Remove ${platform} from platforms, or build it on an engine that runs it`;
  }
  return undefined;
}

function formatMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;
}
