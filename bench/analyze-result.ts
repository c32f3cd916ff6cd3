/**
 * What bench/analyze.ts prints, one line of JSON per run, and the bench's sections read (types only: the
 * contract between the two processes, so that `tsc` sees both sides).
 */
import type { SizedFile } from './size-file.js';

export interface Opened {
  /** From the request to the engine answering (response headers). */
  openMs: number;
  /** From the request to the first byte of the tar. */
  firstByteMs?: number;
  /** From the request to the last byte. */
  endMs?: number;
  bytes: number;
}

/** Every mode's figures about the process itself. */
export interface ProcessFigures {
  opens: Opened[];
  /** From process start (node, module loading) to the work starting: what a fresh run pays first. */
  startupMs: number;
  processMs: number;
  maxRssBytes: number;
  memoryPeaks: Record<string, number>;
  cpuUserMs: number;
  cpuSystemMs: number;
}

export interface AnalyzedLayer {
  diffId: string;
  tarBytes: number;
  unpackedBytes: number;
  compressedBytes?: number;
  files: number;
  createdBy: string;
}

/** `analyze IMAGE CACHE_DIR|none [--no-compressed]` */
export interface AnalyzeRun extends ProcessFigures {
  mode: 'analyze';
  push: { method: string; model?: string; reason: string };
  imageId: string;
  engineSizeBytes: number;
  compressed: boolean;
  inspectMs: number;
  analyzeMs: number;
  wallMs: number;
  layers: AnalyzedLayer[];
  /** Distinct layers: an image may hold the same layer twice (two empty WORKDIRs), measured once. */
  distinctTarBytes: number;
  unpackedBytes: number;
  compressedBytes?: number;
  efficiency: { score: number; wastedBytes: number };
  work: { measured: number; cached: number; passes: number; savedBytesRead: number };
}

/** `save IMAGE` */
export interface SaveRun extends ProcessFigures {
  mode: 'save';
  wallMs: number;
}

/** One file the sizer went over (bench/size-file.ts). */
export type SizedLayer = SizedFile;

/** `sizer [--model MODEL] FILE...` */
export interface SizerRun extends ProcessFigures {
  mode: 'sizer';
  model: string;
  layers: SizedLayer[];
  bytes: number;
  compressedBytes: number;
  wallMs: number;
}

/** `registry REFERENCE CACHE_DIR|none`: a published image measured as `baseline: registry` does. */
export interface RegistryRun extends ProcessFigures {
  mode: 'registry';
  reference: string;
  wallMs: number;
  layers: number;
  unpackedBytes: number;
  /** The registry's descriptor sizes. */
  compressedBytes: number;
  /** Layers streamed and analysed, layers the cache knew, blob bytes downloaded. */
  work: { measured: number; cached: number; blobBytes: number };
}

/** `models MODEL...` (printed alone, without the process figures) */
export type ModelsRun = Record<string, { available: boolean; reason?: string }>;

/** A run as the bench keeps it: the printed figures, with the whole process's wall time and peak memory from outside. */
export type Child<T> = T & { childWallMs: number; peakTreeRss?: number };
