// Showing what the layer analysis found: compressed size, layer counts, where it grew, wasted space.
import { describe, expect, it } from 'vitest';
import { changeBetween, layerChanges } from '../../src/compare/compare.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderText } from '../../src/render/text.js';
import type { BuiltResult, LayerDetail, SideResult } from '../../src/report/types.js';
import { built, report, variant } from '../support/report-fixture.js';

const layer = (id: string, instruction: string, sizeBytes: number, fromBaseImage = false): LayerDetail => ({
  diffId: `sha256:${id.padStart(64, '0')}`,
  instruction,
  sizeBytes,
  compressedBytes: Math.round(sizeBytes / 2),
  fromBaseImage,
});

function analysed(layers: LayerDetail[], wastedBytes = 0): SideResult {
  const sizeBytes = layers.reduce((sum, l) => sum + l.sizeBytes, 0);
  return {
    ...(built(sizeBytes, layers.length) as BuiltResult),
    compressedBytes: layers.reduce((sum, l) => sum + (l.compressedBytes ?? 0), 0),
    baseImageLayers: layers.filter((l) => l.fromBaseImage).length,
    contentLayers: layers.filter((l) => l.sizeBytes > 0).length,
    layerDetails: layers,
    efficiency: {
      score: wastedBytes ? 0.9 : 1,
      wastedBytes,
      topWasted: wastedBytes ? [{ path: 'usr/lib/big.so', bytes: wastedBytes, copies: 2 }] : [],
    },
  };
}

const debian = layer('a', 'ADD file:1234 in /', 74_800_000, true);
const workdir = layer('b', 'WORKDIR /app', 0);
const baseSide = analysed([
  debian,
  workdir,
  layer('c', 'RUN apt-get install -y python3', 30_000_000),
  layer('d', 'COPY . /app', 1_000_000),
]);
const headSide = analysed(
  [
    debian,
    workdir,
    layer('e', 'RUN apt-get install -y python3', 45_000_000),
    layer('f', 'COPY . /app', 1_000_000),
    layer('g', 'RUN pip install numpy', 60_000_000),
  ],
  8_000_000,
);

function withChanges(name: string, head: SideResult, base: SideResult) {
  const v = variant(name, 1, head, base);
  return { ...v, layerChanges: layerChanges(base, head) };
}

describe('layer changes against the base', () => {
  it('matches layers by diff ID, then pairs a new and a gone layer by instruction; largest change first', () => {
    const changes = layerChanges(baseSide, headSide)!;
    expect(changes.map((c) => [c.kind, c.instruction, c.sizeBytes])).toEqual([
      ['added', 'RUN pip install numpy', 60_000_000],
      ['changed', 'RUN apt-get install -y python3', 15_000_000],
      ['changed', 'COPY . /app', 0],
    ]);
    expect(changes[1].compressedBytes).toBe(7_500_000);
  });

  it('lists a layer the change dropped as removed, with a negative size', () => {
    const changes = layerChanges(headSide, baseSide)!;
    expect(changes[0]).toMatchObject({ kind: 'removed', instruction: 'RUN pip install numpy', sizeBytes: -60_000_000, headBytes: 0 });
  });

  it('has nothing to say without layer details on both sides', () => {
    expect(layerChanges(built(1, 1), headSide)).toBeUndefined();
  });

  it('gives compressed size and wasted space changes when both sides have them', () => {
    const change = changeBetween(baseSide, headSide)!;
    expect(change.compressedBytes).toBe((headSide as BuiltResult).compressedBytes! - (baseSide as BuiltResult).compressedBytes!);
    expect(change.wastedBytes).toBe(8_000_000);
    expect(changeBetween(built(10, 1), headSide)!.compressedBytes).toBeUndefined();
  });
});

describe('rendering layer figures', () => {
  const r = report([withChanges('app', headSide, baseSide)]);

  it('shows compressed size, layer counts and wasted space rows with their changes', () => {
    const md = renderMarkdown(r);
    expect(md).toMatch(/\| +\| Compressed +\| +52\.9 MB +\| +90\.4 MB +\| +\+37\.5 MB \(\+70\.9%\) \|/);
    expect(md).toMatch(/\| +\| Layers +\| +4 \(3 added, 3 with content\) \| +5 \(4 added, 4 with content\) \| +\+1 \|/);
    expect(md).toMatch(/\| +\| Wasted +\| +0 B \(100% efficient\) \| +8\.00 MB \(90% efficient\) \| +\+8\.00 MB \|/);
  });

  it('opens a "where it grew" section with the instructions, largest first, and folds the largest layers and wasted paths', () => {
    const md = renderMarkdown(r);
    const grew = md.indexOf('<details open><summary>Where it grew');
    expect(grew).toBeGreaterThan(-1);
    const section = md.slice(grew, md.indexOf('</details>', grew));
    expect(section.indexOf('`RUN pip install numpy`')).toBeLessThan(section.indexOf('`RUN apt-get install -y python3`'));
    expect(section).toMatch(/\| added +\| `RUN pip install numpy` +\| +\+60\.0 MB \| +\+30\.0 MB \|/);
    expect(md).toContain('<details><summary>Largest layers</summary>');
    expect(md).toMatch(/\| `ADD file:1234 in \/` +\| +74\.8 MB \| +37\.4 MB \| base image \|/);
    expect(md).toMatch(/\| `\/usr\/lib\/big\.so` +\| +8\.00 MB \| +2 +\|/);
  });

  it('keeps hostile instructions inert inside code spans', () => {
    const hostile = layer('h', 'RUN echo `x` | <img src=x> @someone', 5);
    const md = renderMarkdown(report([withChanges('app', analysed([debian, hostile]), analysed([debian]))]));
    expect(md).toContain('| ``RUN echo `x` \\| <img src=x> @someone`` |');
  });

  it('prints where it grew in the terminal too', () => {
    const text = renderText(r);
    expect(text).toContain('app: layers new or changed against the base');
    expect(text).toMatch(/\+60\.0 MB {2}added {4}RUN pip install numpy/);
  });

  it('leaves the rows out for a report without layer figures (a version 1 baseline)', () => {
    const md = renderMarkdown(report([variant('old', 1, built(10_000_000, 3), built(9_000_000, 3))]));
    expect(md).not.toMatch(/\| Compressed/);
    expect(md).not.toMatch(/\| Wasted/);
    expect(md).not.toContain('Where it grew');
  });
});

describe('rendering build time', () => {
  it('shows the order-independent time, and the wall time beside it when steps came from another build of the run', () => {
    const base = { ...(built(1e6, 2, 5_200, 3, 4) as BuiltResult), comparableBuildMs: 41_000 };
    // a size change, so that the variant is not the one row of an unchanged one (which shows no build time)
    const head = { ...(built(1.1e6, 2, 40_000, 0, 4) as BuiltResult), comparableBuildMs: 40_000 };
    const md = renderMarkdown(report([variant('app', 1, head, base)]));
    expect(md).toMatch(/\| +\| Build time +\| 41\.0 s \(wall 5\.2 s, 3\/4 cached\) \| +40\.0 s \| +-1\.0 s \|/);
  });
});
