/**
 * Go 1.27's compress/flate at level 6, reduced to counting bits: the model behind the compressed (registry)
 * size of a layer as a Docker built with Go 1.27 or later pushes it, the length of Go 1.27's `gzip.NewWriter`
 * stream over the layer tar, computed without producing it. go127-sizer.ts runs it in parallel over a stream,
 * exactly; the sizer (compressed-size.ts, `model: 'go1.27'`) is what the rest of the tool uses. go126-model.ts
 * beside it models Go up to 1.26.
 *
 * ## What Go 1.27 does
 * Go 1.27 replaced compress/flate's levels 1-6 with a cleaned-up port of klauspost/compress's flate
 * (golang/go#75532, CL 707355). Level 6 (the default) is `fastEncL6` (level6.go) feeding klauspost's block
 * writer (huffman_bit_writer.go). Read from Go 1.27.3's source:
 * - Write copies input into a 65535-byte window; each full window is encoded as one block when more input
 *   comes, and Close encodes the rest. So the blocks are every 65535 bytes of input, whatever the Writes (checked:
 *   bench/gogzip -chunk 1, 7, 4096, 100000 and io.Copy give the same bytes). Close ends with an empty final
 *   *fixed* block (3 + 7 bits) where Go 1.26 wrote an empty stored block: empty input is 20 bytes, not 23.
 * - fastEncL6 parses each block from its start with two hash tables of 2^15 entries that live on across blocks:
 *   a short one (4-byte hashes, the latest position) and a long one (7-byte hashes, the latest two). It probes
 *   the long entries, then the short one, checks a repeat of the last offset at s + 1 and the long entries at
 *   the next probe, skips ahead faster the longer it finds nothing ((s - nextEmit) >> 7), extends matches
 *   backwards, tries to find a longer match ending where the match ends, and after a match indexes every
 *   position it covered (long table) and every second one (short). Matches reach 32767 bytes back, into
 *   earlier blocks; a block's last 11 bytes are literals. A block with no match at all is stored.
 * - The block writer: a block whose matches removed less than 1/16 of its tokens is Huffman-only (literals
 *   with a table of their own; stored instead when its byte histogram is flat or its estimate is not
 *   smaller); else dynamic, where it may keep the previous block's table (without an end-of-block code in
 *   between) when that is cheaper than a new one by Go's estimate: the Shannon bits of the new block
 *   (tokens.EstimatedBits, float32, mFastLog2) plus the previous header, plus a penalty of 1/128; a block of
 *   fewer than 250 tokens may be fixed; any block may be stored when that is no larger. A final block under
 *   128 bytes is not parsed: stored up to 32 bytes, else Huffman-only.
 *
 * What calls it: moby's push (distribution/push.go `compress()`, Docker 28.5): io.Copy of the layer tar into
 * gzip.NewWriter, whose output goes through a 32 KiB bufio.Writer into a pipe: the buffer is on the
 * compressed side, so it changes nothing. BuildKit (util/compression/gzip.go: gzip.NewWriterLevel, default
 * level, output through a 128 KiB bufio.Writer) and containerd's differ (archive/compression: gzip.NewWriter)
 * likewise. None calls Flush. So the size depends on the bytes alone, and this models gzip.NewWriter over
 * them: a 10-byte header, the deflate stream, an 8-byte trailer.
 *
 * ## What is modelled
 * All of it, exactly: the parser (the same hashes: the 64-bit multiply of hashLen done exactly in 32-bit and
 * double arithmetic), the tables across blocks, and every decision of the block writer with the numbers it
 * decides on: Go's own Huffman code lengths (bitCounts' package-merge, not just any optimal code: a later
 * block's reuse decision depends on which), the float32 estimate computed in float32 (Math.fround), the
 * stored blocks' byte alignment. Only bits are counted; no output is produced. The one thing assumed is
 * amd64 float32 arithmetic without fused multiply-add (GOAMD64=v1, Go's and Debian's default): on arm64,
 * where Go fuses, EstimatedBits may round differently and a close reuse decision go the other way, for a few
 * bytes.
 *
 * Deviation from real Go 1.27.3 gzip (bench/gogzip), sequential (one part) and parallel (the sizer with its
 * defaults), and, for comparison, of the go1.26 model from the same Go 1.27.3 sizes:
 *
 *   | data                                                   |     size | sequential | parallel | go1.26 model |
 *   | ------------------------------------------------------ | -------: | ---------: | -------: | -----------: |
 *   | debian:bookworm-slim rootfs (its `docker save` layer)  |  77.9 MB |          0 |        0 |       -2.65% |
 *   | source and text (JS, TS, Python, Perl, Markdown)       | 100.0 MB |          0 |        0 |       -3.82% |
 *   | TypeScript's lib/*.js                                   |  15.4 MB |          0 |        0 |       -4.76% |
 *   | JSON (GitHub's OpenAPI descriptions, concatenated)     | 180.0 MB |          0 |        0 |       -4.14% |
 *   | ELF: the node binary                                   |  98.9 MB |          0 |        0 |       -2.13% |
 *   | ELF: files of /usr/bin and /usr/lib                    |  60.0 MB |          0 |        0 |       -1.83% |
 *   | 79,119 small files (< 4 KiB) of /usr, as a tar         | 160.0 MB |          0 |        0 |       -0.86% |
 *   | random bytes                                           | 400.0 MB |          0 |        0 |       +0.02% |
 *   | `od` hex dump of random bytes (a layer tar)            |   4.0 MB |          0 |        0 |       -4.56% |
 *   | zeros                                                  | 300.0 MB |          0 |        0 |      -50.3%  |
 *   | runs of text, noise, skewed bytes, JSON, code, zeros   |  67.1 MB |          0 |        0 |       -3.43% |
 *   | 39 unit-test inputs, 0 B to 4 MiB (deflate-go127.test) |          |          0 |        0 |              |
 *
 * Against what Docker 28.5.2 (Debian's, built with Go 1.27.1) produces: pushed to a registry (distribution
 * 2.8) from the overlay2 store (__tests__/integration/registry.test.ts run with this model), every layer to
 * the byte, 10 distinct ones from 92 bytes to debian:bookworm-slim's 30,239,453; and on the containerd store,
 * the blobs BuildKit compressed at build time (text, source, a hex dump) to the byte.
 */

/** The model as a worker or the calling thread instantiates it. */
export type Go127Model = ReturnType<typeof go127DeflateModel>;
/** Replays the block writer's decisions over the records of a stream's blocks, in order. */
export type Go127Writer = ReturnType<Go127Model['writer']>;

/**
 * Go 1.27's level-6 compressor, reduced to counting bits, in two parts. `encodePart` (run on workers) runs
 * Go's `fastEncL6` over 65535-byte blocks, exactly where Go cuts them, and writes one record per block with
 * everything about it that does not depend on the blocks before it: token histograms, the Huffman code Go
 * would build for it, the sizes of its stored, fixed and dynamic forms. A `writer` (on the calling thread,
 * cheap) takes the records in order and replays the decisions of Go's huffmanBitWriter, which do depend on
 * the blocks before (reuse of the previous block's table, the end-of-block code it still owes, bit alignment
 * before a stored block), and adds up the bits.
 * Self-contained on purpose: workers receive it as source text (`go127DeflateModel.toString()`), so it must
 * not refer to anything outside its own body. Exported for go127-sizer.ts and tests.
 */
export function go127DeflateModel() {
  /** Go's compressor fills a 65535-byte window and encodes it as one block, whatever the Writes were. */
  const BLOCK = 65535;
  const TABLE_BITS = 15;
  const TABLE_SIZE = 1 << TABLE_BITS;
  const MAX_OFFSET = 32768; // a candidate is used only when s - t < MAX_OFFSET
  /** Table entries hold position + BIAS; 0 (empty) is then out of reach of every position >= 0. */
  const BIAS = MAX_OFFSET;
  const INPUT_MARGIN = 11;

  // ---- the record of one block (Int32Array, RECORD ints) ----
  const KIND = 0; // one of the K_* below
  const LENGTH = 1; // input bytes
  const TOKENS = 2; // tokens the encoder produced (without end of block)
  const EXTRA = 3; // extra bits of lengths and offsets
  const HEADER = 4; // dynamic header bits of the block's own table (dynamic and Huffman-only blocks)
  const DATA = 5; // bits of the block's frequencies with its own table (estimates included: EOB, made-up offset)
  const FIXED = 6; // 3 + bits with the fixed code (EOB and made-up offset included), extra bits excluded
  const FAKE_OFFSET = 7; // 1 when the block has no match and Go counts a made-up offset code 0
  const ESTIMATE = 8; // tokens.EstimatedBits() with n tokens
  const ESTIMATE_SYNC = 9; // ... with n + 1 (the end of block is a token when the block is the last)
  const RANDOM = 10; // Huffman-only block: Go's "incompressible" test passed, it is stored
  const FREQ = 16; // 286 literal/length frequencies (EOB = 1), then 30 offset frequencies (made-up one included)
  const LENGTHS = FREQ + 316; // code lengths of the block's own table: 286 literal/length, 30 offset
  const RECORD = LENGTHS + 316;
  const K_STORED = 0; // no match at all: Go stores the block
  const K_HUFFMAN = 1; // few matches: Huffman-only block (writeBlockHuff), FREQ holds the byte histogram
  const K_DYNAMIC = 2; // writeBlockDynamic
  const K_SMALL_STORED = 3; // last block, at most 32 bytes
  const K_SMALL_HUFFMAN = 4; // last block, 33 to 127 bytes: Huffman-only, no matching

  // ---- deflate's codes ----
  const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
  const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
  const OFFSET_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
  const OFFSET_BASE = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385,
    24577,
  ];
  /** literal/length symbol - 256 for each match length 3..258 (Go's lengthCodes1, indexed by length) */
  const lengthSymbol = new Uint8Array(259);
  for (let code = 0; code < 29; code++) {
    const last = code === 28 ? 258 : LENGTH_BASE[code + 1] - 1;
    for (let length = LENGTH_BASE[code]; length <= last; length++) lengthSymbol[length] = 1 + code;
  }
  lengthSymbol[258] = 29; // 258 has its own code, 285
  /** offset code for each distance 1..32768 */
  const offsetCode = new Uint8Array(MAX_OFFSET + 1);
  for (let code = 0; code < 30; code++) {
    const last = code === 29 ? MAX_OFFSET : OFFSET_BASE[code + 1] - 1;
    for (let distance = OFFSET_BASE[code]; distance <= last; distance++) offsetCode[distance] = code;
  }
  const FIXED_LENGTH = new Uint8Array(286);
  for (let i = 0; i < 286; i++) FIXED_LENGTH[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
  const CODEGEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

  // ---- fastEncL6 (level6.go) ----
  // One array for the three hash tables and one for the histograms: each array a hot loop touches costs it a
  // check of its own on every turn, so fewer is faster.
  /** short table (4-byte hashes, one entry) at SHORT, long table (7-byte hashes): current entries at CUR, previous at PREV */
  const SHORT = 0;
  const CUR = TABLE_SIZE;
  const PREV = 2 * TABLE_SIZE;
  const tables = new Int32Array(3 * TABLE_SIZE);
  /** the block's tokens: literals 0-255, length symbols 257-285, offset codes at 286 + code */
  const hist = new Int32Array(316);
  const OFF = 286;

  /**
   * Go's hashLen(u, 15, 7) of the 7 bytes at `p`: the top 15 bits of (u << 8) * 0x00cf1bbcdcbfa563 mod 2^64,
   * with u's low 32 bits `lo` (bytes p..p+3) and the next bytes in `hi`. The high word of that product is
   * hi32((lo << 8) * 0xdcbfa563) + lo32(bytes p+3..p+6 * 0xdcbfa563) + lo32((lo << 8) * 0xcf1bbc) mod 2^32;
   * the first is floor(a * 0xdcbfa563 / 2^24) for a = bytes p..p+2, made exact from a * 0xdcbfa5 (below 2^48,
   * exact as a double) and a * 0x63 (below 2^32). (All integer pieces were slower.) Written out by hand in
   * the two hottest loops below.
   */
  function hash7(lo: number, hi: number): number {
    const a = lo & 0xffffff;
    const carry = ((a * 0xdcbfa5 + (Math.imul(a, 0x63) >>> 8)) / 65536) | 0;
    return (carry + Math.imul((hi << 8) | (lo >>> 24), 0xdcbfa563 | 0) + Math.imul(lo << 8, 0xcf1bbc)) >>> 17;
  }
  /** Go's hashLen(u, 15, 4) of the 4 bytes `lo`. */
  function hash4(lo: number): number {
    return Math.imul(lo, 0x9e3779b1 | 0) >>> 17;
  }

  /** The part being parsed, as bytes and as a view for 4-byte little-endian loads. */
  let d: Uint8Array = new Uint8Array(0);
  let v: DataView = new DataView(d.buffer);
  /** Common prefix of d[s:] and d[t:], s > t, at most `max` bytes. */
  function matchLen(d: Uint8Array, v: DataView, s: number, t: number, max: number): number {
    let n = 0;
    while (n + 4 <= max && v.getInt32(s + n, true) === v.getInt32(t + n, true)) n += 4;
    while (n < max && d[s + n] === d[t + n]) n++;
    return n;
  }

  /**
   * One block of fastEncL6.encode: d[start:end), with d[0:start) the history. Counts its tokens in `hist`;
   * returns how many there are. Table entries are positions + BIAS.
   */
  function encodeBlock(start: number, end: number): number {
    const d8 = d;
    const dv = v;
    const tab = tables;
    const h = hist;
    const sLimit = end - INPUT_MARGIN;
    let s = start;
    let nextEmit = start;
    let n = 0;
    let cvLo = dv.getInt32(s, true);
    let cvHi = dv.getInt32(s + 4, true);
    let repeat = 1;
    for (;;) {
      let nextS = s;
      let l = 0;
      let t = 0;
      // the hashes of cv, carried from one probe to the next (Go computes them again)
      let cvHashS = hash4(cvLo);
      let cvHashL = hash7(cvLo, cvHi);
      for (;;) {
        s = nextS;
        nextS = s + 1 + ((s - nextEmit) >> 7);
        if (nextS > sLimit) return remainder(nextEmit, end, n);
        const sCandidate = tab[SHORT + cvHashS];
        const lCur = tab[CUR + cvHashL];
        const lPrev = tab[PREV + cvHashL];
        const nextLo = dv.getInt32(nextS, true);
        const nextHi = dv.getInt32(nextS + 4, true);
        const entry = s + BIAS;
        tab[SHORT + cvHashS] = entry;
        tab[PREV + cvHashL] = lCur;
        tab[CUR + cvHashL] = entry;
        const hashS = Math.imul(nextLo, 0x9e3779b1 | 0) >>> 17;
        const na = nextLo & 0xffffff;
        const hashL =
          ((((na * 0xdcbfa5 + (Math.imul(na, 0x63) >>> 8)) / 65536) | 0) +
            Math.imul((nextHi << 8) | (nextLo >>> 24), 0xdcbfa563 | 0) +
            Math.imul(nextLo << 8, 0xcf1bbc)) >>>
          17;

        t = lCur - BIAS;
        if (s - t < MAX_OFFSET) {
          if (cvLo === dv.getInt32(t, true)) {
            // The long candidate matches at least 4 bytes.
            tab[SHORT + hashS] = nextS + BIAS;
            tab[PREV + hashL] = tab[CUR + hashL];
            tab[CUR + hashL] = nextS + BIAS;
            const t2 = lPrev - BIAS;
            if (s - t2 < MAX_OFFSET && cvLo === dv.getInt32(t2, true)) {
              const max = Math.min(254, end - s - 4);
              l = matchLen(d8, dv, s + 4, t + 4, max) + 4;
              const ml1 = matchLen(d8, dv, s + 4, t2 + 4, max) + 4;
              if (ml1 > l) {
                t = t2;
                l = ml1;
              }
            }
            break;
          }
          // The current long entry did not match; maybe the previous one does.
          t = lPrev - BIAS;
          if (s - t < MAX_OFFSET && cvLo === dv.getInt32(t, true)) {
            tab[SHORT + hashS] = nextS + BIAS;
            tab[PREV + hashL] = tab[CUR + hashL];
            tab[CUR + hashL] = nextS + BIAS;
            break;
          }
        }

        t = sCandidate - BIAS;
        if (s - t < MAX_OFFSET && cvLo === dv.getInt32(t, true)) {
          // A 4-byte match from the short table.
          l = matchLen(d8, dv, s + 4, t + 4, Math.min(254, end - s - 4)) + 4;
          const nCur = tab[CUR + hashL];
          const nPrev = tab[PREV + hashL];
          tab[SHORT + hashS] = nextS + BIAS;
          tab[PREV + hashL] = nCur;
          tab[CUR + hashL] = nextS + BIAS;
          // A repeat of the last offset at s + 1? (s + 1 computed on every turn: an operation V8 first meets
          // in optimized code costs a deoptimization and a recompile)
          let t2 = s - repeat + 1;
          const s1 = s + 1;
          if (dv.getInt32(t2, true) === ((cvLo >>> 8) | (cvHi << 24))) {
            const ml = matchLen(d8, dv, s1 + 4, t2 + 4, Math.min(254, end - s1 - 4)) + 4;
            if (ml > l) {
              t = t2;
              l = ml;
              s = s1;
              break;
            }
          }
          // The long candidates at nextS?
          t2 = nCur - BIAS;
          if (nextS - t2 < MAX_OFFSET) {
            if (dv.getInt32(t2, true) === nextLo) {
              const ml = matchLen(d8, dv, nextS + 4, t2 + 4, Math.min(254, end - nextS - 4)) + 4;
              if (ml > l) {
                t = t2;
                s = nextS;
                l = ml;
              }
            }
            t2 = nPrev - BIAS;
            if (nextS - t2 < MAX_OFFSET && dv.getInt32(t2, true) === nextLo) {
              const ml = matchLen(d8, dv, nextS + 4, t2 + 4, Math.min(254, end - nextS - 4)) + 4;
              if (ml > l) {
                t = t2;
                s = nextS;
                l = ml;
                break;
              }
            }
          }
          break;
        }
        cvLo = nextLo;
        cvHi = nextHi;
        cvHashS = hashS;
        cvHashL = hashL;
      }

      // Extend the match as far as it goes.
      if (l === 0) l = matchLen(d8, dv, s + 4, t + 4, end - s - 4) + 4;
      else if (l === 258) l += matchLen(d8, dv, s + l, t + l, end - s - l);

      // A better match ending where this one ends?
      const sAt = s + l;
      if (sAt < sLimit) {
        const hAt = hash7(dv.getInt32(sAt, true), dv.getInt32(sAt + 4, true));
        let t2 = tab[CUR + hAt] - BIAS - l + 2;
        const s2 = s + 2;
        let off = s2 - t2;
        if (off < MAX_OFFSET) {
          if (off > 0 && t2 >= 0) {
            const l2 = matchLen(d8, dv, s2, t2, end - s2);
            if (l2 > l) {
              t = t2;
              l = l2;
              s = s2;
            }
          }
          t2 = tab[PREV + hAt] - BIAS - l + 2;
          off = s2 - t2;
          if (off > 0 && off < MAX_OFFSET && t2 >= 0) {
            const l2 = matchLen(d8, dv, s2, t2, end - s2);
            if (l2 > l) {
              t = t2;
              l = l2;
              s = s2;
            }
          }
        }
      }

      // Extend backwards.
      while (t > 0 && s > nextEmit && d8[t - 1] === d8[s - 1]) {
        s--;
        t--;
        l++;
      }
      for (let i = nextEmit; i < s; i++) h[d8[i]]++;
      n += s - nextEmit;

      // The match, as tokens of at most 258 bytes (leaving at least 3 for the last).
      const distance = s - t;
      const oc = OFF + offsetCode[distance];
      let left = l;
      while (left > 0) {
        const chunk = left > 258 ? (left > 261 ? 258 : 255) : left;
        left -= chunk;
        h[256 + lengthSymbol[chunk]]++;
        h[oc]++;
        n++;
      }
      repeat = distance;
      s += l;
      nextEmit = s;
      const afterProbe = nextS + 1;
      if (nextS >= s) s = afterProbe;

      if (s >= sLimit) {
        indexToEnd(skipRepeats(nextS + 1, nextEmit, distance), end);
        return remainder(nextEmit, end, n);
      }
      indexBetween(skipRepeats(nextS + 1, nextEmit, distance), s - 1);
      cvLo = dv.getInt32(s, true);
      cvHi = dv.getInt32(s + 4, true);
    }
  }

  // The two indexing loops are functions of their own: V8 compiles (and, when it must, recompiles) each
  // separately, and a smaller encodeBlock costs much less to compile, which each worker does several times.

  /**
   * Where an indexing loop from `from` (by steps of 2) over a match ending at matchEnd, `distance` back, may
   * start instead, with the same tables at its end. The bytes of a match repeat every `distance` bytes, so
   * the 8 bytes at position p, and their hashes, are those at p + period (period: distance, doubled when odd,
   * so that the loop's steps of 2 meet it) while both lie inside the match. A slot of a table keeps the last
   * entry written to it (the long table: the last two), so the turns before the last three periods of the
   * match only write entries that later turns overwrite, at least twice over: skipping them changes nothing.
   * Long runs (zeros, padding) take a few turns instead of thousands; other matches are left as they are.
   */
  function skipRepeats(from: number, matchEnd: number, distance: number): number {
    const period = distance & 1 ? 2 * distance : distance;
    const keep = matchEnd - 8 - 3 * period;
    return keep > from ? from + ((keep - from) & ~1) : from;
  }

  /** Every long hash in d[from:to), and every second short one (after a match, over the bytes it covered). */
  function indexBetween(from: number, to: number): void {
    const dv = v;
    const tab = tables;
    for (let i = from; i < to; i += 2) {
      const lo = dv.getInt32(i, true);
      const hi = dv.getInt32(i + 4, true);
      // hash7 at i (bytes i..i+2, then i+3..i+6) and at i + 1 (bytes i+1..i+3, then i+4..i+7 = hi)
      const a1 = lo & 0xffffff;
      const h1 =
        ((((a1 * 0xdcbfa5 + (Math.imul(a1, 0x63) >>> 8)) / 65536) | 0) +
          Math.imul((hi << 8) | (lo >>> 24), 0xdcbfa563 | 0) +
          Math.imul(lo << 8, 0xcf1bbc)) >>>
        17;
      const a2 = lo >>> 8;
      const h2 =
        ((((a2 * 0xdcbfa5 + (Math.imul(a2, 0x63) >>> 8)) / 65536) | 0) +
          Math.imul(hi, 0xdcbfa563 | 0) +
          Math.imul(lo & ~0xff, 0xcf1bbc)) >>>
        17;
      tab[SHORT + (Math.imul(lo, 0x9e3779b1 | 0) >>> 17)] = i + BIAS;
      tab[PREV + h1] = tab[CUR + h1];
      tab[CUR + h1] = i + BIAS;
      tab[PREV + h2] = tab[CUR + h2];
      tab[CUR + h2] = i + 1 + BIAS;
    }
  }

  /** Every second position from `from` to the block's end (a match reached it): both hashes. */
  function indexToEnd(from: number, end: number): void {
    const dv = v;
    const tab = tables;
    for (let i = from; i < end - 8; i += 2) {
      const lo = dv.getInt32(i, true);
      const hi = dv.getInt32(i + 4, true);
      tab[SHORT + hash4(lo)] = i + BIAS;
      const h = hash7(lo, hi);
      tab[PREV + h] = tab[CUR + h];
      tab[CUR + h] = i + BIAS;
    }
  }

  function remainder(nextEmit: number, end: number, n: number): number {
    // A block without a single match emits nothing: Go stores it.
    if (n === 0) return 0;
    const d8 = d;
    const h = hist;
    for (let i = nextEmit; i < end; i++) h[d8[i]]++;
    return n + end - nextEmit;
  }

  // ---- Huffman codes (huffman_code.go), exactly Go's: a table's lengths matter when a later block reuses it ----
  const listSymbol = new Int32Array(287);
  const listFreq = new Int32Array(287);
  const sortKeys = new Float64Array(286);
  const MAX_INT32 = 2147483647;
  const lvLastFreq = new Float64Array(17);
  const lvNextCharFreq = new Float64Array(17);
  const lvNextPairFreq = new Float64Array(17);
  const lvNeeded = new Int32Array(17);
  const leafCounts = new Int32Array(17 * 17);
  const bitCount = new Int32Array(17);

  /** Go's huffmanEncoder.generate: code lengths for freq[0:n) (at most maxBits) into out[0:n). */
  function generate(freq: Int32Array, offset: number, n: number, maxBits: number, out: Int32Array, outOffset: number): void {
    let count = 0;
    for (let i = 0; i < n; i++) {
      out[outOffset + i] = 0;
      const f = freq[offset + i];
      if (f !== 0) sortKeys[count++] = f * 1024 + i;
    }
    if (count <= 2) {
      for (let i = 0; i < n; i++) if (freq[offset + i] !== 0) out[outOffset + i] = 1;
      return;
    }
    const keys = sortKeys.subarray(0, count).sort();
    for (let k = 0; k < count; k++) {
      const f = Math.floor(keys[k] / 1024);
      listFreq[k] = f;
      listSymbol[k] = keys[k] - f * 1024;
    }
    bitCounts(count, maxBits);
    let end = count;
    const top = Math.min(maxBits, count - 1);
    for (let bits = 1; bits <= top; bits++) {
      const c = bitCount[bits];
      for (let k = end - c; k < end; k++) out[outOffset + listSymbol[k]] = bits;
      end -= c;
    }
  }

  /** Go's bitCounts (huffman_code.go), on listFreq[0:n) sorted ascending; fills bitCount[1..maxBits]. */
  function bitCounts(n: number, maxBitsIn: number): void {
    const maxBits = maxBitsIn > n - 1 ? n - 1 : maxBitsIn;
    const freqAt = (i: number): number => (i < n ? listFreq[i] : MAX_INT32);
    leafCounts.fill(0);
    lvNeeded.fill(0);
    for (let level = 1; level <= maxBits; level++) {
      lvLastFreq[level] = listFreq[1];
      lvNextCharFreq[level] = freqAt(2);
      lvNextPairFreq[level] = level === 1 ? MAX_INT32 : listFreq[0] + listFreq[1];
      leafCounts[level * 17 + level] = 2;
    }
    lvNeeded[maxBits] = 2 * n - 4;
    let level = maxBits;
    while (level < 16) {
      if (lvNextPairFreq[level] === MAX_INT32 && lvNextCharFreq[level] === MAX_INT32) {
        lvNeeded[level] = 0;
        lvNextPairFreq[level + 1] = MAX_INT32;
        level++;
        continue;
      }
      const prevFreq = lvLastFreq[level];
      if (lvNextCharFreq[level] < lvNextPairFreq[level]) {
        const next = leafCounts[level * 17 + level] + 1;
        lvLastFreq[level] = lvNextCharFreq[level];
        leafCounts[level * 17 + level] = next;
        lvNextCharFreq[level] = freqAt(next);
      } else {
        lvLastFreq[level] = lvNextPairFreq[level];
        // Go copies the whole row of the level below and keeps its own count; only the counts below this
        // level are ever read from this row (the rest is overwritten before it is read)
        for (let j = 0; j < level; j++) leafCounts[level * 17 + j] = leafCounts[(level - 1) * 17 + j];
        lvNeeded[level - 1] = 2;
      }
      if (--lvNeeded[level] === 0) {
        if (level === maxBits) break;
        lvNextPairFreq[level + 1] = prevFreq + lvLastFreq[level];
        level++;
      } else {
        while (lvNeeded[level - 1] > 0) level--;
      }
    }
    let bits = 1;
    for (let lv = maxBits; lv > 0; lv--) {
      bitCount[bits] = leafCounts[maxBits * 17 + lv] - leafCounts[maxBits * 17 + lv - 1];
      bits++;
    }
  }

  const codegenLengths = new Int32Array(316);
  const codegenFreq = new Int32Array(19);
  const codegenBits = new Int32Array(19);

  /**
   * Bits of a dynamic header describing lengths[offset:offset+numLiterals) and the numOffsets offset lengths
   * at lengths[offsetsAt:] (Go's generateCodegen, codegenEncoding.generate(…, 7) and headerSize).
   */
  function headerBits(lengths: Int32Array, offset: number, numLiterals: number, offsetsAt: number, numOffsets: number): number {
    for (let i = 0; i < numLiterals; i++) codegenLengths[i] = lengths[offset + i];
    for (let i = 0; i < numOffsets; i++) codegenLengths[numLiterals + i] = lengths[offsetsAt + i];
    const total = numLiterals + numOffsets;
    codegenFreq.fill(0);
    let i = 0;
    while (i < total) {
      const size = codegenLengths[i];
      let count = 1;
      while (i + count < total && codegenLengths[i + count] === size) count++;
      i += count;
      if (size !== 0) {
        codegenFreq[size]++;
        count--;
        while (count >= 3) {
          codegenFreq[16]++;
          count -= count < 6 ? count : 6;
        }
      } else {
        while (count >= 11) {
          codegenFreq[18]++;
          count -= count < 138 ? count : 138;
        }
        if (count >= 3) {
          codegenFreq[17]++;
          count = 0;
        }
      }
      codegenFreq[size] += count;
    }
    generate(codegenFreq, 0, 19, 7, codegenBits, 0);
    let numCodegens = 19;
    while (numCodegens > 4 && codegenFreq[CODEGEN_ORDER[numCodegens - 1]] === 0) numCodegens--;
    let bits = 3 + 5 + 5 + 4 + 3 * numCodegens + codegenFreq[16] * 2 + codegenFreq[17] * 3 + codegenFreq[18] * 7;
    for (let s = 0; s < 19; s++) bits += codegenFreq[s] * codegenBits[s];
    return bits;
  }

  // ---- tokens.EstimatedBits (token.go), in float32 as Go computes it ----
  const f32 = new Float32Array(1);
  const i32 = new Int32Array(f32.buffer);
  const fround = Math.fround;
  const C1 = fround(-0.34484843);
  const C2 = fround(2.02466578);
  const C3 = fround(0.67487759);
  function fastLog2(val: number): number {
    f32[0] = val;
    let ux = i32[0];
    let log2 = fround(((ux >> 23) & 255) - 128);
    ux &= -0x7f800001;
    ux = (ux + (127 << 23)) | 0;
    i32[0] = ux;
    const uval = f32[0];
    log2 = fround(log2 + fround(fround(fround(fround(C1 * uval) + C2) * uval) - C3));
    return log2;
  }
  function shannonTerm(v: number, invTotal: number): number {
    let bits = -fastLog2(fround(v * invTotal));
    if (bits < 1) bits = 1;
    if (bits > 15) bits = 15;
    return fround(bits * v);
  }
  function estimatedBits(rec: Int32Array, at: number, total: number): number {
    let shannon = 0;
    let bits = 0;
    let matches = 0;
    const freq = at + FREQ;
    if (total > 0) {
      const inv = fround(1 / total);
      for (let i = 0; i < 256; i++) {
        const v = rec[freq + i];
        if (v > 0) shannon = fround(shannon + shannonTerm(v, inv));
      }
      shannon = fround(shannon + 15);
      for (let i = 0; i < 29; i++) {
        const v = rec[freq + 257 + i];
        if (v > 0) {
          shannon = fround(shannon + shannonTerm(v, inv));
          bits += LENGTH_EXTRA[i] * v;
          matches += v;
        }
      }
    }
    if (matches > 0) {
      const inv = fround(1 / matches);
      // the tokens' own offset histogram: without the made-up offset
      const fake = rec[at + FAKE_OFFSET];
      for (let i = 0; i < 30; i++) {
        const v = rec[freq + 286 + i] - (i === 0 ? fake : 0);
        if (v > 0) {
          shannon = fround(shannon + shannonTerm(v, inv));
          bits += OFFSET_EXTRA[i] * v;
        }
      }
    }
    return Math.trunc(shannon) + bits;
  }

  // ---- the block records ----

  /** Record of a block the encoder has just parsed (`hist` holds its tokens), at rec[at:]. */
  function recordTokens(rec: Int32Array, at: number, start: number, end: number, n: number): void {
    const length = end - start;
    rec[at + LENGTH] = length;
    rec[at + TOKENS] = n;
    if (n === 0) {
      rec[at + KIND] = K_STORED;
      return;
    }
    if (n > length - (length >> 4)) {
      recordHuffman(rec, at, start, end, K_HUFFMAN);
      rec[at + TOKENS] = n;
      return;
    }
    rec[at + KIND] = K_DYNAMIC;
    const freq = at + FREQ;
    for (let i = 0; i < 286; i++) rec[freq + i] = hist[i];
    rec[freq + 256] = 1;
    let fake = 1;
    for (let i = 0; i < 30; i++) {
      rec[freq + 286 + i] = hist[OFF + i];
      if (hist[OFF + i] !== 0) fake = 0;
    }
    rec[freq + 286] += fake;
    rec[at + FAKE_OFFSET] = fake;
    const lengths = at + LENGTHS;
    generate(rec, freq, 286, 15, rec, lengths);
    generate(rec, freq + 286, 30, 15, rec, lengths + 286);
    let numLiterals = 286;
    while (rec[freq + numLiterals - 1] === 0) numLiterals--;
    let numOffsets = 30;
    while (numOffsets > 0 && rec[freq + 286 + numOffsets - 1] === 0) numOffsets--;
    rec[at + HEADER] = headerBits(rec, lengths, numLiterals, lengths + 286, numOffsets);
    let data = 0;
    let fixed = 3;
    let extra = 0;
    for (let i = 0; i < 286; i++) {
      const f = rec[freq + i];
      data += f * rec[lengths + i];
      fixed += f * FIXED_LENGTH[i];
    }
    for (let i = 0; i < 29; i++) extra += rec[freq + 257 + i] * LENGTH_EXTRA[i];
    for (let i = 0; i < 30; i++) {
      const f = rec[freq + 286 + i];
      data += f * rec[lengths + 286 + i];
      fixed += f * 5;
      extra += f * OFFSET_EXTRA[i];
    }
    rec[at + DATA] = data;
    rec[at + FIXED] = fixed;
    rec[at + EXTRA] = extra;
    rec[at + ESTIMATE] = estimatedBits(rec, at, n);
    rec[at + ESTIMATE_SYNC] = estimatedBits(rec, at, n + 1);
  }

  /** A Huffman-only block (writeBlockHuff): the byte histogram, Go's incompressible test, its own table. */
  function recordHuffman(rec: Int32Array, at: number, start: number, end: number, kind: number): void {
    const length = end - start;
    rec[at + KIND] = kind;
    rec[at + LENGTH] = length;
    const freq = at + FREQ;
    rec.fill(0, freq, freq + 316);
    for (let i = start; i < end; i++) rec[freq + d[i]]++;
    let random = 0;
    if (length > 1024) {
      let abs = 0;
      const avg = length / 256;
      const max = length * 2;
      for (let i = 0; i < 256; i++) {
        const diff = rec[freq + i] - avg;
        abs += diff * diff;
        if (abs >= max) break;
      }
      if (abs < max) random = 1;
    }
    rec[at + RANDOM] = random;
    if (random) return;
    rec[freq + 256] = 1;
    const lengths = at + LENGTHS;
    generate(rec, freq, 257, 15, rec, lengths);
    let data = 0;
    for (let i = 0; i < 257; i++) data += rec[freq + i] * rec[lengths + i];
    rec[at + DATA] = data;
    // the header Go writes for it: 257 literal/length codes and one offset code of 1 bit
    rec[lengths + 286] = 1;
    rec[at + HEADER] = headerBits(rec, lengths, 257, lengths + 286, 1);
  }

  /** Ints in a saved table state (see saveTables). */
  const STATE = 3 * TABLE_SIZE;

  /**
   * The hash tables as they stand at `boundary`, written to `out` independently of where the part's buffer
   * starts: each live entry as its distance back from boundary - 32768 (1 to 32768), each entry no position
   * from `boundary` on could use (32768 or more back, or empty) as 0. Two states that are equal this way make
   * the parser behave the same from `boundary` on.
   */
  function saveTables(boundary: number, out: Int32Array): void {
    const limit = boundary - MAX_OFFSET + BIAS;
    for (let i = 0; i < STATE; i++) {
      const value = tables[i] - limit;
      out[i] = value > 0 ? value : 0;
    }
  }
  function loadTables(boundary: number, from: Int32Array): void {
    const limit = boundary - MAX_OFFSET + BIAS;
    for (let i = 0; i < STATE; i++) tables[i] = from[i] === 0 ? 0 : from[i] + limit;
  }

  /**
   * Parses d[partStart:end) as Go's blocks, each 65535 bytes (the last may be shorter when `last`), and writes
   * one record per block to `out`; returns the number of blocks. d[0:partStart) is what came before (at least
   * the 32 KiB matches can reach, unless partStart is 0). The hash tables start as `initial` says (a saved
   * state, exactly as Go's stand at partStart), or else are warmed on d[warmFrom:partStart) (whole blocks, their
   * records dropped), which nearly always leaves them as Go's stand there. With `startState` and `endState`,
   * saves the tables as they are at partStart and at end.
   */
  function encodePart(
    data: Uint8Array,
    partStart: number,
    end: number,
    last: boolean,
    out: Int32Array,
    initial?: Int32Array,
    startState?: Int32Array,
    endState?: Int32Array,
    warmFrom = 0,
  ): number {
    d = data;
    v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if ((partStart - warmFrom) % BLOCK !== 0) throw new RangeError(`the warm-up must be whole blocks, got ${partStart - warmFrom} bytes`);
    if (initial) {
      loadTables(partStart, initial);
    } else {
      tables.fill(0);
      for (let b = warmFrom; b < partStart; b += BLOCK) {
        hist.fill(0);
        encodeBlock(b, b + BLOCK);
      }
    }
    if (startState) saveTables(partStart, startState);
    let blocks = 0;
    for (let b = partStart; b < end; b += BLOCK) {
      const blockEnd = Math.min(b + BLOCK, end);
      const at = blocks * RECORD;
      blocks++;
      if (blockEnd - b < 128) {
        if (!last || blockEnd !== end) throw new RangeError('a block shorter than 128 bytes that is not the last');
        if (blockEnd - b <= 32) {
          out[at + KIND] = K_SMALL_STORED;
          out[at + LENGTH] = blockEnd - b;
        } else {
          recordHuffman(out, at, b, blockEnd, K_SMALL_HUFFMAN);
        }
        continue;
      }
      hist.fill(0);
      const n = encodeBlock(b, blockEnd);
      recordTokens(out, at, b, blockEnd, n);
    }
    if (endState) saveTables(end, endState);
    d = new Uint8Array(0);
    v = new DataView(d.buffer);
    return blocks;
  }

  // ---- the block writer (huffman_bit_writer.go), on the calling thread ----

  /** Takes the records of consecutive parts in order and adds up the bits Go's block writer emits for them. */
  function writer() {
    let bits = 0;
    /** Header bits of the table in use, when a block left it open (its end-of-block code still owed); else 0. */
    let prevHeader = 0;
    /** The table in use was made for a Huffman-only block (its length codes are not real). */
    let wroteHuffman = false;
    /** Code lengths of the table in use: 286 literal/length, 30 offset. */
    const inUse = new Int32Array(316);
    /** How each block was written (for tests: which of the writer's paths the data took). */
    const counts = { stored: 0, fixed: 0, dynamic: 0, dynamicReused: 0, huffman: 0, huffmanReused: 0 };

    function endOwed(): void {
      if (prevHeader > 0) {
        bits += inUse[256];
        prevHeader = 0;
      }
    }
    function stored(length: number): void {
      counts.stored++;
      endOwed();
      bits += 3;
      bits = Math.ceil(bits / 8) * 8;
      bits += 32 + length * 8;
    }
    /** Bits of the block's tokens with the lengths at lengths[at:] (no end of block, no made-up offset). */
    function tokenBits(rec: Int32Array, at: number, lengths: Int32Array, lengthsAt: number): number {
      const freq = at + FREQ;
      let total = rec[at + EXTRA] - (rec[at + FAKE_OFFSET] ? lengths[lengthsAt + 286] : 0);
      for (let i = 0; i < 256; i++) total += rec[freq + i] * lengths[lengthsAt + i];
      for (let i = 257; i < 316; i++) total += rec[freq + i] * lengths[lengthsAt + i];
      return total;
    }
    function fixedTokenBits(rec: Int32Array, at: number): number {
      return rec[at + FIXED] - 3 - 7 - (rec[at + FAKE_OFFSET] ? 5 : 0) + rec[at + EXTRA];
    }
    function fixed(rec: Int32Array, at: number): void {
      counts.fixed++;
      endOwed();
      bits += 3 + fixedTokenBits(rec, at) + 7;
    }

    function huffman(rec: Int32Array, at: number, sync: boolean): void {
      const length = rec[at + LENGTH];
      const ssize = (length + 5) * 8;
      if (rec[at + RANDOM]) {
        stored(length);
        return;
      }
      let estimate = rec[at + DATA] + prevHeader;
      if (prevHeader === 0) estimate += 70 * 8;
      estimate += estimate >> 7;
      if (ssize <= estimate) {
        stored(length);
        return;
      }
      const freq = at + FREQ;
      if (prevHeader > 0) {
        let reuse = 0;
        for (let i = 0; i < 256; i++) {
          const f = rec[freq + i];
          if (f !== 0) {
            if (inUse[i] === 0) {
              reuse = MAX_INT32;
              break;
            }
            reuse += f * inUse[i];
          }
        }
        if (estimate < reuse) endOwed();
      }
      if (prevHeader === 0) {
        counts.huffman++;
        for (let i = 0; i < 257; i++) inUse[i] = rec[at + LENGTHS + i];
        bits += rec[at + HEADER];
        wroteHuffman = true;
        prevHeader = rec[at + HEADER];
      } else {
        counts.huffmanReused++;
      }
      for (let i = 0; i < 256; i++) bits += rec[freq + i] * inUse[i];
      if (sync) {
        bits += inUse[256];
        prevHeader = 0;
        wroteHuffman = false;
      }
    }

    function dynamic(rec: Int32Array, at: number, sync: boolean): void {
      const length = rec[at + LENGTH];
      const n = rec[at + TOKENS] + (sync ? 1 : 0);
      const ssize = (length + 5) * 8;
      const freq = at + FREQ;
      const extra = rec[at + EXTRA];
      if (wroteHuffman && prevHeader > 0) {
        endOwed();
        wroteHuffman = false;
      }
      if (prevHeader > 0) {
        // canReuse: every symbol the block uses has a code in the table in use
        const fake = rec[at + FAKE_OFFSET];
        for (let i = 0; i < 316; i++) {
          if (rec[freq + i] !== 0 && inUse[i] === 0 && !(fake && i === 286)) {
            endOwed();
            break;
          }
        }
      }
      let size = 0;
      if (prevHeader > 0) {
        let newSize = prevHeader + rec[at + (sync ? ESTIMATE_SYNC : ESTIMATE)];
        newSize += inUse[256] + (newSize >> 7);
        let reuse = extra;
        for (let i = 0; i < 316; i++) reuse += rec[freq + i] * inUse[i];
        if (newSize < reuse) {
          endOwed();
          size = newSize;
        } else {
          size = reuse;
        }
        if (n < 250) {
          const preSize = rec[at + FIXED] + extra + 7;
          if (preSize < size) {
            if (ssize <= size) stored(length);
            else fixed(rec, at);
            return;
          }
        }
        if (ssize <= size) {
          stored(length);
          return;
        }
      }
      if (prevHeader === 0) {
        size = rec[at + HEADER] + rec[at + DATA] + extra;
        if (n < 250) {
          const preSize = rec[at + FIXED] + extra;
          if (preSize <= size) {
            if (ssize <= preSize) stored(length);
            else fixed(rec, at);
            return;
          }
        }
        if (ssize <= size) {
          stored(length);
          return;
        }
        counts.dynamic++;
        bits += rec[at + HEADER];
        for (let i = 0; i < 316; i++) inUse[i] = rec[at + LENGTHS + i];
        if (!sync) prevHeader = rec[at + HEADER];
        wroteHuffman = false;
      } else {
        counts.dynamicReused++;
      }
      if (sync) prevHeader = 0;
      bits += tokenBits(rec, at, inUse, 0);
      if (sync) bits += inUse[256];
    }

    function write(rec: Int32Array, at: number, sync: boolean): void {
      switch (rec[at + KIND]) {
        case K_STORED:
        case K_SMALL_STORED:
          stored(rec[at + LENGTH]);
          break;
        case K_HUFFMAN:
        case K_SMALL_HUFFMAN:
          huffman(rec, at, sync);
          break;
        default:
          dynamic(rec, at, sync);
      }
    }
    /** The latest block, held back until it is known whether it is the stream's last (Go writes that one with sync). */
    const held = new Int32Array(RECORD);
    let holding = false;

    return {
      /** How the blocks so far were written: stored, fixed, with a new dynamic table or the previous one, Huffman-only. */
      get counts(): Readonly<typeof counts> {
        return { ...counts };
      },
      /** Adds the blocks of one part, in order after those of the parts before. */
      add(rec: Int32Array, blocks: number): void {
        if (blocks === 0) return;
        if (holding) write(held, 0, false);
        for (let b = 0; b < blocks - 1; b++) write(rec, b * RECORD, false);
        held.set(rec.subarray((blocks - 1) * RECORD, blocks * RECORD));
        holding = true;
      },
      /** Bytes of the whole deflate stream: Go ends it with an empty fixed block (3 + 7 bits) and pads to a byte. */
      finish(): number {
        if (holding) write(held, 0, true);
        holding = false;
        endOwed();
        bits += 10;
        return Math.ceil(bits / 8);
      },
    };
  }

  /**
   * Runs every path of the parser and of the records on a few small inputs (text with repeats, a run of
   * zeros, noise, skewed bytes), so that V8 has seen them all before it first optimizes the hot functions:
   * otherwise it optimizes them early, meets a path it had not seen, throws the code away and compiles the
   * large encodeBlock again, several times per worker. Returns a checksum (so nothing is optimized away).
   */
  function prime(): number {
    let seed = 1;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      return (seed >>> 8) / 16777216;
    };
    const words = ['layer ', 'image ', 'size ', 'the ', 'of ', 'docker ', 'build ', '\n', '{"a": 1}, ', 'registry '];
    let textLike = '';
    while (textLike.length < 3000)
      textLike += random() < 0.1 ? String(Math.floor(random() * 1e6)) : words[Math.floor(random() * words.length)];
    const inputs = [new Uint8Array(3000), new Uint8Array(3000), new Uint8Array(3000), new Uint8Array(9000)];
    for (let i = 0; i < 3000; i++) {
      inputs[0][i] = textLike.charCodeAt(i);
      inputs[1][i] = Math.floor(random() * 256);
      inputs[2][i] = Math.floor(256 * random() ** 3);
    }
    inputs[3].set(inputs[0], 0);
    inputs[3].set(inputs[0].subarray(0, 2000), 5000); // zeros between, then a long repeat
    let sum = 0;
    const records = new Int32Array(2 * RECORD);
    const state = new Int32Array(STATE);
    for (let round = 0; round < 1; round++) {
      for (const input of inputs) {
        const out = writer();
        out.add(records, encodePart(input, 0, input.length, true, records, undefined, state, state));
        sum += out.finish();
      }
    }
    return sum;
  }

  return { BLOCK, RECORD, STATE, encodePart, writer, generate, hash7, prime };
}
