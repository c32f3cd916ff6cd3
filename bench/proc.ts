/**
 * Bench helpers (not part of the tool): running a command to its end with its wall time (and, when asked, the
 * peak memory of its process tree), a short command's output, and the median of figures.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stdout: string;
  stderr: string;
  /** With `sampleRss`: the peak resident memory of the process and every process under it. */
  peakTreeRss?: number;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Resolve even when the command fails (the code tells). */
  allowFail?: boolean;
  /** Copy the command's stderr to ours as it comes. */
  echo?: boolean;
  /** Sample the peak resident memory of the process tree (`peakTreeRss`). */
  sampleRss?: boolean;
  /** Run it in a process group of its own, which `stopChildren` stops (with whatever it started). */
  group?: boolean;
}

const groups = new Set<number>();

/** Send a signal to the process groups of the commands running with `group` (e.g. when the bench is stopped). */
export function stopChildren(signal: NodeJS.Signals): void {
  for (const pid of groups) {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Run a command to the end; resolves with its output, exit code and wall time. Rejects on failure unless `allowFail`. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.group,
    });
    const pid = child.pid;
    if (options.group && pid !== undefined) groups.add(pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      err.push(chunk);
      if (options.echo) process.stderr.write(chunk);
    });
    const sampler = options.sampleRss && child.pid !== undefined ? rssSampler(child.pid) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (pid !== undefined) groups.delete(pid);
      const ms = performance.now() - started;
      const peakTreeRss = sampler?.stop();
      const result: RunResult = {
        code,
        signal,
        ms,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ...(sampler ? { peakTreeRss } : {}),
      };
      if (code !== 0 && !options.allowFail) {
        reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}:\n${result.stderr.slice(-3000)}`));
      } else resolve(result);
    });
  });
}

/** A short command's trimmed output, or undefined when it fails. */
export function output(command: string, args: string[]): string | undefined {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Whether `taskset` is there to pin gzip to one core. */
export const hasTaskset = (): boolean => output('sh', ['-c', 'command -v taskset']) !== undefined;

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Peak resident memory of a process and every process under it, sampled from /proc every 50 ms. The child's
 * own maxRSS (from the kernel, exact) misses helper processes; this catches them, at the cost of short peaks.
 */
function rssSampler(pid: number): { stop(): number } {
  let peak = 0;
  const rssOf = (p: number): number => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  };
  const childrenOf = (p: number): number[] => {
    const kids: number[] = [];
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const text = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (text) kids.push(...text.split(/\s+/).map(Number));
      }
    } catch {
      // gone
    }
    return kids;
  };
  const sample = () => {
    let total = 0;
    const queue = [pid];
    while (queue.length) {
      const p = queue.pop()!;
      total += rssOf(p);
      queue.push(...childrenOf(p));
    }
    peak = Math.max(peak, total);
  };
  const timer = setInterval(sample, 50);
  sample();
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

/** CPU time every process of the machine has used since boot (ms, from /proc/stat; 10 ms steps), or NaN. */
export function machineBusyMs(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: all but idle and iowait
    const busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + (fields[7] ?? 0);
    return (busy * 1000) / 100;
  } catch {
    return NaN;
  }
}
