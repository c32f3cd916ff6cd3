/**
 * Reading one layer tar as it streams past: what it holds (paths, sizes, whiteouts) and how many bytes it
 * takes once unpacked. Nothing is buffered beyond tar headers.
 */
import { extract, type Header } from 'tar-stream';

/** `f` regular file, `d` directory, `l` symlink, `h` hard link, `w` whiteout, `o` opaque-directory marker, `x` other. */
export type EntryKind = 'f' | 'd' | 'l' | 'h' | 'w' | 'o' | 'x';

/** [path without leading `/` or `./` and without trailing `/`, size in the tar header, kind]. For `w`, the path deleted. */
export type LayerEntry = [path: string, size: number, kind: EntryKind];

/**
 * A layer's entries in tar order, as parallel arrays: entry i is (paths[i], sizes[i], kinds[i]). A layer may
 * hold hundreds of thousands of files, and one small array per entry would take about three times the memory.
 */
export interface EntryList {
  paths: string[];
  sizes: number[];
  /** One `EntryKind` character per entry. */
  kinds: string;
}

export interface LayerListing {
  /** Bytes the layer takes unpacked: regular files plus symlink targets, as overlay2 counts a layer. */
  unpackedBytes: number;
  /** Regular files in the layer. */
  files: number;
  entries: EntryList;
}

export function entryList(entries: readonly LayerEntry[]): EntryList {
  return { paths: entries.map((e) => e[0]), sizes: entries.map((e) => e[1]), kinds: entries.map((e) => e[2]).join('') };
}

/** The entries one by one (for tests and small lists). */
export function entriesOf(list: EntryList): LayerEntry[] {
  return list.paths.map((path, i) => [path, list.sizes[i], list.kinds[i] as EntryKind]);
}

/** Whether a value read back (from the cache directory) is a well-formed EntryList. */
export function isEntryList(value: unknown): value is EntryList {
  const list = value as EntryList;
  return (
    value !== null &&
    typeof value === 'object' &&
    Array.isArray(list.paths) &&
    Array.isArray(list.sizes) &&
    typeof list.kinds === 'string' &&
    list.paths.length === list.sizes.length &&
    list.kinds.length === list.paths.length &&
    list.paths.every((p) => typeof p === 'string') &&
    list.sizes.every((n) => typeof n === 'number') &&
    /^[fdlhwox]*$/.test(list.kinds)
  );
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
  private readonly paths: string[] = [];
  private readonly sizes: number[] = [];
  private readonly kinds: number[] = [];
  private readonly done: Promise<LayerListing>;
  private failed = false;

  constructor() {
    this.parser.on('entry', (header, stream, next) => {
      const { path, kind } = classify(header);
      const size = kind === 'f' ? (header.size ?? 0) : 0;
      if (path !== '' || kind === 'o') {
        this.paths.push(path);
        this.sizes.push(size);
        this.kinds.push(kind.charCodeAt(0));
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
      this.parser.on('finish', () =>
        resolve({
          unpackedBytes: this.unpackedBytes,
          files: this.files,
          entries: { paths: this.paths, sizes: this.sizes, kinds: Buffer.from(this.kinds).toString('latin1') },
        }),
      );
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
