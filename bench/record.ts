/**
 * The raw figures of a bench run: saved to bench/.build/last-run.json after every section (so a run cut short
 * still leaves what it measured) and read back by `node bench/run.mjs --render`, which rewrites RESULTS.md
 * from them without measuring again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUILD_DIR } from './config.js';
import type { BenchImage } from './images.js';
import type { KindsResult } from './kinds.js';
import type { Machine } from './machine.js';
import type { OverheadResult } from './overhead.js';
import type { PullRequestResult } from './pull-request.js';
import type { ThroughputResult } from './throughput.js';

export const RAW = path.join(BUILD_DIR, 'last-run.json');

export interface RunRecord {
  /** What the Markdown needs of the settings the run had. */
  config: { quick: boolean; image: string; imageDir: string };
  machine: Machine;
  /** The large image (absent when neither throughput nor pr ran). */
  image?: BenchImage;
  /** Throughput, second run and memory. */
  t?: ThroughputResult;
  /** Throughput per kind of layer. */
  k?: KindsResult;
  /** Overhead against docker build. */
  o?: OverheadResult;
  /** The pull-request run. */
  p?: PullRequestResult;
  totalMs: number;
}

export function saveRecord(record: RunRecord): void {
  writeFileSync(RAW, JSON.stringify(record, null, 1));
}

export function readRecord(file = RAW): RunRecord {
  return JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
}
