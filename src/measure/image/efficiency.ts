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
import type { LayerEntry } from './layer-listing.js';

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

interface PathStats {
  cumulative: number;
  minimum: number;
  copies: number;
}

/** Wasted space of the layers, oldest first. */
export function efficiencyOf(layers: LayerEntry[][], top = 10): Efficiency {
  const counter = new EfficiencyCounter();
  for (const entries of layers) counter.add(entries);
  return counter.result(top);
}

/**
 * The same, fed one layer at a time, oldest first, so a caller need not hold every layer's listing at once:
 * what it keeps is one record per path of the image.
 */
export class EfficiencyCounter {
  /** The stacked filesystem so far: path → size and whether it is a directory. */
  private readonly stacked = new Map<string, { size: number; dir: boolean }>();
  private readonly stats = new Map<string, PathStats>();

  add(entries: LayerEntry[]): void {
    const { stacked, stats } = this;
    for (const [path, size, kind] of leavesOf(entries)) {
      let bytes = size;
      if (kind === 'w') {
        const previous = stacked.get(path);
        bytes = previous?.dir ? sumUnder(stacked, path) : 0;
      }
      const s = stats.get(path);
      if (s) {
        s.cumulative += bytes;
        s.minimum = Math.min(s.minimum, bytes);
        s.copies += 1;
      } else {
        stats.set(path, { cumulative: bytes, minimum: bytes, copies: 1 });
      }
    }
    applyLayer(stacked, entries);
  }

  result(top = 10): Efficiency {
    let minimum = 0;
    let cumulative = 0;
    let wastedBytes = 0;
    const wasted: WastedPath[] = [];
    for (const [path, s] of this.stats) {
      minimum += s.minimum;
      cumulative += s.cumulative;
      if (s.copies >= 2) {
        wastedBytes += s.cumulative;
        if (s.cumulative > 0) wasted.push({ path, bytes: s.cumulative, copies: s.copies });
      }
    }
    wasted.sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));
    return { score: cumulative === 0 ? 1 : minimum / cumulative, wastedBytes, topWasted: wasted.slice(0, top) };
  }
}

/** Entries that have no descendants in the same layer (dive visits leaves only); opaque markers dropped. */
function leavesOf(entries: LayerEntry[]): LayerEntry[] {
  const parents = new Set<string>();
  for (const [path, , kind] of entries) {
    if (kind === 'o') continue;
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) parents.add(path.slice(0, i));
  }
  const seen = new Set<string>();
  const leaves: LayerEntry[] = [];
  for (const entry of entries) {
    const [path, , kind] = entry;
    if (kind === 'o' || parents.has(path) || seen.has(path)) continue;
    seen.add(path);
    leaves.push(entry);
  }
  return leaves;
}

function sumUnder(stacked: Map<string, { size: number }>, dir: string): number {
  const prefix = `${dir}/`;
  let total = stacked.get(dir)?.size ?? 0;
  for (const [path, { size }] of stacked) if (path.startsWith(prefix)) total += size;
  return total;
}

function removeUnder(stacked: Map<string, unknown>, dir: string): void {
  const prefix = `${dir}/`;
  stacked.delete(dir);
  for (const path of [...stacked.keys()]) if (path.startsWith(prefix)) stacked.delete(path);
}

/**
 * Lay one layer over the stacked filesystem, as dive stacks its trees: whiteouts delete (a directory with
 * everything under it), other entries are added. Opaque markers change nothing: dive's trees have no node
 * for them (unlike overlayfs, which would hide the lower directory's content).
 */
export function applyLayer(stacked: Map<string, { size: number; dir: boolean }>, entries: LayerEntry[]): void {
  for (const [path, , kind] of entries) {
    if (kind === 'w') {
      const previous = stacked.get(path);
      if (previous?.dir) removeUnder(stacked, path);
      else stacked.delete(path);
    }
  }
  for (const [path, size, kind] of entries) {
    if (kind !== 'o' && kind !== 'w') stacked.set(path, { size, dir: kind === 'd' });
  }
}
