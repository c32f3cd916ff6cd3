// Annotations on the Dockerfile: the line of each layer-making instruction (src/docker/dockerfile.ts), which layer
// gets a warning and which broken budgets go with it (src/render/annotations.ts), and the workflow command
// @actions/core writes for it, hostile text included.
import { readFileSync } from 'node:fs';
import * as core from '@actions/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stageInstructions } from '../../src/docker/dockerfile.js';
import { dockerfileAnnotations, largestGrowth, MAX_ANNOTATIONS, type LocatedDockerfile } from '../../src/render/annotations.js';
import type { BudgetCheck, LayerDetail, Report, SideResult, VariantReport } from '../../src/report/types.js';
import { HOSTILE } from '../support/hostile-strings.js';

const example = JSON.parse(readFileSync(new URL('../fixtures/reports/example-pull-request.json', import.meta.url), 'utf8')) as Report;
/** The example's Dockerfile as the pull request left it: curl added to the runtime stage's RUN (line 14-16). */
const exampleDockerfile = readFileSync(new URL('../../examples/python-service/Dockerfile', import.meta.url), 'utf8').replace(
  'python3-flask gunicorn \\',
  'python3-flask gunicorn curl \\',
);
const multi = example.variants.find((v) => v.name === 'multi-stage')!;

function located(content: string, target?: string, file = 'examples/python-service/Dockerfile'): LocatedDockerfile {
  return { file, instructions: stageInstructions(content, target) };
}

describe('stageInstructions', () => {
  it("gives each layer-making instruction of the target's stages its first line and its text as history records it", () => {
    expect(stageInstructions(exampleDockerfile, 'runtime')).toEqual([
      {
        line: 14,
        text: 'RUN apt-get update && apt-get install -y --no-install-recommends python3-flask gunicorn curl && rm -rf /var/lib/apt/lists/*',
      },
      { line: 17, text: 'RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app' },
      { line: 18, text: 'WORKDIR /app' },
      { line: 19, text: 'COPY /src/checksum /usr/local/bin/checksum' }, // --from=builder left out, as BuildKit records it
      { line: 20, text: 'COPY app.py .' },
    ]);
    expect(stageInstructions(exampleDockerfile, 'builder').map((i) => i.line)).toEqual([4, 7, 8, 9]);
    expect(stageInstructions(exampleDockerfile, 'nope')).toEqual([]);
  });

  it('follows FROM <stage>, leaves out flags and comment lines, joins exec form', () => {
    const content = [
      'ARG BASE=busybox',
      'FROM busybox AS base',
      'RUN --mount=type=cache,target=/c echo one \\',
      '  # a comment inside',
      '  && echo two',
      'FROM busybox AS other',
      'RUN echo other',
      'FROM base AS final',
      'COPY --chown=1:1 --chmod=644 ["a b", "/dest/"]',
      'RUN ["sh", "-c", "echo hi"]',
      'ENV A=1',
    ].join('\n');
    expect(stageInstructions(content, 'final')).toEqual([
      { line: 3, text: 'RUN echo one && echo two' },
      { line: 9, text: 'COPY a b /dest/' },
      { line: 10, text: 'RUN sh -c echo hi' },
    ]);
    expect(stageInstructions(content).map((i) => i.line)).toEqual([3, 9, 10]); // no target: the last stage
  });
});

describe('dockerfileAnnotations', () => {
  it("annotates only growth beyond the report's min-change (a percentage of the whole base image, or a size)", () => {
    const dockerfileOf = (v: VariantReport) => (v.name === 'multi-stage' ? located(exampleDockerfile, v.target) : undefined);
    const growth = largestGrowth(multi)!.growth;
    const share = (growth / (multi.base as Extract<SideResult, { status: 'built' }>).sizeBytes) * 100;
    const withMin = (minChange: Report['minChange']) => dockerfileAnnotations({ ...example, minChange }, dockerfileOf);
    expect(withMin({ kind: 'percent', value: share * 1.01 })).toEqual([]);
    expect(withMin({ kind: 'percent', value: share * 0.99 })).toHaveLength(1);
    expect(withMin({ kind: 'bytes', value: growth })).toEqual([]); // exactly the tolerance is not a change
    expect(withMin({ kind: 'bytes', value: growth - 1 })).toHaveLength(1);
  });

  it("puts the example's growth on the first line of the edited RUN, with the growth of that line (new layer less the old)", () => {
    const annotations = dockerfileAnnotations(example, (v) =>
      v.name === 'multi-stage' ? located(exampleDockerfile, v.target) : undefined,
    );
    expect(annotations).toEqual([
      {
        file: 'examples/python-service/Dockerfile',
        line: 14,
        title: 'multi-stage: +3.30 MB from this instruction',
        message:
          "This instruction adds +3.30 MB to the multi-stage image (its layer is 63.5 MB, 60.2 MB in the base; +2.4% of the base image's size): its largest growth against the base.",
      },
    ]);
    expect(largestGrowth(multi)?.growth).toBe(63_529_018 - 60_233_894);
    // single-stage: every change is 0 B, nothing to say.
    expect(largestGrowth(example.variants[0])).toBeUndefined();
  });

  it('annotates each broken budget that one instruction causes, and no other', () => {
    const checks: BudgetCheck[] = [
      { variant: 'multi-stage', budget: 'max-increase', quantity: 'percent', limit: 1, actual: 2.44, outcome: 'fail' },
      { variant: 'multi-stage', budget: 'max-increase', quantity: 'bytes', limit: 1_000_000, actual: 3_295_124, outcome: 'fail' },
      { variant: 'multi-stage', budget: 'max-size', quantity: 'bytes', limit: 100_000_000, actual: 138_414_692, outcome: 'fail' }, // 135 MB without it
      { variant: 'multi-stage', budget: 'max-size', quantity: 'bytes', limit: 136_000_000, actual: 138_414_692, outcome: 'fail' },
      { variant: 'multi-stage', budget: 'max-build-time', quantity: 'ms', limit: 1000, actual: 19_000, outcome: 'fail' },
      { variant: 'multi-stage', budget: 'max-layers', quantity: 'count', limit: 5, actual: 6, outcome: 'fail' }, // an edited line adds no layer
      { variant: 'multi-stage', budget: 'max-ratio', quantity: 'ratio', limit: 0.25, actual: 0.2529, of: 'single-stage', outcome: 'fail' },
      { variant: 'single-stage', budget: 'max-size', quantity: 'bytes', limit: 1, actual: 547_000_000, outcome: 'fail' },
    ];
    const r = { ...example, budgets: checks, status: 'fail' as const };
    const annotations = dockerfileAnnotations(r, (v) => located(exampleDockerfile, v.target));
    expect(annotations.map((a) => [a.line, a.title])).toEqual([
      [14, 'multi-stage: budget max-increase broken by this instruction'],
      [14, 'multi-stage: budget max-increase broken by this instruction'],
      [14, 'multi-stage: budget max-size broken by this instruction'],
      [14, 'multi-stage: budget max-ratio broken by this instruction'],
      [14, 'multi-stage: +3.30 MB from this instruction'],
    ]);
    expect(annotations[2].message).toBe(
      'multi-stage: budget max-size broken: size 138 MB is over the limit of 136 MB. This instruction adds +3.30 MB; without it the budget would hold.',
    );
  });

  it('gives no annotation rather than a wrong one: not found, found twice, a legacy COPY, a growth under 0.1%', () => {
    const withMulti = (instructions: string[], layers: LayerDetail[], change = 500_000): Report => {
      const head = { ...(built(10_500_000) as Extract<SideResult, { status: 'built' }>), layerDetails: layers };
      const v: VariantReport = {
        name: 'v',
        dockerfile: 'Dockerfile',
        context: '.',
        stages: 1,
        head,
        base: built(10_000_000),
        layerChanges: [{ kind: 'added', instruction: instructions[0], sizeBytes: change, headBytes: change }],
      };
      return { ...example, variants: [v], budgets: [] };
    };
    const layer = (instruction: string): LayerDetail => ({
      diffId: `sha256:${instruction.length}`,
      instruction,
      sizeBytes: 1,
      fromBaseImage: false,
    });
    const dockerfile = 'FROM busybox\nRUN make\nCOPY . /app\nRUN make\nRUN echo $X\n';
    const of = (r: Report) => dockerfileAnnotations(r, () => located(dockerfile, undefined, 'Dockerfile'));
    expect(of(withMulti(['COPY . /app'], [layer('COPY . /app')])).map((a) => a.line)).toEqual([3]);
    expect(of(withMulti(['RUN make'], [layer('RUN make')]))).toEqual([]); // two lines say RUN make
    expect(of(withMulti(['RUN echo expanded'], [layer('RUN echo expanded')]))).toEqual([]); // a variable, expanded in history
    expect(of(withMulti(['COPY file:3a1c0e in /app'], [layer('COPY file:3a1c0e in /app')]))).toEqual([]); // the legacy builder's COPY
    expect(of(withMulti(['COPY . /app'], [layer('COPY . /app')], 10_000))).toEqual([]); // 0.1% of 10 MB: not more than min-change
    expect(of(withMulti(['COPY . /app'], [layer('COPY . /app')], 10_001)).map((a) => a.line)).toEqual([3]);
  });

  it(`writes at most ${MAX_ANNOTATIONS}, broken budgets first`, () => {
    const variants = Array.from({ length: 8 }, (_, i) => ({ ...multi, name: `v${i}` }));
    const budgets: BudgetCheck[] = variants.map((v) => ({
      variant: v.name,
      budget: 'max-increase',
      quantity: 'percent',
      limit: 1,
      actual: 2.44,
      outcome: 'fail',
    }));
    const annotations = dockerfileAnnotations({ ...example, variants, budgets }, (v) => located(exampleDockerfile, v.target));
    expect(annotations).toHaveLength(MAX_ANNOTATIONS);
    expect(annotations.map((a) => a.title.split(': ')[1])).toEqual([
      ...Array(8).fill('budget max-increase broken by this instruction'),
      ...Array(2).fill('+3.30 MB from this instruction'),
    ]);
  });
});

describe('the workflow command of an annotation', () => {
  const written: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    written.length = 0;
  });

  /** The workflow-command rules, undone: `%25` `%0D` `%0A` everywhere, `%3A` `%2C` in properties. */
  const unescape = (s: string) =>
    s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');

  it('stays one well-formed command with every hostile string in the variant name, the instruction and the path', () => {
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    for (const hostile of HOSTILE) {
      const instruction = `RUN ${hostile}`;
      const v: VariantReport = {
        ...multi,
        name: hostile,
        head: {
          ...(multi.head as Extract<SideResult, { status: 'built' }>),
          layerDetails: [{ diffId: 'sha256:1', instruction, sizeBytes: 5_000_000, fromBaseImage: false }],
        },
        layerChanges: [{ kind: 'added', instruction, sizeBytes: 5_000_000, headBytes: 5_000_000 }],
      };
      const file = `dir, with: odd%chars/${hostile.replace(/[\r\n]/g, ' ')}/Dockerfile`;
      const [a] = dockerfileAnnotations({ ...example, variants: [v], budgets: [] }, () => ({
        file,
        instructions: [{ line: 7, text: instruction.replace(/\s+/g, ' ').trim() }],
      }));
      expect(a).toBeDefined();
      written.length = 0;
      core.warning(a.message, { file: a.file, startLine: a.line, title: a.title });
      const out = written.join('');
      expect(out.endsWith('\n')).toBe(true);
      expect(out.slice(0, -1)).not.toMatch(/[\r\n]/); // one line: nothing starts a second command
      const m = /^::warning (.*?)::(.*)\n$/.exec(out)!;
      expect(m).not.toBeNull();
      const props = Object.fromEntries(m[1].split(',').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
      expect(Object.keys(props).sort()).toEqual(['file', 'line', 'title']);
      expect(unescape(props.file)).toBe(file);
      expect(props.line).toBe('7');
      expect(unescape(props.title)).toBe(a.title);
      expect(unescape(m[2])).toBe(a.message);
    }
  });
});

function built(sizeBytes: number): SideResult {
  return { status: 'built', imageId: 'sha256:0', sizeBytes, layers: 3, buildMs: 1000, steps: 3, cachedSteps: 0 };
}
