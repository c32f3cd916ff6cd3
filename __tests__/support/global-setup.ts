// Integration tests need a real Docker engine with the local base images; `npm test` runs
// scripts/setup-docker.sh first (the pretest script), which installs and starts what is missing.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  try {
    execFileSync('docker', ['image', 'inspect', 'busybox:latest'], { stdio: 'ignore', timeout: 20_000 });
  } catch {
    throw new Error(
      'Integration tests need a running Docker engine and the local image busybox:latest. ' +
        'Run `bash scripts/setup-docker.sh --base-images` (npm test does this first).',
    );
  }
}
