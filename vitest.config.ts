import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/** The engines of the matrix (scripts/engines.sh starts them): every integration test runs against each. */
interface MatrixEngine {
  name: string;
  host: string;
}
const matrix: MatrixEngine[] = JSON.parse(readFileSync(new URL('./__tests__/engines.json', import.meta.url), 'utf8')).engines;
// ISR_ENGINES=docker-28.5-containerd npm test: only those engines (comma or space separated).
const chosen = process.env.ISR_ENGINES?.split(/[\s,]+/).filter(Boolean);
const unknown = chosen?.filter((name) => !matrix.some((e) => e.name === name)) ?? [];
if (unknown.length) {
  throw new Error(`ISR_ENGINES names ${unknown.join(', ')}, not in __tests__/engines.json (${matrix.map((e) => e.name).join(', ')})`);
}
const engines = chosen ? matrix.filter((e) => chosen.includes(e.name)) : matrix;
// ISR_ENGINES=docker-28.5-containerd ISR_ENGINE_HOST=unix:///run/image-size-report/dev-ab.sock: that engine's tests
// against a private engine like it (scripts/engines.sh private), so that parallel runs do not share one.
if (process.env.ISR_ENGINE_HOST) {
  if (engines.length !== 1) throw new Error('ISR_ENGINE_HOST is for one engine: name it in ISR_ENGINES');
  engines[0] = { ...engines[0], host: process.env.ISR_ENGINE_HOST };
}

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['__tests__/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        // The registry client against real registries (Debian's docker-registry) it starts: no Docker engine, so
        // run once, not per engine.
        test: {
          name: 'registry',
          include: ['__tests__/registry/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      ...engines.map((engine, i) => ({
        test: {
          name: `integration (${engine.name})`,
          include: ['__tests__/integration/**/*.test.ts'],
          // Two cores: integration files run one at a time, and one engine after another.
          fileParallelism: false,
          sequence: { groupOrder: i + 1 },
          env: { DOCKER_HOST: engine.host, ISR_ENGINE: engine.name },
          testTimeout: 600_000,
          hookTimeout: 600_000,
          globalSetup: ['__tests__/support/global-setup.ts'],
        },
      })),
    ],
  },
});
