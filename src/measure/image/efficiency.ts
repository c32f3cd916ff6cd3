/**
 * Wasted space as dive defines it (wagoodman/dive, filetree/efficiency.go). Pure.
 *
 * Every leaf of every layer's tree is a "copy" of its path; a whiteout is a copy whose size is what it deletes
 * when that is a directory (a deleted file counts 0 bytes, as in dive). Per path: cumulative size of all
 * copies and the smallest copy. Score = Σ smallest / Σ cumulative (1 when nothing has a size); wasted bytes =
 * Σ cumulative over paths with two or more copies. Sizes are tar header sizes, as dive reads them.
 * Opaque-directory markers are ignored, as dive ignores them: they are no copy, and they do not empty the
 * directory in the stacked tree that a later directory whiteout is measured against.
 */
import { entryList, type EntryList, type LayerEntry } from './layer-listing.js';

export interface WastedPath {
  path: string;
  /** All copies together (dive's cumulative size). */
  bytes: number;
  /** In how many layers the path appears. */
  copies: number;
}

export interface Efficiency {
  /** 0..1; 1 means nothing is stored twice or deleted later. */
  score: number;
  wastedBytes: number;
  /** The largest wasted paths, largest first. */
  topWasted: WastedPath[];
}

/** Wasted space of the layers, oldest first. */
export function efficiencyOf(layers: LayerEntry[][], top = 10): Efficiency {
  const counter = new EfficiencyCounter();
  for (const entries of layers) counter.add(entryList(entries));
  return counter.result(top);
}

const ABSENT = 0;
const PRESENT = 1;
const DIRECTORY = 2;

/**
 * The same, fed one layer at a time, oldest first, so a caller need not hold every layer's listing at once.
 * What it keeps is one record per path of the image: the path (shared with the listing it came from), a
 * number for it, and a few numbers in typed arrays; no object per path.
 */
export class EfficiencyCounter {
  private readonly ids = new Map<string, number>();
  private readonly paths: string[] = [];
  private count = 0;
  private layer = 0;
  // per path id: dive's cumulative size, smallest copy and copies (0: never a leaf), the stacked filesystem's
  // size and state, and the last layer the path was a leaf in (a path listed twice in a layer counts once)
  private cumulative = new Float64Array(1024);
  private minimum = new Float64Array(1024);
  private copies = new Uint32Array(1024);
  private size = new Float64Array(1024);
  private state = new Uint8Array(1024);
  private seenIn = new Uint32Array(1024);

  add(list: EntryList): void {
    this.layer += 1;
    const { paths, sizes, kinds } = list;
    const parents = parentsOf(list);
    // every leaf is a copy of its path; sizes of directory whiteouts from the stacked filesystem before this layer
    for (let i = 0; i < paths.length; i++) {
      const kind = kinds[i];
      const path = paths[i];
      if (kind === 'o' || parents.has(path)) continue;
      let bytes = sizes[i];
      if (kind === 'w') {
        const known = this.ids.get(path);
        bytes = known !== undefined && this.state[known] === DIRECTORY ? this.sumUnder(path, known) : 0;
      }
      const id = this.idOf(path);
      if (this.seenIn[id] === this.layer) continue;
      this.seenIn[id] = this.layer;
      if (this.copies[id] === 0) {
        this.cumulative[id] = bytes;
        this.minimum[id] = bytes;
      } else {
        this.cumulative[id] += bytes;
        if (bytes < this.minimum[id]) this.minimum[id] = bytes;
      }
      this.copies[id] += 1;
    }
    this.apply(list);
  }

  result(top = 10): Efficiency {
    let minimum = 0;
    let cumulative = 0;
    let wastedBytes = 0;
    const wasted: WastedPath[] = [];
    for (let id = 0; id < this.count; id++) {
      const copies = this.copies[id];
      if (copies === 0) continue;
      minimum += this.minimum[id];
      cumulative += this.cumulative[id];
      if (copies >= 2) {
        wastedBytes += this.cumulative[id];
        if (this.cumulative[id] > 0) wasted.push({ path: this.paths[id], bytes: this.cumulative[id], copies });
      }
    }
    wasted.sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));
    return { score: cumulative === 0 ? 1 : minimum / cumulative, wastedBytes, topWasted: wasted.slice(0, top) };
  }

  /**
   * Lay one layer over the stacked filesystem, as dive stacks its trees: whiteouts delete (a directory with
   * everything under it), other entries are added. Opaque markers change nothing: dive's trees have no node
   * for them (unlike overlayfs, which would hide the lower directory's content).
   */
  private apply({ paths, sizes, kinds }: EntryList): void {
    for (let i = 0; i < paths.length; i++) {
      if (kinds[i] !== 'w') continue;
      const id = this.ids.get(paths[i]);
      if (id === undefined) continue;
      if (this.state[id] === DIRECTORY) this.removeUnder(paths[i]);
      this.state[id] = ABSENT;
    }
    for (let i = 0; i < paths.length; i++) {
      const kind = kinds[i];
      if (kind === 'o' || kind === 'w') continue;
      const id = this.idOf(paths[i]);
      this.size[id] = sizes[i];
      this.state[id] = kind === 'd' ? DIRECTORY : PRESENT;
    }
  }

  private sumUnder(dir: string, id: number): number {
    const prefix = `${dir}/`;
    let total = this.size[id];
    for (const [path, other] of this.ids) if (this.state[other] !== ABSENT && path.startsWith(prefix)) total += this.size[other];
    return total;
  }

  private removeUnder(dir: string): void {
    const prefix = `${dir}/`;
    for (const [path, id] of this.ids) if (path.startsWith(prefix)) this.state[id] = ABSENT;
  }

  private idOf(path: string): number {
    let id = this.ids.get(path);
    if (id === undefined) {
      id = this.count++;
      if (id === this.state.length) this.grow();
      this.ids.set(path, id);
      this.paths.push(path);
    }
    return id;
  }

  private grow(): void {
    const length = this.state.length * 2;
    const larger = <T extends Float64Array | Uint32Array | Uint8Array>(array: T): T => {
      const next = new (array.constructor as new (n: number) => T)(length);
      next.set(array);
      return next;
    };
    this.cumulative = larger(this.cumulative);
    this.minimum = larger(this.minimum);
    this.copies = larger(this.copies);
    this.size = larger(this.size);
    this.state = larger(this.state);
    this.seenIn = larger(this.seenIn);
  }
}

/** The directories above the layer's entries (dive visits leaves only: an entry with one below it is none). */
function parentsOf({ paths, kinds }: EntryList): Set<string> {
  const parents = new Set<string>();
  for (let i = 0; i < paths.length; i++) {
    if (kinds[i] === 'o') continue;
    let path = paths[i];
    // deepest first; once a directory is known, so are the ones above it
    for (let slash = path.lastIndexOf('/'); slash !== -1; slash = path.lastIndexOf('/')) {
      path = path.slice(0, slash);
      if (parents.has(path)) break;
      parents.add(path);
    }
  }
  return parents;
}
