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
