// A base read from a registry: its shared layers count this change's compressed size, its build time is not
// applicable (not 0), each variant's base says where it came from, and a registry's tokens are scrubbed once known.
import { describe, expect, it } from 'vitest';
import { changeBetween, layerChanges } from '../../src/compare/compare.js';
import { alignSharedLayers, withBaseImageOf } from '../../src/measure/registry-image.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderText } from '../../src/render/text.js';
import type { BuiltResult, LayerDetail } from '../../src/report/types.js';
import { createScrubber } from '../../src/secrets/scrub.js';
import { showsLiterally } from '../support/markdown-check.js';
import { built, report, variant } from '../support/report-fixture.js';

const layer = (n: number, sizeBytes: number, compressedBytes: number, instruction = `RUN step ${n}`): LayerDetail => ({
  diffId: `sha256:${n.toString(16).padStart(64, '0')}`,
  instruction,
  sizeBytes,
  compressedBytes,
  fromBaseImage: false,
});

function image(layers: LayerDetail[], more: Partial<BuiltResult> = {}): BuiltResult {
  return {
    status: 'built',
    imageId: `sha256:${'e'.repeat(64)}`,
    sizeBytes: layers.reduce((t, l) => t + l.sizeBytes, 0),
    compressedBytes: layers.reduce((t, l) => t + (l.compressedBytes ?? 0), 0),
    layers: layers.length,
    layerDetails: layers,
    ...more,
  };
}

describe('a registry base beside this change', () => {
  const registryBase = image([layer(1, 1000, 410), layer(2, 500, 220), layer(3, 300, 90)]);
  const head = image([layer(1, 1000, 400), layer(2, 500, 200), layer(4, 800, 300)], { buildMs: 5_000, steps: 3, cachedSteps: 1 });

  it("counts a layer both sides have at this change's compressed size, so only changed layers make the change", () => {
    const aligned = alignSharedLayers(registryBase, head);
    expect(aligned.layerDetails!.map((l) => l.compressedBytes)).toEqual([400, 200, 90]); // the registry's own for layer 3
    expect(aligned.compressedBytes).toBe(690);
    expect(aligned.sizeBytes).toBe(registryBase.sizeBytes);
    const change = changeBetween(aligned, head)!;
    expect(change.compressedBytes).toBe(300 - 90);
    // layer 4 is new, layer 3 gone (another instruction): the shared layers 1 and 2 show no change
    expect(layerChanges(aligned, head)!.map((c) => [c.kind, c.compressedBytes])).toEqual([
      ['added', 300],
      ['removed', -90],
    ]);
    // a head without compressed sizes leaves the registry's figures as they are
    const plain = image([layer(1, 1000, 0)]);
    delete plain.layerDetails![0].compressedBytes;
    expect(alignSharedLayers(registryBase, plain)).toBe(registryBase);
  });

  it("knows the published image's FROM-image layers only when this change's FROM image is its first layers", () => {
    const fromBase = (l: LayerDetail): LayerDetail => ({ ...l, fromBaseImage: true });
    const headOnBase = image([fromBase(layer(1, 1000, 400)), layer(2, 500, 200), layer(4, 800, 300)], { baseImageLayers: 1 });
    const known = withBaseImageOf(registryBase, headOnBase);
    expect(known.baseImageLayers).toBe(1);
    expect(known.layerDetails!.map((l) => l.fromBaseImage)).toEqual([true, false, false]);
    const change = changeBetween(known, headOnBase)!;
    expect(change.baseImage?.sizeBytes).toBe(0);
    expect(change.own?.sizeBytes).toBe(800 - 300);
    // a FROM image that changed (another first layer): unknown, not guessed
    const bumped = image([fromBase(layer(9, 1100, 450)), layer(2, 500, 200), layer(4, 800, 300)], { baseImageLayers: 1 });
    expect(withBaseImageOf(registryBase, bumped)).toBe(registryBase);
    expect(changeBetween(registryBase, bumped)!.own).toBeUndefined();
    // a head whose FROM image is not known leaves it unknown too
    expect(withBaseImageOf(registryBase, head)).toBe(registryBase);
  });

  it('has no build time to compare: the change has none and the table says not applicable, not 0', () => {
    const change = changeBetween(registryBase, head)!;
    expect(change).not.toHaveProperty('buildMs');
    const r = report(
      [{ ...variant('app', 1, head, registryBase), baseSource: { source: 'registry', reference: 'ghcr.io/acme/app:main-app' } }],
      {},
      {
        source: 'registry',
      },
    );
    r.minChange = { kind: 'bytes', value: 0 }; // every byte counts, so the variant is not collapsed into one row
    const markdown = renderMarkdown(r, { marker: '<!-- m -->' });
    expect(markdown).toMatch(/\| +\| Build time +\| +n\/a \(not built\) \| +5\.0 s \(1\/3 cached\) \| +n\/a \(not built\) \|/);
    expect(renderText(r)).toMatch(/Build time +\| +n\/a \(not built\) \| +5\.0 s \(1\/3 cached\) \| +n\/a \(not built\)/);
  });

  it('says where each base came from, the reference and the error shown as written', () => {
    const hostile = 'evil.example/x:`y`|<b>z</b>';
    const variants = [
      {
        ...variant('app', 1, head, registryBase),
        baseSource: { source: 'registry' as const, reference: hostile, digest: `sha256:${'a'.repeat(64)}` },
      },
      { ...variant('slim', 1, built(1_000, 2), built(900, 2)), baseSource: { source: 'rebuild' as const } },
      {
        ...variant('fresh', 1, built(1_000, 2), { status: 'absent', reason: 'the registry base could not be read' }),
        baseSource: { source: 'registry' as const, reference: 'ghcr.io/acme/app:main-fresh', error: 'unauthorized: *no* [token](x)' },
      },
      { ...variant('new', 1, built(1_000, 2), { status: 'absent', reason: 'x is not in the registry' }), baseSource: {} },
    ];
    const r = report(variants, {}, { source: 'mixed', ref: 'main', sha: 'c'.repeat(40) });
    const markdown = renderMarkdown(r, { marker: '<!-- m -->' });
    expect(showsLiterally(markdown, hostile)).toBe(true);
    expect(showsLiterally(markdown, 'unauthorized: *no* [token](x)')).toBe(true);
    expect(markdown).toContain('slim: rebuilt from `main` at `ccccccc`');
    expect(markdown).toContain('new: no source had it (new)');
    expect(markdown).toContain('(`sha256:aaaaaaaaaaaa`)');
    // a base that could not be read is not "new": its change is unknown
    expect(markdown).toMatch(/\*\*fresh\*\* +\| Size +\| +absent \| +1\.00 kB \| +— \|/);
    expect(markdown).toMatch(/\*\*new\*\* +\| Size +\| +absent \| +1\.00 kB \| +new \|/);
    const text = renderText(r);
    expect(text).toContain(`Base of app: from the registry, ${hostile} (sha256:aaaaaaaaaaaa)`);
    expect(text).toContain('Base of fresh: not available from ghcr.io/acme/app:main-fresh (unauthorized: *no* [token](x))');
  });

  it('scrubs the registry tokens learnt during the run from everything written after', () => {
    const learnt: string[] = [];
    const scrubber = createScrubber([{ value: 'build-arg-secret' }], () => learnt);
    expect(scrubber.text('token abcdef-token and build-arg-secret')).toBe('token abcdef-token and ***');
    learnt.push('abcdef-token');
    expect(scrubber.text('token abcdef-token and build-arg-secret')).toBe('token *** and ***');
    expect(scrubber.deep({ note: 'Bearer abcdef-token' })).toEqual({ note: 'Bearer ***' });
  });
});
