/**
 * A layer's file listing kept on disk, sorted by path, so that wasted space can be counted by merging the
 * layers' listings (efficiency.ts) with memory that does not grow with the number of files.
 *
 * Order: path by path component, which is byte order with `/` below every other character. A directory's
 * descendants then come right after it, before any other path: `a`, `a/b`, `a/b/c`, `a-c`. Docker writes
 * layer tars in nearly this order already (a sorted walk), but whiteouts and other tools' tars need not be.
 *
 * Sorting is external: up to `chunkEntries` entries are held, sorted and written as a run; a layer with more
 * is merged from its runs into the listing. Records: kind (one ASCII letter), size (decimal), a space, the
 * path in UTF-8, a NUL byte (no path holds one). The last record is `E<number of records> ` and a NUL, so
 * that a file cut short (even between records) or left unfinished is told from a shorter listing.
 */
import { closeSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { EntryKind } from './layer-listing.js';

export interface ListingRecord {
  path: string;
  size: number;
  kind: EntryKind;
}

/** Entries in path order, one at a time. */
export interface ListingCursor {
  /** The current entry; undefined at the end. */
  peek(): ListingRecord | undefined;
  /** Move on to the next entry. */
  next(): void;
}

/** A listing file that is not what this module writes (damaged, cut short, out of order). */
export class ListingDamaged extends Error {}

const SLASH = 47;

/** Path order: by component, so that everything under a directory follows it (see the module comment). */
export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x === SLASH) x = -1;
    if (y === SLASH) y = -1;
    return x - y;
  }
  return a.length - b.length;
}

/** Entries held in memory, sorted (stably) into path order. */
export class ArrayCursor implements ListingCursor {
  private index = 0;
  private readonly records: ListingRecord[];

  constructor(records: readonly ListingRecord[]) {
    this.records = [...records].sort((a, b) => comparePaths(a.path, b.path)); // Array.prototype.sort is stable
  }

  peek(): ListingRecord | undefined {
    return this.records[this.index];
  }

  next(): void {
    this.index += 1;
  }
}

const BLOCK = 64 * 1024;
const KINDS = new Set([...'fdlhwox'].map((c) => c.charCodeAt(0)));
const END = 'E'.charCodeAt(0);

/** Appends records to a file through a buffer; `close` writes the end record. */
class RecordWriter {
  private readonly fd: number;
  private buffer = Buffer.allocUnsafe(BLOCK);
  private length = 0;
  private count = 0;

  constructor(file: string) {
    this.fd = openSync(file, 'w');
  }

  put(kind: number, size: number, path: string): void {
    this.count += 1;
    this.record(kind, size, path);
  }

  close(): void {
    try {
      this.record(END, this.count, '');
      this.flush();
    } finally {
      closeSync(this.fd);
    }
  }

  private record(kind: number, size: number, path: string): void {
    const safe = path.includes('\0') ? path.replaceAll('\0', '\uFFFD') : path;
    const most = 1 + 20 + 1 + Buffer.byteLength(safe) + 1;
    if (this.length + most > this.buffer.length) {
      this.flush();
      if (most > this.buffer.length) this.buffer = Buffer.allocUnsafe(most);
    }
    const b = this.buffer;
    b[this.length++] = kind;
    this.length += b.write(String(size), this.length, 'latin1');
    b[this.length++] = 0x20;
    this.length += b.write(safe, this.length, 'utf8');
    b[this.length++] = 0;
  }

  private flush(): void {
    let offset = 0;
    while (offset < this.length) offset += writeSync(this.fd, this.buffer, offset, this.length - offset);
    this.length = 0;
  }
}

/** Reads a listing file as a cursor, a block at a time; checks each record and the order. */
export class ListingFileCursor implements ListingCursor {
  private readonly fd: number;
  private buffer = Buffer.allocUnsafe(BLOCK);
  private start = 0;
  private end = 0;
  private eof = false;
  private current: ListingRecord | undefined;
  private count = 0;
  private ended = false;
  private closed = false;

  constructor(private readonly file: string) {
    this.fd = openSync(file, 'r');
    try {
      this.advance();
    } catch (error) {
      this.close();
      throw error;
    }
  }

  peek(): ListingRecord | undefined {
    return this.current;
  }

  next(): void {
    this.advance();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private advance(): void {
    if (this.ended) return;
    const previous = this.current;
    for (;;) {
      const nul = this.start < this.end ? this.buffer.indexOf(0, this.start) : -1;
      if (nul !== -1 && nul < this.end) {
        const from = this.start;
        this.start = nul + 1;
        if (this.buffer[from] === END) return this.finish(from, nul);
        this.current = this.parse(from, nul);
        this.count += 1;
        if (previous && comparePaths(previous.path, this.current.path) > 0) throw this.damaged('out of path order');
        return;
      }
      if (this.eof) throw this.damaged('cut short');
      this.fill();
    }
  }

  /** The end record: it must count the records read, and be the last thing in the file. */
  private finish(from: number, nul: number): void {
    this.current = undefined;
    this.ended = true;
    if (this.buffer.toString('latin1', from + 1, nul) !== `${this.count} `) throw this.damaged('cut short');
    while (!this.eof && this.start === this.end) this.fill();
    if (this.start < this.end) throw this.damaged('data after its end');
  }

  /** Keep the unread part, make room (a record may be longer than a block), read on. */
  private fill(): void {
    const rest = this.end - this.start;
    if (rest === this.buffer.length) {
      const larger = Buffer.allocUnsafe(this.buffer.length * 2);
      this.buffer.copy(larger, 0, this.start, this.end);
      this.buffer = larger;
    } else if (this.start > 0) {
      this.buffer.copyWithin(0, this.start, this.end);
    }
    this.start = 0;
    this.end = rest;
    const read = readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, null);
    if (read === 0) this.eof = true;
    this.end += read;
  }

  private parse(from: number, nul: number): ListingRecord {
    const b = this.buffer;
    const kind = b[from];
    if (!KINDS.has(kind)) throw this.damaged('an unknown kind of entry');
    let size = 0;
    let i = from + 1;
    for (; i < nul && b[i] >= 0x30 && b[i] <= 0x39; i++) size = size * 10 + (b[i] - 0x30);
    if (i === from + 1 || i >= nul || b[i] !== 0x20) throw this.damaged('a record without its size');
    return { kind: String.fromCharCode(kind) as EntryKind, size, path: b.toString('utf8', i + 1, nul) };
  }

  private damaged(what: string): ListingDamaged {
    return new ListingDamaged(`the file listing ${this.file} is damaged: ${what}`);
  }
}

/**
 * Writes a sorted listing to `file` from entries given in any order. Memory holds at most `chunkEntries`
 * entries; runs are written next to `file` and removed once merged. Opaque-directory markers are dropped:
 * wasted space, the listing's one use, ignores them (as dive does).
 */
export class SortedListingWriter {
  private paths: string[] = [];
  private sizes: number[] = [];
  private kinds: number[] = [];
  private readonly runs: string[] = [];
  private done = false;

  constructor(
    readonly file: string,
    private readonly chunkEntries = 50_000,
  ) {}

  add(path: string, size: number, kind: EntryKind): void {
    if (kind === 'o') return;
    this.paths.push(path);
    this.sizes.push(size);
    this.kinds.push(kind.charCodeAt(0));
    if (this.paths.length >= this.chunkEntries) this.spill(`${this.file}.run${this.runs.length}`);
  }

  /** Write the listing; the runs are gone after, whatever happens. */
  finish(): void {
    if (this.done) throw new Error('the listing is finished already');
    this.done = true;
    try {
      if (this.runs.length === 0) {
        // one chunk: sorted and written as the listing itself
        this.spill(`${this.file}.part`);
        renameSync(`${this.file}.part`, this.file);
        return;
      }
      if (this.paths.length > 0) this.spill(`${this.file}.run${this.runs.length}`);
      this.merge();
    } finally {
      this.removeRuns();
    }
  }

  /** Remove what was written (a layer that could not be read to its end). */
  abort(): void {
    this.done = true;
    this.paths = [];
    this.sizes = [];
    this.kinds = [];
    this.removeRuns();
    rmSync(this.file, { force: true });
  }

  private spill(run: string): void {
    const { paths, sizes, kinds } = this;
    const order = Array.from(paths.keys()).sort((a, b) => comparePaths(paths[a], paths[b]) || a - b);
    this.runs.push(run);
    const writer = new RecordWriter(run);
    try {
      for (const i of order) writer.put(kinds[i], sizes[i], paths[i]);
    } finally {
      writer.close();
    }
    this.paths = [];
    this.sizes = [];
    this.kinds = [];
  }

  /** Merge the runs into the listing: the earlier run first among equal paths, so the tar's order is kept. */
  private merge(): void {
    const part = `${this.file}.part`;
    const cursors: ListingFileCursor[] = [];
    try {
      for (const run of this.runs) cursors.push(new ListingFileCursor(run));
      const writer = new RecordWriter(part);
      try {
        for (;;) {
          let best = -1;
          for (let i = 0; i < cursors.length; i++) {
            const record = cursors[i].peek();
            if (record && (best === -1 || comparePaths(record.path, cursors[best].peek()!.path) < 0)) best = i;
          }
          if (best === -1) break;
          const record = cursors[best].peek()!;
          writer.put(record.kind.charCodeAt(0), record.size, record.path);
          cursors[best].next();
        }
      } finally {
        writer.close();
      }
      renameSync(part, this.file);
    } finally {
      for (const cursor of cursors) cursor.close();
      rmSync(part, { force: true });
    }
  }

  private removeRuns(): void {
    for (const run of this.runs.splice(0)) rmSync(run, { force: true });
  }
}
