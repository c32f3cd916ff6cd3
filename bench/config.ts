/**
 * The bench's settings, from the environment (bench/README.md lists the variables), and the paths it uses.
 * Bad values stop it with a message naming the variable, the value and what is accepted.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KINDS, MODELS, type Kind, type ModelName } from './kinds.js';
import { die } from './log.js';

// bench/.build/run.mjs once bundled (bench/run.mjs), bench/config.ts as a source
const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, ...(path.basename(HERE) === '.build' ? ['..', '..'] : ['..']));
export const BENCH = path.join(ROOT, 'bench');
export const BUILD_DIR = path.join(BENCH, '.build');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
/** bench/analyze.ts, bundled by bench/run.mjs. */
export const ANALYZE = path.join(BUILD_DIR, 'analyze.mjs');

export const SECTIONS = ['throughput', 'kinds', 'overhead', 'pr'] as const;
export type Section = (typeof SECTIONS)[number];
export const BUILDERS = ['legacy', 'buildkit'] as const;
export type Builder = (typeof BUILDERS)[number];
export type CacheState = 'cold' | 'warm';
/** The parts of the pull-request run (bench/pull-request.ts). */
export const PR_PARTS = ['warm', 'cold', 'registry'] as const;
export type PrPart = (typeof PR_PARTS)[number];

export interface Config {
  quick: boolean;
  sections: Section[];
  image: string;
  imageDir: string;
  rebuild: boolean;
  overheadModes: CacheState[];
  coldReps: number;
  warmReps: number;
  example: string;
  out: string;
  keepTemp: boolean;
  /** The parts of the pull-request run (BENCH_PR; BENCH_PR_COLD=1 adds `cold`). */
  prParts: PrPart[];
  /** The registry the `registry` part pushes the base commit's image to (BENCH_REGISTRY, no credentials). */
  registry: string;
  /** The overhead's docker side: the legacy builder, and BuildKit through `docker buildx build` where there is buildx. */
  builders: Builder[];
  kindReps: number;
  kinds: Kind[];
  models: ModelName[];
}

/** Where the results go: BENCH_OUT, or RESULTS.md (RESULTS.quick.md for a quick run). */
export function resultsFile(env: NodeJS.ProcessEnv, quick: boolean): string {
  return env.BENCH_OUT ? path.resolve(env.BENCH_OUT) : path.join(BENCH, quick ? 'RESULTS.quick.md' : 'RESULTS.md');
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const quick = env.BENCH_QUICK === '1';
  const split = (text: string) =>
    text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const list = <T extends string>(name: string, fallback: string, known: readonly T[]): T[] => {
    const values = split(env[name] || fallback);
    for (const v of values)
      if (!(known as readonly string[]).includes(v)) die(`${name}: unknown value "${v}" (known: ${known.join(', ')})`);
    return values as T[];
  };
  const positiveInt = (name: string, fallback: number): number => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) die(`${name}: "${text}" is not a whole number of at least 1`);
    return n;
  };
  const sections = split(env.BENCH_SECTIONS ?? SECTIONS.join(','));
  for (const s of sections)
    if (!(SECTIONS as readonly string[]).includes(s)) die(`BENCH_SECTIONS: unknown section "${s}" (known: ${SECTIONS.join(', ')})`);
  const config: Config = {
    quick,
    sections: sections as Section[],
    image: env.BENCH_IMAGE ?? (quick ? 'bench/quick:1' : 'bench/large:1'),
    imageDir: env.BENCH_IMAGE_DIR ?? path.join(BENCH, quick ? 'quick' : 'large'),
    rebuild: env.BENCH_REBUILD === '1',
    overheadModes: split(env.BENCH_OVERHEAD ?? (quick ? 'warm' : 'cold,warm')) as CacheState[],
    coldReps: positiveInt('BENCH_REPS', quick ? 2 : 5),
    warmReps: positiveInt('BENCH_WARM_REPS', quick ? 2 : 5),
    example: path.join(ROOT, 'examples', 'python-service'),
    out: resultsFile(env, quick),
    keepTemp: env.BENCH_KEEP_TMP === '1',
    prParts: [...new Set([...list('BENCH_PR', PR_PARTS.join(','), PR_PARTS), ...(env.BENCH_PR_COLD === '1' ? (['cold'] as const) : [])])],
    registry: env.BENCH_REGISTRY || '127.0.0.1:5000',
    builders: list('BENCH_BUILDERS', 'legacy,buildkit', BUILDERS),
    kindReps: positiveInt('BENCH_KIND_REPS', quick ? 1 : 3),
    kinds: list('BENCH_KINDS', KINDS.join(','), KINDS),
    models: list('BENCH_MODELS', MODELS.join(','), MODELS),
  };
  for (const m of config.overheadModes) if (!['cold', 'warm'].includes(m)) die(`BENCH_OVERHEAD: unknown mode "${m}" (known: cold, warm)`);
  return config;
}
