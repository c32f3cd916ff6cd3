/** Bench helpers (not part of the tool): the temporary directories of a run, removed at its end (or kept, BENCH_KEEP_TMP=1). */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { say } from './log.js';

const temps: string[] = [];

export function tempDir(label: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `isr-bench-${label}-`));
  temps.push(dir);
  return dir;
}

export function cleanupTemps(keep: boolean): void {
  if (keep) {
    if (temps.length) say(`kept temporary directories: ${temps.join(' ')}`);
    return;
  }
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}
