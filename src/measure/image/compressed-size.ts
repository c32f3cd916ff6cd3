/** Placeholder: one gzip stream, counted. Replaced by the parallel block sizer. */
import zlib from 'node:zlib';

export interface CompressedSizerOptions {
  level?: number;
  blockSize?: number;
  concurrency?: number;
}

export class CompressedSizer {
  private readonly gzip: zlib.Gzip;
  private bytes = 0;
  private readonly done: Promise<number>;

  constructor(options: CompressedSizerOptions = {}) {
    this.gzip = zlib.createGzip({ level: options.level ?? 6 });
    this.gzip.on('data', (chunk: Buffer) => (this.bytes += chunk.length));
    this.done = new Promise((resolve, reject) => {
      this.gzip.on('end', () => resolve(this.bytes));
      this.gzip.on('error', reject);
    });
  }

  write(chunk: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.gzip.write(chunk)) resolve();
      else this.gzip.once('drain', resolve);
    });
  }

  end(): Promise<number> {
    this.gzip.end();
    return this.done;
  }
}
