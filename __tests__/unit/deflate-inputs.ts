// Deterministic inputs for the compressed-size models' tests (deflate-go126.test.ts, deflate-go127.test.ts), and for
// bench/record-go-sizes.ts, which writes them to files for real Go gzip to measure: the sizes in the tests were
// recorded that way, so a generator here must never change (add a new one instead).

/** mulberry32: a small deterministic PRNG, so the inputs (and the sizes Go gives them) are fixed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const WORDS = (
  'the of and to in is that for it as with was on be by this are or from at which an not have but had ' +
  'layer image build stage size docker registry compressed bytes file copy run from install package python node ' +
  'error warning info debug request response status 200 404 500 user id name value true false null'
).split(' ');

/** Text: words with a skewed frequency, numbers and line breaks, like logs or source. */
export function text(bytes: number, seed: number): Buffer {
  const random = prng(seed);
  const parts: string[] = [];
  let length = 0;
  while (length < bytes) {
    const r = random();
    const part =
      r < 0.08 ? `${Math.floor(random() * 100000)} ` : r < 0.14 ? '\n' : `${WORDS[Math.floor(random() * random() * WORDS.length)]} `;
    parts.push(part);
    length += part.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

/** Incompressible bytes. */
export function noise(bytes: number, seed: number): Buffer {
  const random = prng(seed);
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/**
 * Bytes with a skewed distribution and few repeats: Go stores a block of them when its parser finds no match
 * at all, and writes it as a Huffman-only block when matches are few.
 */
export function skewed(bytes: number, seed: number): Buffer {
  const random = prng(seed);
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = Math.floor(256 * random() ** 3);
  return out;
}

/** What a layer tar looks like: runs of text, noise and zeros, one after another. */
export function mixed(bytes: number, seed: number): Buffer {
  const random = prng(seed);
  const parts: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const size = 512 + Math.floor(random() * 200_000);
    const kind = random();
    const part =
      kind < 0.5 ? text(size, Math.floor(random() * 1e9)) : kind < 0.8 ? noise(size, Math.floor(random() * 1e9)) : Buffer.alloc(size);
    parts.push(part);
    length += size;
  }
  return Buffer.concat(parts).subarray(0, bytes);
}

/** A tar of many tiny files, as a layer of small files looks: a 512-byte header and a 512-byte block each (ratio about 100:1). */
export function smallFiles(count: number): Buffer {
  const records: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const body = `file ${i}\n`;
    const header = Buffer.alloc(512);
    header.write(`app/data/d${i % 50}/file-${i}.txt`, 0);
    header.write('0000644\0' + '0000000\0' + '0000000\0', 100);
    header.write(body.length.toString(8).padStart(11, '0') + '\0', 124);
    header.write((1700000000 + i).toString(8).padStart(11, '0') + '\0', 136);
    header.write('ustar\u000000', 257);
    const content = Buffer.alloc(512);
    content.write(body, 0);
    records.push(header, content);
  }
  return Buffer.concat(records);
}

/** Repetitive JSON, like an API description: the same keys and shapes over and over, with varying values. */
export function json(bytes: number, seed: number): Buffer {
  const random = prng(seed);
  const parts: string[] = ['['];
  let length = 1;
  for (let i = 0; length < bytes; i++) {
    const item = JSON.stringify(
      {
        id: i,
        name: `${WORDS[Math.floor(random() * WORDS.length)]}-${WORDS[Math.floor(random() * WORDS.length)]}`,
        description: `Returns the ${WORDS[Math.floor(random() * WORDS.length)]} of the ${WORDS[Math.floor(random() * WORDS.length)]}.`,
        responses: {
          '200': {
            description: 'OK',
            content: { 'application/json': { schema: { $ref: `#/components/schemas/s${Math.floor(random() * 40)}` } } },
          },
        },
        tags: random() < 0.5 ? ['repos'] : ['users', 'orgs'],
        deprecated: random() < 0.1,
      },
      null,
      2,
    );
    parts.push(i === 0 ? `\n${item}` : `,\n${item}`);
    length += item.length + 2;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

/** A part of a real ELF binary's shape: code-like bytes (skewed opcodes, small immediates) with repeated sequences. */
export function binary(bytes: number, seed: number): Buffer {
  const random = prng(seed);
  const out = Buffer.alloc(bytes);
  const snippets: Buffer[] = Array.from({ length: 64 }, () => skewed(8 + Math.floor(random() * 40), Math.floor(random() * 1e9)));
  for (let i = 0; i < bytes;) {
    const r = random();
    if (r < 0.4) {
      const snippet = snippets[Math.floor(random() * random() * snippets.length)];
      i += snippet.copy(out, i);
    } else if (r < 0.5) {
      const run = Math.floor(random() * 24);
      i += Math.min(run, bytes - i); // zeros (padding, small constants)
    } else {
      out[i++] = Math.floor(256 * random() ** 3);
    }
  }
  return out;
}

/** Runs of every kind above, of 1 to 150 KB each: blocks of each kind follow blocks of every other kind. */
export function layered(bytes: number, seed: number): Buffer {
  const random = prng(seed);
  const kinds = [text, noise, skewed, json, binary, (size: number) => Buffer.alloc(size)];
  const parts: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const size = 1000 + Math.floor(random() * random() * 150_000);
    parts.push(kinds[Math.floor(random() * kinds.length)](size, Math.floor(random() * 1e9)));
    length += size;
  }
  return Buffer.concat(parts).subarray(0, bytes);
}

/** The inputs the tests compare with recorded Go sizes, by name. */
export function recordedInputs(): Record<string, Buffer> {
  const inputs: Record<string, Buffer> = {
    empty: Buffer.alloc(0),
    a: Buffer.from('a'),
    hello: Buffer.from('hello, world\n'),
  };
  // around the thresholds of Go's last block (stored up to 32 bytes, Huffman-only below 128, else encoded)
  // and of its 65535-byte blocks
  for (const size of [12, 13, 32, 33, 100, 127, 128, 129, 200, 1000, 1024, 1025, 4096, 65535, 65536, 65535 + 127, 65535 + 128, 3 * 65535]) {
    inputs[`text${size}`] = text(size, size);
  }
  for (const size of [32, 33, 127, 128, 2000]) inputs[`noise${size}`] = noise(size, size);
  for (const size of [127, 128, 1000, 65535 + 1000]) inputs[`zeros${size}`] = Buffer.alloc(size);
  inputs.text = text(3 * 1024 * 1024 + 123, 1);
  inputs.noise = noise(2 * 1024 * 1024 + 5, 2);
  inputs.mixed = mixed(2 * 1024 * 1024, 3);
  inputs.smallFiles = smallFiles(3000);
  inputs.skewed = skewed(1024 * 1024, 4);
  inputs.json = json(3 * 1024 * 1024, 5);
  inputs.binary = binary(2 * 1024 * 1024, 6);
  inputs.zeros = Buffer.alloc(1024 * 1024 + 7);
  inputs.layered = layered(4 * 1024 * 1024, 7);
  return inputs;
}
