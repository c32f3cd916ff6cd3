// The JSON report keeps every field: a report with every field of its type present (every optional one, every
// kind of side result on both sides) is read back unchanged at the `untrusted` level and used at the `saved`
// level, and the schema describes exactly the fields the type has (property names compared recursively).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readReport } from '../../src/report/read-report.js';
import { REPORT_SCHEMA } from '../../src/report/schema.js';
import type { BuiltResult, LayerDetail, Report, SideResult } from '../../src/report/types.js';
import { tempDir } from '../support/workspace.js';

const layer = (n: number, instruction: string, sizeBytes: number, more: Partial<LayerDetail> = {}): LayerDetail => ({
  diffId: `sha256:${n.toString(16).padStart(64, '0')}`,
  instruction,
  sizeBytes,
  compressedBytes: Math.round(sizeBytes / 3),
  fromBaseImage: false,
  ...more,
});

/** A built result with every field. */
function built(sizeBytes: number): BuiltResult {
  return {
    status: 'built',
    imageId: `sha256:${sizeBytes.toString(16).padStart(64, '0')}`,
    sizeBytes,
    compressedBytes: Math.round(sizeBytes / 3),
    engineSizeBytes: sizeBytes + 10,
    layers: 3,
    baseImageLayers: 1,
    contentLayers: 2,
    layerDetails: [
      layer(1, 'ADD file:abc in /', 74_000_000, { fromBaseImage: true }),
      layer(2, 'WORKDIR /app', 0),
      layer(3, 'COPY . /app # buildkit', sizeBytes - 74_000_000, { compressedBytes: sizeBytes - 74_000_000, pushedUncompressed: true }),
    ],
    efficiency: { score: 0.93, wastedBytes: 1_200_000, topWasted: [{ path: '/var/lib/apt/lists/x', bytes: 600_000, copies: 2 }] },
    analysisError: 'the layers were read twice',
    buildMs: 61_000,
    steps: 4,
    cachedSteps: 2,
    comparableBuildMs: 66_000,
    cachedFromRun: 1,
  };
}

const failed = (error: string): SideResult => ({
  status: 'failed',
  error,
  failedStep: '[2/4] RUN make',
  log: ['make: *** [all] Error 1'],
  buildMs: 1_200,
});
const variant = (name: string, head: SideResult, base: SideResult): Report['variants'][number] => ({
  name,
  dockerfile: 'Dockerfile',
  target: 'runtime',
  context: '.',
  stages: 2,
  head,
  base,
  change: {
    sizeBytes: 3_000_000,
    sizeRatio: 0.01,
    compressedBytes: 1_000_000,
    compressedRatio: 0.02,
    layers: 1,
    wastedBytes: -5,
    buildMs: 1_300,
    baseImage: { sizeBytes: 1_000_000, compressedBytes: 400_000 },
    own: { sizeBytes: 2_000_000, compressedBytes: 600_000 },
  },
  layerChanges: [
    {
      kind: 'changed',
      instruction: 'RUN apt-get install -y \\\n    build-essential',
      sizeBytes: 3_000_000,
      compressedBytes: 1_000_000,
      headBytes: 403_000_000,
      headCompressedBytes: 134_000_000,
    },
  ],
  baseSource: { source: 'registry', reference: 'ghcr.io/acme/app:main-app', digest: `sha256:${'c'.repeat(64)}`, error: 'unauthorized' },
});

/** Every field of `Report` present; each kind of side result on both sides. */
function everyField(): Report {
  return {
    schemaVersion: 2,
    name: 'linux/arm64 <b>@team</b>',
    tool: { name: 'image-size-report', version: '1.2.3' },
    createdAt: '2026-12-02T00:00:00.000Z',
    engine: {
      serverVersion: '28.5.2',
      apiVersion: '1.51',
      storage: 'overlayfs',
      containerdStore: true,
      goVersion: 'go1.27.1',
      compressedSizing: 'as-stored',
      sizeMeaning: 'the unpacked size',
      endpoint: { host: 'tcp://127.0.0.1:23760', from: 'context', context: 'remote' },
    },
    units: 'binary',
    head: { ref: 'feature', sha: 'b'.repeat(40) },
    base: { source: 'rebuild', ref: 'main', sha: 'a'.repeat(40), file: 'saved.json', error: 'could not fetch' },
    variants: [
      { ...variant('app (linux/arm64)', built(477_000_000), built(474_000_000)), variant: 'app', platform: 'linux/arm64' },
      variant('broken', failed('exit code 1'), failed('no space left on device')),
      variant('late', { status: 'cancelled', during: 'layers' }, { status: 'absent', reason: 'no such target in the base' }),
      variant('gone', { status: 'absent', reason: 'no such Dockerfile' }, { status: 'cancelled', during: 'build' }),
    ],
    comparisons: [{ variant: 'app (linux/arm64)', reference: 'broken', ratio: 0.5, savedBytes: 1_000 }],
    budgets: [
      {
        variant: 'app (linux/arm64)',
        budget: 'max-ratio',
        quantity: 'ratio',
        limit: 0.4,
        actual: 0.5,
        of: 'broken',
        outcome: 'skipped',
        note: 'not measured',
      },
    ],
    status: 'cancelled',
    cancelled: { signal: 'SIGTERM' },
    minChange: { kind: 'percent', value: 0.5 },
  };
}

type Node = Record<string, any>;

/** The property paths a schema describes; a `oneOf` branch is named by its `status`. */
function schemaPaths(schema: Node, at = ''): string[] {
  if (schema.oneOf) return schema.oneOf.flatMap((branch: Node) => schemaPaths(branch, `${at}<${branch.properties.status.const}>`));
  if (schema.type === 'array') return schemaPaths(schema.items, `${at}[]`);
  if (schema.type !== 'object') return [];
  return Object.entries(schema.properties as Node).flatMap(([key, property]) => [`${at}.${key}`, ...schemaPaths(property, `${at}.${key}`)]);
}

/** The property paths a value has, named as schemaPaths names them. */
function valuePaths(value: unknown, schema: Node | undefined, at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => valuePaths(item, schema?.items, `${at}[]`));
  if (value === null || typeof value !== 'object') return [];
  const object = value as Node;
  if (schema?.oneOf) {
    const branch = schema.oneOf.find((b: Node) => b.properties.status.const === object.status);
    return valuePaths(value, branch, `${at}<${String(object.status)}>`);
  }
  return Object.entries(object).flatMap(([key, v]) => [`${at}.${key}`, ...valuePaths(v, schema?.properties?.[key], `${at}.${key}`)]);
}

const unique = (paths: string[]) => [...new Set(paths)].sort();

function write(report: Report): string {
  const file = path.join(tempDir('report-fields'), 'report.json');
  writeFileSync(file, JSON.stringify(report));
  return file;
}

describe('the JSON report keeps every field', () => {
  it('the example has every field the schema describes, and the schema every field the example has', () => {
    const schema = unique(schemaPaths(REPORT_SCHEMA as Node));
    const example = unique(valuePaths(everyField(), REPORT_SCHEMA as Node));
    expect(schema.length).toBeGreaterThan(100);
    expect(example).toEqual(schema);
  });

  it('untrusted: the report is read back unchanged', () => {
    const r = everyField();
    expect(readReport(write(r), 'untrusted', 'report-from')).toEqual(r);
  });

  it('saved: a baseline takes the built results whole, the failed ones by their error, and the commit and sizing', () => {
    const r = everyField();
    const saved = readReport(write(r), 'saved', 'baseline-file');
    expect(Object.fromEntries(saved.results)).toEqual({
      'app (linux/arm64)': r.variants[0].head, // by row name: a platform's row matches the same platform's
      broken: { status: 'failed', error: 'exit code 1', log: [] },
    });
    expect(saved).toMatchObject({ sha: r.head.sha, ref: r.head.ref, compressedSizing: 'as-stored' });
  });
});
