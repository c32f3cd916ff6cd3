// The LZ77 parse of Go's compress/flate (Go 1.26 and earlier), levels 4-9: the expensive half of the
// compressed-size model in go126-model.ts, which runs this as WebAssembly (the bytes are embedded there;
// `bash scripts/build-go-deflate-wasm.sh` rebuilds them from this file with clang and writes them in). The
// other half, counting the bits of each deflate block, stays in TypeScript.
//
// It gives exactly the tokens of Go's `(*compressor).deflate` with `fastSkipHashing == skipNever` and
// `findMatch` (src/compress/flate/deflate.go up to Go 1.26; read in Go 1.19's), run over data[start:end) with
// data[0:start) already seen, up to the end of the stream at `end`. What differs from Go is how, never what:
//
// - Go inserts each position into its hash chain when the parse reaches it; every position below
//   end - 3 is inserted once, in order, whatever the parse does (a match inserts all the positions it covers).
//   So the chains do not depend on the parse: they are built for the whole part first, in one tight loop, and
//   the parse only reads them. link[p + 1] is the position + 1 of the previous position with p's hash, as
//   Go's hashPrev would hold it when the parse is at p or later, or 0 when there is none within the 32 KiB
//   window (Go's search stops there: `i < minIndex`). Unlike Go's hashPrev, which is indexed modulo the
//   window, no link is ever overwritten, so the one Go guards against (`i == minIndex`: the link of the
//   position one window back was overwritten by the current one) cannot be followed by mistake here; the
//   walk stops at that position anyway, as the next one is out of the window.
// - link2[p + 1] is two steps down the same chain: the search walks candidates 1, 3, 5... and 2, 4, 6...
//   together, so that two loads from the chain are in flight at once, and looks at them in chain order.
// - A candidate is looked at only if the 4 bytes ending where the best match so far ends agree (Go looks at
//   the last one: a candidate that differs anywhere up to there cannot be longer); matches are compared 8
//   bytes at a time.
//
// Tokens are written as go126-model.ts reads them: a literal is its byte | 1 << 19; a match is
// length_token[length] + distance_token[distance], tables the caller fills.
#include <stdint.h>

#define WINDOW 32768
#define MIN_MATCH 4  // Go never emits the 3-byte matches deflate allows
#define MAX_MATCH 258
#define TOO_FAR 4096  // a 4-byte match farther than this is not worth its distance code
#define HASH_BITS 17
#define HASH_MUL 0x1e35a7bdu
#define LITERAL (1u << 19)

uint32_t length_token[MAX_MATCH + 1];
uint32_t distance_token[WINDOW + 1];
static int32_t head[1 << HASH_BITS];

static inline uint32_t load32(const uint8_t *p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}

static inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  __builtin_memcpy(&v, p, 8);
  return v;
}

/** How many bytes at a and b agree, up to max. */
static inline int match_length(const uint8_t *a, const uint8_t *b, int max) {
  int n = 0;
  for (; n + 8 <= max; n += 8) {
    uint64_t x = load64(a + n) ^ load64(b + n);
    if (x != 0) return n + (__builtin_ctzll(x) >> 3);
  }
  while (n < max && a[n] == b[n]) n++;
  return n;
}

/** The search at one position: Go's findMatch state. */
struct search {
  const uint8_t *here;
  int index, max_length, nice, best, offset;
  uint32_t best_end;  // here[best - 3 .. best]: a longer match has the same 4 bytes there
};

/** Looks at one candidate, as Go's findMatch loop does; 1 when the match is long enough to stop. */
static inline int consider(struct search *s, const uint8_t *data, int candidate) {
  if (load32(data + candidate + s->best - 3) != s->best_end) return 0;  // cannot be longer than the best so far
  int n = match_length(data + candidate, s->here, s->max_length);
  if (n > s->best && (n > MIN_MATCH || s->index - candidate <= TOO_FAR)) {
    s->best = n;
    s->offset = s->index - candidate;
    if (n >= s->nice) return 1;
    s->best_end = load32(s->here + n - 3);
  }
  return 0;
}

/**
 * Go's hash chains for positions [base, max_insert), in link and link2 (see the top of this file). A function
 * of its own so that the compiler keeps this loop's few values in registers (a tenth faster on zero bytes).
 */
__attribute__((noinline)) static void build_chains(const uint8_t *data, int base, int max_insert, int32_t *link, int32_t *link2) {
  uint32_t word = (uint32_t)data[base] << 16 | (uint32_t)data[base + 1] << 8 | data[base + 2];
  for (int p = base; p < max_insert; p++) {
    word = word << 8 | data[p + 3];
    uint32_t hash = (word * HASH_MUL) >> (32 - HASH_BITS);
    int32_t q = head[hash];
    int32_t near = q & ~((q - p + WINDOW - 1) >> 31);  // q, or 0 when position q - 1 is more than a window back
    link[p + 1] = near;
    link2[p + 1] = link[near];
    head[hash] = p + 1;
  }
}

/**
 * The tokens for data[start:end) into out; returns how many. lazy, nice_length and chain are the level's
 * (Go's `levels` table); link and link2 have room for end + 1 entries, out for end - start.
 */
int parse(const uint8_t *data, int start, int end, int lazy, int nice_length, int chain, int32_t *link, int32_t *link2, uint32_t *out) {
  __builtin_memset(head, 0, sizeof head);
  const int base = start > WINDOW ? start - WINDOW : 0;  // the window: all that can be referred back to
  const int max_insert = end - (MIN_MATCH - 1);
  link[0] = 0;
  link2[0] = 0;
  if (base < max_insert) build_chains(data, base, max_insert, link, link2);
  int count = 0;
  int length = MIN_MATCH - 1, offset = 0;
  int byte_available = 0;
  int index = start;
  for (;;) {
    const int lookahead = end - index;
    if (lookahead == 0) {
      if (byte_available) out[count++] = data[index - 1] | LITERAL;
      return count;
    }
    const int prev_length = length, prev_offset = offset;
    length = MIN_MATCH - 1;
    offset = 0;
    // Go searches only when the previous match is shorter than `lazy` (lazy matching) and could be beaten.
    if (lookahead > prev_length && prev_length < lazy) {
      const int min_index = index - WINDOW > base ? index - WINDOW : base;
      int a = link[index + 1];  // candidates + 1: a is the 1st, 3rd, 5th...; b the 2nd, 4th, 6th...
      if (a > min_index) {
        int b = link2[index + 1];
        struct search s;
        s.here = data + index;
        s.index = index;
        s.max_length = lookahead < MAX_MATCH ? lookahead : MAX_MATCH;
        s.nice = nice_length < s.max_length ? nice_length : s.max_length;
        s.best = MIN_MATCH - 1;  // Go passes minMatchLength - 1 as prevLength: its `good` never applies
        s.offset = 0;
        s.best_end = load32(s.here);
        for (int tries = chain;;) {
          if (consider(&s, data, a - 1)) break;
          if (--tries == 0 || b <= min_index) break;
          if (consider(&s, data, b - 1)) break;
          if (--tries == 0) break;
          a = link2[a];
          b = link2[b];
          if (a <= min_index) break;
        }
        if (s.best >= MIN_MATCH) {
          length = s.best;
          offset = s.offset;
        }
      }
    }
    if (prev_length >= MIN_MATCH && length <= prev_length) {
      // The match found one byte earlier is at least as long: emit it and go past it.
      out[count++] = length_token[prev_length] + distance_token[prev_offset];
      index += prev_length - 1;
      byte_available = 0;
      length = MIN_MATCH - 1;
    } else {
      if (byte_available) out[count++] = data[index - 1] | LITERAL;
      index++;
      byte_available = 1;
    }
  }
}
