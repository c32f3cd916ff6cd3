// Integration tests need a real Docker engine with the local base images: each project of vitest.config.ts is one
// engine of the matrix (__tests__/engines.json). `npm test` runs scripts/engines.sh first (the pretest script),
// which installs and starts what is missing.
import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';

export default function setup(project: TestProject): void {
  const env = { ...process.env, ...project.config.env } as NodeJS.ProcessEnv;
  try {
    execFileSync('docker', ['image', 'inspect', 'busybox:latest'], { stdio: 'ignore', timeout: 20_000, env });
  } catch {
    throw new Error(
      `Integration tests on ${env.ISR_ENGINE} need that Docker engine running at ${env.DOCKER_HOST} with the local image busybox:latest. ` +
        `Run \`bash scripts/engines.sh start ${env.ISR_ENGINE}\` (npm test does this first).`,
    );
  }
}
