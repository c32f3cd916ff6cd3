/**
 * The go1.27 model (go127-model.ts) run over a stream: parts of whole Go blocks parsed in parallel on worker
 * threads, each warmed on the blocks before it and parsed again when that did not leave Go's tables, so the
 * result is the sequential model's to the byte; records counted in order on the calling thread, in bounded
 * memory. CompressedSizer (compressed-size.ts) uses it for `model: 'go1.27'` and validates its options;
 * go126-sizer.ts does the same job for the go1.26 model.
 *
 * ## Parallel and exact
 * The tables carry across blocks, so a part parsed on its own starts from other tables than Go had there.
 * The input is cut into parts of whole Go blocks (default 32, 2 MiB); a worker parses each part after
 * parsing the two Go blocks before it (their records dropped), which nearly always leaves its tables exactly
 * as Go's stand at the part's start: a cold parse of a block finds fewer matches early on, but the
 * positions it indexes in the second of the two blocks are, nearly always, Go's. To be exact rather than
 * nearly, each part saves its tables where it starts (after the warm-up) and where it ends, relative to the
 * boundary so that parts compare (an entry no later position could use counts as empty); in input order,
 * the calling thread compares a part's start with the end of the part before, and when they differ has the
 * part parsed again from that end. With the default parts that happened for 1 part in 28 to 47 on ELF
 * binaries and the Debian rootfs, and for none on text, JSON, small files, random data or zeros. With one
 * warm-up block instead of two, the tables differed at 70% to 98% of the boundaries, although without the
 * check the sizes were only a few bytes off (39 bytes on the hex dump, the worst). So the result does not
 * depend on the part size, the chunking or the number of workers, to the byte: it is the sequential model's.
 * The cost: the warm-up parses 1/16 more; saving and comparing the tables is 2 x 384 KiB per part; a re-run
 * holds up counting (the other workers go on).
 * The block writer's decisions depend on the blocks before, so they run on the calling thread, cheaply:
 * workers write one record per block with everything that does not depend on that (histograms, the block's
 * own Huffman code and header size, the Shannon estimates, the stored/Huffman-only tests); the writer holds
 * back each part's last record until it knows whether it is the stream's last (written with sync).
 *
 * ## Speed
 * Against `taskset -c 0 gzip -6` over the same file, back to back (bench/sizer.mjs, 2 cores), the sizer with
 * every core in a fresh process (worker start-up and compiling included). Wall-clock ratio when the sizer had
 * both cores (about 1.9 of them in use), and the ratio of CPU times, which holds on a busy machine too (with
 * the cores to itself, the wall ratio is at most about cores x that):
 *
 *   | layer                          | wall, 2 cores |      CPU |
 *   | ------------------------------ | ------------: | -------: |
 *   | Debian rootfs (77.9 MB)        |          3.0x |     1.6x |
 *   | source text (100 MB)           |          3.0x | 1.3-1.5x |
 *   | ELF, files of /usr (60 MB)     |          3.2x |     1.6x |
 *   | ELF, the node binary (99 MB)   |               |     1.8x |
 *   | TypeScript's lib x 8 (123 MB)  |          3.1x |     1.6x |
 *   | JSON, OpenAPI (180 MB)         |      1.9-2.0x |     1.0x |
 *   | small files as a tar (160 MB)  |     2.35-2.5x | 1.2-1.3x |
 *   | random bytes (400 MB)          |         18.6x |      12x |
 *   | zeros (300 MB)                 |          2.8x | 1.5-1.7x |
 *
 * The goal is 0.9 x cores = 1.8x. JSON is the closest: most of its time goes to indexing every position
 * inside long matches (two 7-byte hashes and a 4-byte one per two positions), as in Go, which is 2.6x faster
 * than gzip -6 there. Small layers pay the workers' start-up (about 0.3 s of CPU, once per process: two
 * isolates, priming, compiling): a 15 MB layer alone in a fresh process is measured at about gzip's speed.
 * What it took: the indexing loops are functions of their own and the two rare operations V8 met first in
 * optimized code are computed every turn (encodeBlock took 70-220 ms to compile, and was recompiled several
 * times per worker); each worker runs every path once on small inputs before V8 optimizes (prime); a loop
 * over a long match of a short distance (zeros, padding) skips the turns whose entries are overwritten twice
 * later; one more part in flight than workers, so none waits for the next.
 *
 * ## Threads and memory
 * Workers (one per core, shared by the sizers of this model, started on first use, not keeping the process
 * alive while idle; worker-pool.ts) are a pool of their own, apart from the go1.26 sizer's: a process that uses both
 * models has both. Parts live in SharedArrayBuffers, reused: transferring an ArrayBuffer to a worker and back
 * detaches it, and the first detached buffer in a thread makes V8 discard every optimized function there that
 * touches a typed array and check for detachment on every access from then on (20% more instructions).
 * Memory: (parts in flight + 1) x (2 MiB part + 128 KiB warm-up + 2 x 384 KiB tables + 80 KiB records), about
 * 12 MiB on 2 cores, plus 450 KiB of tables per worker, whatever the size of the layer.
 */
import { availableParallelism } from 'node:os';
import { go127DeflateModel, type Go127Model, type Go127Writer } from './go127-model.js';
import { WorkerPool, workerSource } from './worker-pool.js';

export interface Go127SizerOptions {
  /** Bytes per part parsed by one worker, rounded to whole Go blocks of 65535 bytes (at least one). Default 2 MiB. */
  partSize?: number;
  /**
   * Parts in flight at once. Default: one more than the cores, so that a worker finishing a part finds the next
   * one waiting rather than idling while this thread counts the oldest and reads on.
   */
  concurrency?: number;
  /** Go blocks each part is warmed on. Default 2; fewer only to test (or measure) the re-runs it saves. */
  warmBlocks?: number;
}

/**
 * Feed a layer tar's bytes in order with `write`, then `end` gives the length of the gzip stream Go 1.27's
 * `gzip.NewWriter` writes for them. Used through CompressedSizer (`model: 'go1.27'`), which validates the options.
 */
export class Go127Sizer {
  private readonly partBytes: number;
  private readonly blocksPerPart: number;
  private readonly concurrency: number;
  private readonly warmBytes: number;
  private readonly writer: Go127Writer = model().writer();
  /** Buffers given back by workers, ready for the next parts. */
  private readonly free: Array<Pick<PartBuffers, 'input' | 'records'>> = [];
  private readonly freeStates: SharedArrayBuffer[] = [];
  /** The part being filled: [warm-up][part]. */
  private current: Pick<PartBuffers, 'input' | 'records'>;
  private input: Uint8Array;
  private warm = 0;
  private filled = 0;
  /** Parts sent to workers whose records have not been counted yet, in input order. */
  private readonly pending: Array<{ result: Promise<ParsedPart>; job: JobSpec }> = [];
  /** The tables where the last part counted ended, exactly as Go's stand there. */
  private previousEnd: SharedArrayBuffer | undefined;
  private maxInFlightSeen = 0;
  private parts = 0;
  private reruns = 0;

  constructor(options: Go127SizerOptions) {
    this.blocksPerPart = options.partSize === undefined ? DEFAULT_PART_BLOCKS : Math.max(1, Math.round(options.partSize / GO_BLOCK));
    this.partBytes = this.blocksPerPart * GO_BLOCK;
    this.concurrency = options.concurrency ?? availableParallelism() + 1;
    this.warmBytes = (options.warmBlocks ?? WARM_BLOCKS) * GO_BLOCK;
    // The first part has no warm-up; a small stream never needs more than this.
    this.current = { input: new SharedArrayBuffer(Math.min(this.partBytes, INLINE_LIMIT)), records: new SharedArrayBuffer(0) };
    this.input = new Uint8Array(this.current.input);
  }

  /**
   * Parts measured so far, the most that were in flight at once, and how many were parsed again because the
   * tables their warm-up left were not the ones the part before them ended with.
   */
  get stats(): { blocks: number; maxInFlight: number; reruns: number } {
    return { blocks: this.parts, maxInFlight: this.maxInFlightSeen, reruns: this.reruns };
  }

  /** Takes the next bytes; resolves when more can be taken (at most `concurrency` parts in flight). */
  async write(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.filled === this.input.length - this.warm) this.grow();
      // (a reused buffer may have room for more than a part when the warm-up before it is shorter)
      const n = Math.min(this.input.length - this.warm - this.filled, this.partBytes - this.filled, chunk.length - offset);
      this.input.set(chunk.subarray(offset, offset + n), this.warm + this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.partBytes) {
        // A slot frees when the oldest part's records are counted: parts are counted in order.
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
      const blocks = Math.max(1, Math.ceil(this.filled / GO_BLOCK));
      const records = new Int32Array(blocks * model().RECORD);
      this.writer.add(records, model().encodePart(this.input.subarray(0, this.filled), 0, this.filled, true, records));
    } else {
      if (this.filled > 0) {
        while (this.pending.length >= this.concurrency) await this.countOldest();
        this.dispatch(true);
      }
      while (this.pending.length > 0) await this.countOldest();
    }
    this.free.length = 0;
    this.freeStates.length = 0;
    this.previousEnd = undefined;
    return GZIP_WRAPPER_BYTES + this.writer.finish();
  }

  /** The first part outgrew its small buffer: the stream is not small, give it a whole part. */
  private grow(): void {
    const buffer = new SharedArrayBuffer(this.partBytes);
    const input = new Uint8Array(buffer);
    input.set(this.input.subarray(0, this.filled));
    this.current = { input: buffer, records: new SharedArrayBuffer(0) };
    this.input = input;
  }

  private state(): SharedArrayBuffer {
    return this.freeStates.pop() ?? new SharedArrayBuffer(model().STATE * 4);
  }

  /**
   * Counts the oldest part's records. Its warm-up nearly always leaves the tables exactly as the part before
   * it ended them; when it does not, the part is parsed again from those tables, so that the result is the
   * sequential model's, exactly.
   */
  private async countOldest(): Promise<void> {
    const { result, job } = this.pending[0];
    let blocks = await result;
    this.pending.shift();
    if (this.previousEnd !== undefined && !sameState(job.startState, this.previousEnd)) {
      this.reruns++;
      blocks = await pool().run({ ...job, initial: this.previousEnd });
    }
    this.writer.add(new Int32Array(job.records), blocks);
    this.free.push({ input: job.input, records: job.records });
    if (this.previousEnd !== undefined) this.freeStates.push(this.previousEnd);
    this.freeStates.push(job.startState);
    this.previousEnd = job.endState;
  }

  /** Sends the filled part to a worker and, unless it is the last, starts the next one with its warm-up. */
  private dispatch(last: boolean): void {
    const sent = this.current;
    const start = this.warm;
    const end = this.warm + this.filled;
    const recordBytes = this.blocksPerPart * model().RECORD * 4;
    if (sent.records.byteLength < recordBytes) sent.records = new SharedArrayBuffer(recordBytes);
    if (!last) {
      // what comes before a part: its warm-up, and never less than the 32 KiB its matches can reach
      const history = Math.max(this.warmBytes, GO_BLOCK);
      const size = history + this.partBytes;
      let next = this.free.pop();
      // (the first parts' buffers had less room for a warm-up)
      if (next === undefined || next.input.byteLength < size)
        next = { input: new SharedArrayBuffer(size), records: new SharedArrayBuffer(0) };
      const input = new Uint8Array(next.input);
      const keep = Math.min(history, end);
      input.set(this.input.subarray(end - keep, end), 0);
      this.current = next;
      this.input = input;
      this.warm = keep;
      this.filled = 0;
    }
    this.parts++;
    const warmFrom = Math.max(0, start - this.warmBytes);
    const job: JobSpec = {
      input: sent.input,
      records: sent.records,
      startState: this.state(),
      endState: this.state(),
      start,
      end,
      last,
      warmFrom,
    };
    const result = pool().run(job);
    // Counted in order later; a failure surfaces there, not as an unhandled rejection now.
    result.catch(() => undefined);
    this.pending.push({ result, job });
    this.maxInFlightSeen = Math.max(this.maxInFlightSeen, this.pending.length);
  }
}

/** Go blocks each part is warmed on: the two before it (see the header comment for what it costs). */
const WARM_BLOCKS = 2;
/** Go blocks per part by default: 2 MiB, so that the warm-up costs 1/16 more parsing. */
const DEFAULT_PART_BLOCKS = 32;
/** A stream this small is measured on the calling thread rather than waking a worker. */
const INLINE_LIMIT = 64 * 1024;
const GO_BLOCK = 65535;
/** Gzip's 10-byte header and 8-byte trailer (CRC-32, size) around the deflate stream. */
const GZIP_WRAPPER_BYTES = 18;

/**
 * One part's memory, shared with the worker that parses it and reused for a later part once its result is in.
 * Shared, not transferred: moving an ArrayBuffer out of a thread detaches it, and the first detached buffer
 * in a thread makes V8 throw away every optimized function there that reads a typed array, and check for
 * detached buffers on every read from then on.
 */
interface PartBuffers {
  /** [warm-up (the two Go blocks before the part, when there are)][the part] */
  input: SharedArrayBuffer;
  /** One record per Go block of the part. */
  records: SharedArrayBuffer;
  /** The hash tables where the part starts (after the warm-up), saved. */
  startState: SharedArrayBuffer;
  /** The hash tables where the part ends, saved. */
  endState: SharedArrayBuffer;
}

/** The number of Go blocks the worker parsed (it wrote their records into the job's buffer). */
type ParsedPart = number;

interface JobSpec extends PartBuffers {
  start: number;
  end: number;
  last: boolean;
  /** Tables to start from instead of the warm-up (a re-run after the warm-up turned out different). */
  initial?: SharedArrayBuffer;
  /** Where in `input` the warm-up starts (before `start`, which is where the part starts). */
  warmFrom: number;
}

/** A worker's answer to a part (run there as source text: nothing from outside its body). */
function encodePart(model: Go127Model, job: JobSpec): [ParsedPart, ArrayBuffer[]] {
  const blocks = model.encodePart(
    new Uint8Array(job.input),
    job.start,
    job.end,
    job.last,
    new Int32Array(job.records),
    job.initial && new Int32Array(job.initial),
    new Int32Array(job.startState),
    new Int32Array(job.endState),
    job.warmFrom,
  );
  return [blocks, []]; // (the buffers are the sizer's: it has them)
}

/** Each worker runs every path of the model once on small inputs before V8 optimizes (see Speed). */
function prime(model: Go127Model): void {
  model.prime();
}

let sharedPool: WorkerPool<JobSpec, ParsedPart> | undefined;
function pool(): WorkerPool<JobSpec, ParsedPart> {
  sharedPool ??= new WorkerPool({
    size: availableParallelism(),
    source: workerSource(go127DeflateModel, encodePart, prime),
    label: 'compressed size (go1.27)',
  });
  return sharedPool;
}
let localModel: Go127Model | undefined;
function model(): Go127Model {
  localModel ??= go127DeflateModel();
  return localModel;
}

function sameState(a: SharedArrayBuffer, b: SharedArrayBuffer): boolean {
  const x = new Int32Array(a);
  const y = new Int32Array(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
