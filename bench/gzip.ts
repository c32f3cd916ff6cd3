/**
 * Bench helper (not part of the tool): the baseline every compressed-size figure is measured against, `gzip -6`
 * of one file on one core (`taskset -c 0` where there is taskset), with its wall time, CPU time and output size.
 */
import { run, type RunOptions } from './proc.js';

export interface GzipRun {
  ms: number;
  /** bash's `times` after the pipeline: the CPU time of gzip (and of the `wc -c` counting its output). */
  cpuMs: number;
  outBytes: number;
}

/** `gzip -6 -c FILE | wc -c`, pinned to core 0 when `pinned`. */
export async function gzip6(file: string, pinned: boolean, options: RunOptions = {}): Promise<GzipRun> {
  const script = `${pinned ? 'taskset -c 0 ' : ''}gzip -6 -c -- "$1" | wc -c; times`;
  const r = await run('bash', ['-c', `set -o pipefail; ${script}`, 'gzip', file], options);
  const lines = r.stdout.trim().split('\n');
  const outBytes = Number(lines[0]);
  const children = lines[lines.length - 1];
  const cpuMs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + (Number(m[1]) * 60 + Number(m[2])) * 1000, 0);
  return { ms: r.ms, cpuMs, outBytes };
}
