/**
 * Bench helper (not part of the tool): the tool's compressed sizer alone over one file on disk, read in 1 MiB
 * chunks as the analysis reads a layer tar, timed from the first byte to the size. Used by bench/analyze.ts
 * (`sizer`) and bench/sizer.ts; imports nothing of the tool but the sizer, so that bench/sizer.mjs can bundle it
 * against another version of src/measure/image/compressed-size.ts.
 */
import { createReadStream } from 'node:fs';
import { CompressedSizer, type CompressedSizerOptions } from '../src/measure/image/compressed-size.js';
import { machineBusyMs } from './proc.js';

export interface SizedFile {
  file: string;
  bytes: number;
  compressedBytes: number;
  ms: number;
  /** Every thread of the process: the calling one and the workers. */
  cpuMs: number;
  /** CPU time the machine's other processes used meanwhile (from /proc/stat; NaN where there is none). */
  othersMs: number;
}

export async function sizeFile(file: string, options: CompressedSizerOptions): Promise<SizedFile> {
  const busy0 = machineBusyMs();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const sizer = new CompressedSizer(options);
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    await sizer.write(chunk);
  }
  const compressedBytes = await sizer.end();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { file, bytes, compressedBytes, ms, cpuMs, othersMs: machineBusyMs() - busy0 - cpuMs };
}

/**
 * Start the sizer's worker pool (once per process in the tool, shared by every layer after) with 2 MiB of
 * zeros, a part for each of two workers; resolves with the time it took.
 */
export async function startSizerPool(options: CompressedSizerOptions): Promise<number> {
  const t0 = performance.now();
  const warm = new CompressedSizer(options);
  await warm.write(Buffer.alloc((2 << 20) + 1));
  await warm.end();
  return performance.now() - t0;
}
