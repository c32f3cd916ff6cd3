/**
 * Parsing of setting values: the human quantities users write in budgets (sizes, durations, percentages and
 * fractions), and the mapping and string checks every setting uses. Pure functions; each returns the value or
 * throws an InputError that names the setting and what is accepted.
 */
import { InputError, printable, quote } from '../errors.js';

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const SIZE_HELP =
  'a number with a unit: B, kB, MB, GB, TB (decimal, as `docker images` shows) or KiB, MiB, GiB, TiB (binary), e.g. 150MB or 1.2GiB';

const NUMBER = String.raw`(\d+(?:\.\d+)?|\.\d+)`;

/** Bytes from a size such as `150MB`, `1.2 GiB` or `5000` (plain bytes). */
export function parseSize(value: unknown, where: string): number {
  const text = scalarText(value, where, SIZE_HELP);
  const match = new RegExp(`^${NUMBER}\\s*([a-z]*)$`, 'i').exec(text);
  const unit = match?.[2]?.toLowerCase() ?? '';
  const factor = unit === '' ? 1 : SIZE_UNITS[unit];
  if (!match || factor === undefined) {
    throw new InputError(`${where}: ${quote(text)} is not a size. Use ${SIZE_HELP}.`);
  }
  return withinRange(Math.round(Number(match[1]) * factor), where, text);
}

/** Numbers past this are not exact in JavaScript; no image, layer count or duration comes near it. */
const LARGEST = Number.MAX_SAFE_INTEGER;

function withinRange(value: number, where: string, text: string): number {
  if (!Number.isFinite(value) || value > LARGEST) throw new InputError(`${where}: ${quote(text)} is too large.`);
  return value;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_HELP = 'a duration such as 90s, 5m, 1m30s, 1h or 1500ms (a plain number is seconds)';

/** Milliseconds from a duration such as `90s`, `5m`, `1m30s`; a plain number is seconds. */
export function parseDuration(value: unknown, where: string): number {
  const text = scalarText(value, where, DURATION_HELP);
  if (new RegExp(`^${NUMBER}$`).test(text)) return withinRange(Math.round(Number(text) * 1000), where, text);
  const part = new RegExp(`${NUMBER}\\s*(ms|s|m|h)\\s*`, 'gy');
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(part)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    consumed += m[0].length;
  }
  if (consumed !== text.length || consumed === 0) {
    throw new InputError(`${where}: ${quote(text)} is not a duration. Use ${DURATION_HELP}.`);
  }
  return withinRange(Math.round(total), where, text);
}

/** A whole number at least `min`. */
export function parseCount(value: unknown, where: string, min = 0): number {
  const help = `a whole number${min > 0 ? ` of at least ${min}` : ''}`;
  const text = scalarText(value, where, help);
  if (!/^\d+$/.test(text) || Number(text) < min) {
    throw new InputError(`${where}: ${quote(text)} is not ${help}.`);
  }
  return withinRange(Number(text), where, text);
}

export type Increase = { kind: 'bytes'; bytes: number } | { kind: 'percent'; percent: number };

/** `max-increase`: either a percentage of the base (`5%`) or a size (`10MB`). */
export function parseIncrease(value: unknown, where: string): Increase {
  const text = scalarText(value, where, `a percentage such as 5% or ${SIZE_HELP}`);
  if (text.endsWith('%')) return { kind: 'percent', percent: parsePercentText(text, where) };
  try {
    return { kind: 'bytes', bytes: parseSize(text, where) };
  } catch {
    throw new InputError(`${where}: ${quote(text)} is neither a percentage (such as 5%) nor a size. Use 5% or ${SIZE_HELP}.`);
  }
}

/** A fraction from `50%` or `0.5`; must be greater than 0. */
export function parseFraction(value: unknown, where: string): number {
  const help = 'a fraction such as 0.5 or a percentage such as 50%';
  const text = scalarText(value, where, help);
  const fraction = text.endsWith('%') ? parsePercentText(text, where) / 100 : new RegExp(`^${NUMBER}$`).test(text) ? Number(text) : NaN;
  if (!(fraction > 0)) throw new InputError(`${where}: ${quote(text)} is not ${help} (greater than 0).`);
  return withinRange(fraction, where, text);
}

function parsePercentText(text: string, where: string): number {
  const m = new RegExp(`^${NUMBER}\\s*%$`).exec(text);
  if (!m) throw new InputError(`${where}: ${quote(text)} is not a percentage. Use a number followed by %, e.g. 5%.`);
  return withinRange(Number(m[1]), where, text);
}

/** Accepts strings and finite numbers (YAML gives numbers for `5000`); anything else is an error. */
function scalarText(value: unknown, where: string, help: string): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  throw new InputError(`${where}: expected ${help}, got ${describe(value)}.`);
}

/** A short, safe description of a value for error messages: a string is quoted (and cut), never printed whole. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (isPlainObject(value)) return 'a mapping';
  if (typeof value === 'object') return `a ${Object.prototype.toString.call(value).slice(8, -1)} value`;
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : quote(value);
  if (typeof value === 'function') return 'a function';
  return `${typeof value} ${printable(String(value))}`;
}

/** A mapping as YAML and JSON make them (not a list, a date, a Map, a buffer, ...). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Reject keys a mapping should not have, naming the accepted ones. */
export function checkKeys(value: Record<string, unknown>, accepted: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!accepted.includes(key)) {
      throw new InputError(`${where}: unknown key ${quote(key)}. Accepted keys: ${accepted.join(', ')}.`);
    }
  }
}

/** A mapping, or an InputError saying what was `expected` there. */
export function asMapping(value: unknown, where: string, expected: string): Record<string, unknown> {
  if (!isPlainObject(value)) {
    throw new InputError(`${where}: expected ${expected}, got ${describe(value)}.`);
  }
  return value as Record<string, unknown>;
}

/** A string (a number is taken as its text), trimmed; nothing and empty strings are undefined. */
export function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') throw new InputError(`${where}: expected a string, got ${describe(value)}.`);
  return value.trim() || undefined;
}
