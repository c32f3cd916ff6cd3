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
 * `args`: arguments whose values are known before the build (a platform's TARGETARCH, ...), put in first.
 */
export function baseImageFor(parsed: DockerfileStages, target?: string, args: Record<string, string> = {}): string | null | undefined {
  let index = targetStageIndex(parsed, target);
  for (let guard = 0; index >= 0 && guard <= parsed.stages.length; guard += 1) {
    const image = substitute(parsed.stages[index].image, args);
    if (!image || image.includes('$')) return undefined;
    if (image.toLowerCase() === 'scratch') return null;
    const earlier = parsed.stages.slice(0, index).findIndex((s) => s.name === image.toLowerCase());
    if (earlier === -1) return image;
    index = earlier;
  }
  return undefined;
}

/** `$NAME` and `${NAME}` of the given args replaced by their values; anything else is left as it is. */
function substitute(image: string, args: Record<string, string>): string {
  if (!image.includes('$')) return image;
  return image.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced?: string, bare?: string) => {
    const name = (braced ?? bare)!;
    return Object.hasOwn(args, name) ? args[name] : whole;
  });
}
