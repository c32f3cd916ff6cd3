// A layer's file listing on disk, sorted by path component, written with an external sort and read back as a
// cursor: what wasted space is counted from (efficiency.ts), with memory that does not grow with the files.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EntryKind, LayerEntry } from '../../src/measure/image/layer-listing.js';
import {
  ArrayCursor,
  comparePaths,
  ListingDamaged,
  ListingFileCursor,
  SortedListingWriter,
  type ListingCursor,
  type ListingRecord,
} from '../../src/measure/image/sorted-listing.js';

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), 'isr-listing-'));

function drain(cursor: ListingCursor): ListingRecord[] {
  const out: ListingRecord[] = [];
  for (let r = cursor.peek(); r; r = cursor.peek()) {
    out.push(r);
    cursor.next();
  }
  return out;
}

function written(entries: LayerEntry[], chunkEntries: number, dir = tempDir()): { file: string; dir: string } {
  const file = path.join(dir, 'listing');
  const writer = new SortedListingWriter(file, chunkEntries);
  for (const [p, size, kind] of entries) writer.add(p, size, kind);
  writer.finish();
  return { file, dir };
}

function readBack(file: string): ListingRecord[] {
  const cursor = new ListingFileCursor(file);
  try {
    return drain(cursor);
  } finally {
    cursor.close();
  }
}

const record = ([p, size, kind]: LayerEntry): ListingRecord => ({ path: p, size, kind });

describe('comparePaths', () => {
  it('puts everything under a directory right after it, before any other path', () => {
    const paths = ['b', 'a-c', 'a/b/c', 'a.b', 'a', 'a/ b', 'a/b', 'a/b-c', 'a/b/c/d', 'ab'];
    expect([...paths].sort(comparePaths)).toEqual(['a', 'a/ b', 'a/b', 'a/b/c', 'a/b/c/d', 'a/b-c', 'a-c', 'a.b', 'ab', 'b']);
  });

  it("keeps every directory's subtree contiguous for any set of paths", () => {
    const part = fc.constantFrom('a', 'b', 'a-', 'a.b', ' ', 'é', 'a b');
    const pathArb = fc.array(part, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
    fc.assert(
      fc.property(fc.uniqueArray(pathArb, { maxLength: 30 }), (paths) => {
        const sorted = [...paths].sort(comparePaths);
        for (const [i, dir] of sorted.entries()) {
          // the paths under `dir` form one run starting right after it
          const under = sorted.map((p) => p.startsWith(`${dir}/`));
          const first = under.indexOf(true);
          const last = under.lastIndexOf(true);
          if (first === -1) continue;
          expect(first).toBe(i + 1);
          expect(under.slice(first, last + 1).every(Boolean)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('SortedListingWriter and ListingFileCursor', () => {
  const kindArb = fc.constantFrom<EntryKind>('f', 'd', 'l', 'h', 'w', 'o', 'x');
  const entryArb: fc.Arbitrary<LayerEntry> = fc.tuple(
    fc.array(fc.constantFrom('a', 'b', 'c', 'ü', 'long-name'), { minLength: 1, maxLength: 4 }).map((p) => p.join('/')),
    fc.nat(),
    kindArb,
  );

  it('writes what a stable sort in memory gives, whatever the chunk size, without opaque markers, and leaves no run', () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (entries, chunk) => {
        const { file, dir } = written(entries, chunk);
        const expected = drain(new ArrayCursor(entries.filter((e) => e[2] !== 'o').map(record)));
        expect(readBack(file)).toEqual(expected);
        expect(readdirSync(dir)).toEqual(['listing']);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps the tar's order among entries of the same path across runs", () => {
    const entries: LayerEntry[] = [
      ['x', 1, 'f'],
      ['a', 0, 'd'],
      ['x', 2, 'w'],
      ['b', 3, 'f'],
      ['x', 3, 'f'],
    ];
    const { file } = written(entries, 2); // three runs: x is in each
    expect(readBack(file).filter((r) => r.path === 'x')).toEqual([record(['x', 1, 'f']), record(['x', 2, 'w']), record(['x', 3, 'f'])]);
  });

  it('round-trips long paths (longer than its read block), sizes over 4 GiB, non-ASCII and NUL', () => {
    const long = `${'deep/'.repeat(30_000)}file`; // 150 kB
    const entries: LayerEntry[] = [
      [long, 5, 'f'],
      ['big', 2 ** 40 + 3, 'f'],
      ['日本/ファイル', 7, 'f'],
      ['nul\0inside', 1, 'f'],
      ['empty', 0, 'f'],
    ];
    const back = readBack(written(entries, 50_000).file);
    expect(back.map((r) => [r.path, r.size])).toEqual([
      ['big', 2 ** 40 + 3],
      [long, 5],
      ['empty', 0],
      ['nul\uFFFDinside', 1],
      ['日本/ファイル', 7],
    ]);
  });

  it('writes an empty listing for a layer with no entries', () => {
    const { file } = written([], 10);
    expect(readFileSync(file, 'latin1')).toBe('E0 \0');
    expect(readBack(file)).toEqual([]);
  });

  it('removes what it wrote when aborted', () => {
    const dir = tempDir();
    const writer = new SortedListingWriter(path.join(dir, 'listing'), 2);
    for (let i = 0; i < 7; i++) writer.add(`p${i}`, i, 'f');
    expect(readdirSync(dir).length).toBe(3); // three runs so far
    writer.abort();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writes records a reader can check: kind, size, path, and an end record with their number', () => {
    const { file } = written(
      [
        ['b', 2, 'f'],
        ['a', 0, 'd'],
        ['a/x', 1, 'w'],
      ],
      10,
    );
    expect(readFileSync(file, 'latin1')).toBe('d0 a\0w1 a/x\0f2 b\0E3 \0');
  });

  it.each([
    ['cut short', 'f1 a\0f1 b\0'], // cut between records: no end record
    ['cut short', 'f1 a\0f1 b\0E1 \0'], // an end record that counts fewer
    ['cut short', ''],
    ['cut short', 'f1 a\0f1'],
    ['data after its end', 'f1 a\0E1 \0f1 b\0E2 \0'],
    ['an unknown kind', 'z1 zz\0E1 \0'],
    ['a record without its size', 'f zz\0E1 \0'],
    ['a record without its size', 'f12zz\0E1 \0'],
    ['out of path order', 'f1 b\0f1 a\0E2 \0'],
  ])('tells a damaged file: %s (%j)', (what, content) => {
    const file = path.join(tempDir(), 'listing');
    writeFileSync(file, content, 'latin1');
    expect(() => readBack(file)).toThrow(ListingDamaged);
    expect(() => readBack(file)).toThrow(what);
  });
});
