// The compressed-size model against sizes recorded from Go's own compress/gzip (Go 1.19.8, the Go that built the
// Docker 20.10 daemon here, default level, as `docker push` compresses a layer) for fixed inputs, and against
// itself: chunking does not matter, parts in flight are bounded. The registry test checks real images.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CompressedSizer, compressedSizeOf } from '../../src/measure/image/compressed-size.js';
import { goDeflateModel } from '../../src/measure/image/deflate/go126-model.js';
import { prng, text, noise, mixed, smallFiles, WORDS } from './deflate-inputs.js';

/** An OpenAPI-like JSON description: deep indentation, the same keys and blocks over and over, many matches of 128 bytes and more. */
function apiJson(bytes: number, seed: number): Buffer {
  const random = prng(seed);
  const word = (): string => WORDS[Math.floor(random() * WORDS.length)];
  const name = (): string => `${word()}-${word()}`;
  const parts: string[] = ['{\n  "paths": {\n'];
  let length = parts[0].length;
  while (length < bytes) {
    const path = `/repos/{owner}/{repo}/${name()}/{${word()}_id}`;
    const params = Array.from(
      { length: 1 + Math.floor(random() * 4) },
      () =>
        `            {\n              "name": "${word()}",\n              "in": "${random() < 0.5 ? 'path' : 'query'}",\n              "required": ${random() < 0.5},\n              "schema": {\n                "type": "${random() < 0.7 ? 'string' : 'integer'}"\n              }\n            }`,
    );
    const props = Array.from(
      { length: 2 + Math.floor(random() * 6) },
      () =>
        `                      "${word()}_${word()}": {\n                        "type": "string",\n                        "description": "The ${word()} ${word()} of the ${word()}.",\n                        "example": "${name()}"\n                      }`,
    );
    const part =
      `    "${path}": {\n      "get": {\n        "summary": "Get a ${word()} ${word()}",\n        "description": "Gets the ${word()} for a ${word()}. ` +
      `Anyone with read access to the repository can use this endpoint.",\n        "operationId": "${name()}/get",\n` +
      `        "parameters": [\n${params.join(',\n')}\n        ],\n        "responses": {\n          "200": {\n            "description": "Response",\n` +
      `            "content": {\n              "application/json": {\n                "schema": {\n                  "type": "object",\n` +
      `                  "properties": {\n${props.join(',\n')}\n                  }\n                }\n              }\n            }\n          },\n` +
      `          "404": {\n            "$ref": "#/components/responses/not_found"\n          }\n        }\n      }\n    },\n`;
    parts.push(part);
    length += part.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

/** Sizes Go 1.19.8's gzip.NewWriter (level 6 unless said) wrote for the inputs above, recorded with a 20-line Go program. */
const GO = {
  empty: 23,
  a: 25,
  hello: 37, // 'hello, world\n'
  text: 990_428, // text(3 MiB + 123, 1)
  textLevel9: 980_368,
  textLevel4: 1_064_173,
  noise: 2_097_821, // noise(2 MiB + 5, 2)
  mixed: 1_272_572, // mixed(2 MiB, 3)
  smallFiles: 52_052, // smallFiles(3000)
  apiJson: 193_451, // apiJson(3 MiB + 77, 4)
  apiJsonLevel9: 183_627,
  apiJsonLevel4: 239_190,
};

const TEXT = text(3 * 1024 * 1024 + 123, 1);
const NOISE = noise(2 * 1024 * 1024 + 5, 2);
const MIXED = mixed(2 * 1024 * 1024, 3);
const SMALL_FILES = smallFiles(3000);
const API_JSON = apiJson(3 * 1024 * 1024 + 77, 4);

let textSize: Promise<number> | undefined;
/** TEXT measured with the defaults, once. */
function ourTextSize(): Promise<number> {
  textSize ??= compressedSizeOf([TEXT]);
  return textSize;
}

function relative(actual: number, expected: number): number {
  return Math.abs(actual - expected) / expected;
}

async function sizeInChunks(bytes: Buffer, chunkSizes: () => number, options?: ConstructorParameters<typeof CompressedSizer>[0]) {
  const sizer = new CompressedSizer(options);
  for (let offset = 0; offset < bytes.length;) {
    const n = Math.min(chunkSizes(), bytes.length - offset);
    await sizer.write(bytes.subarray(offset, offset + n));
    offset += n;
  }
  return sizer.end();
}

describe("compressed size matches Go's gzip", () => {
  it('empty input: header, an empty final stored block, trailer', async () => {
    expect(await compressedSizeOf([])).toBe(GO.empty);
    // zlib ends with an empty fixed-Huffman block instead: 3 bytes less. We follow Go.
    expect(zlib.gzipSync(Buffer.alloc(0)).length).toBe(GO.empty - 3);
  });

  it('tiny inputs, to the byte', async () => {
    expect(await compressedSizeOf([Buffer.from('a')])).toBe(GO.a);
    expect(await compressedSizeOf([Buffer.from('hello, world\n')])).toBe(GO.hello);
  });

  it('text over several parts, within 0.01%', async () => {
    const sizer = new CompressedSizer();
    await sizer.write(TEXT);
    const size = await sizer.end();
    expect(sizer.stats.blocks).toBe(4);
    expect(size).toBe(await ourTextSize());
    expect(relative(size, GO.text)).toBeLessThan(0.0001);
  });

  it('the part size does not matter: text in 1 part or 49, within 0.01%', async () => {
    const whole = await compressedSizeOf([TEXT], { blockSize: 8 * 1024 * 1024 });
    expect(relative(whole, GO.text)).toBeLessThan(0.0001);
    const small = new CompressedSizer({ blockSize: 64 * 1024 });
    await small.write(TEXT);
    const size = await small.end();
    expect(small.stats.blocks).toBe(49);
    expect(relative(size, GO.text)).toBeLessThan(0.0001);
  });

  it('many small files (ratio 60:1): blocks are cut across parts as Go cuts them, within a few bytes', async () => {
    // Cutting deflate blocks at each part boundary (pigz's way) was 2% off here with 64 KiB parts.
    for (const blockSize of [64 * 1024, 1024 * 1024]) {
      expect(Math.abs((await compressedSizeOf([SMALL_FILES], { blockSize })) - GO.smallFiles)).toBeLessThan(8);
    }
  });

  it('is not zlib: zlib -6 finds 3-byte matches Go never emits, and ends up larger on text', async () => {
    const ours = await ourTextSize();
    const zlibSize = zlib.gzipSync(TEXT, { level: 6 }).length;
    expect(zlibSize).toBeGreaterThan(ours * 1.002);
  });

  it('incompressible data: stored blocks, to the byte', async () => {
    expect(await compressedSizeOf([NOISE])).toBe(GO.noise);
    // zlib stores it too, with its own block lengths: within a few bytes.
    expect(Math.abs(zlib.gzipSync(NOISE).length - GO.noise)).toBeLessThan(16);
  });

  it('a mix of text, noise and zeros, within 0.01%', async () => {
    expect(relative(await compressedSizeOf([MIXED]), GO.mixed)).toBeLessThan(0.0001);
  });

  it('repetitive JSON, where matches are long and chains are walked in full, within 0.01% at levels 6, 9 and 4', async () => {
    expect(relative(await compressedSizeOf([API_JSON]), GO.apiJson)).toBeLessThan(0.0001);
    expect(relative(await compressedSizeOf([API_JSON], { level: 9 }), GO.apiJsonLevel9)).toBeLessThan(0.0001);
    expect(relative(await compressedSizeOf([API_JSON], { level: 4 }), GO.apiJsonLevel4)).toBeLessThan(0.0001);
  });

  it('other Go levels', async () => {
    expect(relative(await compressedSizeOf([TEXT], { level: 9 }), GO.textLevel9)).toBeLessThan(0.0001);
    expect(relative(await compressedSizeOf([TEXT], { level: 4 }), GO.textLevel4)).toBeLessThan(0.0001);
  });
});

describe('streaming', () => {
  it('chunk boundaries do not matter', async () => {
    const options = { blockSize: 128 * 1024 };
    const oneChunk = await sizeInChunks(MIXED, () => MIXED.length, options);
    const random = prng(7);
    const ragged = await sizeInChunks(MIXED, () => 1 + Math.floor(random() * random() * 300_000), options);
    const blockSized = await sizeInChunks(MIXED, () => 128 * 1024, options);
    let i = 0;
    const tinyThenHuge = await sizeInChunks(MIXED, () => (i++ < 2000 ? 1 + (i % 3) : MIXED.length), options);
    expect(ragged).toBe(oneChunk);
    expect(blockSized).toBe(oneChunk);
    expect(tinyThenHuge).toBe(oneChunk);
  });

  it('reads a Node stream', async () => {
    const fromStream = await compressedSizeOf(Readable.from([TEXT.subarray(0, 1000), TEXT.subarray(1000)]));
    expect(fromStream).toBe(await ourTextSize());
    await expect(compressedSizeOf(Readable.from(['some text']))).rejects.toThrow(/bytes, not strings/);
  });

  it('back-pressure: never more than `concurrency` parts in flight', async () => {
    for (const concurrency of [1, 2, 3]) {
      const sizer = new CompressedSizer({ blockSize: 64 * 1024, concurrency });
      // One write of 32 parts: it must wait for free slots rather than send them all.
      await sizer.write(MIXED);
      await sizer.end();
      expect(sizer.stats.blocks).toBe(32);
      expect(sizer.stats.maxInFlight).toBe(concurrency);
    }
  });

  it('writes that are not awaited are still taken in order', async () => {
    const sizer = new CompressedSizer({ blockSize: 64 * 1024 });
    const writes = [];
    for (let offset = 0; offset < MIXED.length; offset += 100_000) writes.push(sizer.write(MIXED.subarray(offset, offset + 100_000)));
    await Promise.all(writes);
    expect(await sizer.end()).toBe(await compressedSizeOf([MIXED], { blockSize: 64 * 1024 }));
  });

  it('rejects bad options and misuse with a clear message', async () => {
    expect(() => new CompressedSizer({ level: 1 })).toThrow(/level must be 4 to 9/);
    expect(() => new CompressedSizer({ blockSize: 1000 })).toThrow(/blockSize must be an integer >= 65536/);
    expect(() => new CompressedSizer({ blockSize: 2 ** 30 })).toThrow(
      /blockSize must be an integer >= 65536 and <= 67108864, got 1073741824/,
    );
    expect(() => new CompressedSizer({ concurrency: 0 })).toThrow(/concurrency must be an integer >= 1/);
    const sizer = new CompressedSizer();
    await sizer.end();
    await expect(sizer.write(Buffer.from('x'))).rejects.toThrow(/write after end/);
  });
});

describe("length-limited Huffman codes (each block's trees)", () => {
  const { codeLengths } = goDeflateModel();

  /**
   * The cost of an optimal code with no length over `limit`, by textbook package-merge on weights alone: the
   * cost is the sum of the 2n-2 lightest items of the last list.
   */
  function optimalCost(freqs: number[], limit: number): number {
    const leaves = freqs.filter((f) => f > 0).sort((a, b) => a - b);
    if (leaves.length <= 2) return leaves.reduce((a, b) => a + b, 0);
    let list = [...leaves];
    for (let level = 1; level < limit; level++) {
      const packages: number[] = [];
      for (let i = 0; i + 1 < list.length; i += 2) packages.push(list[i] + list[i + 1]);
      list = [...leaves, ...packages].sort((a, b) => a - b);
    }
    return list.slice(0, 2 * leaves.length - 2).reduce((a, b) => a + b, 0);
  }

  function check(freqs: number[], limit: number): number[] {
    const out = new Uint8Array(freqs.length);
    codeLengths(Int32Array.from(freqs), freqs.length, limit, out);
    const lengths = [...out];
    const used = freqs.filter((f) => f > 0).length;
    lengths.forEach((length, symbol) => expect(length > 0).toBe(freqs[symbol] > 0));
    expect(Math.max(...lengths)).toBeLessThanOrEqual(limit);
    const kraft = lengths.reduce((sum, length) => sum + (length ? 2 ** -length : 0), 0);
    expect(kraft).toBe(used === 1 ? 0.5 : 1);
    expect(lengths.reduce((sum, length, symbol) => sum + length * freqs[symbol], 0)).toBe(optimalCost(freqs, limit));
    return lengths;
  }

  const fibonacci = (n: number): number[] => {
    const out = [1, 1];
    while (out.length < n) out.push(out[out.length - 1] + out[out.length - 2]);
    return out;
  };

  it('a Huffman code deeper than the limit is reshaped to fit, at the least cost', () => {
    // Fibonacci weights make the deepest Huffman codes: 25 symbols would need 24 bits.
    const literals = new Array(286).fill(0);
    fibonacci(25).forEach((f, i) => (literals[i * 11] = f));
    expect(Math.max(...check(literals, 15))).toBe(15);
    const codegen = new Array(19).fill(0);
    fibonacci(12).forEach((f, i) => (codegen[i] = f));
    expect(Math.max(...check(codegen, 7))).toBe(7);
  });

  it('ordinary, equal, single and paired frequencies', () => {
    const random = prng(11);
    for (let round = 0; round < 50; round++) {
      check(
        Array.from({ length: 286 }, () => (random() < 0.3 ? 0 : Math.floor(random() * random() * 5000))),
        15,
      );
      check(
        Array.from({ length: 19 }, () => (random() < 0.3 ? 0 : Math.floor(random() * 300))),
        7,
      );
    }
    check(new Array(30).fill(7), 15);
    expect(check([0, 0, 5, 0], 15)).toEqual([0, 0, 1, 0]);
    expect(check([3, 0, 0, 900], 15)).toEqual([1, 0, 0, 1]);
  });
});

describe("the parse is Go's, token for token", () => {
  /**
   * A literal transcription of Go's `(*compressor).deflate` and `findMatch` for levels 4-9
   * (compress/flate/deflate.go up to Go 1.26, as read in Go 1.19's: skipNever, hash4 into 17 bits, hashHead and
   * hashPrev chains that the parse fills as it goes, indexed modulo the window), over data[start:end) with
   * data[0:start) seen before: the model's WebAssembly parser builds its chains another way and must give the
   * same tokens. Tokens as (length, distance), or (1, 0) for a literal.
   */
  function goParse(data: Uint8Array, start: number, end: number, level: number): Array<[number, number]> {
    const [lazy, niceLength, chain] = (
      { 4: [4, 16, 16], 5: [16, 32, 32], 6: [16, 128, 128], 7: [32, 128, 256], 8: [128, 258, 1024], 9: [258, 258, 4096] } as Record<
        number,
        number[]
      >
    )[level];
    const windowSize = 32768;
    const hashHead = new Int32Array(1 << 17); // position + 1, 0: none
    const hashPrev = new Int32Array(windowSize);
    const hash4 = (i: number): number =>
      Math.imul((data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3], 0x1e35a7bd) >>> 15;
    const insert = (i: number): number => {
      const h = hash4(i);
      const chainHead = hashHead[h];
      hashPrev[i & (windowSize - 1)] = chainHead;
      hashHead[h] = i + 1;
      return chainHead;
    };
    const base = Math.max(0, start - windowSize);
    const maxInsertIndex = end - 3;
    for (let i = base; i < start && i < maxInsertIndex; i++) insert(i);
    const tokens: Array<[number, number]> = [];
    let length = 3;
    let offset = 0;
    let byteAvailable = false;
    let chainHead = 0;
    for (let index = start; ;) {
      const lookahead = end - index;
      if (lookahead === 0) {
        if (byteAvailable) tokens.push([1, 0]);
        return tokens;
      }
      if (index < maxInsertIndex) chainHead = insert(index);
      const prevLength = length;
      const prevOffset = offset;
      length = 3;
      offset = 0;
      const minIndex = Math.max(index - windowSize, base);
      if (chainHead - 1 >= minIndex && lookahead > prevLength && prevLength < lazy) {
        // findMatch(index, chainHead - 1, minMatchLength - 1, lookahead)
        const maxLength = Math.min(lookahead, 258);
        const nice = Math.min(niceLength, maxLength);
        for (let i = chainHead - 1, tries = chain; tries > 0; tries--) {
          if (data[i + length] === data[index + length]) {
            let n = 0;
            while (n < maxLength && data[i + n] === data[index + n]) n++;
            if (n > length && (n > 4 || index - i <= 4096)) {
              length = n;
              offset = index - i;
              if (n >= nice) break;
            }
          }
          if (i === index - windowSize) break; // hashPrev[i & windowMask] has already been overwritten
          i = hashPrev[i & (windowSize - 1)] - 1;
          if (i < minIndex) break;
        }
      }
      if (prevLength >= 4 && length <= prevLength) {
        tokens.push([prevLength, prevOffset]);
        const newIndex = index + prevLength - 1;
        for (index++; index < newIndex; index++) if (index < maxInsertIndex) insert(index);
        byteAvailable = false;
        length = 3;
      } else {
        if (byteAvailable) tokens.push([1, 0]);
        index++;
        byteAvailable = true;
      }
    }
  }

  const DIST_BASE = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385,
    24577,
  ];
  /** A model token read back: [bytes covered, distance code] for a match, [1, -1 - byte] for a literal. */
  function read(token: number): [number, number] {
    const symbol = token & 511;
    return symbol < 256 ? [token >>> 19, -1 - symbol] : [token >>> 19, (token >>> 9) & 31];
  }
  function expected([length, distance]: [number, number], data: Uint8Array, at: number): [number, number] {
    if (distance === 0) return [1, -1 - data[at]];
    let code = DIST_BASE.length - 1;
    while (DIST_BASE[code] > distance) code--;
    return [length, code];
  }

  const model = goDeflateModel();
  /** The first token where the model and the transcription differ, or undefined. */
  function firstDifference(data: Uint8Array, start: number, end: number, level: number): string | undefined {
    const out = new Uint32Array(end - start);
    const count = model.parse(data, start, end, level, out);
    const go = goParse(data, start, end, level);
    let at = start;
    for (let k = 0; k < Math.max(count, go.length); k++) {
      if (k >= count || k >= go.length) return `token ${k}: the model has ${count} tokens, Go ${go.length}`;
      const ours = read(out[k]);
      const theirs = expected(go[k], data, at);
      if (ours[0] !== theirs[0] || ours[1] !== theirs[1]) return `token ${k} (byte ${at}): model ${ours}, Go ${theirs}`;
      at += go[k][0];
    }
    return undefined;
  }

  // A part is parsed with up to 32 KiB before it as its window: starts at 0, inside the first window and past it;
  // bytes after `end` must not count.
  const cuts = (length: number): Array<[number, number]> => [
    [0, length],
    [1000, length - 5000],
    [40_000, length],
    [123_457, length - 1],
  ];
  const inputs: Array<[string, Buffer]> = [
    ['text', TEXT.subarray(0, 300_000)],
    ['JSON', API_JSON.subarray(0, 400_000)],
    ['noise', NOISE.subarray(0, 200_000)],
    ['mixed', MIXED.subarray(0, 400_000)],
    ['small files', SMALL_FILES.subarray(0, 400_000)],
    ['zeros', Buffer.alloc(200_000)],
    ['a short period', Buffer.from('abcab'.repeat(40_000))],
  ];

  for (const [name, data] of inputs) {
    it(`${name}, levels 4 to 9`, () => {
      for (const level of [4, 5, 6, 7, 8, 9]) {
        // (the transcription walks chains of up to 1024 and 4096 candidates slowly at levels 8 and 9: less data there)
        const some = level < 8 ? data : data.subarray(0, 160_000);
        for (const [start, end] of cuts(some.length))
          expect(firstDifference(some, start, end, level), `level ${level}, [${start}, ${end})`).toBeUndefined();
      }
    });
  }

  it('inputs of 0 to 300 bytes, where the search stops short of the end', () => {
    const random = prng(5);
    for (let n = 0; n <= 300; n++) {
      const data = n % 2 ? TEXT.subarray(n * 97, n * 98) : Buffer.from(Array.from({ length: n }, () => (random() < 0.5 ? 97 : 98)));
      for (const level of [4, 6, 9]) expect(firstDifference(data, 0, data.length, level), `${n} bytes, level ${level}`).toBeUndefined();
    }
  });
  it('4-byte matches at 4096 bytes (taken) and 4097 (not worth their distance)', () => {
    for (const distance of [4095, 4096, 4097]) {
      const data = Buffer.concat([Buffer.from('WXYZ'), noise(distance - 4, 6), Buffer.from('WXYZ'), noise(1000, 7)]);
      for (const level of [4, 6, 9])
        expect(firstDifference(data, 0, data.length, level), `distance ${distance}, level ${level}`).toBeUndefined();
    }
  });
});

describe('the WebAssembly parser', () => {
  it('was built from go-deflate-parse.c as it is (bash scripts/build-go-deflate-wasm.sh after a change)', () => {
    const source = readFileSync(new URL('../../src/measure/image/deflate/go-deflate-parse.c', import.meta.url));
    const sizer = readFileSync(new URL('../../src/measure/image/deflate/go126-model.ts', import.meta.url), 'utf8');
    const recorded = /built from go-deflate-parse\.c \(sha256 ([0-9a-f]{64})\)/.exec(sizer)?.[1];
    expect(recorded).toBe(createHash('sha256').update(source).digest('hex'));
  });
});
