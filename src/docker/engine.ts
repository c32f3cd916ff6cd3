/**
 * Every conversation with the Docker engine goes through this class: connecting, building, inspecting and
 * removing images. Nothing else in the code base imports dockerode.
 */
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { EnvironmentError, messageOf } from '../errors.js';
import { BuildOutputParser, type BuildOutcome } from './build-output.js';
import { packContext } from './context.js';

export interface EngineInfo {
  serverVersion: string;
  apiVersion: string;
  /** Storage driver (`overlay2`, ...), or the snapshotter when the containerd image store is used. */
  storage: string;
  /** With the containerd image store, `Size` of Docker 29.0–29.7 is the packed (compressed) size. */
  containerdStore: boolean;
}

export interface BuildRequest {
  contextDir: string;
  dockerfile: string;
  target?: string;
  buildArgs: Record<string, string>;
  tag: string;
  labels: Record<string, string>;
  noCache: boolean;
  pull: boolean;
  builder: 'buildkit' | 'legacy';
  timeoutMs: number;
  onLine?: (line: string) => void;
}

export interface BuildResult extends BuildOutcome {
  durationMs: number;
}

export interface ImageFacts {
  id: string;
  sizeBytes: number;
  /** Filesystem layers (diff IDs), base image included. */
  layers: string[];
}

const CONNECT_TIMEOUT_MS = 5000;

export class DockerEngine {
  private readonly docker: Docker;

  constructor(docker?: Docker) {
    this.docker = docker ?? new Docker();
  }

  /** Where we connect, for messages: DOCKER_HOST or the default socket. */
  static endpoint(): string {
    return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  }

  /** Check the engine answers (within seconds) and describe it. */
  async connect(): Promise<EngineInfo> {
    const signal = AbortSignal.timeout(CONNECT_TIMEOUT_MS);
    try {
      // dockerode accepts { abortSignal } on these calls; its typings do not say so.
      const withSignal = <T>(method: (...args: never[]) => unknown) =>
        (method as unknown as (options: object) => Promise<T>).call(this.docker, { abortSignal: signal });
      await withSignal(this.docker.ping);
      const [version, info] = await Promise.all([
        withSignal<Docker.DockerVersion>(this.docker.version),
        withSignal<{ Driver?: string; DriverStatus?: [string, string][] }>(this.docker.info),
      ]);
      const snapshotter = (info.DriverStatus ?? []).find(([key]) => key === 'driver-type')?.[1];
      const containerdStore = snapshotter?.startsWith('io.containerd.snapshotter') ?? false;
      return {
        serverVersion: version.Version,
        apiVersion: version.ApiVersion,
        storage: info.Driver ?? 'unknown',
        containerdStore,
      };
    } catch (error) {
      const reason = signal.aborted ? `no answer within ${CONNECT_TIMEOUT_MS / 1000} s` : describeConnectError(error);
      throw new EnvironmentError(
        `The Docker engine is not reachable at ${DockerEngine.endpoint()} (${reason}). ` +
          'Start Docker (on this project\'s machines: bash scripts/setup-docker.sh), or set DOCKER_HOST to the engine to use.',
      );
    }
  }

  /**
   * Build one image. A failed, timed-out or broken-off build resolves with `error` set. The images a legacy build
   * committed come back in `createdImages`, for the caller to remove with the rest.
   */
  async build(request: BuildRequest): Promise<BuildResult> {
    const started = performance.now();
    const packed = await packContext(request.contextDir, request.dockerfile);
    const parser = new BuildOutputParser(request.onLine);
    const signal = AbortSignal.timeout(request.timeoutMs);
    const options = {
      t: request.tag,
      dockerfile: packed.dockerfile,
      ...(request.target ? { target: request.target } : {}),
      buildargs: request.buildArgs,
      labels: request.labels,
      nocache: request.noCache,
      pull: request.pull,
      rm: true,
      forcerm: true,
      ...(request.builder === 'buildkit' ? { version: '2' as const } : {}),
      abortSignal: signal,
    };
    try {
      const response = await this.docker.buildImage(packed.stream, options as Docker.ImageBuildOptions);
      await new Promise<void>((resolve, reject) => {
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
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    } catch (error) {
      packed.stream.destroy();
      const outcome = parser.finish();
      const durationMs = performance.now() - started;
      if (signal.aborted) {
        return { ...outcome, imageId: undefined, error: `the build did not finish within the timeout of ${formatMs(request.timeoutMs)}`, durationMs };
      }
      return { ...outcome, imageId: undefined, error: `the Docker engine broke off the build: ${describeConnectError(error)}`, durationMs };
    }
    const outcome = parser.finish();
    const durationMs = performance.now() - started;
    if (!outcome.error && !outcome.imageId) {
      return { ...outcome, error: 'the build ended without producing an image', durationMs };
    }
    return { ...outcome, durationMs };
  }

  /**
   * Legacy builds leave untagged images behind: every step's of a failed build, and the earlier stages' of a
   * multi-stage one. Remove exactly the IDs given (those a build committed), newest first, without pruning
   * parents (which may be someone's build cache). Already gone or still in use: left as it is.
   */
  async removeImageIds(ids: string[]): Promise<void> {
    for (const id of [...ids].reverse()) {
      try {
        await this.docker.getImage(id).remove({ noprune: true });
      } catch {
        // still in use (a child we did not make, a container): then it is not ours to force
      }
    }
  }

  async inspect(reference: string): Promise<ImageFacts> {
    const image = await this.docker.getImage(reference).inspect();
    return { id: image.Id, sizeBytes: image.Size, layers: image.RootFS?.Layers ?? [] };
  }

  /** `docker save` of one image, as a stream of the tar the engine writes. */
  async saveImage(reference: string): Promise<Readable> {
    return (await this.docker.getImage(reference).get()) as Readable;
  }

  /** How many history entries an image has (its config's history), or undefined when it is not here. */
  async historyLength(reference: string): Promise<number | undefined> {
    try {
      return (await this.docker.getImage(reference).history()).length;
    } catch {
      return undefined;
    }
  }

  /** Remove an image by the tag we gave it (never by ID, so an image that is also tagged elsewhere stays). */
  async removeTag(tag: string): Promise<void> {
    try {
      await this.docker.getImage(tag).remove({ noprune: false });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }
}

function describeConnectError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no socket there';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'EACCES') return 'permission denied on the socket';
  return code ? `${code}: ${messageOf(error)}` : messageOf(error);
}

function formatMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;
}
