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

/** An instruction of the built stages that makes a layer, with its first line and the text image history records for it. */
export interface LocatedInstruction {
  /** 1-based line of the instruction's first line (a multi-line instruction's keyword line). */
  line: number;
  /**
   * The instruction as image history records it (and `describeInstruction` shows it): keyword and arguments, flags
   * (`--mount`, `--from`, `--chown`...) left out as BuildKit leaves them out, line continuations and comment lines
   * inside them removed, an exec-form (JSON) argument list joined with spaces; every run of blanks one space.
   */
  text: string;
}

/** The instructions that make layers (RUN, COPY, ADD, WORKDIR); the others only change the image config. */
const LAYER_KEYWORDS = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);

/**
 * The layer-making instructions of the stages the target's image is made of: the target stage and the earlier
 * stages it starts FROM (`FROM builder AS runtime`), in Dockerfile order. Empty when the target is not a stage.
 */
export function stageInstructions(content: string, target?: string): LocatedInstruction[] {
  const dockerfile = DockerfileParser.parse(content);
  const froms = dockerfile.getFROMs();
  const parsed = parseStages(content);
  const chain = new Set<number>();
  let index = targetStageIndex(parsed, target);
  while (index >= 0 && !chain.has(index)) {
    chain.add(index);
    const image = parsed.stages[index].image.toLowerCase();
    index = parsed.stages.slice(0, index).findIndex((s) => s.name === image);
  }
  const stageOf = (line: number) => froms.filter((f) => f.getRange().start.line <= line).length - 1;
  const located: LocatedInstruction[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword().toUpperCase();
    const line = instruction.getRange().start.line;
    if (!LAYER_KEYWORDS.has(keyword) || !chain.has(stageOf(line))) continue;
    const args = argumentsText(instruction.getRawArgumentsContent() ?? '', dockerfile.getEscapeCharacter());
    located.push({ line: line + 1, text: normalizeInstruction(`${keyword} ${execForm(args) ?? args}`) });
  }
  return located;
}

/**
 * The arguments as Docker's parser leaves them: comment and empty lines inside a continued instruction dropped, line
 * continuations (the escape character at a line's end) removed, leading flags (`--mount=…`, `--from=…`) left out.
 */
function argumentsText(raw: string, escape: string): string {
  const [first, ...rest] = raw.split(/\r?\n/);
  const lines = [first, ...rest.filter((l) => !/^\s*(#|$)/.test(l))];
  const continuation = new RegExp(`${escape.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}[ \\t]*$`);
  let text = lines.map((l, i) => (i < lines.length - 1 ? l.replace(continuation, '') : l)).join('');
  while (/^--\S/.test(text)) text = text.replace(/^--\S*\s*/, '');
  return text.trim();
}

/** Every run of blanks one space, trimmed: how instruction texts are compared. */
export function normalizeInstruction(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** An exec-form argument list (`["echo", "hi"]`) as history records it (`echo hi`); undefined for the shell form. */
function execForm(args: string): string | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const list: unknown = JSON.parse(args);
    return Array.isArray(list) && list.every((s) => typeof s === 'string') ? list.join(' ') : undefined;
  } catch {
    return undefined;
  }
}
