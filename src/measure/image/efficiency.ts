/**
 * Wasted space as dive defines it (wagoodman/dive, filetree/efficiency.go). Pure: it reads cursors.
 *
 * Every leaf of every layer's tree is a "copy" of its path; a whiteout is a copy whose size is what it deletes
 * when that is a directory (a deleted file counts 0 bytes, as in dive). Per path: cumulative size of all
 * copies and the smallest copy. Score = Σ smallest / Σ cumulative (1 when nothing has a size); wasted bytes =
 * Σ cumulative over paths with two or more copies. Sizes are tar header sizes, as dive reads them.
 * Opaque-directory markers are ignored, as dive ignores them: they are no copy, and they do not empty the
 * directory in the stacked tree that a later directory whiteout is measured against.
 *
 * How: the layers' listings, each sorted by path (sorted-listing.ts), are merged, so every path is met once
 * with its entries in all layers, and a directory's descendants right after it. What is held is one record
 * per directory above the current path (its state in the stacked filesystem after each layer), not one per
 * path of the image: memory does not grow with the number of files.
 */
import type { Efficiency, WastedPath } from '../../report/types.js';
import type { LayerEntry } from './layer-listing.js';
import { ArrayCursor, comparePaths, ListingDamaged, type ListingCursor } from './sorted-listing.js';

/** The report defines what is measured here. */
export type { Efficiency, WastedPath };

/** Wasted space of layers given in memory, oldest first, each in tar order. */
export function efficiencyOf(layers: LayerEntry[][], top = 10): Efficiency {
  const cursors = layers.map(
    (entries) => new ArrayCursor(entries.filter((e) => e[2] !== 'o').map(([path, size, kind]) => ({ path, size, kind }))),
  );
  return efficiencyOfSorted(cursors, top);
}

const ABSENT = 0;
const PRESENT = 1;
const DIRECTORY = 2;

/** A path being counted, and while it is on the stack, a directory above the paths that follow. */
interface Frame {
  path: string;
  /** `path/`: what the paths under it start with. */
  prefix: string;
  /** In the stacked filesystem, before layer l (index l) and after the last (index n): state and size. */
  state: Uint8Array;
  size: Float64Array;
  /** Per layer: whether the path is a leaf copy there, and its bytes. */
  isCopy: Uint8Array;
  copyBytes: Float64Array;
  /** Layers whose whiteout of this directory is a copy worth what is under it: filled in by the paths below. */
  pending: number[];
  /** Layers whose whiteout of this directory deletes everything under it. */
  deletes: number[];
}

/**
 * Wasted space of the layers, oldest first, each a cursor in path order (`comparePaths`). A cursor found out
 * of order, or one that throws `ListingDamaged`, makes this throw `LayerListingDamaged` naming its layer.
 */
export function efficiencyOfSorted(layers: ListingCursor[], top = 10): Efficiency {
  return new WasteCount(layers, top).run();
}

/** A listing that cannot be read: which layer (its index in the list given). */
export class LayerListingDamaged extends Error {
  constructor(
    readonly layer: number,
    message: string,
  ) {
    super(message);
  }
}

class WasteCount {
  private readonly n: number;
  private readonly stack: Frame[] = [];
  /** Frames by depth, reused. */
  private readonly frames: Frame[] = [];
  /** Per layer: how many directories on the stack delete their content in that layer. */
  private readonly deleting: Int32Array;
  /** Frames on the stack with pending whiteout copies, in stack order. */
  private readonly pendingFrames: Frame[] = [];
  // per layer, the current path's entries there
  private readonly has: Uint8Array;
  private readonly firstKind: string[];
  private readonly firstSize: Float64Array;
  private readonly addKind: string[];
  private readonly addSize: Float64Array;
  private readonly whiteout: Uint8Array;
  private readonly parent: Uint8Array;
  private readonly last: (string | undefined)[];
  private minimum = 0;
  private cumulative = 0;
  private wastedBytes = 0;
  private readonly wasted: WastedPath[] = [];

  constructor(
    private readonly layers: ListingCursor[],
    private readonly top: number,
  ) {
    const n = (this.n = layers.length);
    this.deleting = new Int32Array(n);
    this.has = new Uint8Array(n);
    this.firstKind = new Array<string>(n).fill('');
    this.firstSize = new Float64Array(n);
    this.addKind = new Array<string>(n).fill('');
    this.addSize = new Float64Array(n);
    this.whiteout = new Uint8Array(n);
    this.parent = new Uint8Array(n);
    this.last = new Array<string | undefined>(n).fill(undefined);
  }

  run(): Efficiency {
    for (let path = this.nextPath(); path !== undefined; path = this.nextPath()) {
      this.gather(path);
      while (this.stack.length > 0 && !path.startsWith(this.stack[this.stack.length - 1].prefix)) this.pop();
      this.push(path);
    }
    while (this.stack.length > 0) this.pop();
    const { minimum, cumulative, wastedBytes } = this;
    return { score: cumulative === 0 ? 1 : minimum / cumulative, wastedBytes, topWasted: this.wasted };
  }

  private peek(l: number) {
    try {
      return this.layers[l].peek();
    } catch (error) {
      throw this.damaged(l, error);
    }
  }

  private advance(l: number): void {
    try {
      this.layers[l].next();
    } catch (error) {
      throw this.damaged(l, error);
    }
    const record = this.layers[l].peek();
    const last = this.last[l];
    if (record && last !== undefined && comparePaths(last, record.path) > 0) {
      throw new LayerListingDamaged(l, `the file listing of layer ${l + 1} is out of path order at ${JSON.stringify(record.path)}`);
    }
  }

  private damaged(l: number, error: unknown): Error {
    if (error instanceof ListingDamaged) return new LayerListingDamaged(l, error.message);
    return error instanceof Error ? error : new Error(String(error));
  }

  /** The smallest path any layer has next. */
  private nextPath(): string | undefined {
    let best: string | undefined;
    for (let l = 0; l < this.n; l++) {
      const record = this.peek(l);
      if (record && (best === undefined || comparePaths(record.path, best) < 0)) best = record.path;
    }
    return best;
  }

  /** Take the path's entries from every layer: the first (the leaf copy), the last that adds it, any whiteout. */
  private gather(path: string): void {
    const below = `${path}/`;
    for (let l = 0; l < this.n; l++) {
      this.has[l] = 0;
      this.whiteout[l] = 0;
      this.addKind[l] = '';
      for (let record = this.peek(l); record && record.path === path; record = this.peek(l)) {
        if (!this.has[l]) {
          this.has[l] = 1;
          this.firstKind[l] = record.kind;
          this.firstSize[l] = record.size;
        }
        if (record.kind === 'w') this.whiteout[l] = 1;
        else {
          this.addKind[l] = record.kind;
          this.addSize[l] = record.size;
        }
        this.last[l] = path;
        this.advance(l);
      }
      // dive visits leaves only: a path with an entry under it in the same layer is no copy there
      this.parent[l] = this.has[l] && this.peek(l)?.path.startsWith(below) ? 1 : 0;
    }
  }

  private frameAt(depth: number): Frame {
    let frame = this.frames[depth];
    if (!frame) {
      const n = this.n;
      frame = {
        path: '',
        prefix: '',
        state: new Uint8Array(n + 1),
        size: new Float64Array(n + 1),
        isCopy: new Uint8Array(n),
        copyBytes: new Float64Array(n),
        pending: [],
        deletes: [],
      };
      this.frames[depth] = frame;
    }
    return frame;
  }

  /** Work out the path's history layer by layer, count it into the directories above it, and stack it. */
  private push(path: string): void {
    const frame = this.frameAt(this.stack.length);
    const { state, size, isCopy, copyBytes, pending, deletes } = frame;
    frame.path = path;
    frame.prefix = `${path}/`;
    pending.length = 0;
    deletes.length = 0;
    state[0] = ABSENT;
    size[0] = 0;
    for (let l = 0; l < this.n; l++) {
      const before = state[l];
      isCopy[l] = 0;
      copyBytes[l] = 0;
      if (this.has[l]) {
        if (!this.parent[l]) {
          isCopy[l] = 1;
          if (this.firstKind[l] !== 'w') copyBytes[l] = this.firstSize[l];
          else if (before === DIRECTORY) {
            // deletes a directory: its own size and, as the paths below are met, theirs
            copyBytes[l] = size[l];
            pending.push(l);
          }
        }
        if (this.whiteout[l] && before === DIRECTORY) deletes.push(l);
      }
      // a layer's whiteouts apply before what it adds
      if (this.addKind[l] !== '') {
        state[l + 1] = this.addKind[l] === 'd' ? DIRECTORY : PRESENT;
        size[l + 1] = this.addSize[l];
      } else if (this.whiteout[l] || this.deleting[l] > 0) {
        state[l + 1] = ABSENT;
        size[l + 1] = 0;
      } else {
        state[l + 1] = before;
        size[l + 1] = size[l];
      }
    }
    // what the directories above lose in the layers where they are deleted: this path, where it was
    for (const above of this.pendingFrames) {
      for (const l of above.pending) if (state[l] !== ABSENT) above.copyBytes[l] += size[l];
    }
    for (const l of deletes) this.deleting[l] += 1;
    if (pending.length > 0) this.pendingFrames.push(frame);
    this.stack.push(frame);
  }

  /** Every path under it has been met: count its copies. */
  private pop(): void {
    const frame = this.stack.pop()!;
    for (const l of frame.deletes) this.deleting[l] -= 1;
    if (this.pendingFrames[this.pendingFrames.length - 1] === frame) this.pendingFrames.pop();
    let copies = 0;
    let cumulative = 0;
    let minimum = Infinity;
    for (let l = 0; l < this.n; l++) {
      if (!frame.isCopy[l]) continue;
      copies += 1;
      cumulative += frame.copyBytes[l];
      if (frame.copyBytes[l] < minimum) minimum = frame.copyBytes[l];
    }
    if (copies === 0) return;
    this.minimum += minimum;
    this.cumulative += cumulative;
    if (copies < 2) return;
    this.wastedBytes += cumulative;
    if (cumulative > 0) this.rank({ path: frame.path, bytes: cumulative, copies });
  }

  /** Keep the `top` largest, largest first (equal sizes by path), as a full sort would order them. */
  private rank(candidate: WastedPath): void {
    const { wasted, top } = this;
    const before = (a: WastedPath, b: WastedPath) => b.bytes - a.bytes || a.path.localeCompare(b.path);
    if (top <= 0 || (wasted.length === top && before(candidate, wasted[top - 1]) >= 0)) return;
    let i = wasted.length;
    while (i > 0 && before(candidate, wasted[i - 1]) < 0) i -= 1;
    wasted.splice(i, 0, candidate);
    if (wasted.length > top) wasted.pop();
  }
}
