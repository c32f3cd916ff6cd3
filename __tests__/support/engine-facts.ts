// The engine a test file runs against (vitest.config.ts runs the integration project once per engine of
// __tests__/engines.json, with DOCKER_HOST and ISR_ENGINE set), and facts about it from independent witnesses:
// the docker CLI and GNU tar, never our own code.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './workspace.js';

export interface MatrixEngine {
  name: string;
  /** The Docker release: 20.10 (Debian 12) or 28.5 (Debian forky). */
  docker: string;
  /** overlay2 (a graph driver) or containerd (the containerd image store). */
  store: 'overlay2' | 'containerd';
  host: string;
}

const MATRIX: MatrixEngine[] = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../engines.json'), 'utf8')).engines;

/** The engine of this test run (the matrix's first when ISR_ENGINE is not set, as when one file is run by hand). */
export function engineUnderTest(): MatrixEngine {
  const name = process.env.ISR_ENGINE ?? MATRIX[0].name;
  const engine = MATRIX.find((e) => e.name === name);
  if (!engine) throw new Error(`ISR_ENGINE=${name} is not an engine of __tests__/engines.json`);
  return engine;
}

/** Whether this run's engine keeps images in the containerd image store. */
export const onContainerdStore = (): boolean => engineUnderTest().store === 'containerd';

/** `docker info` as the CLI gives it. */
export function dockerInfo(): { Driver: string; ServerVersion: string; DriverStatus: [string, string][] | null } {
  return JSON.parse(execFileSync('docker', ['info', '--format', '{{json .}}'], { encoding: 'utf8' }));
}

/** `docker version`'s server part. */
export function dockerServerVersion(): { Version: string; ApiVersion: string; GoVersion: string } {
  return JSON.parse(execFileSync('docker', ['version', '--format', '{{json .Server}}'], { encoding: 'utf8' }));
}

export interface SavedLayer {
  /** Bytes of the layer as the save holds it: the tar on a graph driver, the stored blob on the containerd store. */
  blobBytes: number;
  /** Whether that blob is gzipped. */
  gzipped: boolean;
  /** Regular files' sizes plus symlink targets' lengths, as GNU tar lists the layer (what overlay2 counts). */
  unpackedBytes: number;
}

/**
 * The layers of an image, oldest first, from `docker save` read by GNU tar: an independent witness of the unpacked
 * size on any store (on the containerd store the engine's `Size` is the packed size) and of how each layer is
 * kept.
 */
export function savedLayers(ref: string): SavedLayer[] {
  const dir = tempDir('saved');
  try {
    execFileSync('bash', ['-c', 'set -o pipefail; docker save "$1" | tar -x -C "$2"', 'save', ref, dir]);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
    return manifest[0].Layers.map((layer) => {
      const file = path.join(dir, layer);
      const head = readFileSync(file).subarray(0, 2);
      const gzipped = head[0] === 0x1f && head[1] === 0x8b;
      // --numeric-owner: no name lookups; --quoting-style=literal: names as they are
      const listing = execFileSync('tar', ['-tv', '--numeric-owner', '--quoting-style=literal', '-f', file], {
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      });
      let unpackedBytes = 0;
      for (const line of listing.split('\n')) {
        const fields = line.split(/\s+/);
        if (line.startsWith('-')) unpackedBytes += Number(fields[2]);
        else if (line.startsWith('l')) unpackedBytes += Buffer.byteLength(line.slice(line.lastIndexOf(' -> ') + 4));
      }
      return { blobBytes: readFileSync(file).length, gzipped, unpackedBytes };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The unpacked size of an image as the engine's own witness gives it: `Size` on a graph driver, GNU tar's listing on the containerd store. */
export function unpackedBytesOf(ref: string): number {
  if (!onContainerdStore()) return JSON.parse(execFileSync('docker', ['image', 'inspect', ref], { encoding: 'utf8' }))[0].Size;
  return savedLayers(ref).reduce((sum, layer) => sum + layer.unpackedBytes, 0);
}
