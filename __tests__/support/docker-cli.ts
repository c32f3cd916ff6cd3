// The Docker CLI as an independent witness: tests check what the tool measured against what `docker` says.
import { execFileSync } from 'node:child_process';

export function dockerInspect(ref: string): { Id: string; Size: number; RootFS: { Layers: string[] } } {
  return JSON.parse(execFileSync('docker', ['image', 'inspect', ref], { encoding: 'utf8' }))[0];
}

/** Tags under the tool's repository prefix, e.g. image-size-report/app:head-123. */
export function toolImageTags(): string[] {
  const out = execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.startsWith('image-size-report/'));
}

export function removeImage(ref: string): void {
  try {
    execFileSync('docker', ['rmi', ref], { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

/** IDs of every image, intermediate ones included, sorted. */
export function allImageIds(): string[] {
  const out = execFileSync('docker', ['images', '--all', '--quiet', '--no-trunc'], { encoding: 'utf8' });
  return [...new Set(out.split('\n').filter(Boolean))].sort();
}
