/**
 * Reading a JSON report from a file, at one of two levels of trust:
 *
 * - `untrusted` (the action's `report-from`): a report that an untrusted run produced (the `pull_request` run of
 *   the two-workflow setup, whose artifact anyone who opens a pull request controls), read before it is rendered
 *   into a comment posted with a write token. The file is data, never code:
 *   - at most MAX_REPORT_BYTES, checked before it is read, and read with that bound;
 *   - strict UTF-8, parsed with JSON.parse (no reviver, no eval; `__proto__` keys become plain properties and are
 *     removed with every other unknown key below, so nothing reaches an object's prototype);
 *   - validated against REPORT_SCHEMA (schema.ts), of this version only;
 *   - every property the schema does not describe is REMOVED, so text that no one validated cannot reach a
 *     comment. Rendering then escapes the text as it does for a report measured in the same run.
 * - `saved` (`baseline: file`): a report an earlier run of the user's own workflow saved, of this version or
 *   version 1, read for the measurements a baseline uses: each variant's result in this change, where a built
 *   one has its sizes, layers and build time as numbers (kept as saved) and a failed one its error. Other
 *   variants are left out, not refused, as are compressed sizes found by a way this tool does not know.
 *
 * Either throws an InputError that names the input and says what is wrong (never the file's content beyond a
 * field path).
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { InputError } from '../errors.js';
import { REPORT_SCHEMA } from './schema.js';
import { COMPRESSED_SIZINGS, REPORT_SCHEMA_VERSION, type CompressedSizing, type Report, type SideResult } from './types.js';

export type Trust = 'untrusted' | 'saved';

/** A report read as `saved`: what a baseline uses of it. */
export interface SavedReport {
  /** By variant name: built results as saved, failed ones as their error. */
  results: Map<string, SideResult>;
  sha?: string;
  ref?: string;
  /** How the saved run found compressed sizes (absent in reports before it was recorded). */
  compressedSizing?: CompressedSizing;
}

/** Reports are a few kB per variant; 5 MB leaves room for hundreds of variants and layers. */
export const MAX_REPORT_BYTES = 5_000_000;

/** Version 1 reports lack compressed sizes and layer details; their sizes are the engine's. */
const SAVED_VERSIONS = [1, REPORT_SCHEMA_VERSION];

/** Read the report in `file`; `setting` names the input for messages. */
export function readReport(file: string, trust: 'untrusted', setting: string): Report;
export function readReport(file: string, trust: 'saved', setting: string): SavedReport;
export function readReport(file: string, trust: Trust, setting: string): Report | SavedReport {
  const what = `${setting}: "${file}"`;
  return trust === 'untrusted' ? untrusted(parseUntrusted(readBounded(file, what), what), what) : saved(parseSaved(file, what), what);
}

/** `report-from`: a report an untrusted run wrote. */
export function readUntrustedReport(file: string, setting: string): Report {
  return readReport(file, 'untrusted', setting);
}

/** `baseline-file`: a report an earlier run saved. */
export function readBaselineFile(file: string): SavedReport {
  return readReport(file, 'saved', 'baseline-file');
}

function readBounded(file: string, what: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new InputError(
      `${what} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}). It must be the JSON report of the run that measured the images (its report output), downloaded before this step.`,
    );
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new InputError(`${what} is not a file.`);
    if (stat.size > MAX_REPORT_BYTES)
      throw new InputError(`${what} is ${stat.size} bytes, over the limit of ${MAX_REPORT_BYTES} bytes for a report: refusing to read it.`);
    const bytes = Buffer.alloc(MAX_REPORT_BYTES + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < bytes.length; length += n) n = readSync(fd, bytes, length, bytes.length - length, null);
    if (length > MAX_REPORT_BYTES)
      throw new InputError(`${what} is over the limit of ${MAX_REPORT_BYTES} bytes for a report: refusing to read it.`);
    return bytes.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

function parseUntrusted(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch (error) {
    const why = error instanceof TypeError ? 'is not UTF-8 text' : 'is not valid JSON';
    throw new InputError(`${what} ${why}; it must be a report written by image-size-report (its report output).`);
  }
}

function untrusted(data: unknown, what: string): Report {
  const errors = validate(data);
  if (!errors) return data as Report;
  const [first] = errors;
  const where = first?.instancePath ? `at ${first.instancePath}` : 'at the top level';
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof data === 'object' && data !== null && !Array.isArray(data) && version !== REPORT_SCHEMA_VERSION) {
    const was = typeof version === 'number' && Number.isInteger(version) ? `version ${version}` : 'no known version';
    throw new InputError(
      `${what} is a report of ${was}, and this action posts reports of version ${REPORT_SCHEMA_VERSION}: use the same version of image-size-report in the workflow that measures and in the one that posts.`,
    );
  }
  throw new InputError(
    `${what} is not a valid image-size-report report (schema version ${REPORT_SCHEMA_VERSION}): ${where}, ${first?.message ?? 'invalid'}.`,
  );
}

let validator: ValidateFunction<Report> | undefined;

function validate(data: unknown): ErrorObject[] | undefined {
  validator ??= new Ajv({
    strict: true,
    strictTypes: true,
    strictRequired: false, // `status` is required where oneOf branches define it (the discriminator needs that)
    allErrors: false, // stop at the first problem: bounded work whatever the file holds
    discriminator: true, // only the branch `status` names is checked (and stripped), not every branch
    removeAdditional: 'all',
    coerceTypes: false,
    useDefaults: false,
  }).compile(REPORT_SCHEMA);
  return validator(data) ? undefined : (validator.errors ?? []);
}

function parseSaved(file: string, what: string): Partial<Report> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(
      `${what} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}). Save a report on the base branch with report-file, and restore it before this step.`,
    );
  }
  try {
    return JSON.parse(text) as Partial<Report>;
  } catch {
    throw new InputError(`${what} is not JSON; it must be a report written by image-size-report (the report output).`);
  }
}

function saved(report: Partial<Report>, what: string): SavedReport {
  const version = (report as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (!SAVED_VERSIONS.includes(version as number) || !Array.isArray(report.variants)) {
    throw new InputError(`${what} is not an image-size-report report of schema version ${SAVED_VERSIONS.join(' or ')}.`);
  }
  const results = new Map<string, SideResult>();
  for (const variant of report.variants) {
    const head = variant?.head;
    if (typeof variant?.name !== 'string' || !head) continue;
    if (head.status === 'built' && [head.sizeBytes, head.layers, head.buildMs].every((n) => typeof n === 'number' && Number.isFinite(n))) {
      results.set(variant.name, head);
    } else if (head.status === 'failed') {
      results.set(variant.name, { status: 'failed', error: String(head.error ?? 'failed'), log: [] });
    }
  }
  const sizing = COMPRESSED_SIZINGS.find((s) => s === report.engine?.compressedSizing);
  return { results, sha: report.head?.sha, ref: report.head?.ref, ...(sizing ? { compressedSizing: sizing } : {}) };
}
