// Wasted space as dive computes it (wagoodman/dive, filetree/efficiency.go), every figure worked out by hand.
// dive's rules, as its code has them: each layer is a tree built from its tar; only the leaves of each layer's
// tree are visited; a whiteout leaf counts 0 bytes when it deletes a file and, when it deletes a directory,
// the size of everything under that directory in the tree stacked from the layers below; per path, the
// score takes the smallest copy over the sum of all copies, and a path seen in two or more layers is wasted
// with all its copies. `.wh..wh..opq` markers never enter dive's trees.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  efficiencyOf,
  efficiencyOfSorted,
  LayerListingDamaged,
  type Efficiency,
  type WastedPath,
} from '../../src/measure/image/efficiency.js';
import type { EntryKind, LayerEntry } from '../../src/measure/image/layer-listing.js';
import {
  ArrayCursor,
  ListingFileCursor,
  SortedListingWriter,
  type ListingCursor,
  type ListingRecord,
} from '../../src/measure/image/sorted-listing.js';

const dir = (path: string): LayerEntry => [path, 0, 'd'];
const file = (path: string, size: number): LayerEntry => [path, size, 'f'];
const whiteout = (path: string): LayerEntry => [path, 0, 'w'];
const opaque = (path: string): LayerEntry => [path, 0, 'o'];

describe('efficiencyOf, as dive defines it', () => {
  it('counts a file written again in a later layer: both copies are wasted, the smaller is the minimum', () => {
    const result = efficiencyOf([
      [dir('app'), file('app/a', 100), file('app/b', 10)],
      [dir('app'), file('app/a', 40)],
    ]);
    // app/a: copies 100 + 40 = 140, smallest 40; app/b: 10, 10. Score (40 + 10) / (140 + 10).
    expect(result.score).toBeCloseTo(50 / 150, 12);
    expect(result.wastedBytes).toBe(140);
    expect(result.topWasted).toEqual([{ path: 'app/a', bytes: 140, copies: 2 }]);
  });

  it('counts a deleted file: its whiteout is a copy of 0 bytes', () => {
    const result = efficiencyOf([[file('a', 100), file('b', 50)], [whiteout('a')]]);
    // a: copies 100 + 0, smallest 0; b: 50, 50. Score 50 / 150; wasted 100.
    expect(result.score).toBeCloseTo(50 / 150, 12);
    expect(result.wastedBytes).toBe(100);
    expect(result.topWasted).toEqual([{ path: 'a', bytes: 100, copies: 2 }]);
  });

  it('counts a deleted directory as everything under it in the layers below, stacked', () => {
    const result = efficiencyOf([
      [dir('d')], // an empty directory: a leaf of 0 bytes
      [dir('d'), file('d/x', 30), dir('d/sub'), file('d/sub/y', 20)], // d is no leaf here
      [dir('d'), file('d/x', 5)], // d/x rewritten: the stacked tree now holds 5 bytes for it
      [whiteout('d')], // deletes d: 0 (d) + 5 (d/x) + 0 (d/sub) + 20 (d/sub/y) = 25
    ]);
    // d: copies 0 and 25 → cumulative 25, smallest 0. d/x: 30 + 5, smallest 5. d/sub/y: 20, 20.
    // Score (0 + 5 + 20) / (25 + 35 + 20) = 25 / 80; wasted: d (25) + d/x (35) = 60.
    expect(result.score).toBeCloseTo(25 / 80, 12);
    expect(result.wastedBytes).toBe(60);
    expect(result.topWasted).toEqual([
      { path: 'd/x', bytes: 35, copies: 2 },
      { path: 'd', bytes: 25, copies: 2 },
    ]);
  });

  it('like dive, does not count a deleted directory as wasted when the directory itself was never a leaf', () => {
    const result = efficiencyOf([[dir('d'), file('d/x', 30), file('e', 10)], [whiteout('d')]]);
    // d/x: 30, 30; e: 10, 10; d (only the whiteout is a leaf): 30, 30. Score 70 / 70.
    expect(result).toEqual({ score: 1, wastedBytes: 0, topWasted: [] });
  });

  it("reproduces dive's own test (TestEfficency): 0.75, nginx.conf wasted with 7000 bytes", () => {
    // dive's test adds paths without directory entries, so /etc/nginx has no size of its own and is no
    // directory in the stacked tree: its whiteout counts 0
    const result = efficiencyOf([
      [file('etc/nginx/nginx.conf', 2000), file('etc/nginx/public', 3000)],
      [file('etc/nginx/nginx.conf', 5000), file('etc/athing', 10000)],
      [whiteout('etc/nginx')],
    ]);
    // (2000 + 3000 + 10000 + 0) / (7000 + 3000 + 10000 + 0)
    expect(result.score).toBe(0.75);
    expect(result.topWasted).toEqual([{ path: 'etc/nginx/nginx.conf', bytes: 7000, copies: 2 }]);
    expect(result.wastedBytes).toBe(7000);
  });

  it('with directory entries, as real layer tars have them, the same whiteout counts what it deletes', () => {
    const result = efficiencyOf([
      [dir('etc'), dir('etc/nginx'), file('etc/nginx/nginx.conf', 2000), file('etc/nginx/public', 3000)],
      [dir('etc'), dir('etc/nginx'), file('etc/nginx/nginx.conf', 5000), file('etc/athing', 10000)],
      [dir('etc'), whiteout('etc/nginx')],
    ]);
    // etc/nginx deleted with 5000 + 3000 in it, a single copy: (2000 + 3000 + 10000 + 8000) / (7000 + 3000 + 10000 + 8000)
    expect(result.score).toBeCloseTo(23000 / 28000, 12);
    expect(result.wastedBytes).toBe(7000);
  });

  it('ignores opaque-directory markers: they are no copy, and the directory under them stays a leaf', () => {
    const result = efficiencyOf([
      [dir('d'), file('d/x', 30)],
      [dir('d'), opaque('d')], // d emptied and recreated: d is a leaf of 0 bytes here
      [dir('d'), opaque('d'), file('d/y', 20)],
    ]);
    // d/x: 30, 30. d: one leaf copy (layer 2) of 0. d/y: 20, 20. Nothing twice.
    expect(result).toEqual({ score: 1, wastedBytes: 0, topWasted: [] });
  });

  it('stacks layers as dive does: an opaque marker does not hide lower files from a later directory whiteout', () => {
    const result = efficiencyOf([
      [dir('d')], // d an empty leaf
      [dir('d'), file('d/x', 30)],
      [dir('d'), opaque('d'), file('d/y', 20)],
      [whiteout('d')], // dive's stacked tree has no opaque nodes: d still holds d/x and d/y, 30 + 20
    ]);
    // d: copies 0 and 50 (smallest 0); d/x 30, 30; d/y 20, 20. Score (0 + 30 + 20) / (50 + 30 + 20).
    expect(result.score).toBe(0.5);
    expect(result.wastedBytes).toBe(50);
    expect(result.topWasted).toEqual([{ path: 'd', bytes: 50, copies: 2 }]);
  });

  it('counts empty directories as leaves of 0 bytes and hard links and symlinks as 0 bytes', () => {
    const result = efficiencyOf([
      [dir('empty'), file('bin/tool', 1000), ['bin/alias', 0, 'l'], ['bin/hard', 0, 'h']],
      [dir('empty'), ['bin/alias', 0, 'l'], ['bin/hard', 0, 'h']],
    ]);
    // empty, bin/alias, bin/hard: two copies each of 0 bytes; bin/tool 1000 once. Score 1000 / 1000.
    expect(result).toEqual({ score: 1, wastedBytes: 0, topWasted: [] });
  });

  it('scores 1 when nothing has a size, and when there are no layers', () => {
    expect(efficiencyOf([[dir('a'), file('a/empty', 0)], [whiteout('a/empty')]])).toEqual({ score: 1, wastedBytes: 0, topWasted: [] });
    expect(efficiencyOf([])).toEqual({ score: 1, wastedBytes: 0, topWasted: [] });
  });

  it('lists the largest wasted paths first, as many as asked', () => {
    const layer = (sizes: number[]) => sizes.map((size, i) => file(`f${i}`, size));
    const result = efficiencyOf([layer([10, 20, 30, 40]), layer([1, 2, 3, 4])], 2);
    expect(result.topWasted).toEqual([
      { path: 'f3', bytes: 44, copies: 2 },
      { path: 'f2', bytes: 33, copies: 2 },
    ]);
    expect(result.wastedBytes).toBe(110);
    expect(result.score).toBeCloseTo(10 / 110, 12);
  });

  it('measures a directory deleted twice against what the stacked tree holds the second time', () => {
    const result = efficiencyOf([
      [dir('a'), file('a/b', 10)],
      [whiteout('a')], // deletes a with a/b in it: 10
      [dir('a')], // a again, empty: a leaf of 0 bytes
      [whiteout('a')], // deletes the empty a: 0, a/b went with the first whiteout
    ]);
    // a: copies 10, 0, 0 (smallest 0); a/b: 10 once. Score (0 + 10) / (10 + 10).
    expect(result).toEqual({ score: 0.5, wastedBytes: 10, topWasted: [{ path: 'a', bytes: 10, copies: 3 }] });
  });

  it('counts a path three times when three layers hold it', () => {
    const result = efficiencyOf([[file('a', 10)], [file('a', 20)], [whiteout('a')], [file('b', 5)]]);
    expect(result.topWasted).toEqual([{ path: 'a', bytes: 30, copies: 3 }]);
    expect(result.score).toBeCloseTo(5 / 35, 12);
  });
});

describe('efficiencyOf against a plain reference (one object per path, as first written)', () => {
  // paths from a small tree, so that layers share paths, nest directories and delete each other's; `a-b`
  // and `a.b` sort between `a`'s subtree and `b`, where a merge by plain string order would go wrong
  const pathArb = fc.array(fc.constantFrom('a', 'b', 'a-b', 'a.b'), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
  const entryArb: fc.Arbitrary<LayerEntry> = fc
    .tuple(pathArb, fc.nat(1000), fc.constantFrom<EntryKind>('f', 'f', 'f', 'd', 'd', 'w', 'w', 'o', 'l', 'h'))
    .map(([path, size, kind]) => [path, kind === 'f' ? size : 0, kind]);
  // and a smaller tree over more layers, where paths are deleted, added again and deleted with their parent
  const smallTreeArb: fc.Arbitrary<LayerEntry> = fc
    .tuple(
      fc.array(fc.constantFrom('a', 'b'), { minLength: 1, maxLength: 2 }),
      fc.nat(1000),
      fc.constantFrom<EntryKind>('f', 'd', 'd', 'w', 'w'),
    )
    .map(([parts, size, kind]) => [parts.join('/'), kind === 'f' ? size : 0, kind]);
  const layersArb = fc.oneof(
    fc.array(fc.array(entryArb, { maxLength: 16 }), { maxLength: 7 }),
    fc.array(fc.array(smallTreeArb, { maxLength: 3 }), { maxLength: 10 }),
  );

  it('gives the same score, wasted bytes and wasted paths for any layers', () => {
    fc.assert(
      fc.property(layersArb, fc.integer({ min: 0, max: 6 }), (layers, top) => {
        const result = efficiencyOf(layers, top);
        const expected = referenceEfficiency(layers, top);
        expect(result.wastedBytes).toBe(expected.wastedBytes);
        expect(result.score).toBeCloseTo(expected.score, 12);
        expect(result.topWasted).toEqual(expected.topWasted);
      }),
      { numRuns: 10000 },
    );
  });

  it('gives the same from listing files written in runs of a few entries (the external sort)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'isr-efficiency-'));
    let n = 0;
    fc.assert(
      fc.property(layersArb, fc.integer({ min: 1, max: 5 }), (layers, chunk) => {
        const cursors = layers.map((entries) => {
          const writer = new SortedListingWriter(path.join(dir, `layer-${n++}`), chunk);
          for (const [p, size, kind] of entries) writer.add(p, size, kind);
          writer.finish();
          return new ListingFileCursor(writer.file);
        });
        try {
          expect(efficiencyOfSorted(cursors, 50)).toEqual(referenceEfficiency(layers, 50));
        } finally {
          for (const cursor of cursors) cursor.close();
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('efficiencyOfSorted', () => {
  it('names the layer whose listing is out of path order', () => {
    const records = (paths: string[]): ListingRecord[] => paths.map((p) => ({ path: p, size: 1, kind: 'f' }));
    /** Gives the records as they are, unsorted. */
    const asGiven = (list: ListingRecord[]): ListingCursor => {
      let i = 0;
      return { peek: () => list[i], next: () => void (i += 1) };
    };
    const layers = [new ArrayCursor(records(['a', 'b'])), asGiven(records(['a', 'c', 'b']))];
    expect(() => efficiencyOfSorted(layers)).toThrow(LayerListingDamaged);
    try {
      efficiencyOfSorted([new ArrayCursor(records(['a'])), asGiven(records(['c', 'b']))]);
    } catch (error) {
      expect((error as LayerListingDamaged).layer).toBe(1);
      expect((error as Error).message).toBe('the file listing of layer 2 is out of path order at "b"');
    }
  });
});

// The first implementation, kept as the reference: a Map of objects for the stacked filesystem and the stats.
interface PathStats {
  cumulative: number;
  minimum: number;
  copies: number;
}

function referenceEfficiency(layers: LayerEntry[][], top = 10): Efficiency {
  /** The stacked filesystem so far: path → size and whether it is a directory. */
  const stacked = new Map<string, { size: number; dir: boolean }>();
  const stats = new Map<string, PathStats>();

  for (const entries of layers) {
    const leaves = leavesOf(entries);
    for (const [path, size, kind] of leaves) {
      let bytes = size;
      if (kind === 'w') {
        const previous = stacked.get(path);
        bytes = previous?.dir ? sumUnder(stacked, path) : 0;
      }
      const s = stats.get(path);
      if (s) {
        s.cumulative += bytes;
        s.minimum = Math.min(s.minimum, bytes);
        s.copies += 1;
      } else {
        stats.set(path, { cumulative: bytes, minimum: bytes, copies: 1 });
      }
    }
    applyLayer(stacked, entries);
  }

  let minimum = 0;
  let cumulative = 0;
  let wastedBytes = 0;
  const wasted: WastedPath[] = [];
  for (const [path, s] of stats) {
    minimum += s.minimum;
    cumulative += s.cumulative;
    if (s.copies >= 2) {
      wastedBytes += s.cumulative;
      if (s.cumulative > 0) wasted.push({ path, bytes: s.cumulative, copies: s.copies });
    }
  }
  wasted.sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));
  return { score: cumulative === 0 ? 1 : minimum / cumulative, wastedBytes, topWasted: wasted.slice(0, top) };
}

/** Entries that have no descendants in the same layer (dive visits leaves only); opaque markers dropped. */
function leavesOf(entries: LayerEntry[]): LayerEntry[] {
  const parents = new Set<string>();
  for (const [path, , kind] of entries) {
    if (kind === 'o') continue;
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) parents.add(path.slice(0, i));
  }
  const seen = new Set<string>();
  const leaves: LayerEntry[] = [];
  for (const entry of entries) {
    const [path, , kind] = entry;
    if (kind === 'o' || parents.has(path) || seen.has(path)) continue;
    seen.add(path);
    leaves.push(entry);
  }
  return leaves;
}

function sumUnder(stacked: Map<string, { size: number }>, dir: string): number {
  const prefix = `${dir}/`;
  let total = stacked.get(dir)?.size ?? 0;
  for (const [path, { size }] of stacked) if (path.startsWith(prefix)) total += size;
  return total;
}

function removeUnder(stacked: Map<string, unknown>, dir: string): void {
  const prefix = `${dir}/`;
  stacked.delete(dir);
  for (const path of [...stacked.keys()]) if (path.startsWith(prefix)) stacked.delete(path);
}

/**
 * Lay one layer over the stacked filesystem, as dive stacks its trees: whiteouts delete (a directory with
 * everything under it), other entries are added. Opaque markers change nothing: dive's trees have no node
 * for them (unlike overlayfs, which would hide the lower directory's content).
 */
function applyLayer(stacked: Map<string, { size: number; dir: boolean }>, entries: LayerEntry[]): void {
  for (const [path, , kind] of entries) {
    if (kind === 'w') {
      const previous = stacked.get(path);
      if (previous?.dir) removeUnder(stacked, path);
      else stacked.delete(path);
    }
  }
  for (const [path, size, kind] of entries) {
    if (kind !== 'o' && kind !== 'w') stacked.set(path, { size, dir: kind === 'd' });
  }
}
