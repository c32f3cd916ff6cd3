/**
 * Bench helpers (not part of the tool): running a command to its end with its wall time, for the typed parts of
 * the bench (engine.ts, kinds.ts). bench/run.mjs has its own copy of the same function until it is ported.
 */
import { spawn, spawnSync } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Resolve even when the command fails (the code tells). */
  allowFail?: boolean;
}

/** Run a command to the end; resolves with its output, exit code and wall time. Rejects on failure unless `allowFail`. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const result: RunResult = {
        code,
        signal,
        ms: performance.now() - started,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
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

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
