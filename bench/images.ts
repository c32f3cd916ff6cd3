/**
 * Bench helpers (not part of the tool): the docker CLI, the images the bench builds (the large image, kept
 * between runs), and removing what a repetition's builds left.
 */
import path from 'node:path';
import { ROOT, type Config } from './config.js';
import { seconds } from './format.js';
import { say } from './log.js';
import { run, type RunOptions, type RunResult } from './proc.js';

/** The docker CLI, from the repository's root (as every command the bench runs). */
export const docker = (args: string[], options?: RunOptions): Promise<RunResult> => run('docker', args, { cwd: ROOT, ...options });
export const legacyEnv = { DOCKER_BUILDKIT: '0' };

export async function imageExists(ref: string): Promise<boolean> {
  return (await docker(['image', 'inspect', '--format', '{{.Id}}', ref], { allowFail: true })).code === 0;
}

export async function imageIds(all = true): Promise<Set<string>> {
  const r = await docker(['images', ...(all ? ['-a'] : []), '-q', '--no-trunc']);
  return new Set(r.stdout.split('\n').filter(Boolean));
}

/** Remove what `docker build` left that the bench made: the tags given, and dangling images that were not there before. */
export async function removeBenchImages(tags: string[], before?: Set<string>): Promise<void> {
  for (const tag of tags) await docker(['rmi', tag], { allowFail: true });
  if (!before) return;
  const dangling = (await docker(['images', '-q', '--no-trunc', '-f', 'dangling=true'])).stdout.split('\n').filter(Boolean);
  const ours = dangling.filter((id) => !before.has(id));
  if (ours.length) await docker(['rmi', ...ours], { allowFail: true });
}

export interface BenchImage {
  tag: string;
  id: string;
  engineSizeBytes: number;
  layers: number;
  created: string;
  /** When this run built it. */
  built?: { ms: number };
}

/** The image, built with the legacy builder when it is missing (or BENCH_REBUILD=1), else reused. */
export async function ensureImage(config: Config, image = config.image, imageDir = config.imageDir): Promise<BenchImage> {
  let built: BenchImage['built'];
  if (config.rebuild || !(await imageExists(image))) {
    say(`building ${image} from ${path.relative(ROOT, imageDir)}/Dockerfile (legacy builder; minutes, needs Debian's mirror)…`);
    const r = await docker(['build', '-t', image, imageDir], { env: legacyEnv });
    built = { ms: r.ms };
    say(`built ${image} in ${seconds(r.ms)}`);
  } else {
    say(`reusing ${image} (BENCH_REBUILD=1 rebuilds it)`);
  }
  const inspect = (
    JSON.parse((await docker(['image', 'inspect', image])).stdout) as {
      Id: string;
      Size: number;
      RootFS: { Layers: string[] };
      Created: string;
    }[]
  )[0];
  return {
    tag: image,
    id: inspect.Id,
    engineSizeBytes: inspect.Size,
    layers: inspect.RootFS.Layers.length,
    created: inspect.Created,
    built,
  };
}
