/** Reading a JSON report saved by an earlier run, to use its measurements as the base (`baseline: file`). */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { REPORT_SCHEMA_VERSION, type Report, type SideResult } from './types.js';

/** Version 1 reports lack compressed sizes and layer details; their sizes are the engine's. */
const READABLE_VERSIONS = [1, REPORT_SCHEMA_VERSION];

export interface SavedBaseline {
  results: Map<string, SideResult>;
  sha?: string;
  ref?: string;
  /** How the saved run found compressed sizes (absent in reports before it was recorded). */
  compressedSizing?: NonNullable<Report['engine']['compressedSizing']>;
}

const SIZINGS = ['go1.26', 'go1.27', 'as-stored'] as const;

export function readBaselineFile(file: string): SavedBaseline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`baseline-file: "${file}" cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}). Save a report on the base branch with report-file, and restore it before this step.`);
  }
  let report: Partial<Report>;
  try {
    report = JSON.parse(text) as Partial<Report>;
  } catch {
    throw new InputError(`baseline-file: "${file}" is not JSON; it must be a report written by image-size-report (the report output).`);
  }
  const version = (report as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (!READABLE_VERSIONS.includes(version as number) || !Array.isArray(report.variants)) {
    throw new InputError(
      `baseline-file: "${file}" is not an image-size-report report of schema version ${READABLE_VERSIONS.join(' or ')}.`,
    );
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
  const sizing = SIZINGS.find((s) => s === report.engine?.compressedSizing);
  return { results, sha: report.head?.sha, ref: report.head?.ref, ...(sizing ? { compressedSizing: sizing } : {}) };
}
