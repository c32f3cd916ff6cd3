// The streams under fixtures/build-streams were recorded from a real Docker 20.10 engine building the
// Dockerfiles beside them (with the build arg TOKEN=fixture-token).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BuildOutputParser, parseBuildOutput } from '../../src/docker/build-output.js';

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

  it('passes every line of output on as it comes', () => {
    const lines: string[] = [];
    const parser = new BuildOutputParser((line) => lines.push(line));
    parser.push(stream('legacy-failed.ndjson'));
    parser.finish();
    expect(lines).toContain('using fixture-token');
    expect(lines.at(-1)).toMatch(/^ERROR: The command/);
  });
});
