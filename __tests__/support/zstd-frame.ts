// zstd frames made by hand (RFC 8878): Node 20 has no zstd compressor and the tests use no CLI for it. A frame of
// raw blocks, and of an RLE block where a block is one byte repeated, is valid zstd that every decoder reads.

/** `data` as one zstd frame of blocks of at most `blockSize` bytes (at most 128 KiB). */
export function zstdFrame(data: Buffer, blockSize = 100_000): Buffer {
  if (blockSize > 128 * 1024) throw new Error('a zstd block holds at most 128 KiB');
  // magic; frame header descriptor 0 (no content size, no checksum, not single-segment); window 2^(10+7) = 128 KiB
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3])];
  let offset = 0;
  do {
    const block = data.subarray(offset, offset + blockSize);
    offset += block.length;
    const last = offset >= data.length ? 1 : 0;
    const rle = block.length > 1 && block.every((b) => b === block[0]);
    const header = last | ((rle ? 1 : 0) << 1) | (block.length << 3);
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), rle ? block.subarray(0, 1) : block);
  } while (offset < data.length);
  return Buffer.concat(parts);
}
