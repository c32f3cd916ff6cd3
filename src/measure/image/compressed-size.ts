/**
 * The compressed (registry, pull) size of a layer: the length of the gzip stream `docker push` uploads for the
 * layer's tar, computed without writing that stream, in parallel across cores, streaming, in bounded memory.
 * This is the sizer the tool uses (`CompressedSizer`, `compressedSizeOf`): it checks the options and the order
 * of calls and hands the bytes to the sizer of the model asked for.
 *
 * Whose gzip: Go's `compress/gzip` at level 6, as moby, containerd and BuildKit push a layer, and Go's
 * compressor is not zlib. Two models of it, in deflate/: `go1.26`, compress/flate up to Go 1.26, levels 4-9
 * (go126-model.ts, run in parallel by go126-sizer.ts), and `go1.27`, Go 1.27's rewritten level 6
 * (go127-model.ts, go127-sizer.ts); push-sizing.ts picks one from the engine's Go version. Both run their
 * parse on worker threads (worker-pool.ts). Each file's header has the measurements behind it.
 */
import { Go126Sizer } from './deflate/go126-sizer.js';
import { Go127Sizer } from './deflate/go127-sizer.js';

/** Go's compress/flate: as it was up to Go 1.26, or as Go 1.27 rewrote it. */
export type DeflateModelName = 'go1.26' | 'go1.27';
/** `'go1.26'`: deflate/go126-model.ts; `'go1.27'`: deflate/go127-model.ts (level 6 only). */
const DEFLATE_MODELS: readonly DeflateModelName[] = ['go1.26', 'go1.27'];

export interface CompressedSizerOptions {
  /** Whose gzip to model. Default go1.26. */
  model?: DeflateModelName;
  /** Go compress/flate level, 4-9 (the lazy-matching levels). Default 6: what `docker push` uses. */
  level?: number;
  /** Bytes per part parsed by one worker. Default 1 MiB (2 MiB with model 'go1.27'); at least 64 KiB, at most 64 MiB. */
  blockSize?: number;
  /** Parts of this sizer in flight at once. Default: twice the number of cores (cores + 1 with model 'go1.27'). */
  concurrency?: number;
}

/**
 * Feed a layer tar's bytes in order with `write`, then `end` gives the size of the gzip stream Docker would
 * push for them.
 */
export class CompressedSizer {
  /** The model's sizer that does the work. */
  private readonly sizer: Go126Sizer | Go127Sizer;
  private tail: Promise<void> = Promise.resolve();
  private ended = false;

  constructor(options: CompressedSizerOptions = {}) {
    const modelName = options.model ?? 'go1.26';
    if (!DEFLATE_MODELS.includes(modelName)) {
      throw new RangeError(
        `CompressedSizer: model must be 'go1.26' (compress/flate up to Go 1.26) or 'go1.27' (Go 1.27 and later), got ${JSON.stringify(options.model)}`,
      );
    }
    if (modelName === 'go1.27' && options.level !== undefined && options.level !== 6) {
      throw new RangeError(
        `CompressedSizer: model 'go1.27' models level 6 only (Go's default, what Docker uses), got level ${options.level}`,
      );
    }
    const level = options.level ?? 6;
    if (!Number.isInteger(level) || level < 4 || level > 9) {
      throw new RangeError(`CompressedSizer: level must be 4 to 9 (Go's lazy-matching levels; Docker uses 6), got ${options.level}`);
    }
    // (each model has its own defaults, documented above; given values are checked the same for both)
    const blockSize =
      options.blockSize === undefined ? undefined : integerOption('blockSize', options.blockSize, MIN_BLOCK_SIZE, MAX_BLOCK_SIZE);
    const concurrency = options.concurrency === undefined ? undefined : integerOption('concurrency', options.concurrency, 1);
    this.sizer =
      modelName === 'go1.27'
        ? // its own default part size (whole Go blocks, each part warmed on the two before)
          new Go127Sizer({ partSize: blockSize, concurrency })
        : new Go126Sizer({ level, blockSize, concurrency });
  }

  /**
   * Parts measured so far and the most that were in flight at once (for tests and benchmarks); with model
   * 'go1.27', also the parts parsed twice (see deflate/go127-sizer.ts).
   */
  get stats(): { blocks: number; maxInFlight: number; reruns?: number } {
    return this.sizer.stats;
  }

  /** Feed the layer tar's bytes in order; resolves when more can be taken (at most `concurrency` parts in flight). */
  write(chunk: Uint8Array): Promise<void> {
    if (this.ended) return Promise.reject(new Error('CompressedSizer: write after end'));
    if (!(chunk instanceof Uint8Array)) return Promise.reject(new TypeError('CompressedSizer: chunks must be Buffers or Uint8Arrays'));
    const sizer = this.sizer;
    this.tail = this.tail.then(() => sizer.write(chunk));
    return this.tail;
  }

  /** Resolves with the size in bytes of the gzip stream Docker would push for these bytes (header and trailer included). */
  end(): Promise<number> {
    if (this.ended) return Promise.reject(new Error('CompressedSizer: end called twice'));
    this.ended = true;
    const sizer = this.sizer;
    return this.tail.then(() => sizer.end());
  }
}

/** The compressed size of a whole stream of layer-tar bytes (see CompressedSizer). */
export async function compressedSizeOf(
  stream: NodeJS.ReadableStream | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options?: CompressedSizerOptions,
): Promise<number> {
  const sizer = new CompressedSizer(options);
  for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
    if (typeof chunk === 'string') throw new TypeError('compressedSizeOf: the stream must yield bytes, not strings (no encoding set)');
    await sizer.write(chunk);
  }
  return sizer.end();
}

const MIN_BLOCK_SIZE = 64 * 1024;
/** The go1.26 model's parser needs about 13 bytes of WebAssembly memory per byte of a part, which cannot pass 4 GiB. */
const MAX_BLOCK_SIZE = 64 * 1024 * 1024;

function integerOption(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `CompressedSizer: ${name} must be an integer >= ${min}${max < Number.MAX_SAFE_INTEGER ? ` and <= ${max}` : ''}, got ${value}`,
    );
  }
  return value;
}
