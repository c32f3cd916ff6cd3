// A small filesystem of the test's own (tmpfs of a given size), for filling up on purpose. Needs root.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SmallDisk {
  dir: string;
  unmount(): void;
}

export function smallDisk(size: string): SmallDisk {
  if (process.getuid?.() !== 0) throw new Error('a small disk for fault tests needs root (mount -t tmpfs)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isr-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'isr-small-disk', dir]);
  return {
    dir,
    unmount: () => {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
