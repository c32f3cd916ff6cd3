/** Bench helpers (not part of the tool): how figures are written in the table and in RESULTS.md. */
import os from 'node:os';

export const seconds = (ms: number): string =>
  ms >= 100_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`;
/** Megabytes, one decimal (none from a gigabyte on). */
export const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes >= 1e9 ? 0 : 1)} MB`;
/** Megabytes with one decimal whatever the size, as the per-kind figures have always been written. */
export const mbOneDecimal = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
export const mbps = (bytes: number, ms: number): string => `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
export const ratio = (x: number, digits = 2): string => `${x.toFixed(digits)}×`;
/** Text in a Markdown table cell. */
export const md = (s: unknown): string => String(s).replace(/\|/g, '\\|');
export const loadavg = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
export const verdict = (pass: boolean | undefined): string => (pass === undefined ? '—' : pass ? 'pass' : 'MISS');
