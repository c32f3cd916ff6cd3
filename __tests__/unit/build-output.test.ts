// The streams under fixtures/build-streams were recorded from a real Docker 20.10 engine building the
// Dockerfiles beside them (with the build arg TOKEN=fixture-token). The *-shared-* pairs: Dockerfile.shared-head
// built with an empty cache, then Dockerfile.shared-base, which shares its first three steps (a RUN, a COPY from
// the context, a RUN after it) and differs in the fourth, with the fixture folder as context. The *-28.5-* pairs
// are the same two builds on Docker 28.5.2 (Debian forky's, BuildKit v0.25.2), with overlay2 and with the
// containerd image store, sent through this project's DockerEngine as a run sends them (the run's label
// io.github.image-size-report.run=fixture).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { BuildOutputParser, contextSources, parseBuildOutput, type StepRecord } from '../../src/docker/build-output.js';
import { packContext } from '../../src/docker/context.js';
import { tempDir } from '../support/workspace.js';

const stream = (name: string) => readFileSync(new URL(`../fixtures/build-streams/${name}`, import.meta.url), 'utf8');

describe('BuildKit output', () => {
  it('finds the failing step, its output and the error', () => {
    const outcome = parseBuildOutput(stream('buildkit-failed.ndjson'));
    expect(outcome.imageId).toBeUndefined();
    expect(outcome.error).toMatch(/exit code: 3/);
    expect(outcome.failedStep).toBe('[2/2] RUN echo "using fixture-token" && echo line2 && exit 3');
    expect(outcome.logTail).toEqual(['using fixture-token', 'line2']);
  });

  it('reads the image ID and tells a cold build from a warm one by its cached steps', () => {
    const cold = parseBuildOutput(stream('buildkit-multistage-cold.ndjson'));
    const warm = parseBuildOutput(stream('buildkit-multistage-warm.ndjson'));
    expect(cold.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(cold.error).toBeUndefined();
    expect(cold.steps).toBe(2); // [builder 2/2] RUN and [runtime 1/1] COPY; FROM is not a step of its own
    expect(cold.cachedSteps).toBe(0);
    expect(warm.steps).toBe(2);
    expect(warm.cachedSteps).toBe(2);
  });

  it('gives the same outcome however the stream is cut into chunks', () => {
    const text = stream('buildkit-failed.ndjson');
    const parser = new BuildOutputParser();
    for (let i = 0; i < text.length; i += 7) parser.push(text.slice(i, i + 7));
    expect(parser.finish()).toEqual(parseBuildOutput(text));
  });
});

describe('legacy builder output', () => {
  it('finds the failing step and only its output', () => {
    const outcome = parseBuildOutput(stream('legacy-failed.ndjson'));
    expect(outcome.failedStep).toBe('Step 3/3 : RUN echo "using $TOKEN" && echo line2 && exit 3');
    expect(outcome.error).toMatch(/returned a non-zero code: 3/);
    expect(outcome.logTail).toEqual(['using fixture-token', 'line2']);
  });

  it('lists the intermediate images the build committed, but not the base image', () => {
    // Recorded warm: FROM's fdbd93f3828b is busybox and the ARG step's 97380253d7bc came from the cache.
    expect(parseBuildOutput(stream('legacy-failed.ndjson')).createdImages).toEqual([]);
    // The same build cold: the ARG step runs and commits 97380253d7bc itself.
    const cold = stream('legacy-failed.ndjson').replace(
      '{"stream":" ---\\u003e Using cache\\n"}',
      '{"stream":" ---\\u003e Running in 0123456789ab\\n"}\n{"stream":"Removing intermediate container 0123456789ab\\n"}',
    );
    expect(cold).not.toEqual(stream('legacy-failed.ndjson'));
    expect(parseBuildOutput(cold).createdImages).toEqual(['97380253d7bc']);
    expect(parseBuildOutput(stream('buildkit-failed.ndjson')).createdImages).toEqual([]);
  });

  it('reads the image ID of a successful build and its steps', () => {
    const outcome = parseBuildOutput(stream('legacy-ok.ndjson'));
    expect(outcome.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(outcome.error).toBeUndefined();
    expect(outcome.failedStep).toBeUndefined();
    expect(outcome.steps).toBe(3); // RUN, RUN, CMD
  });

  it("does not count the step the legacy builder adds for the request's labels, but counts a Dockerfile's own", () => {
    const RUN = 'io.github.image-size-report.run';
    const lines = (steps: string[]) =>
      steps
        .flatMap((step, i) => [
          `Step ${i + 1}/${steps.length} : ${step}`,
          ` ---> Running in ${'c'.repeat(12)}`,
          ` ---> ${String(i).repeat(12)}`,
        ])
        .map((line) => JSON.stringify({ stream: `${line}\n` }))
        .join('\n');
    const parse = (text: string, labels?: Record<string, string>) => {
      const parser = new BuildOutputParser(undefined, { labels });
      parser.push(text);
      return parser.finish();
    };
    const ours = { [RUN]: 'run-7' };
    const added = lines(['FROM busybox:latest', 'RUN true', `LABEL ${RUN}=run-7`]);
    expect(parse(added, ours)).toMatchObject({ steps: 1, cachedSteps: 0 });
    expect(parse(added, ours).createdImages).toEqual(['111111111111', '222222222222']); // its image is still the build's
    // Recorded all the same, as the build's own: a later build of the run can take it from the cache.
    expect(parse(added, ours).stepRecords.map((r) => [r.name, r.key, r.added])).toEqual([
      ['Step 2/3 : RUN true', '111111111111', undefined],
      [`Step 3/3 : LABEL ${RUN}=run-7`, '222222222222', true],
    ]);
    expect(parse(added)).toMatchObject({ steps: 2 });
    expect(parse(added).stepRecords.every((r) => !r.added)).toBe(true);
    // the same text as a Dockerfile's own step, not the last one, or with another value: the Dockerfile's
    expect(parse(lines(['FROM busybox:latest', `LABEL ${RUN}=run-7`, 'RUN true']), ours)).toMatchObject({ steps: 2 });
    expect(parse(lines(['FROM busybox:latest', 'RUN true', `LABEL ${RUN}=run-8`]), ours)).toMatchObject({ steps: 2 });
    // several labels, in the order and quoting the builder chose
    const two = { [RUN]: 'run-7', b: 'x' };
    expect(parse(lines(['FROM busybox:latest', 'RUN true', `LABEL "b"='x' "${RUN}"='run-7'`]), two)).toMatchObject({ steps: 1 });
  });

  it('passes every line of output on as it comes', () => {
    const lines: string[] = [];
    const parser = new BuildOutputParser((line) => lines.push(line));
    parser.push(stream('legacy-failed.ndjson'));
    parser.finish();
    expect(lines).toContain('using fixture-token');
    expect(lines.at(-1)).toMatch(/^ERROR: The command/);
  });
});

/** Parse a recorded stream one line at a time, with a clock that reads `msPerLine` × the line's number (from 1). */
function parseTimed(name: string, msPerLine = 1000) {
  let now = 0;
  const parser = new BuildOutputParser(undefined, { now: () => now });
  for (const line of stream(name).split('\n')) {
    now += msPerLine;
    parser.push(`${line}\n`);
  }
  return parser.finish();
}

const keyed = (records: StepRecord[]) => records.map((r) => [r.name, r.cached, r.key]);

describe('step records, BuildKit', () => {
  const head = parseBuildOutput(stream('buildkit-shared-head-cold.ndjson'));
  const base = parseBuildOutput(stream('buildkit-shared-base-warm.ndjson'));

  it('lists every step but FROM, with its time as the engine stamped it, consistent with the counts', () => {
    expect(head.stepRecords.map((r) => [r.name, r.cached])).toEqual([
      ['[2/5] RUN sleep 1 && echo shared > /shared.txt', false],
      ['[3/5] COPY Dockerfile.single /copied.txt', false],
      ['[4/5] RUN sleep 1 && wc -c /copied.txt > /count.txt', false],
      ['[5/5] RUN echo head > /side.txt', false],
    ]);
    // Recorded stamps: started 1795449330.595902983, completed 1795449332.113903520.
    expect(head.stepRecords[0].durationMs).toBeCloseTo(1518.0005, 2);
    expect(head.stepRecords[2].durationMs).toBeGreaterThan(1000); // sleep 1
    expect(base.stepRecords.map((r) => r.cached)).toEqual([true, true, true, false]);
    for (const cached of base.stepRecords.filter((r) => r.cached)) expect(cached.durationMs).toBeLessThan(1);
    for (const outcome of [head, base]) {
      expect(outcome.steps).toBe(outcome.stepRecords.length);
      expect(outcome.cachedSteps).toBe(outcome.stepRecords.filter((r) => r.cached).length);
    }
    expect(base.cachedSteps).toBe(3);
  });

  it('gives a step the base took from the cache the key of the step the head ran, also after a COPY from the context', () => {
    const shared = head.stepRecords.slice(0, 3).map((r) => r.key);
    expect(base.stepRecords.slice(0, 3).map((r) => r.key)).toEqual(shared);
    expect(new Set(shared).size).toBe(3);
    // The first RUN depends only on the base image: its vertex digest is the key. The COPY's digest differs
    // between the two builds (each build's context is a new vertex), so it and what follows get derived keys.
    expect(shared[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(shared[1]).toMatch(/^step:[0-9a-f]{64}$/);
    expect(shared[2]).toMatch(/^step:[0-9a-f]{64}$/);
    expect(base.stepRecords[3].key).not.toBe(head.stepRecords[3].key); // echo base is not echo head
  });

  it('keeps vertex digests as keys in a multi-stage build that copies nothing from the context', () => {
    const cold = parseBuildOutput(stream('buildkit-multistage-cold.ndjson'));
    const warm = parseBuildOutput(stream('buildkit-multistage-warm.ndjson'));
    expect(keyed(warm.stepRecords)).toEqual(keyed(cold.stepRecords).map(([name, , key]) => [name, true, key]));
    for (const r of cold.stepRecords) expect(r.key).toMatch(/^sha256:/);
  });

  it('does not record the step that failed', () => {
    const failed = parseBuildOutput(stream('buildkit-failed.ndjson'));
    expect(failed.stepRecords).toEqual([]);
    expect(failed.steps).toBe(0);
  });

  it('gives the same records however the stream is cut into chunks', () => {
    const text = stream('buildkit-shared-base-warm.ndjson');
    const parser = new BuildOutputParser();
    for (let i = 0; i < text.length; i += 13) parser.push(text.slice(i, i + 13));
    expect(parser.finish()).toEqual(base);
  });
});

describe('step records, legacy builder', () => {
  it("keys each step by the image it committed, and times it from its first line to that image's line", () => {
    const head = parseTimed('legacy-shared-head-cold.ndjson');
    // Lines 4 and 8 of the stream: "Step 2/6 : RUN sleep 1 ..." and " ---> 34c0c39e5599".
    // A legacy step commits its layer itself, within its time: nothing is left to export.
    const legacy = { cached: false, exported: false, exportMs: 0 };
    expect(head.stepRecords).toEqual([
      { key: '34c0c39e5599', name: 'Step 2/6 : RUN sleep 1 && echo shared > /shared.txt', ...legacy, durationMs: 4000 },
      { key: '2da7d189970e', name: 'Step 3/6 : COPY Dockerfile.single /copied.txt', ...legacy, durationMs: 2000 },
      { key: '8e058120df79', name: 'Step 4/6 : RUN sleep 1 && wc -c /copied.txt > /count.txt', ...legacy, durationMs: 4000 },
      { key: '44896cb14fc6', name: 'Step 5/6 : RUN echo head > /side.txt', ...legacy, durationMs: 4000 },
      { key: '490d3925b811', name: 'Step 6/6 : CMD ["cat", "/side.txt"]', ...legacy, durationMs: 4000 },
    ]);
    expect(head.steps).toBe(5);
    expect(head.cachedSteps).toBe(0);
  });

  it('names, for a cached step, the image it reused: the one the earlier build committed', () => {
    const head = parseTimed('legacy-shared-head-cold.ndjson');
    const base = parseTimed('legacy-shared-base-warm.ndjson');
    expect(base.stepRecords.map((r) => [r.key, r.cached])).toEqual([
      ['34c0c39e5599', true],
      ['2da7d189970e', true],
      ['8e058120df79', true],
      ['8a35d2be332d', false],
      ['2a8785a8db87', false],
    ]);
    expect(base.stepRecords.slice(0, 3).map((r) => r.key)).toEqual(head.stepRecords.slice(0, 3).map((r) => r.key));
    expect(base.cachedSteps).toBe(3);
    // Only the images its own steps committed are the build's to remove.
    expect(base.createdImages).toEqual(['8a35d2be332d', '2a8785a8db87']);
  });

  it('does not record FROM, nor a step that failed', () => {
    const failed = parseBuildOutput(stream('legacy-failed.ndjson'));
    expect(failed.stepRecords.map((r) => [r.name, r.cached])).toEqual([['Step 2/3 : ARG TOKEN', true]]);
  });

  it('uses the time a chunk arrived for every line in it', () => {
    const text = stream('legacy-shared-head-cold.ndjson');
    let now = 5;
    const parser = new BuildOutputParser(undefined, { now: () => now });
    parser.push(text);
    now = 99;
    expect(parser.finish().stepRecords.map((r) => r.durationMs)).toEqual([0, 0, 0, 0, 0]);
  });
});

describe.each(['overlay2', 'containerd'] as const)('step records, BuildKit of Docker 28.5 (%s)', (store) => {
  const headName = `buildkit-28.5-${store}-shared-head-cold.ndjson`;
  const baseName = `buildkit-28.5-${store}-shared-base-warm.ndjson`;
  const head = parseBuildOutput(stream(headName));
  const base = parseBuildOutput(stream(baseName));
  const DOCKERFILE_ORDER = [
    '[2/5] RUN sleep 1 && echo shared > /shared.txt',
    '[3/5] COPY Dockerfile.single /copied.txt',
    '[4/5] RUN sleep 1 && wc -c /copied.txt > /count.txt',
  ];

  it('lists the steps each after the ones it takes input from, though the engine announced them in another order', () => {
    for (const [name, side] of [
      [headName, 'head'],
      [baseName, 'base'],
    ] as const) {
      const announced: string[] = [];
      const parser = new BuildOutputParser((line) => announced.push(line));
      parser.push(stream(name));
      const outcome = parser.finish();
      const steps = announced.filter((line) => /^\[\d\/5\] (?!FROM)/.test(line));
      // Recorded: 28.5 first names the last step, or the last three, before the ones they take input from.
      expect(steps).not.toEqual([...steps].sort());
      expect(outcome.stepRecords.map((r) => r.name)).toEqual([...DOCKERFILE_ORDER, `[5/5] RUN echo ${side} > /side.txt`]);
    }
    expect(head.stepRecords.map((r) => r.cached)).toEqual([false, false, false, false]);
    expect(base.stepRecords.map((r) => r.cached)).toEqual([true, true, true, false]);
    expect(base.cachedSteps).toBe(3);
    expect(head.stepRecords[2].durationMs).toBeGreaterThan(1000); // sleep 1
  });

  it('gives the steps the base took from the cache the keys of the steps the head ran, after the COPY from the context too', () => {
    const shared = head.stepRecords.slice(0, 3).map((r) => r.key);
    expect(base.stepRecords.slice(0, 3).map((r) => r.key)).toEqual(shared);
    expect(new Set(shared).size).toBe(3);
    // As on 20.10: the context is a new vertex in every build, so only the first RUN keeps its digest.
    expect(shared[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(shared.slice(1).every((key) => /^step:[0-9a-f]{64}$/.test(key))).toBe(true);
    expect(base.stepRecords[3].key).not.toBe(head.stepRecords[3].key);
  });

  it('gives the same records however the stream is cut into chunks', () => {
    const text = stream(headName);
    const parser = new BuildOutputParser();
    for (let i = 0; i < text.length; i += 11) parser.push(text.slice(i, i + 11));
    expect(parser.finish()).toEqual(head);
  });
});

describe.each(['overlay2', 'containerd'] as const)('layer export times, BuildKit of Docker 28.5 (%s)', (store) => {
  const head = parseBuildOutput(stream(`buildkit-28.5-${store}-shared-head-cold.ndjson`));
  const base = parseBuildOutput(stream(`buildkit-28.5-${store}-shared-base-warm.ndjson`));

  it('gives the layer export time to the exported steps that ran, in proportion to their time', () => {
    // Recorded: `exporting layers` (and on the containerd store `unpacking to`) of the head's export vertex.
    const recorded = store === 'overlay2' ? 2.561939453 - 2.525813416 : 9.723077672 - 9.618350337 + (9.809881296 - 9.769003597);
    expect(head.stepRecords.every((r) => r.exported)).toBe(true); // one stage: every step's layer is the image's
    const total = head.stepRecords.reduce((sum, r) => sum + r.exportMs, 0);
    expect(total).toBeCloseTo(recorded * 1000, 3);
    const [first, ...others] = head.stepRecords;
    for (const r of others) expect(r.exportMs / r.durationMs).toBeCloseTo(first.exportMs / first.durationMs, 6);
    // The base made only its last step's layer: the cached ones lend the head's share, they have none of their own.
    expect(base.stepRecords.map((r) => r.exportMs > 0)).toEqual([false, false, false, true]);
    expect(base.stepRecords.every((r) => r.exported)).toBe(true);
    expect(base.stepRecords[3].exportMs).toBeLessThan(total);
  });
});

describe.each(['overlay2', 'containerd'] as const)('step records, legacy builder of Docker 28.5 (%s)', (store) => {
  it('keys steps by the image they committed and records the step added for the labels', () => {
    const options = { labels: { 'io.github.image-size-report.run': 'fixture' } };
    const parse = (name: string) => {
      const parser = new BuildOutputParser(undefined, options);
      parser.push(stream(`legacy-28.5-${store}-shared-${name}.ndjson`));
      return parser.finish();
    };
    const head = parse('head-cold');
    const base = parse('base-warm');
    expect(head.stepRecords.map((r) => [r.name, r.cached, r.added ?? false])).toEqual([
      ['Step 2/7 : RUN sleep 1 && echo shared > /shared.txt', false, false],
      ['Step 3/7 : COPY Dockerfile.single /copied.txt', false, false],
      ['Step 4/7 : RUN sleep 1 && wc -c /copied.txt > /count.txt', false, false],
      ['Step 5/7 : RUN echo head > /side.txt', false, false],
      ['Step 6/7 : CMD ["cat", "/side.txt"]', false, false],
      ['Step 7/7 : LABEL io.github.image-size-report.run=fixture', false, true],
    ]);
    expect(head.steps).toBe(5);
    expect(base.stepRecords.map((r) => r.cached)).toEqual([true, true, true, false, false, false]);
    expect(base.stepRecords.slice(0, 3).map((r) => r.key)).toEqual(head.stepRecords.slice(0, 3).map((r) => r.key));
    expect(base.cachedSteps).toBe(3);
    expect([...head.stepRecords, ...base.stepRecords].every((r) => !r.exported && r.exportMs === 0)).toBe(true);
  });
});

describe('which steps are exported', () => {
  it('not a builder stage that a FROM scratch stage copies from', () => {
    const cold = parseBuildOutput(stream('buildkit-multistage-cold.ndjson'));
    expect(cold.stepRecords.map((r) => [r.name.slice(0, 18), r.exported, r.exportMs > 0])).toEqual([
      ['[builder 2/2] RUN ', false, false],
      ['[runtime 1/1] COPY', true, true],
    ]);
  });
});

/** A BuildKit trace line announcing finished vertexes, encoded as the engine encodes it (moby's control.proto). */
function traceLine(vertexes: { digest: string; name: string; inputs?: string[] }[]): string {
  const root = protobuf.Root.fromJSON({
    nested: {
      Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
      Vertex: {
        fields: {
          digest: { type: 'string', id: 1 },
          inputs: { rule: 'repeated', type: 'string', id: 2 },
          name: { type: 'string', id: 3 },
          started: { type: 'Timestamp', id: 5 },
          completed: { type: 'Timestamp', id: 6 },
        },
      },
      StatusResponse: { fields: { vertexes: { rule: 'repeated', type: 'Vertex', id: 1 } } },
    },
  });
  const type = root.lookupType('StatusResponse');
  const at = { seconds: 1_800_000_000, nanos: 0 };
  const message = type.fromObject({ vertexes: vertexes.map((v) => ({ ...v, started: at, completed: at })) });
  return JSON.stringify({ id: 'moby.buildkit.trace', aux: Buffer.from(type.encode(message).finish()).toString('base64') });
}

describe('which steps are exported, in builds made up for it', () => {
  const exported = (vertexes: { digest: string; name: string; inputs?: string[] }[]) => {
    const parser = new BuildOutputParser();
    parser.push(`${traceLine(vertexes)}\n`);
    return Object.fromEntries(parser.finish().stepRecords.map((r) => [r.name, r.exported]));
  };

  it('follows the first input down the target stage, whatever its commands say', () => {
    expect(
      exported([
        { digest: 'sha256:f', name: '[1/3] FROM docker.io/library/busybox:latest' },
        { digest: 'sha256:a', name: '[2/3] RUN echo from=x', inputs: ['sha256:f'] },
        { digest: 'sha256:b', name: '[3/3] RUN echo y', inputs: ['sha256:a'] },
      ]),
    ).toEqual({ '[2/3] RUN echo from=x': true, '[3/3] RUN echo y': true });
  });

  it('stops at a stage a COPY --from copies out of, with or without a parent below the COPY', () => {
    const builder = [
      { digest: 'sha256:f', name: '[builder 1/2] FROM docker.io/library/busybox:latest' },
      { digest: 'sha256:m', name: '[builder 2/2] RUN make', inputs: ['sha256:f'] },
    ];
    expect(
      exported([...builder, { digest: 'sha256:c', name: '[stage-1 1/1] COPY --from=builder /out /out', inputs: ['sha256:m'] }]),
    ).toEqual({
      '[builder 2/2] RUN make': false,
      '[stage-1 1/1] COPY --from=builder /out /out': true,
    });
    expect(
      exported([
        ...builder,
        { digest: 'sha256:r', name: '[stage-1 2/3] RUN true', inputs: ['sha256:f'] },
        { digest: 'sha256:c', name: '[stage-1 3/3] COPY --from=builder /out /out', inputs: ['sha256:r', 'sha256:m'] },
      ]),
    ).toEqual({ '[builder 2/2] RUN make': false, '[stage-1 2/3] RUN true': true, '[stage-1 3/3] COPY --from=builder /out /out': true });
  });
});

/** A stream parsed as the engine parses it: with what the context sent held, when given. */
function parseWith(name: string, contextContents?: ReadonlyMap<string, string>) {
  const parser = new BuildOutputParser(undefined, { contextContents });
  parser.push(stream(name));
  return parser.finish();
}

/** What packContext records of a folder sent as the context (the stream read to its end, as the engine reads it). */
async function contentsOf(dir: string, dockerfile: string): Promise<ReadonlyMap<string, string>> {
  const packed = await packContext(dir, path.join(dir, dockerfile), { contents: true });
  await pipeline(packed.stream, new Writable({ write: (_chunk, _encoding, done) => done() }));
  return packed.contents!;
}

const FIXTURE_DIR = path.resolve(import.meta.dirname, '../fixtures/build-streams');

describe.each(['overlay2', 'containerd'] as const)('keys of COPY steps from the context, BuildKit of Docker 28.5 (%s)', (store) => {
  const headName = `buildkit-28.5-${store}-shared-head-cold.ndjson`;
  const baseName = `buildkit-28.5-${store}-shared-base-warm.ndjson`;

  it('keys a COPY from the context by what it copies, so that another file under the same instruction is another step', async () => {
    const sent = await contentsOf(FIXTURE_DIR, 'Dockerfile.shared-head');
    const headSent = parseWith(headName, sent);
    const baseSent = parseWith(baseName, sent);
    expect(baseSent.stepRecords.slice(0, 3).map((r) => r.key)).toEqual(headSent.stepRecords.slice(0, 3).map((r) => r.key));
    // The same base build, had its context held another Dockerfile.single: BuildKit would have taken its COPY
    // from a cache made before the run, and its key must not be the head's.
    const other = tempDir('build-output-context');
    cpSync(FIXTURE_DIR, other, { recursive: true });
    writeFileSync(path.join(other, 'Dockerfile.single'), `${readFileSync(path.join(other, 'Dockerfile.single'), 'utf8')}# changed\n`);
    const baseOther = parseWith(baseName, await contentsOf(other, 'Dockerfile.shared-base'));
    const [run, copy, after] = baseOther.stepRecords.map((r) => r.key);
    expect(run).toBe(headSent.stepRecords[0].key); // before the COPY: the vertex digest, whatever the context holds
    expect(copy).not.toBe(headSent.stepRecords[1].key);
    expect(after).not.toBe(headSent.stepRecords[2].key);
    // A file the COPY does not name changes nothing.
    writeFileSync(path.join(other, 'Dockerfile.single'), readFileSync(path.join(FIXTURE_DIR, 'Dockerfile.single')));
    writeFileSync(path.join(other, 'unrelated.txt'), 'x\n');
    const baseUnrelated = parseWith(baseName, await contentsOf(other, 'Dockerfile.shared-base'));
    expect(baseUnrelated.stepRecords.slice(0, 3).map((r) => r.key)).toEqual(headSent.stepRecords.slice(0, 3).map((r) => r.key));
  });
});

describe('contextSources', () => {
  // Names as BuildKit printed them (Docker 28.5 and 20.10): ARGs and ENVs expanded, the JSON form as a Go list.
  it.each([
    ['COPY Dockerfile.single /copied.txt', ['Dockerfile.single']],
    ['COPY . /ctx', ['']],
    ['COPY ./src/../lib/ app/', ['lib']],
    ['ADD c /w', ['c']],
    ['COPY --chmod=644 --link a b /dir/', ['a', 'b']],
    ['COPY c d* /y/', ['c', null]],
    ['COPY <<EOF /h', [null]],
    ['ADD https://example.com/x.tar /x', [null]],
  ])('%s copies %j', (instruction, sources) => {
    expect(contextSources(instruction)).toEqual(sources);
  });

  it.each([
    'COPY [a b, /x/]',
    'COPY --chmod=644 [d d, /z]',
    'COPY --from=builder /src/out2 /out',
    'COPY --exclude=*.tmp c /v',
    'RUN cat /m',
    'COPY x',
  ])('%s: nothing it can read from the context', (instruction) => {
    expect(contextSources(instruction)).toBeUndefined();
  });
});

describe('keys of COPY steps by what they copy', () => {
  /** One build of `FROM busybox` + the instruction: a new context digest every time, as moby sends it. */
  const keyOf = (instruction: string, contents: Record<string, string>) => {
    const id = Math.random().toString(16).slice(2);
    const parser = new BuildOutputParser(undefined, { contextContents: new Map(Object.entries(contents)) });
    parser.push(
      traceLine([
        { digest: `sha256:ctx${id}`, name: '[internal] load remote build context' },
        { digest: `sha256:copy${id}`, name: 'copy /context /', inputs: [`sha256:ctx${id}`] },
        { digest: 'sha256:from', name: '[1/2] FROM docker.io/library/busybox:latest' },
        { digest: `sha256:step${id}`, name: `[2/2] ${instruction}`, inputs: ['sha256:from', `sha256:copy${id}`] },
      ]) + '\n',
    );
    const [record] = parser.finish().stepRecords;
    expect(record.key).toMatch(/^step:/);
    return record.key;
  };
  const context = {
    app: 'd755',
    'app/a.txt': 'f644:AAA',
    'app/lib': 'd755',
    'app/lib/b.txt': 'f644:BBB',
    'c.txt': 'f644:CCC',
    ln: 'l777:app',
  };

  it('a folder by everything under it, and nothing else', () => {
    const key = keyOf('COPY app/ /x', context);
    expect(keyOf('COPY app/ /x', { ...context })).toBe(key); // another build, the same bytes: the same step
    expect(keyOf('COPY app/ /x', { ...context, 'app/lib/b.txt': 'f644:XXX' })).not.toBe(key);
    expect(keyOf('COPY app/ /x', { ...context, 'app/new.txt': 'f644:NEW' })).not.toBe(key);
    expect(keyOf('COPY app/ /x', { ...context, 'app/a.txt': 'f755:AAA' })).not.toBe(key);
    expect(keyOf('COPY app/ /x', { ...context, 'c.txt': 'f644:XXX' })).toBe(key);
    expect(keyOf('COPY app/ /x', { ...context, app: 'd700' })).toBe(key); // the folder's own mode: left out
    expect(keyOf('COPY ./app /x', context)).not.toBe(key); // another instruction, even if BuildKit reads the same
  });

  it('the whole context for `COPY .`, and by their text only what it cannot read as BuildKit does', () => {
    const all = keyOf('COPY . /x', context);
    expect(keyOf('COPY . /x', { ...context, 'c.txt': 'f644:XXX' })).not.toBe(all);
    // A link, a wildcard: nothing of the context counts (less than BuildKit's key, never more).
    expect(keyOf('COPY ln /x', { ...context, 'app/a.txt': 'f644:XXX' })).toBe(keyOf('COPY ln /x', context));
    expect(keyOf('COPY c*.txt /x', { ...context, 'c.txt': 'f644:XXX' })).toBe(keyOf('COPY c*.txt /x', context));
    expect(keyOf('COPY c.txt app/*.txt /x', { ...context, 'c.txt': 'f644:XXX' })).not.toBe(keyOf('COPY c.txt app/*.txt /x', context));
  });
});
