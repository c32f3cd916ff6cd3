// Reading a layer tar as it streams: what it holds and the bytes it takes unpacked (files + symlink targets).
import { describe, expect, it } from 'vitest';
import { LayerLister, normalisePath, type LayerEntry } from '../../src/measure/image/layer-listing.js';
import { makeTar } from '../support/save-tar.js';

/** The counts, and the entries in the order the lister handed them to its sink. */
async function list(tar: Buffer, chunkSize = 1 << 16) {
  const entries: LayerEntry[] = [];
  const lister = new LayerLister({ add: (path, size, kind) => entries.push([path, size, kind]) });
  for (let offset = 0; offset < tar.length; offset += chunkSize) await lister.write(tar.subarray(offset, offset + chunkSize));
  return { ...(await lister.finish()), entries };
}

describe('LayerLister', () => {
  it('lists files, directories, symlinks, hard links, whiteouts and opaque markers with their sizes', async () => {
    const longName = `usr/share/${'very-long-directory-name/'.repeat(8)}file.txt`; // over 100 bytes: a pax header
    expect(longName.length).toBeGreaterThan(100);
    const tar = await makeTar([
      { name: './', type: 'directory' },
      { name: './app/', type: 'directory' },
      { name: './app/main.js', content: 'x'.repeat(1234) },
      { name: './app/empty', content: '' },
      { name: 'app/link', type: 'symlink', linkname: 'main.js' }, // 7 bytes of target
      { name: 'app/ünï', type: 'symlink', linkname: 'ünï-target' }, // 12 bytes of UTF-8
      { name: 'app/hard', type: 'link', linkname: 'app/main.js' },
      { name: 'app/.wh.old.txt', content: '' },
      { name: 'etc/', type: 'directory' },
      { name: 'etc/.wh..wh..opq', content: '' },
      { name: longName, content: 'y'.repeat(10) },
      { name: '.wh.tmp', content: '' },
    ]);
    const listing = await list(tar);
    expect(listing.entries).toEqual([
      ['app', 0, 'd'],
      ['app/main.js', 1234, 'f'],
      ['app/empty', 0, 'f'],
      ['app/link', 0, 'l'],
      ['app/ünï', 0, 'l'],
      ['app/hard', 0, 'h'],
      ['app/old.txt', 0, 'w'],
      ['etc', 0, 'd'],
      ['etc', 0, 'o'],
      [longName, 10, 'f'],
      ['tmp', 0, 'w'],
    ]);
    // files 1234 + 0 + 10, symlink targets 7 + 12; hard links, whiteouts and directories take nothing
    expect(listing.unpackedBytes).toBe(1234 + 10 + 7 + Buffer.byteLength('ünï-target'));
    expect(listing.files).toBe(3);
  });

  it('gives the same listing whatever the chunks the tar arrives in', async () => {
    const tar = await makeTar([
      { name: 'a/', type: 'directory' },
      { name: 'a/one', content: '1'.repeat(700) },
      { name: 'a/two', content: '2'.repeat(513) },
    ]);
    const whole = await list(tar);
    expect(await list(tar, 1)).toEqual(whole);
    expect(await list(tar, 511)).toEqual(whole);
    expect(whole.unpackedBytes).toBe(1213);
  });

  it('lists an empty layer (a layer tar with no entries) as nothing', async () => {
    expect(await list(await makeTar([]))).toEqual({ unpackedBytes: 0, files: 0, entries: [] });
  });

  it('reports a damaged tar when finished, without hanging on later writes', async () => {
    const tar = await makeTar([
      { name: 'a', content: 'x'.repeat(2000) },
      { name: 'b', content: 'y'.repeat(2000) },
    ]);
    const damaged = Buffer.from(tar);
    damaged.fill(0x41, 2560, 3072); // the second header
    const lister = new LayerLister();
    for (let offset = 0; offset < damaged.length; offset += 100) await lister.write(damaged.subarray(offset, offset + 100));
    await expect(lister.finish()).rejects.toThrow(/header/i);
  });

  it("fails with the sink's error when the sink cannot take an entry (a full disk), without hanging", async () => {
    const tar = await makeTar(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, content: 'z'.repeat(600) })));
    let taken = 0;
    const lister = new LayerLister({
      add: () => {
        if (++taken === 3) throw new Error('ENOSPC: no space left on device, write');
      },
    });
    for (let offset = 0; offset < tar.length; offset += 100) await lister.write(tar.subarray(offset, offset + 100));
    await expect(lister.finish()).rejects.toThrow('ENOSPC');
    expect(taken).toBe(3);
  });
});

describe('normalisePath', () => {
  it.each([
    ['./a/b/', 'a/b'],
    ['/a/b', 'a/b'],
    ['././a', 'a'],
    ['./', ''],
    ['a//', 'a'],
  ])('%j → %j', (name, expected) => expect(normalisePath(name)).toBe(expected));
});
