/**
 * What was measured about a layer, kept by diff ID: a layer's diff ID is the digest of its content, so the
 * facts hold for every image that has it (the base branch shares most layers with the change, and variants
 * share their base image's). Kept in memory for the run and, when a directory is given, on disk across runs.
 * A damaged or unreadable cache file is a miss, never an error.
 *
 * A layer's file listing (one entry per file, needed only to work out wasted space) is the one part that
 * grows with the image, so it is never held in memory: it is written sorted to a file as the layer is read
 * (sorted-listing.ts) and merged from there. With a directory, listings are kept in it; without one (or when
 * it cannot be written), in a temporary directory of this process's, removed by `close` (or at exit).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { LayerListing } from './layer-listing.js';
import type { ImageConfig } from './history.js';
import { SortedListingWriter } from './sorted-listing.js';

/** A layer's size as a push uploads it, found one way (push-sizing.ts). */
export interface PushedSize {
  bytes: number;
  /** The store keeps the layer uncompressed and pushes it so: `bytes` is the whole tar. */
  uncompressed?: true;
}

export interface LayerFacts extends LayerListing {
  diffId: string;
  /** Length of the uncompressed layer tar. */
  tarBytes: number;
  /**
   * What a push uploads, by the way it was found (`PushSizing.cacheKey`: a model of Go's gzip, or an engine's
   * stored blob): the same layer has other figures on engines built with another Go or keeping it otherwise.
   * Absent, or without the key asked for, when compressed sizes were not measured that way.
   */
  pushed?: Record<string, PushedSize>;
  /** The sorted listing written while the layer was read (`newListing`); `putLayer` moves it into place. */
  listing?: SortedListingWriter;
}

/** A layer's facts without its file listing. */
export type LayerSummary = Omit<LayerFacts, 'listing'>;

/**
 * Bump when what is stored, or how a number is computed, changes. v2: listings apart from the facts.
 * v3: listings as sorted record files (sorted-listing.ts), not gzipped JSON. v4: compressed sizes by the way they
 * were found (`pushed`), as they differ by the engine's Go and store.
 */
const FORMAT = 'v4';

/** Temporary directories of live caches, removed at exit if `close` was not reached. */
const temporaryDirectories = new Set<string>();
let exitHook = false;

export class LayerCache {
  private readonly layers = new Map<string, LayerSummary>();
  /** Listings kept outside the directory (there is none, or it could not take them), by diff ID. */
  private readonly listings = new Map<string, string>();
  private readonly configs = new Map<string, ImageConfig>();
  private readonly dir?: string;
  /** Where listings are written while their layer is read; in the directory when it can be written. */
  private scratch?: string;
  private written = 0;

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

  /** The file of the layer's sorted listing; undefined when it is not kept. */
  listingFile(diffId: string): string | undefined {
    const here = this.listings.get(diffId);
    if (here) return here;
    const file = this.listingPath(diffId);
    return file && existsSync(file) ? file : undefined;
  }

  /** A writer for the listing of a layer about to be read. */
  newListing(): SortedListingWriter {
    this.written += 1;
    return new SortedListingWriter(path.join(this.scratchDirectory(), `listing-${process.pid}-${this.written}`));
  }

  /** Drop what is known of a layer (its listing was lost or damaged), so that it is measured again. */
  forget(diffId: string): void {
    this.layers.delete(diffId);
    const here = this.listings.get(diffId);
    this.listings.delete(diffId);
    for (const file of [this.file('layers', diffId), this.listingPath(diffId), here]) {
      try {
        if (file) rmSync(file, { force: true });
      } catch {
        // then the summary stays on disk; the next run finds the listing missing again and measures the layer
      }
    }
  }

  /** Keep a layer's facts and, when it was listed, its listing (finished: `listing.finish()` was called). */
  putLayer(facts: LayerFacts): void {
    const { listing, ...summary } = facts;
    const known = this.layers.get(facts.diffId);
    // keep the compressed sizes learnt earlier (other ways, or when this measurement skipped them)
    const merged = { ...summary, pushed: { ...known?.pushed, ...summary.pushed } };
    // the listing first: a summary on disk promises its listing is there too
    let kept = false;
    if (listing) {
      const target = this.listingPath(facts.diffId);
      try {
        if (target) {
          mkdirSync(path.dirname(target), { recursive: true });
          renameSync(listing.file, target); // atomic: a concurrent reader sees the old file or the new one
          kept = true;
          this.listings.delete(facts.diffId);
        }
      } catch {
        // not kept across runs (the directory cannot be written, or is on another disk than the scratch)
      }
      if (!kept) this.listings.set(facts.diffId, listing.file);
    }
    this.layers.set(facts.diffId, merged);
    if (kept) this.write('layers', facts.diffId, merged);
  }

  /** Remove this process's temporary files. The cache still answers from memory and its directory. */
  close(): void {
    if (!this.scratch) return;
    rmSync(this.scratch, { recursive: true, force: true });
    temporaryDirectories.delete(this.scratch);
    this.listings.clear(); // every listing kept outside the directory was in the scratch folder
    this.scratch = undefined;
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

  /**
   * In the directory when it can be written (so that a finished listing is moved into place, not copied),
   * else in the system's temporary directory. Either way a folder of this process's own.
   */
  private scratchDirectory(): string {
    if (this.scratch) return this.scratch;
    let scratch: string | undefined;
    if (this.dir) {
      try {
        mkdirSync(this.dir, { recursive: true });
        removeAbandoned(this.dir);
        scratch = mkdtempSync(path.join(this.dir, 'tmp-'));
      } catch {
        scratch = undefined;
      }
    }
    scratch ??= mkdtempSync(path.join(os.tmpdir(), 'image-size-report-listings-'));
    this.scratch = scratch;
    temporaryDirectories.add(scratch);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => {
        for (const dir of temporaryDirectories) rmSync(dir, { recursive: true, force: true });
      });
    }
    return scratch;
  }

  private listingPath(diffId: string): string | undefined {
    const hex = /^sha256:([0-9a-f]{64})$/.exec(diffId)?.[1];
    return this.dir && hex ? path.join(this.dir, 'listings', hex) : undefined;
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

/** A day: no run lasts that long, so a scratch folder that old was left by a process that was killed. */
const ABANDONED_MS = 24 * 60 * 60 * 1000;

/** Remove the scratch folders of killed processes from the directory. */
function removeAbandoned(dir: string): void {
  try {
    for (const name of readdirSync(dir)) {
      if (!name.startsWith('tmp-')) continue;
      const folder = path.join(dir, name);
      if (Date.now() - statSync(folder).mtimeMs > ABANDONED_MS) rmSync(folder, { recursive: true, force: true });
    }
  } catch {
    // another process removed it first, or the directory cannot be read: nothing to do
  }
}
