/** Turning numbers into the text a reader sees. Pure. */
import type { BudgetCheck, MinChange, Quantity, Report, Units } from '../report/types.js';
import { BUDGET_KINDS } from '../settings/budget-kinds.js';

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** `74.8 MB` (decimal, as `docker images`) or `71.3 MiB` (binary); three significant digits. */
export function formatBytes(bytes: number, units: Units): string {
  const base = units === 'binary' ? 1024 : 1000;
  const names = units === 'binary' ? BINARY : DECIMAL;
  let value = Math.abs(bytes);
  let i = 0;
  while (value >= base && i < names.length - 1) {
    value /= base;
    i += 1;
  }
  const digits = i === 0 ? 0 : value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${bytes < 0 ? '-' : ''}${value.toFixed(digits)} ${names[i]}`;
}

/**
 * The layers a push would upload uncompressed (the containerd image store keeps them so), in a sentence; undefined
 * when there are none. Each layer once, whichever variants and sides have it.
 */
export function uncompressedPushNote(report: Report): string | undefined {
  const layers = new Map<string, number>();
  for (const variant of report.variants) {
    for (const side of [variant.head, variant.base]) {
      if (side?.status !== 'built') continue;
      for (const layer of side.layerDetails ?? []) if (layer.pushedUncompressed) layers.set(layer.diffId, layer.compressedBytes ?? 0);
    }
  }
  if (layers.size === 0) return undefined;
  const total = [...layers.values()].reduce((a, b) => a + b, 0);
  const one = layers.size === 1;
  return (
    `${layers.size} layer${one ? '' : 's'} (${formatBytes(total, report.units)}) ${one ? 'is' : 'are'} kept uncompressed by the containerd image store ` +
    `(as docker load of an uncompressed save leaves a layer) and a push uploads ${one ? 'it' : 'them'} so: the compressed size counts ${one ? 'it' : 'them'} whole`
  );
}

export function formatSignedBytes(bytes: number, units: Units): string {
  return bytes === 0 ? '0 B' : `${bytes > 0 ? '+' : ''}${formatBytes(bytes, units)}`;
}

/** `850 ms`, `12.3 s`, `1m 12s`, `1h 02m`. */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  const sign = ms < 0 ? '-' : '';
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(abs / 1000);
  if (totalSeconds < 3600) return `${sign}${Math.floor(totalSeconds / 60)}m ${String(totalSeconds % 60).padStart(2, '0')}s`;
  const minutes = Math.round(totalSeconds / 60);
  return `${sign}${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

export function formatSignedDuration(ms: number): string {
  return Math.abs(ms) < 0.5 ? '0 ms' : `${ms > 0 ? '+' : ''}${formatDuration(ms)}`;
}

/** `+5.2%` from a ratio of 0.052. */
export function formatSignedPercent(ratio: number): string {
  const percent = ratio * 100;
  const text = Math.abs(percent) < 0.05 ? '0.0' : percent.toFixed(1);
  return `${percent > 0 && text !== '0.0' ? '+' : ''}${text}%`;
}

export function formatSignedCount(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

export function formatQuantity(value: number, quantity: Quantity, units: Units): string {
  switch (quantity) {
    case 'bytes':
      return formatBytes(value, units);
    case 'percent':
      return `${Number(value.toFixed(2))}%`;
    case 'count':
      return String(value);
    case 'ms':
      return formatDuration(value);
    case 'ratio':
    case 'score':
      return `${Number((value * 100).toFixed(1))}%`;
  }
}

/** One sentence per broken budget: which variant, which budget, the limit and the measured value. */
export function describeBreach(check: BudgetCheck, units: Units): string {
  const limit = formatQuantity(check.limit, check.quantity, units);
  const actual = check.actual === undefined ? 'unknown' : formatQuantity(check.actual, check.quantity, units);
  return `${check.variant}: budget ${check.budget} broken: ${BUDGET_KINDS[check.budget]?.breach?.(check, limit, actual)}.`;
}

export function unitsNote(units: Units): string {
  return units === 'binary' ? 'binary units (1 MiB = 1,048,576 bytes)' : 'decimal units (1 MB = 1,000,000 bytes), as `docker images` shows';
}

/** Of the images this run was to measure (this change's and, when rebuilt, the base's), how many it measured. */
export function measuredCount(report: Pick<Report, 'variants' | 'base'>): { measured: number; total: number } {
  // a base counts when this run was to build it: rebuilt (a registry's or a saved report's is read, not measured)
  const rebuilt = (v: Report['variants'][number]) =>
    v.baseSource
      ? v.baseSource.source === 'rebuild' || (v.baseSource.source === undefined && report.base.source !== 'none')
      : report.base.source === 'rebuild';
  const sides = report.variants.flatMap((v) => [v.head, ...(rebuilt(v) && v.base ? [v.base] : [])]);
  return { measured: sides.filter((r) => r.status !== 'cancelled').length, total: sides.length };
}

/** For a cancelled run: which signal, and how far it got. Undefined when the run was not cancelled. */
export function describeCancel(report: Pick<Report, 'variants' | 'base' | 'cancelled'>): string | undefined {
  if (!report.cancelled) return undefined;
  const { measured, total } = measuredCount(report);
  const by = `The run was cancelled (${report.cancelled.signal})`;
  if (measured === total) return `${by} after every image was measured.`;
  const images = `${measured} of ${total} image${total === 1 ? '' : 's'}`;
  return `${by} before it finished: ${images} measured; the others are shown as not measured.`;
}

/** `0.1%` or `1.00 kB`: what min-change counts as a change. */
export function describeMinChange(min: MinChange, units: Units): string {
  return min.kind === 'percent' ? `${Number(min.value.toFixed(4))}%` : formatBytes(min.value, units);
}
