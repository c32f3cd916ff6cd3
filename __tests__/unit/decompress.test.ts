// Layer blobs back to their tar: gzip, zstd (Node's own where it has it, else fzstd) and a tar as it is.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { blobKind, decompressed, peek } from '../../src/measure/image/decompress.js';
import { makeTar } from '../support/save-tar.js';
import { zstdFrame } from '../support/zstd-frame.js';

async function collect(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A source that yields `data` in chunks of `size` bytes. */
function chunked(data: Buffer, size: number): AsyncIterable<Buffer> {
  return (async function* () {
    for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
  })();
}

describe('layer blobs', () => {
  it('tells gzip, zstd and a tar by their first bytes, and nothing else', async () => {
    const tar = await makeTar([{ name: 'a.txt', content: 'hello' }]);
    expect(blobKind(gzipSync(tar))).toBe('gzip');
    expect(blobKind(zstdFrame(tar))).toBe('zstd');
    expect(blobKind(tar)).toBe('tar');
    expect(blobKind(Buffer.from('{"config":1}'))).toBe('other');
    expect(blobKind(Buffer.alloc(0))).toBe('other');
  });

  it('gives back the tar of each kind, whatever the chunk sizes', async () => {
    const payload = Buffer.concat([randomBytes(300_000), Buffer.alloc(200_000, 7)]);
    const tar = await makeTar([
      { name: 'random.bin', content: payload },
      { name: 'b.txt', content: 'b' },
    ]);
    for (const [kind, blob] of [
      ['gzip', gzipSync(tar)],
      ['zstd', zstdFrame(tar, 64 * 1024)],
      ['tar', tar],
    ] as const) {
      for (const size of [1, 4096, 1 << 20]) {
        if (size === 1 && blob.length > 50_000) {
          // a byte at a time is slow: a part of it, through peek as the readers use it
          const { head, all } = await peek(chunked(blob, 7), 512);
          expect(blobKind(head)).toBe(kind);
          expect((await collect(decompressed(all, kind))).equals(tar)).toBe(true);
          continue;
        }
        expect((await collect(decompressed(chunked(blob, size), kind))).equals(tar), `${kind} in chunks of ${size}`).toBe(true);
      }
    }
  });

  it('fails, rather than waits, when the blob is cut short or damaged', async () => {
    const tar = await makeTar([{ name: 'big.bin', content: randomBytes(100_000) }]);
    const gz = gzipSync(tar);
    await expect(collect(decompressed(chunked(gz.subarray(0, gz.length - 100), 4096), 'gzip'))).rejects.toThrow();
    const zst = zstdFrame(tar);
    await expect(collect(decompressed(chunked(zst.subarray(0, zst.length - 100), 4096), 'zstd'))).rejects.toThrow();
    const broken = Readable.from(
      (async function* () {
        yield gz.subarray(0, 1000);
        throw new Error('connection reset');
      })(),
    );
    await expect(collect(decompressed(broken, 'gzip'))).rejects.toThrow('connection reset');
  });

  it('peeks at the first bytes and gives the whole stream back, also when it is shorter', async () => {
    const { head, all } = await peek(chunked(Buffer.from('abcdef'), 1), 4);
    expect(head.toString()).toBe('abcd');
    expect((await collect(all)).toString()).toBe('abcdef');
    const short = await peek(chunked(Buffer.from('ab'), 1), 4);
    expect(short.head.toString()).toBe('ab');
    expect((await collect(short.all)).toString()).toBe('ab');
  });
});
