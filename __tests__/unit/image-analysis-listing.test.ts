// Reading a layer tar as it streams: what it holds and the bytes it takes unpacked (files + symlink targets).
import { describe, expect, it } from 'vitest';
import { entriesOf, entryList, isEntryList, LayerLister, normalisePath } from '../../src/measure/image/layer-listing.js';
import { makeTar } from '../support/save-tar.js';

async function list(tar: Buffer, chunkSize = 1 << 16) {
  const lister = new LayerLister();
  for (let offset = 0; offset < tar.length; offset += chunkSize) await lister.write(tar.subarray(offset, offset + chunkSize));
  return lister.finish();
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
    expect(entriesOf(listing.entries)).toEqual([
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
    expect(await list(await makeTar([]))).toEqual({ unpackedBytes: 0, files: 0, entries: { paths: [], sizes: [], kinds: '' } });
  });

  it('reports a damaged tar when finished, without hanging on later writes', async () => {
    const tar = await makeTar([{ name: 'a', content: 'x'.repeat(2000) }, { name: 'b', content: 'y'.repeat(2000) }]);
    const damaged = Buffer.from(tar);
    damaged.fill(0x41, 2560, 3072); // the second header
    const lister = new LayerLister();
    for (let offset = 0; offset < damaged.length; offset += 100) await lister.write(damaged.subarray(offset, offset + 100));
    await expect(lister.finish()).rejects.toThrow(/header/i);
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

describe('EntryList', () => {
  it('holds the entries as parallel arrays and gives them back one by one', () => {
    const entries = [
      ['app', 0, 'd'],
      ['app/main.js', 1234, 'f'],
      ['app/old.txt', 0, 'w'],
      ['etc', 0, 'o'],
    ] as const;
    const list = entryList(entries.map((e) => [...e]));
    expect(list).toEqual({ paths: ['app', 'app/main.js', 'app/old.txt', 'etc'], sizes: [0, 1234, 0, 0], kinds: 'dfwo' });
    expect(entriesOf(list)).toEqual(entries);
    expect(isEntryList(list)).toBe(true);
  });

  it.each([
    ['null', null],
    ['an array of entries (the old form)', [['a', 1, 'f']]],
    ['arrays of different lengths', { paths: ['a', 'b'], sizes: [1], kinds: 'ff' }],
    ['a kind that is none', { paths: ['a'], sizes: [1], kinds: 'z' }],
    ['a size that is no number', { paths: ['a'], sizes: ['1'], kinds: 'f' }],
    ['a path that is no string', { paths: [1], sizes: [1], kinds: 'f' }],
  ])('tells a damaged list read back from disk: %s', (_, value) => {
    expect(isEntryList(value)).toBe(false);
  });
});
