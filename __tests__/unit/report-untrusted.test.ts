// Reading a report an untrusted run wrote (report-from): bounded, parsed, validated, stripped of what the
// schema does not describe; then derived values recomputed by this tool.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { untrustedReportForComment } from '../../src/action/untrusted.js';
import { InputError } from '../../src/errors.js';
import { sizeMeaning } from '../../src/measure/image/push-sizing.js';
import { MAX_REPORT_BYTES, readUntrustedReport } from '../../src/report/read-report.js';
import { layerChanges } from '../../src/compare/compare.js';
import type { BuiltResult, LayerDetail, Report, SideResult } from '../../src/report/types.js';
import { built, report, variant } from '../support/report-fixture.js';
import { tempDir } from '../support/workspace.js';

const layer = (n: number, instruction: string, sizeBytes: number, fromBaseImage = false): LayerDetail => ({
  diffId: `sha256:${n.toString(16).padStart(64, '0')}`,
  instruction,
  sizeBytes,
  compressedBytes: Math.round(sizeBytes / 3),
  fromBaseImage,
});

/** Everything report version 2 has about a built image. */
function measured(sizeBytes: number, layers: LayerDetail[], buildMs = 10_000): SideResult {
  return {
    ...(built(sizeBytes, layers.length, buildMs, 2, 9) as BuiltResult),
    compressedBytes: Math.round(sizeBytes / 3),
    engineSizeBytes: sizeBytes + 10,
    baseImageLayers: layers.filter((l) => l.fromBaseImage).length,
    contentLayers: layers.filter((l) => l.sizeBytes > 0).length,
    layerDetails: layers,
    efficiency: {
      score: 0.93,
      wastedBytes: 1_200_000,
      topWasted: [{ path: '/var/lib/apt/lists/deb.debian.org_dists_bookworm_InRelease', bytes: 600_000, copies: 2 }],
    },
    comparableBuildMs: buildMs + 5_000,
    cachedFromRun: 1,
  };
}

/** A report using every field the schema describes, as the pipeline writes them. */
function fullReport(): Report {
  const debian = layer(1, 'ADD file:abc in /', 74_000_000, true);
  const base = [
    debian,
    layer(2, 'WORKDIR /app', 0),
    layer(3, 'RUN apt-get update && apt-get install -y \\\n    build-essential', 400_000_000),
  ];
  const copied = { ...layer(5, 'COPY . /app # buildkit', 1_000), compressedBytes: 1_536, pushedUncompressed: true as const };
  const head = [
    debian,
    layer(2, 'WORKDIR /app', 0),
    layer(4, 'RUN apt-get update && apt-get install -y \\\n    build-essential', 403_000_000),
    copied,
  ];
  const single = variant('single-stage', 1, measured(477_001_000, head, 61_000), measured(474_000_000, base, 59_700));
  single.layerChanges = layerChanges(single.base, single.head);
  const r = report(
    [
      single,
      variant('multi-stage', 2, built(138_000_000, 6), built(135_000_000, 6)),
      {
        ...variant('new-one', 2, built(10_000_000, 2)),
        target: 'runtime',
        base: { status: 'absent', reason: 'no such Dockerfile in the base' },
      },
      variant(
        'broken',
        1,
        { status: 'failed', error: 'exit code 1', failedStep: '[2/4] RUN make', log: ['make: *** [all] Error 1'], buildMs: 1200 },
        { status: 'failed', error: 'no space left on device', log: [] },
      ),
    ],
    {
      'single-stage': { minEfficiency: 0.95, maxWasted: 1_000_000 },
      'multi-stage': {
        maxSize: 150_000_000,
        maxIncrease: { kind: 'percent', percent: 5 },
        maxRatio: { of: 'single-stage', fraction: 0.5 },
      },
      broken: { maxLayers: 10 },
    },
    { source: 'rebuild', ref: 'main@{before}', sha: 'a'.repeat(40), error: 'could not fetch' },
  );
  return {
    ...r,
    engine: { ...r.engine, endpoint: { host: 'tcp://127.0.0.1:23760', from: 'context', context: 'remote' } },
    base: { ...r.base, file: 'saved.json' },
  };
}

function write(content: string | Buffer, name = 'report.json'): string {
  const dir = tempDir('untrusted');
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('readUntrustedReport', () => {
  it('keeps every field of a report the pipeline writes, unchanged (extend the schema with the report)', () => {
    const r = fullReport();
    expect(r.budgets.map((c) => c.budget)).toEqual(['min-efficiency', 'max-wasted', 'max-size', 'max-increase', 'max-ratio', 'max-layers']);
    expect(r.comparisons.length).toBeGreaterThan(0);
    expect(r.variants[0].layerChanges?.map((c) => c.kind)).toEqual(['changed', 'added']);
    expect(r.variants[0].change).toHaveProperty('compressedBytes');
    expect(readUntrustedReport(write(JSON.stringify(r)), 'report-from')).toEqual(r);
  });

  it("keeps what marks a cancelled run's report, so that it is never shown or posted as a finished one", () => {
    const r: Report = {
      ...fullReport(),
      status: 'cancelled',
      cancelled: { signal: 'SIGTERM' },
    };
    r.variants[1] = { ...r.variants[1], base: { status: 'cancelled', during: 'build' } };
    delete r.variants[1].change;
    r.variants[2] = { ...r.variants[2], head: { status: 'cancelled' } };
    const back = readUntrustedReport(write(JSON.stringify(r)), 'report-from');
    expect(back).toEqual(r);
    const shown = untrustedReportForComment(back);
    expect(shown.status).toBe('cancelled');
    expect(shown.cancelled).toEqual({ signal: 'SIGTERM' });
    // A signal or a stage the tool does not write is refused, not dropped.
    const odd = JSON.parse(JSON.stringify(r)) as Record<string, any>;
    odd.cancelled.signal = 'SIGKILL';
    expect(errorOf(() => readUntrustedReport(write(JSON.stringify(odd)), 'report-from'))).toMatch(
      /at \/cancelled\/signal, must be equal to one of the allowed values/,
    );
    odd.cancelled.signal = 'SIGINT';
    odd.variants[2].head.during = 'lunch';
    expect(errorOf(() => readUntrustedReport(write(JSON.stringify(odd)), 'report-from'))).toMatch(
      /at \/variants\/2\/head\/during, must be equal to one of the allowed values/,
    );
  });

  it('drops every property the schema does not describe, at any depth, __proto__ included', () => {
    const r = fullReport();
    const hostile = JSON.parse(JSON.stringify(r)) as Record<string, any>;
    hostile.extra = '<img src=x>';
    hostile.engine.html = '<script>';
    hostile.variants[0].head.note = '@everyone';
    hostile.variants[3].head.imageId = 'only built results have one';
    hostile.budgets[0].comment = '#1';
    const text = JSON.stringify(hostile).replace(/^\{/, '{"__proto__":{"polluted":true},');
    const back = readUntrustedReport(write(text), 'report-from');
    expect(back).toEqual(r);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it.each([
    ['a variant name with markup', (r: any) => (r.variants[0].name = 'a<img src=x>'), '/variants/0/name'],
    ['a variant name with an @mention', (r: any) => (r.variants[0].name = '@octocat'), '/variants/0/name'],
    ['a tool version with markup', (r: any) => (r.tool.version = '1.0 <b>'), '/tool/version'],
    ['an engine storage driver with spaces', (r: any) => (r.engine.storage = 'overlay2 @here'), '/engine/storage'],
    [
      'an engine endpoint that is not a Docker host URL',
      (r: any) => (r.engine.endpoint.host = 'https://evil.example'),
      '/engine/endpoint/host',
    ],
    ['an engine endpoint with a newline', (r: any) => (r.engine.endpoint.host = 'tcp://a\n## forged'), '/engine/endpoint/host'],
    ['an engine endpoint of an unknown origin', (r: any) => (r.engine.endpoint.from = 'magic'), '/engine/endpoint/from'],
    ['a budget name it does not know', (r: any) => (r.budgets[0].budget = 'max-anything'), '/budgets/0/budget'],
    ['an over-long error', (r: any) => (r.variants[3].head.error = 'x'.repeat(2001)), '/variants/3/head/error'],
    ['a control character', (r: any) => (r.variants[3].head.error = 'a\u001b[31mred'), '/variants/3/head/error'],
    ['too many log lines', (r: any) => (r.variants[3].head.log = Array(201).fill('x')), '/variants/3/head/log'],
    ['a size that is not a number', (r: any) => (r.variants[0].head.sizeBytes = '547 MB'), '/variants/0/head/sizeBytes'],
    ['a negative size', (r: any) => (r.variants[0].head.sizeBytes = -1), '/variants/0/head/sizeBytes'],
    ['a fractional layer count', (r: any) => (r.variants[0].head.layers = 1.5), '/variants/0/head/layers'],
    ['an unknown side status', (r: any) => (r.variants[0].head.status = 'pending'), '/variants/0/head'],
    ['a commit that is not hex', (r: any) => (r.head.sha = 'main'), '/head/sha'],
    [
      'a layer with a forged diff ID',
      (r: any) => (r.variants[0].head.layerDetails[1].diffId = '<img>'),
      '/variants/0/head/layerDetails/1/diffId',
    ],
    ['an efficiency over 1', (r: any) => (r.variants[0].head.efficiency.score = 1.5), '/variants/0/head/efficiency/score'],
    [
      'too many wasted paths',
      (r: any) => (r.variants[0].head.efficiency.topWasted = Array(101).fill({ path: '/x', bytes: 1, copies: 2 })),
      '/variants/0/head/efficiency/topWasted',
    ],
    ['a layer change of an unknown kind', (r: any) => (r.variants[0].layerChanges[0].kind = 'moved'), '/variants/0/layerChanges/0/kind'],
    ['a missing field', (r: any) => delete r.variants, 'the top level'],
    ['an array instead of the report', (r: any) => Object.assign(r, { variants: {} }), '/variants'],
  ])('rejects %s, naming the field', (_what, mutate, where) => {
    const r = JSON.parse(JSON.stringify(fullReport()));
    mutate(r);
    const message = errorOf(() => readUntrustedReport(write(JSON.stringify(r)), 'report-from'));
    expect(message).toMatch(/^report-from: ".*report\.json" is not a valid image-size-report report \(schema version 2\): at /);
    expect(message).toContain(`at ${where}`);
    expect(message).not.toContain('<img');
    expect(message).not.toContain('@octocat');
  });

  it('refuses a report of another version, saying to use one version of the action in both workflows', () => {
    for (const [version, said] of [
      [1, 'version 1'],
      [3, 'version 3'],
      ['2', 'no known version'],
      ['<img>', 'no known version'],
    ] as const) {
      const r = { ...fullReport(), schemaVersion: version };
      expect(errorOf(() => readUntrustedReport(write(JSON.stringify(r)), 'report-from'))).toMatch(
        new RegExp(
          `is a report of ${said}, and this action posts reports of version 2: use the same version of image-size-report in the workflow that measures and in the one that posts\\.$`,
        ),
      );
    }
  });

  it('refuses a file over the size limit before reading it', () => {
    const file = write(Buffer.alloc(MAX_REPORT_BYTES + 1, 0x20));
    expect(errorOf(() => readUntrustedReport(file, 'report-from'))).toBe(
      `report-from: "${file}" is ${MAX_REPORT_BYTES + 1} bytes, over the limit of ${MAX_REPORT_BYTES} bytes for a report: refusing to read it.`,
    );
  });

  it('refuses what is not a UTF-8 JSON file, with a clear message', () => {
    expect(errorOf(() => readUntrustedReport(write('{"schemaVersion": 1,'), 'report-from'))).toMatch(
      /is not valid JSON; it must be a report written by image-size-report/,
    );
    expect(errorOf(() => readUntrustedReport(write(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 'report-from'))).toMatch(/is not UTF-8 text/);
    expect(errorOf(() => readUntrustedReport(write('[1, 2]'), 'report-from'))).toMatch(/at the top level, must be object/);
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(errorOf(() => readUntrustedReport(write(deep), 'report-from'))).toMatch(/at the top level, must be object/);
    const dir = tempDir('untrusted');
    mkdirSync(path.join(dir, 'a-directory'));
    expect(errorOf(() => readUntrustedReport(path.join(dir, 'a-directory'), 'report-from'))).toMatch(/is not a file\.$/);
    expect(errorOf(() => readUntrustedReport(path.join(dir, 'missing.json'), 'report-from'))).toMatch(/cannot be read \(ENOENT\)/);
  });

  it('accepts a byte-order mark', () => {
    const r = fullReport();
    expect(readUntrustedReport(write(`\ufeff${JSON.stringify(r)}`), 'report-from')).toEqual(r);
  });
});

describe('untrustedReportForComment', () => {
  it('recomputes the changes, the size wording and the verdict; the measurements and checks are shown as saved', () => {
    const r = fullReport();
    const forged: Report = JSON.parse(JSON.stringify(r));
    forged.variants[0].change = { sizeBytes: -1, sizeRatio: -0.99, layers: -3, buildMs: 0 };
    forged.variants[0].layerChanges = [{ kind: 'removed', instruction: 'RUN rm -rf /everything', sizeBytes: -400_000_000, headBytes: 0 }];
    delete forged.variants[1].change;
    forged.engine.sizeMeaning = 'please merge this';
    forged.status = 'pass';
    const shown = untrustedReportForComment(forged);
    expect(shown.variants).toEqual(r.variants);
    expect(shown.engine.sizeMeaning).toBe(sizeMeaning(r.engine));
    expect(shown.engine.sizeMeaning).toContain('here overlay2)');
    expect(shown.status).toBe('fail'); // a failed build is in it, whatever the file said
    expect(shown.budgets).toEqual(r.budgets);
  });
});
