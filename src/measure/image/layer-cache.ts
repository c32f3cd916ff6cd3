/**
 * What was measured about a layer, kept by diff ID: a layer's diff ID is the digest of its content, so the
 * facts hold for every image that has it (the base branch shares most layers with the change, and variants
 * share their base image's). Kept in memory for the run and, when a directory is given, on disk across runs.
 * A damaged or unreadable cache file is a miss, never an error.
 *
 * A layer's file listing (one entry per file, needed only to work out wasted space) is the one part that
 * grows with the image. With a directory it is kept on disk and read back when an image needs it, and memory
 * holds only the listings of the image being measured (until `release`); without one they stay in memory.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { isEntryList, type EntryList, type LayerListing } from './layer-listing.js';
import type { ImageConfig } from './history.js';

export interface LayerFacts extends LayerListing {
  diffId: string;
  /** Length of the uncompressed layer tar. */
  tarBytes: number;
  /** Gzipped as a registry stores it; undefined when compressed sizes were not asked for. */
  compressedBytes?: number;
}

/** A layer's facts without its file listing. */
export type LayerSummary = Omit<LayerFacts, 'entries'>;

/** Bump when what is stored, or how a number is computed, changes. v2: listings apart from the facts. */
const FORMAT = 'v2';

export class LayerCache {
  private readonly layers = new Map<string, LayerSummary>();
  /** Listings in memory: all of them without a directory; else those not written, and those not yet released. */
  private readonly listings = new Map<string, EntryList>();
  /** Layers whose listing this process wrote to the directory. */
  private readonly written = new Set<string>();
  private readonly configs = new Map<string, ImageConfig>();
  private readonly dir?: string;

  /** `directory`: where to keep results across runs; undefined keeps them for this process only. */
  constructor(directory?: string) {
    this.dir = directory ? path.join(directory, FORMAT) : undefined;
  }

  get directory(): string | undefined {
    return this.dir;
  }

  layer(diffId: string): LayerSummary | undefined {
    const known = this.layers.get(diffId);
    if (known) return known;
    const stored = this.read<LayerSummary>('layers', diffId);
    if (stored?.diffId === diffId && [stored.tarBytes, stored.unpackedBytes, stored.files].every((n) => typeof n === 'number')) {
      this.layers.set(diffId, stored);
      return stored;
    }
    return undefined;
  }

  /** The layer's file listing; undefined when it is not kept (or its file is damaged). */
  entries(diffId: string): EntryList | undefined {
    const known = this.listings.get(diffId);
    if (known) return known;
    const stored = this.read<unknown>('listings', diffId);
    return isEntryList(stored) ? stored : undefined;
  }

  /** Drop what is known of a layer (its listing was lost), so that it is measured again. */
  forget(diffId: string): void {
    this.layers.delete(diffId);
    this.listings.delete(diffId);
    this.written.delete(diffId);
    const file = this.file('layers', diffId);
    try {
      if (file) rmSync(file, { force: true });
    } catch {
      // then the summary stays on disk; the next run finds the listing missing again and measures the layer
    }
  }

  putLayer(facts: LayerFacts): void {
    const { entries, ...summary } = facts;
    const known = this.layers.get(facts.diffId);
    // keep a compressed size learnt earlier when this measurement skipped it
    const merged = { ...summary, compressedBytes: summary.compressedBytes ?? known?.compressedBytes };
    // the listing first: a summary on disk promises its listing is there too
    if (this.write('listings', facts.diffId, entries)) this.written.add(facts.diffId);
    else this.written.delete(facts.diffId);
    // kept in memory until `release`: the image being measured needs it next, and reading it back from disk
    // would only make more garbage
    this.listings.set(facts.diffId, entries);
    this.layers.set(facts.diffId, merged);
    this.write('layers', facts.diffId, merged);
  }

  /** Let go of the listings of these layers that are on disk (the image that needed them is counted). */
  release(diffIds: readonly string[]): void {
    for (const diffId of diffIds) if (this.written.has(diffId)) this.listings.delete(diffId);
  }

  /** An image's config by image ID (the config's own digest, so it cannot go stale). */
  config(imageId: string): ImageConfig | undefined {
    return this.readConfig('configs', imageId);
  }

  putConfig(imageId: string, config: ImageConfig): void {
    this.writeConfig('configs', imageId, config);
  }

  /**
   * An image's config by its history fingerprint (`historyFingerprint`): found for a rebuild of the same
   * content, whose image ID differs by the run's label. The caller checks it lists the image's layers.
   */
  configByHistory(fingerprint: string): ImageConfig | undefined {
    return this.readConfig('histories', fingerprint);
  }

  putConfigByHistory(fingerprint: string, config: ImageConfig): void {
    this.writeConfig('histories', fingerprint, config);
  }

  private readConfig(kind: string, key: string): ImageConfig | undefined {
    const known = this.configs.get(`${kind}/${key}`);
    if (known) return known;
    const stored = this.read<ImageConfig>(kind, key);
    if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return undefined;
    this.configs.set(`${kind}/${key}`, stored);
    return stored;
  }

  private writeConfig(kind: string, key: string, config: ImageConfig): void {
    this.configs.set(`${kind}/${key}`, config);
    this.write(kind, key, config);
  }

  private file(kind: string, digest: string): string | undefined {
    const hex = /^sha256:([0-9a-f]{64})$/.exec(digest)?.[1];
    return this.dir && hex ? path.join(this.dir, kind, `${hex}.json.gz`) : undefined;
  }

  private read<T>(kind: string, digest: string): T | undefined {
    const file = this.file(kind, digest);
    if (!file) return undefined;
    try {
      return JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }

  /** Whether it was written. */
  private write(kind: string, digest: string, value: unknown): boolean {
    const file = this.file(kind, digest);
    if (!file) return false;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, gzipSync(JSON.stringify(value), { level: 1 }));
      renameSync(temporary, file); // atomic: a concurrent reader sees the old file or the new one
      return true;
    } catch {
      return false; // a cache that cannot be written only costs time (and, here, memory)
    }
  }
}

