/**
 * Bench part (not part of the tool): the machine and the engine a run measures on, as RESULTS.md's Machine
 * table describes them, and how the tool finds compressed sizes there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pushSizingFor } from '../src/measure/image/push-sizing.js';
import { ANALYZE, ROOT } from './config.js';
import { describeEngine, type EngineDescription } from './engine.js';
import { loadavg } from './format.js';
import { docker } from './images.js';
import { modelAvailability } from './kinds.js';
import { hasTaskset, output } from './proc.js';

export interface Machine {
  date: string;
  cores: number;
  cpuModel: string;
  ramBytes: number;
  kernel: string;
  disk: string;
  dockerServer: string;
  dockerApi: string;
  dockerClient: string;
  storage: string;
  /** Absent from a run saved before the engine was described. */
  engine?: EngineDescription;
  /** How the tool finds compressed sizes on this engine (src/measure/image/push-sizing.ts). */
  push?: {
    method: string;
    model: string;
    asStored: boolean;
    reason: string;
    /** Whether the sizer in the tree offers the model the tool picks here (found by constructing sizers). */
    modelAvailable: boolean;
    modelMissing?: string;
  };
  node: string;
  gzip: string;
  taskset: boolean;
  commit: string;
  distStale: boolean;
  /** The first line of the compressed sizer's opening comment. */
  sizer: string;
  loadStart: string;
  /** Set when the run's figures are saved. */
  loadEnd?: string;
}

/** A machine described by this version of the bench (with its engine and how compressed sizes are found). */
export type DescribedMachine = Machine & Required<Pick<Machine, 'engine' | 'push'>>;

export async function describeMachine(): Promise<DescribedMachine> {
  const cpus = os.cpus();
  const info = JSON.parse((await docker(['info', '--format', '{{json .}}'])).stdout) as {
    DockerRootDir?: string;
    ServerVersion: string;
    Driver: string;
  };
  const apiVersion = (await docker(['version', '--format', '{{.Server.APIVersion}}'])).stdout.trim();
  const root = info.DockerRootDir;
  let disk = 'unknown (engine not local)';
  if (root && existsSync(root)) {
    const df = output('df', ['-PT', '-B1', root])?.split('\n')[1]?.split(/\s+/);
    const source = output('findmnt', ['-no', 'SOURCE', '-T', root]);
    const parent = source ? output('lsblk', ['-no', 'PKNAME', source]) : undefined;
    const dev = parent || (source ? path.basename(source) : undefined);
    const rota = dev ? output('lsblk', ['-dno', 'ROTA,MODEL', `/dev/${dev}`]) : undefined;
    disk = df
      ? `${df[1]} on ${df[0]}, ${(Number(df[2]) / 1e9).toFixed(0)} GB, ${(Number(df[4]) / 1e9).toFixed(0)} GB free` +
        (rota
          ? `, ${rota.trim().startsWith('0') ? 'non-rotational' : 'rotational'}${rota.trim().slice(1).trim() ? ` (${rota.trim().slice(1).trim()})` : ''}`
          : '')
      : 'unknown';
  }
  const gitHead = output('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = output('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'dist']);
  const distStale = distDiffers();
  const sizerSource = path.join(ROOT, 'src', 'measure', 'image', 'compressed-size.ts');
  const sizerDoc = existsSync(sizerSource)
    ? (/\/\*\*\s*\n?\s*\*?\s*([^\n]*)/.exec(readFileSync(sizerSource, 'utf8'))?.[1] ?? '').replace(/\*\/\s*$/, '').trim()
    : 'not found';
  const engine = await describeEngine(ROOT);
  const push = pushSizingFor({ serverVersion: engine.serverVersion, containerdStore: engine.containerdStore, goVersion: engine.goVersion });
  const pushModel = (await modelAvailability(ANALYZE, [push.model]))[push.model];
  return {
    date: new Date().toISOString(),
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    ramBytes: os.totalmem(),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    disk,
    dockerServer: info.ServerVersion,
    dockerApi: apiVersion,
    dockerClient: output('docker', ['version', '--format', '{{.Client.Version}}']) ?? '?',
    storage: info.Driver,
    engine,
    push: {
      method: push.method,
      model: push.model,
      asStored: push.asStored,
      reason: push.reason,
      modelAvailable: pushModel.available,
      modelMissing: pushModel.reason,
    },
    node: process.version,
    gzip: output('gzip', ['--version'])?.split('\n')[0] ?? 'not found',
    taskset: hasTaskset(),
    commit: gitHead ? `${gitHead}${dirty ? ' (with uncommitted changes in src/ or dist/)' : ''}` : 'unknown',
    distStale,
    sizer: sizerDoc,
    loadStart: loadavg(),
  };
}

/**
 * Whether dist/ looks older than src/: src/ changed (in a commit or in the work tree) since the last commit that
 * touched dist/, and dist/ has no local changes (a local rebuild is taken to be current).
 */
function distDiffers(): boolean {
  const gitOut = (...args: string[]) => output('git', ['-C', ROOT, ...args]);
  if (gitOut('status', '--porcelain', '--', 'dist')) return false;
  if (gitOut('status', '--porcelain', '--', 'src')) return true;
  const lastDist = gitOut('log', '-1', '--format=%H', '--', 'dist');
  if (!lastDist) return false;
  return spawnSync('git', ['-C', ROOT, 'diff', '--quiet', lastDist, 'HEAD', '--', 'src']).status === 1;
}
