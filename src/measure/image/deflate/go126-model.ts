/**
 * Go's compress/flate up to Go 1.26 (levels 4-9), reduced to counting bits: the model behind the compressed
 * size of a layer as a Docker built with Go 1.26 or earlier pushes it. The parse runs as WebAssembly built from
 * go-deflate-parse.c (embedded below); go126-sizer.ts runs it in parallel over a stream, and the sizer
 * (compressed-size.ts, `model: 'go1.26'`) is what the rest of the tool uses. go127-model.ts beside it models
 * Go 1.27's rewritten compressor.
 *
 * ## What Docker pushes
 * A layer is pushed as Go's `compress/gzip` at the default level (6) over the layer tar (moby's
 * distribution/push_v2.go `compress()`: `gzip.NewWriter`; containerd and BuildKit use the same writer):
 * a 10-byte header (no name, no mtime), the deflate stream, an 8-byte trailer (CRC-32, length). Go's deflate
 * ends with an empty final stored block (`Close` writes the data as non-final blocks, then 3 bits, padding to
 * a byte and LEN/NLEN), so empty input is 23 bytes where zlib writes 20.
 *
 * ## Why not zlib
 * Go's deflate is not zlib. Same lazy-matching parameters at level 6 (good 8, lazy 16, nice 128, chain 128),
 * but Go never emits 3-byte matches (zlib does), hashes 4 bytes into 17 bits (zlib: 3 bytes, 15 bits), cuts a
 * block every 16384 tokens and picks stored/fixed/dynamic by exact size. Measured here against the registry
 * (distribution 2.8, pushes from Docker 20.10, built with Go 1.19) and against Go 1.19's gzip directly, per layer
 * or 40 MB sample (deviation of the size from Go's):
 *
 *   | data                                 | zlib -6 | zlib -6, memLevel 9 | zlib -7, memLevel 9 | this model |
 *   | ------------------------------------ | ------: | ------------------: | ------------------: | ---------: |
 *   | busybox:latest layer (static binary) |  -1.15% |              -0.78% |              -0.83% |    -0.007% |
 *   | debian:bookworm-slim rootfs (78 MB)  |  -0.35% |              +0.29% |                     |    -0.007% |
 *   | /usr/bin, the node binary (ELF)      |  -0.92% |              -0.85% |              -1.00% |    -0.005% |
 *   | TypeScript's lib/*.js                |  -0.31% |              -0.30% |                     |    -0.003% |
 *   | 3000 small files (high ratio)        |  -0.04% |              +0.34% |                     |    -0.004% |
 *   | generated CSV, JSON lines, logs      |  +1.5 to +4.1% |    +1.4 to +4.0% |       -0.5 to +1.0% |   <0.002% |
 *   | `seq` output with a step             |  +6.33% |              +6.48% |              +6.48% |    -0.002% |
 *   | random bytes                         |   0.00% |              +0.09% |              +0.09% |      0     |
 *
 * No zlib setting (levels 1-9, memLevel 7-9, Z_FILTERED; Node has no deflateTune) stays within 1% on all of
 * them: the difference is the 3-byte matches, which only a different matcher removes. So this file models Go's
 * compressor (compress/flate up to Go 1.26, levels 4-9: hash chains, lazy matching, 16384-token blocks) and
 * adds up the bits each block would take without producing them. Go 1.27's compress/flate is a different
 * compressor (ported from klauspost/compress), 2-5% larger on most layers: go127-model.ts models it
 * (CompressedSizer's `model: 'go1.27'`).
 *
 * ## Speed
 * The parse (go-deflate-parse.c, run as WebAssembly; see `goDeflateModel`) is what costs: it walks Go's hash
 * chains, up to 128 candidates at level 6, where gzip and zlib walk 32 once they have a match of 8 bytes.
 * Issue 10 asks for at least 0.9 x cores x the speed of `gzip -6` on one core, on every kind of layer;
 * `node bench/sizer.mjs` measures it per kind (JSON, text, binaries, a Debian root filesystem, random bytes,
 * zero bytes).
 */

/** The model as a worker or the calling thread instantiates it. */
export type Go126Model = ReturnType<typeof goDeflateModel>;
/** Counts the blocks of a stream from its parts' tokens, in order. */
export type Go126Blocker = ReturnType<Go126Model['blocker']>;

/**
 * Go's level 4-9 compressor, reduced to counting bits, in two parts: `parse` (the expensive LZ77 search, run on
 * workers, as WebAssembly built from go-deflate-parse.c) turns input into tokens; a `blocker` (cheap, on the calling thread) takes the tokens of all parts in
 * order, cuts deflate blocks every 16384 tokens as Go does and adds up each block's size.
 * Self-contained on purpose: workers receive it as source text (`goDeflateModel.toString()`, go126-sizer.ts),
 * so it must not refer to anything outside its own body. Exported for go126-sizer.ts and tests.
 *
 * A token is one uint32: symbol (bits 0-8: a byte, or 257-285 for a match length), distance code (9-13),
 * extra bits (14-18) and the input bytes it covers (19-27).
 */
export function goDeflateModel() {
  const WINDOW = 32768;
  const MAX_MATCH = 258;
  const MAX_BLOCK_TOKENS = 1 << 14;
  const MAX_STORED = 65535;
  // lazy, nice, chain per level (good is never reached: the search always starts from length 3)
  const LEVELS: Record<number, [number, number, number]> = {
    4: [4, 16, 16],
    5: [16, 32, 32],
    6: [16, 128, 128],
    7: [32, 128, 256],
    8: [128, 258, 1024],
    9: [258, 258, 4096],
  };

  // RFC 1951 3.2.5: length and distance codes with their extra bits, precomputed as match tokens.
  const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
  const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
  const DIST_BASE = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385,
    24577,
  ];
  const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
  /** symbol | extra << 14 | length << 19 for each match length */
  const lengthToken = new Uint32Array(MAX_MATCH + 1);
  for (let code = 0; code < 29; code++) {
    const last = code === 28 ? MAX_MATCH : LENGTH_BASE[code + 1] - 1;
    for (let length = LENGTH_BASE[code]; length <= last; length++) {
      lengthToken[length] = (257 + code) | (LENGTH_EXTRA[code] << 14) | (length << 19);
    }
  }
  // 258 has its own code (285) without extra bits, even though 227 + 31 reaches it too.
  lengthToken[MAX_MATCH] = 285 | (MAX_MATCH << 19);
  /** distance code << 9 | extra << 14 for each distance */
  const distanceToken = new Uint32Array(WINDOW + 1);
  for (let code = 0; code < 30; code++) {
    const last = code === 29 ? WINDOW : DIST_BASE[code + 1] - 1;
    for (let distance = DIST_BASE[code]; distance <= last; distance++) distanceToken[distance] = (code << 9) | (DIST_EXTRA[code] << 14);
  }
  const FIXED_LIT_BITS = new Uint8Array(286);
  for (let i = 0; i < 286; i++) FIXED_LIT_BITS[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
  const CODEGEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

  // The parse is go-deflate-parse.c compiled to WebAssembly. In JavaScript it ran at 0.9 times the speed of
  // `gzip -6` per core on repetitive JSON (Go walks its chains of 128 candidates in full where gzip walks 32
  // after a match of 8 bytes), too slow for two cores to reach 1.8 times gzip; V8 re-checks typed arrays on
  // every step of the chain walk, and the best JavaScript (the chains built first, 4 bytes compared at a time)
  // gained only 15%. As WebAssembly the parse costs 1.6 to 1.9 times less CPU than the JavaScript did on JSON,
  // text, binaries, a root filesystem and zeros (1.3 on random bytes): 1.4 to 3 times gzip's speed per core.
  // go-deflate-parse.wasm: begin
  // built from go-deflate-parse.c (sha256 a39672608cb6323a11380b8c30308121055a86e602118aee1de1c74b27a3d9a0) by scripts/build-go-deflate-wasm.sh, Debian clang version 14.0.6
  const PARSER_WASM =
    'AGFzbQEAAAABFgJgCX9/f39/f39/fwF/YAV/f39/fwADAwIAAQUDAQAMBh0EfwFBoJAsC38AQZCQIAt/AEGAiCALfwBBoJAsCwdA' +
    'BQZtZW1vcnkCAAVwYXJzZQAADmRpc3RhbmNlX3Rva2VuAwEMbGVuZ3RoX3Rva2VuAwILX19oZWFwX2Jhc2UDAwq+CQLlBwIWfwF+' +
    'QQAhCUGAiICAAEEAQYCAIPwLACAGQQA2AgAgB0EANgIAAkAgAUGAgH5qQQAgAUGAgAJKGyIKIAJBfWoiC04NACAAIAogCyAGIAcQ' +
    'gYCAgAALAkACQCACIAFrIgwNAEEAIQ0MAQtBACENQQMhDkEAIQ9BACEJA0AgDyEQQQAhD0EDIQsCQCAMIA5MDQBBACEPQQMhCyAO' +
    'IANODQBBACEPQQMhCyAGIAFBAWoiEUECdGooAgAiEiABQYCAfmoiEyAKIBMgCkobIhRMDQAgBCAMQYICIAxBggJIGyIPIA8gBEob' +
    'IRUgACABaiIMQX1qIRYgDCgAACEXQQAhGEEDIRkgBSEaAkADQCAHIBFBAnRqKAIAIRECQCAAIBJBf2oiG2oiHCAZakF9aigAACAX' +
    'Rw0AQQAhCwJAA0ACQCALQQhqIhMgD0wNACALIA9ODQIDQCAcIAtqLQAAIAwgC2otAABHDQMgDyALQQFqIgtHDQALIA8hCwwCCyAc' +
    'IAtqIR0gDCALaiEeIBMhCyAeKQAAIB0pAACFIh9QDQALIB96p0EDdiATQXhqciELCyALIBlMDQAgASAbayETAkAgC0EESg0AIBNB' +
    'gCBKDQELAkAgCyAVSA0AIAshGSATIRgMAwsgFiALaigAACEXIAshGSATIRgLIBpBAUYNASARIBRMDQECQCAAIBFBf2oiG2oiHCAZ' +
    'akF9aigAACAXRw0AQQAhCwJAA0ACQCALQQhqIhMgD0wNACALIA9ODQIDQCAcIAtqLQAAIAwgC2otAABHDQMgDyALQQFqIgtHDQAL' +
    'IA8hCwwCCyAcIAtqIR0gDCALaiEeIBMhCyAeKQAAIB0pAACFIh9QDQALIB96p0EDdiATQXhqciELCyALIBlMDQAgASAbayETAkAg' +
    'C0EESg0AIBNBgCBKDQELAkAgCyAVSA0AIAshGSATIRgMAwsgFiALaigAACEXIAshGSATIRgLIBpBfmoiGkUNASAHIBJBAnRqKAIA' +
    'IhIgFEoNAAsLIBlBAyAZQQNKIg8bIQsgGEEAIA8bIQ8LAkACQCAOQQRJDQAgCyAOSw0AIAggDUECdGogEEECdEGQkKCAAGooAgAg' +
    'DkECdEGAiKCAAGooAgBqNgIAIA5Bf2ohDCANQQFqIQ1BAyEOQQAhCQwBCwJAAkAgCQ0AQQEhCQwBCyAIIA1BAnRqIAEgAGpBf2ot' +
    'AABBgIAgcjYCAEEBIQkgDUEBaiENC0EBIQwgCyEOCyACIAwgAWoiAWsiDA0ACwsCQCAJRQ0AIAggDUECdGogASAAakF/ai0AAEGA' +
    'gCByNgIAIA1BAWohDQsgDQvUAQEFfwJAIAEgAk4NACAAIAFBAWoiBWotAABBCHQgACABaiIGLQAAQRB0ciAGQQJqLQAAciEGIABB' +
    'A2ohB0EAIAFrIQAgAyAFQQJ0IghqIQUgBCAIaiEEA0AgBUEAIAZBCHQgByABai0AAHIiBkG9z9bxAWxBDXZB/P8fcUGAiICAAGoi' +
    'CCgCACIJIAAgCWpBgYB+SBsiCTYCACAEIAMgCUECdGooAgA2AgAgCCABQQFqIgE2AgAgAEF/aiEAIAVBBGohBSAEQQRqIQQgAiAB' +
    'Rw0ACwsL';
  // go-deflate-parse.wasm: end

  /** The parser's exports; its memory holds its statics below `heapBase`, then [data][link][link2][tokens] for one part. */
  interface Parser {
    memory: { buffer: ArrayBuffer; grow(pages: number): number };
    parse(
      data: number,
      start: number,
      end: number,
      lazy: number,
      nice: number,
      chain: number,
      link: number,
      link2: number,
      out: number,
    ): number;
    length_token: { value: number };
    distance_token: { value: number };
    __heap_base: { value: number };
  }
  /** The part of the WebAssembly API used here (the project's TypeScript libs do not describe it). */
  interface WebAssemblyApi {
    Module: new (bytes: Uint8Array) => object;
    Instance: new (module: object) => { exports: unknown };
  }
  let parser: Parser | undefined;
  function instantiate(): Parser {
    const { Module, Instance } = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
    const exports = new Instance(new Module(Buffer.from(PARSER_WASM, 'base64'))).exports as Parser;
    new Uint32Array(exports.memory.buffer, exports.length_token.value, MAX_MATCH + 1).set(lengthToken);
    new Uint32Array(exports.memory.buffer, exports.distance_token.value, WINDOW + 1).set(distanceToken);
    return exports;
  }

  /**
   * The tokens Go's parser produces for data[start:end), written to `out`; returns how many. data[0:start) is
   * what came before (its last 32 KiB are the window). At `end` the parse stops as at the end of a stream.
   */
  function parse(data: Uint8Array, start: number, end: number, level: number, out: Uint32Array): number {
    const params = LEVELS[level];
    if (params === undefined) throw new RangeError(`unsupported level ${level}`);
    parser ??= instantiate();
    const align = (n: number): number => (n + 7) & ~7;
    const dataAt = align(parser.__heap_base.value);
    const linkAt = align(dataAt + end);
    const link2At = align(linkAt + 4 * (end + 1));
    const outAt = align(link2At + 4 * (end + 1));
    const need = outAt + 4 * (end - start);
    const memory = parser.memory;
    if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    new Uint8Array(memory.buffer, dataAt, end).set(data.subarray(0, end));
    const count = parser.parse(dataAt, start, end, params[0], params[1], params[2], linkAt, link2At, outAt);
    out.set(new Uint32Array(memory.buffer, outAt, count));
    return count;
  }

  // Package-merge scratch: optimal code lengths limited to maxBits (the minimum total size is unique, so any
  // optimal code gives the block the size Go's gives it). A level's list is shorter than 2 x the symbols.
  const MAX_SYMBOLS = 286;
  const sortKeys = new Float64Array(MAX_SYMBOLS);
  const leafWeight = new Float64Array(MAX_SYMBOLS);
  const leafSymbol = new Uint16Array(MAX_SYMBOLS);
  const leafDepth = new Uint8Array(MAX_SYMBOLS);
  const listWeight = new Float64Array(2 * MAX_SYMBOLS);
  const nextWeight = new Float64Array(2 * MAX_SYMBOLS);
  const isLeaf = new Uint8Array(16 * 2 * MAX_SYMBOLS);

  const huffmanDepth = new Float64Array(MAX_SYMBOLS);

  /**
   * Depths of an optimal (unlimited) Huffman code for leafWeight[0..m), sorted ascending, into huffmanDepth;
   * returns the deepest. In place and linear (Moffat and Katajainen's method): pair the two lightest of leaves
   * and internal nodes, then turn parent links into depths, then count leaves per depth.
   */
  function huffmanDepths(m: number): number {
    const a = huffmanDepth;
    a.set(leafWeight.subarray(0, m));
    let leaf = 0;
    let root = 0;
    for (let next = 0; next < m - 1; next++) {
      // a[0..next) are internal nodes (weight, then parent index), a[leaf..m) leaf weights.
      let sum: number;
      if (leaf >= m || (root < next && a[root] < a[leaf])) {
        sum = a[root];
        a[root++] = next;
      } else {
        sum = a[leaf++];
      }
      if (leaf >= m || (root < next && a[root] < a[leaf])) {
        sum += a[root];
        a[root++] = next;
      } else {
        sum += a[leaf++];
      }
      a[next] = sum;
    }
    a[m - 2] = 0;
    for (let node = m - 3; node >= 0; node--) a[node] = a[a[node]] + 1;
    // Internal node depths, deepest last in index order reversed: hand out leaves level by level.
    let available = 1;
    let used = 0;
    let depth = 0;
    let node = m - 2;
    let slot = m - 1;
    while (available > 0) {
      while (node >= 0 && a[node] === depth) {
        used++;
        node--;
      }
      while (available > used) {
        a[slot--] = depth;
        available--;
      }
      available = 2 * used;
      depth++;
      used = 0;
    }
    return a[0];
  }

  function codeLengths(freq: Int32Array, n: number, maxBits: number, out: Uint8Array): void {
    out.fill(0, 0, n);
    let m = 0;
    for (let symbol = 0; symbol < n; symbol++) if (freq[symbol] > 0) sortKeys[m++] = freq[symbol] * 512 + symbol;
    if (m <= 2) {
      // Go gives one or two used symbols one bit each.
      for (let symbol = 0; symbol < n; symbol++) if (freq[symbol] > 0) out[symbol] = 1;
      return;
    }
    const keys = sortKeys.subarray(0, m).sort();
    for (let k = 0; k < m; k++) {
      leafWeight[k] = Math.floor(keys[k] / 512);
      leafSymbol[k] = keys[k] - leafWeight[k] * 512;
      leafDepth[k] = 0;
    }
    // An unlimited Huffman code is optimal when it fits the limit, which it nearly always does; it is much
    // cheaper than package-merge, which is needed only when it does not fit.
    if (huffmanDepths(m) <= maxBits) {
      for (let k = 0; k < m; k++) out[leafSymbol[k]] = huffmanDepth[k];
      return;
    }
    // Level 0: the leaves alone. Level d: the leaves merged with pairs of level d-1 (packages).
    for (let k = 0; k < m; k++) {
      listWeight[k] = leafWeight[k];
      isLeaf[k] = 1;
    }
    let listLength = m;
    for (let level = 1; level < maxBits; level++) {
      const packages = listLength >> 1;
      let leaf = 0;
      let pack = 0;
      let length = 0;
      const flags = level * 2 * MAX_SYMBOLS;
      while (leaf < m || pack < packages) {
        const packageWeight = pack < packages ? listWeight[2 * pack] + listWeight[2 * pack + 1] : Infinity;
        if (leaf < m && leafWeight[leaf] <= packageWeight) {
          nextWeight[length] = leafWeight[leaf++];
          isLeaf[flags + length] = 1;
        } else {
          nextWeight[length] = packageWeight;
          isLeaf[flags + length] = 0;
          pack++;
        }
        length++;
      }
      listWeight.set(nextWeight.subarray(0, length));
      listLength = length;
    }
    // Take the first 2m-2 items of the last list; a package taken at one level takes two items one level down.
    let take = 2 * m - 2;
    for (let level = maxBits - 1; level >= 0 && take > 0; level--) {
      const flags = level * 2 * MAX_SYMBOLS;
      let leaves = 0;
      for (let k = 0; k < take; k++) leaves += isLeaf[flags + k];
      for (let k = 0; k < leaves; k++) leafDepth[k]++;
      take = 2 * (take - leaves);
    }
    for (let k = 0; k < m; k++) out[leafSymbol[k]] = leafDepth[k];
  }

  const litBits = new Uint8Array(286);
  const distBits = new Uint8Array(30);
  const codegenFreq = new Int32Array(19);
  const codegenBits = new Uint8Array(19);
  const lengths = new Uint8Array(286 + 30);

  /** Bits of one block whose tokens are counted in litFreq/distFreq, `extra` extra bits, `span` input bytes, starting at bit `at`. */
  function blockBits(litFreq: Int32Array, distFreq: Int32Array, extra: number, span: number, at: number): number {
    litFreq[256]++; // end of block
    let numLit = 286;
    while (litFreq[numLit - 1] === 0) numLit--;
    let numDist = 30;
    while (numDist > 0 && distFreq[numDist - 1] === 0) numDist--;
    // Go counts one distance code when there is none, so the dynamic header can describe the distance tree.
    const fakeDistance = numDist === 0;
    if (fakeDistance) {
      distFreq[0] = 1;
      numDist = 1;
    }
    codeLengths(litFreq, 286, 15, litBits);
    codeLengths(distFreq, 30, 15, distBits);
    let dynamicData = 0;
    let fixedData = 0;
    for (let symbol = 0; symbol < numLit; symbol++) {
      dynamicData += litFreq[symbol] * litBits[symbol];
      fixedData += litFreq[symbol] * FIXED_LIT_BITS[symbol];
    }
    for (let symbol = 0; symbol < numDist; symbol++) {
      dynamicData += distFreq[symbol] * distBits[symbol];
      fixedData += distFreq[symbol] * 5;
    }
    // The code lengths of both trees, run-length coded (16: repeat the previous 3-6 times, 17: 3-10 zeros, 18: 11-138 zeros).
    lengths.set(litBits.subarray(0, numLit), 0);
    lengths.set(distBits.subarray(0, numDist), numLit);
    const total = numLit + numDist;
    codegenFreq.fill(0);
    for (let i = 0; i < total;) {
      const size = lengths[i];
      let run = 1;
      while (i + run < total && lengths[i + run] === size) run++;
      i += run;
      if (size !== 0) {
        codegenFreq[size]++;
        run--;
        while (run >= 3) {
          codegenFreq[16]++;
          run -= run < 6 ? run : 6;
        }
      } else {
        while (run >= 11) {
          codegenFreq[18]++;
          run -= run < 138 ? run : 138;
        }
        if (run >= 3) {
          codegenFreq[17]++;
          run = 0;
        }
      }
      codegenFreq[size] += run;
    }
    codeLengths(codegenFreq, 19, 7, codegenBits);
    let numCodegen = 19;
    while (numCodegen > 4 && codegenFreq[CODEGEN_ORDER[numCodegen - 1]] === 0) numCodegen--;
    let header = 3 + 5 + 5 + 4 + 3 * numCodegen + codegenFreq[16] * 2 + codegenFreq[17] * 3 + codegenFreq[18] * 7;
    for (let symbol = 0; symbol < 19; symbol++) header += codegenFreq[symbol] * codegenBits[symbol];
    // Go chooses with these estimates (the made-up distance included), then writes the real tokens.
    const fixedSize = 3 + fixedData + extra;
    const dynamicSize = header + dynamicData + extra;
    const useDynamic = dynamicSize < fixedSize;
    const chosen = useDynamic ? dynamicSize : fixedSize;
    litFreq.fill(0);
    distFreq.fill(0);
    // Go can store a block only while its bytes are still in its 64 KiB window buffer; a block of 16384 tokens
    // spanning more than 32 KiB may have left it. Such a block compresses well, so storing it would not win.
    if (span <= MAX_STORED && (span + 5) * 8 < chosen) {
      // A stored block: 3 header bits, padding to a byte, LEN and NLEN, the bytes.
      return 3 + ((8 - ((at + 3) & 7)) & 7) + 32 + span * 8;
    }
    return fakeDistance ? chosen - (useDynamic ? distBits[0] : 5) : chosen;
  }

  /** Takes the tokens of consecutive parts in order and adds up the blocks Go would cut from them. */
  function blocker() {
    const litFreq = new Int32Array(286);
    const distFreq = new Int32Array(30);
    let bits = 0;
    let count = 0;
    let extra = 0;
    let span = 0;
    return {
      add(tokens: Uint32Array, n: number): void {
        const lit = litFreq;
        const dist = distFreq;
        for (let i = 0; i < n;) {
          // up to the end of the block or of these tokens, in locals (this loop sees every token of a layer)
          const stop = Math.min(n, i + MAX_BLOCK_TOKENS - count);
          let blockExtra = extra;
          let blockSpan = span;
          for (let k = i; k < stop; k++) {
            const token = tokens[k];
            const symbol = token & 511;
            lit[symbol]++;
            if (symbol > 256) dist[(token >>> 9) & 31]++;
            blockExtra += (token >>> 14) & 31;
            blockSpan += token >>> 19;
          }
          count += stop - i;
          extra = blockExtra;
          span = blockSpan;
          i = stop;
          if (count === MAX_BLOCK_TOKENS) {
            bits += blockBits(lit, dist, extra, span, bits);
            count = 0;
            extra = 0;
            span = 0;
          }
        }
      },
      /** Bytes of the whole deflate stream: the last data block, then Go's empty final stored block. */
      finish(): number {
        if (count > 0) bits += blockBits(litFreq, distFreq, extra, span, bits);
        count = 0;
        return Math.ceil((bits + 3) / 8) + 4;
      },
    };
  }

  return { parse, blocker, codeLengths };
}
