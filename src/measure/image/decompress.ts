/**
 * Layer blobs as registries and the containerd image store keep them: gzip, zstd, or an uncompressed tar, told
 * apart by their first bytes (a media type can be wrong: `application/vnd.docker.image.rootfs.diff.tar.gzip`
 * is also given to uncompressed layers by some tools). Each is turned back into the layer tar as a stream, with
 * back-pressure, so that nothing but the decompressor's window is held in memory.
 *
 * zstd: Node 22.15+ (the node24 runners) has `zlib.createZstdDecompress`; Node 20 does not, and there the
 * pure-JS `fzstd` decompressor is used.
 */
import { Transform, type Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress } from 'fzstd';

export type BlobKind = 'gzip' | 'zstd' | 'tar' | 'other';

/** What a blob is, from its first bytes (at least 263 of them to recognise a tar). */
export function blobKind(head: Buffer): BlobKind {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length > 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  return 'other';
}

/** A decompressor for the kind (a pass-through for a tar). */
export function decompressor(kind: 'gzip' | 'zstd' | 'tar'): Transform {
  if (kind === 'gzip') return zlib.createGunzip();
  if (kind === 'tar') return new Transform({ transform: (chunk: Buffer, _encoding, done) => done(null, chunk) });
  const native = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  return native ? native() : zstdTransform();
}

/** fzstd's streaming decompressor as a Transform. */
function zstdTransform(): Transform {
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      try {
        zstd.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        done();
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)));
      }
    },
    flush(done) {
      try {
        zstd.push(new Uint8Array(0), true);
        done();
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)));
      }
    },
  });
  // (called only once data flows, after this line)
  const zstd = new Decompress((data) => {
    stream.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
  return stream;
}

/**
 * The chunks of `source` decompressed as `kind`, read with back-pressure. A source that fails or ends early makes
 * the decompressed stream fail too (it must not wait for more).
 */
export function decompressed(source: AsyncIterable<Buffer>, kind: 'gzip' | 'zstd' | 'tar'): Readable {
  const inflate = decompressor(kind);
  const feeding = (async () => {
    for await (const chunk of source) {
      if (inflate.destroyed) return;
      if (!inflate.write(chunk))
        await new Promise<void>((resolve) => {
          const go = () => {
            inflate.off('drain', go);
            inflate.off('close', go);
            resolve();
          };
          inflate.on('drain', go);
          inflate.on('close', go);
        });
    }
    inflate.end();
  })();
  feeding.catch((error: unknown) => inflate.destroy(error instanceof Error ? error : new Error(String(error))));
  return inflate;
}

/**
 * Split off the first `bytes` of a stream (or fewer, when it is shorter) and give back the whole stream again,
 * those bytes first: to tell a blob's kind before reading it.
 */
export async function peek(source: AsyncIterable<Buffer>, bytes: number): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const gathered: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < bytes) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    gathered.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(gathered);
  const all: AsyncIterable<Buffer> = {
    async *[Symbol.asyncIterator]() {
      if (head.length) yield head;
      if (ended) return;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    },
  };
  return { head, all };
}
