/**
 * The go1.26 model (go126-model.ts) run over a stream: parts parsed in parallel on worker threads, their
 * tokens counted in order on the calling thread, in bounded memory. CompressedSizer (compressed-size.ts) uses
 * it for `model: 'go1.26'` and validates its options; go127-sizer.ts does the same job for the go1.27 model.
 *
 * ## Parallel and streaming (pigz-style)
 * The input is cut into parts (default 1 MiB). Workers parse the parts in parallel, each with the previous
 * 32 KiB as its window (all deflate can refer back to), and return tokens; the calling thread counts the
 * tokens in input order and cuts blocks every 16384 tokens across parts, exactly where Go cuts them. Only the
 * parse restarts at a part boundary (a match cannot cross it): the result does not depend on the part size to
 * within 0.005%. Cutting blocks per part instead (pigz's way, with a sync flush) was 0.9% off on a layer of
 * many small files, where a whole MiB compresses to a few KiB.
 *
 * Workers are worker threads (worker-pool.ts), one per core, shared by all sizers of this model, started on
 * first use and not keeping the process alive while idle. At most `concurrency` parts of one sizer are
 * in flight (sent and not yet counted), by default two per core: parts are counted in order, so with one per
 * core a worker that finishes before the one working on the oldest part would wait for it; with two, a part is
 * queued for it. Their buffers (the part with its window, and 4 bytes per token, at most
 * one token per byte) are moved to the workers, given back and reused, so memory stays at about
 * (concurrency + 1) x 5 x part size (about 25 MiB with 1 MiB parts on 2 cores), whatever the size of the layer,
 * plus each worker's parser: its WebAssembly memory holds a part, two chain links and a token per byte, about
 * 13 x part size (14 MiB per worker with 1 MiB parts). (The go1.27 sizer shares its buffers instead of moving
 * them, for a reason measured there: see go127-sizer.ts.)
 */
import { availableParallelism } from 'node:os';
import { goDeflateModel, type Go126Blocker, type Go126Model } from './go126-model.js';
import { WorkerPool, workerSource } from './worker-pool.js';

export interface Go126SizerOptions {
  /** Go compress/flate level, 4-9. Default 6. */
  level?: number;
  /** Bytes per part parsed by one worker. Default 1 MiB. */
  blockSize?: number;
  /** Parts in flight at once. Default: twice the number of cores. */
  concurrency?: number;
}

/**
 * Feed a layer tar's bytes in order with `write` (each after the one before has resolved), then `end` gives
 * the length of the gzip stream Go's `gzip.NewWriter` (up to Go 1.26) writes for them. Used through
 * CompressedSizer, which validates the options and the order of calls.
 */
export class Go126Sizer {
  private readonly level: number;
  private readonly blockSize: number;
  private readonly concurrency: number;
  private readonly blocker: Go126Blocker = model().blocker();
  /** Buffers given back by workers, ready for the next parts. */
  private readonly free: PartBuffers[] = [];
  /** The part being filled: [window][part]. */
  private current: PartBuffers;
  private input: Uint8Array;
  private window = 0;
  private filled = 0;
  /** Parts sent to workers whose tokens have not been counted yet, in input order. */
  private readonly pending: Array<Promise<ParsedPart>> = [];
  private maxInFlightSeen = 0;
  private parts = 0;

  constructor(options: Go126SizerOptions = {}) {
    this.level = options.level ?? 6;
    this.blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
    this.concurrency = options.concurrency ?? 2 * availableParallelism();
    // The first part has no window; a small layer never needs more than this.
    this.current = { input: new ArrayBuffer(Math.min(this.blockSize, INLINE_LIMIT)), tokens: new ArrayBuffer(0) };
    this.input = new Uint8Array(this.current.input);
  }

  /** Parts measured so far and the most that were in flight at once (for tests and benchmarks). */
  get stats(): { blocks: number; maxInFlight: number } {
    return { blocks: this.parts, maxInFlight: this.maxInFlightSeen };
  }

  /** Takes the next bytes; resolves when more can be taken (at most `concurrency` parts in flight). */
  async write(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.filled === this.input.length - this.window) this.grow();
      const n = Math.min(this.input.length - this.window - this.filled, chunk.length - offset);
      this.input.set(chunk.subarray(offset, offset + n), this.window + this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.blockSize) {
        // A slot frees when the oldest part's tokens are counted: parts are counted in order.
        while (this.pending.length >= this.concurrency) await this.countOldest();
        this.dispatch(false);
      }
    }
  }

  /** The length of the whole gzip stream. */
  async end(): Promise<number> {
    if (this.parts === 0 && this.filled <= INLINE_LIMIT) {
      // Small enough to parse here rather than wake a worker.
      this.parts++;
      const tokens = new Uint32Array(this.filled);
      this.blocker.add(tokens, model().parse(this.input, 0, this.filled, this.level, tokens));
    } else {
      if (this.filled > 0) this.dispatch(true);
      while (this.pending.length > 0) await this.countOldest();
    }
    this.free.length = 0;
    return GZIP_WRAPPER_BYTES + this.blocker.finish();
  }

  /** The first part outgrew its small buffer: the layer is not small, give it a whole part. */
  private grow(): void {
    const input = new Uint8Array(this.blockSize);
    input.set(this.input.subarray(0, this.filled));
    this.current = { input: input.buffer, tokens: new ArrayBuffer(0) };
    this.input = input;
  }

  private async countOldest(): Promise<void> {
    const part = await this.pending[0];
    this.pending.shift();
    this.blocker.add(new Uint32Array(part.tokens), part.count);
    this.free.push({ input: part.input, tokens: part.tokens });
  }

  /** Sends the filled part to a worker and, unless it is the last, starts the next one with its window. */
  private dispatch(last: boolean): void {
    const sent = this.current;
    const start = this.window;
    const end = this.window + this.filled;
    if (sent.tokens.byteLength < this.blockSize * 4) sent.tokens = new ArrayBuffer(this.blockSize * 4);
    if (!last) {
      let next = this.free.pop();
      // (the first part's buffer had no room for a window)
      if (next === undefined || next.input.byteLength < DICTIONARY_BYTES + this.blockSize) {
        next = { input: new ArrayBuffer(DICTIONARY_BYTES + this.blockSize), tokens: new ArrayBuffer(0) };
      }
      const input = new Uint8Array(next.input);
      const keep = Math.min(DICTIONARY_BYTES, end);
      input.set(this.input.subarray(end - keep, end), 0);
      this.current = next;
      this.input = input;
      this.window = keep;
      this.filled = 0;
    }
    this.parts++;
    const job = pool().run({ input: sent.input, tokens: sent.tokens, start, end, level: this.level });
    // Counted in order later; a failure surfaces there, not as an unhandled rejection now.
    job.catch(() => undefined);
    this.pending.push(job);
    this.maxInFlightSeen = Math.max(this.maxInFlightSeen, this.pending.length);
  }
}

/** Bytes the gzip wrapper adds around the deflate stream: 10-byte header, 8-byte trailer (CRC-32, size). */
const GZIP_WRAPPER_BYTES = 10 + 8;
/** Deflate can refer back this far: each part is parsed with the previous 32 KiB as its window. */
const DICTIONARY_BYTES = 32 * 1024;
const DEFAULT_BLOCK_SIZE = 1024 * 1024;
/** A layer this small is measured on the calling thread rather than waking a worker. */
const INLINE_LIMIT = 64 * 1024;

/**
 * One part's memory, sent to a worker and given back with the result, then reused for a later part: fresh
 * memory is slow to touch on the VMs this runs on (a page fault per 4 KiB), and reuse keeps memory bounded.
 */
interface PartBuffers {
  /** [window (up to 32 KiB)][the part] */
  input: ArrayBuffer;
  /** One uint32 per token: at most one token per input byte. */
  tokens: ArrayBuffer;
}

/** A part for a worker: its tokens are those of input[start:end), input[0:start) being its window. */
interface PartJob extends PartBuffers {
  start: number;
  end: number;
  level: number;
}

interface ParsedPart extends PartBuffers {
  count: number;
}

/** A worker's answer to a part (run there as source text: nothing from outside its body). */
function parsePart(model: Go126Model, job: PartJob): [ParsedPart, ArrayBuffer[]] {
  const count = model.parse(new Uint8Array(job.input), job.start, job.end, job.level, new Uint32Array(job.tokens));
  return [{ count, input: job.input, tokens: job.tokens }, [job.input, job.tokens]];
}

let sharedPool: WorkerPool<PartJob, ParsedPart> | undefined;
function pool(): WorkerPool<PartJob, ParsedPart> {
  sharedPool ??= new WorkerPool({
    size: availableParallelism(),
    source: workerSource(goDeflateModel, parsePart),
    label: 'compressed size',
    transfer: (job) => [job.input, job.tokens],
  });
  return sharedPool;
}

let localModel: Go126Model | undefined;
function model(): Go126Model {
  localModel ??= goDeflateModel();
  return localModel;
}
