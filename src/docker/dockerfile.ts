/** What we need to know about a Dockerfile before building it: its stages. */
import { DockerfileParser } from 'dockerfile-ast';

export interface DockerfileStages {
  /** One entry per FROM, in order; `name` is lower-cased as Docker treats stage names. */
  stages: { name?: string; image: string }[];
}

export function parseStages(content: string): DockerfileStages {
  const froms = DockerfileParser.parse(content).getFROMs();
  return {
    stages: froms.map((from) => ({
      name: from.getBuildStage()?.toLowerCase() ?? undefined,
      image: from.getImage() ?? '',
    })),
  };
}

/**
 * Index of the stage that gets built: the target's, or the last one. -1 when the target is not a stage.
 * Docker accepts a stage name; we accept the index too, as Docker does for `COPY --from`.
 */
export function targetStageIndex(parsed: DockerfileStages, target?: string): number {
  if (target === undefined) return parsed.stages.length - 1;
  return parsed.stages.findIndex((stage) => stage.name === target.toLowerCase());
}

/** Stages built for the target (all stages up to and including it): more than one means multi-stage. */
export function stageCountFor(parsed: DockerfileStages, target?: string): number {
  return targetStageIndex(parsed, target) + 1;
}

/**
 * The image the target stage starts FROM, following `FROM <earlier stage>`: `null` for `scratch`,
 * undefined when it depends on a build argument (`FROM ${BASE}`) and cannot be known before the build.
 */
export function baseImageFor(parsed: DockerfileStages, target?: string): string | null | undefined {
  let index = targetStageIndex(parsed, target);
  for (let guard = 0; index >= 0 && guard <= parsed.stages.length; guard += 1) {
    const image = parsed.stages[index].image;
    if (!image || image.includes('$')) return undefined;
    if (image.toLowerCase() === 'scratch') return null;
    const earlier = parsed.stages.slice(0, index).findIndex((s) => s.name === image.toLowerCase());
    if (earlier === -1) return image;
    index = earlier;
  }
  return undefined;
}
