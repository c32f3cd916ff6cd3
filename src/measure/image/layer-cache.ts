/**
 * What was measured about a layer, kept by diff ID: a layer's diff ID is the digest of its content, so the
 * facts hold for every image that has it (the base branch shares most layers with the change, and variants
 * share their base image's). Kept in memory for the run and, when a directory is given, on disk across runs.
 * A damaged or unreadable cache file is a miss, never an error.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { LayerListing } from './layer-listing.js';
import type { ImageConfig } from './history.js';

export interface LayerFacts extends LayerListing {
  diffId: string;
  /** Length of the uncompressed layer tar. */
  tarBytes: number;
  /** Gzipped as a registry stores it; undefined when compressed sizes were not asked for. */
  compressedBytes?: number;
}

/** Bump when what is stored, or how a number is computed, changes. */
const FORMAT = 'v1';

export class LayerCache {
  private readonly layers = new Map<string, LayerFacts>();
  private readonly configs = new Map<string, ImageConfig>();
  private readonly dir?: string;

  /** `directory`: where to keep results across runs; undefined keeps them for this process only. */
  constructor(directory?: string) {
    this.dir = directory ? path.join(directory, FORMAT) : undefined;
  }

  get directory(): string | undefined {
    return this.dir;
  }

  layer(diffId: string): LayerFacts | undefined {
    const known = this.layers.get(diffId);
    if (known) return known;
    const stored = this.read<LayerFacts>('layers', diffId);
    if (
      stored?.diffId === diffId &&
      Array.isArray(stored.entries) &&
      [stored.tarBytes, stored.unpackedBytes, stored.files].every((n) => typeof n === 'number')
    ) {
      this.layers.set(diffId, stored);
      return stored;
    }
    return undefined;
  }

  putLayer(facts: LayerFacts): void {
    const known = this.layers.get(facts.diffId);
    // keep a compressed size learnt earlier when this measurement skipped it
    const merged = { ...facts, compressedBytes: facts.compressedBytes ?? known?.compressedBytes };
    this.layers.set(facts.diffId, merged);
    this.write('layers', facts.diffId, merged);
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

  private write(kind: string, digest: string, value: unknown): void {
    const file = this.file(kind, digest);
    if (!file) return;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, gzipSync(JSON.stringify(value), { level: 1 }));
      renameSync(temporary, file); // atomic: a concurrent reader sees the old file or the new one
    } catch {
      // a cache that cannot be written only costs time
    }
  }
}
