/**
 * Reading one layer tar as it streams past: what it holds (paths, sizes, whiteouts), handed to a sink entry
 * by entry, and how many bytes it takes once unpacked. Nothing is buffered beyond tar headers.
 */
import { extract, type Header } from 'tar-stream';

/** `f` regular file, `d` directory, `l` symlink, `h` hard link, `w` whiteout, `o` opaque-directory marker, `x` other. */
export type EntryKind = 'f' | 'd' | 'l' | 'h' | 'w' | 'o' | 'x';

/** [path without leading `/` or `./` and without trailing `/`, size in the tar header, kind]. For `w`, the path deleted. */
export type LayerEntry = [path: string, size: number, kind: EntryKind];

/** Where a layer's entries go as they are read (a `SortedListingWriter`, or an array in tests). */
export interface ListingSink {
  add(path: string, size: number, kind: EntryKind): void;
}

export interface LayerListing {
  /** Bytes the layer takes unpacked: regular files plus symlink targets, as overlay2 counts a layer. */
  unpackedBytes: number;
  /** Regular files in the layer. */
  files: number;
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

export function normalisePath(name: string): string {
  let p = name;
  while (p.startsWith('./')) p = p.slice(2);
  p = p.replace(/^\/+/, '').replace(/\/+$/, '');
  return p;
}

function classify(header: Header): { path: string; kind: EntryKind } {
  const path = normalisePath(header.name);
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  const dir = slash === -1 ? '' : path.slice(0, slash);
  if (base === OPAQUE) return { path: dir, kind: 'o' };
  if (base.startsWith(WHITEOUT)) return { path: (dir ? `${dir}/` : '') + base.slice(WHITEOUT.length), kind: 'w' };
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return { path, kind: 'f' };
    case 'directory':
      return { path, kind: 'd' };
    case 'symlink':
      return { path, kind: 'l' };
    case 'link':
      return { path, kind: 'h' };
    default:
      return { path, kind: 'x' };
  }
}

/** A writable sink for a layer tar's bytes; `finish()` resolves with the listing. */
export class LayerLister {
  private readonly parser = extract();
  private unpackedBytes = 0;
  private files = 0;
  private readonly done: Promise<LayerListing>;
  private failed = false;

  /** `sink`: receives the entries in tar order; none: only the sizes are counted. */
  constructor(sink?: ListingSink) {
    this.parser.on('entry', (header, stream, next) => {
      const { path, kind } = classify(header);
      const size = kind === 'f' ? (header.size ?? 0) : 0;
      if (path !== '' || kind === 'o') {
        try {
          sink?.add(path, size, kind);
        } catch (error) {
          // the sink could not write (a full disk): the listing fails, as a damaged tar would; the entry's
          // stream fails with it, and that is the parser's error to report
          stream.on('error', () => undefined);
          this.parser.destroy(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (kind === 'f') {
          this.files += 1;
          this.unpackedBytes += size;
        } else if (kind === 'l') {
          this.unpackedBytes += Buffer.byteLength(header.linkname ?? '');
        }
      }
      stream.on('end', next);
      stream.resume();
    });
    this.done = new Promise((resolve, reject) => {
      this.parser.on('finish', () => resolve({ unpackedBytes: this.unpackedBytes, files: this.files }));
      this.parser.on('error', (error) => {
        this.failed = true;
        reject(error);
      });
    });
    // the error is finish()'s to report; until it is asked for, it is no unhandled rejection
    this.done.catch(() => undefined);
  }

  write(chunk: Buffer): Promise<void> {
    return new Promise<void>((resolve) => {
      // a failed parser takes no more bytes and never drains: skip them, finish() reports the error
      if (this.failed) return resolve();
      if (this.parser.write(chunk)) return resolve();
      // a malformed tar errors instead of draining; finish() reports the error
      const settle = () => {
        this.parser.off('drain', settle);
        this.parser.off('error', settle);
        resolve();
      };
      this.parser.on('drain', settle);
      this.parser.on('error', settle);
    });
  }

  finish(): Promise<LayerListing> {
    this.parser.end(() => undefined);
    return this.done;
  }
}
