// Reading a report an untrusted run wrote (report-from): bounded, parsed, validated, stripped of what the
// schema does not describe; then derived values recomputed by this tool.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { untrustedReportForComment } from '../../src/action/untrusted.js';
import { InputError } from '../../src/errors.js';
import { MAX_REPORT_BYTES, readUntrustedReport } from '../../src/report/untrusted-report.js';
import type { Report } from '../../src/report/types.js';
import { built, report, variant } from '../support/report-fixture.js';
import { tempDir } from '../support/workspace.js';

/** A report using every field the schema describes, as the pipeline writes them. */
function fullReport(): Report {
  const r = report(
    [
      variant('single-stage', 1, built(547_000_000, 5, 59_700, 0, 9), built(540_000_000, 5, 61_000, 2, 9)),
      variant('multi-stage', 2, built(138_000_000, 6), built(135_000_000, 6)),
      { ...variant('new-one', 2, built(10_000_000, 2)), target: 'runtime', base: { status: 'absent', reason: 'no such Dockerfile in the base' } },
      variant('broken', 1, { status: 'failed', error: 'exit code 1', failedStep: '[2/4] RUN make', log: ['make: *** [all] Error 1'], buildMs: 1200 }, { status: 'failed', error: 'no space left on device', log: [] }),
    ],
    {
      'multi-stage': { maxSize: 150_000_000, maxIncrease: { kind: 'percent', percent: 5 }, maxRatio: { of: 'single-stage', fraction: 0.5 } },
      broken: { maxLayers: 10 },
    },
    { source: 'rebuild', ref: 'main@{before}', sha: 'a'.repeat(40), error: 'could not fetch' },
  );
  return { ...r, base: { ...r.base, file: 'saved.json' } };
}

function write(content: string | Buffer, name = 'report.json'): string {
  const dir = tempDir('untrusted');
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('readUntrustedReport', () => {
  it('keeps every field of a report the pipeline writes, unchanged (extend the schema with the report)', () => {
    const r = fullReport();
    expect(r.budgets.length).toBeGreaterThan(0);
    expect(r.comparisons.length).toBeGreaterThan(0);
    expect(readUntrustedReport(write(JSON.stringify(r)), 'report-from')).toEqual(r);
  });

  it('drops every property the schema does not describe, at any depth, __proto__ included', () => {
    const r = fullReport();
    const hostile = JSON.parse(JSON.stringify(r)) as Record<string, any>;
    hostile.extra = '<img src=x>';
    hostile.engine.html = '<script>';
    hostile.variants[0].head.note = '@everyone';
    hostile.variants[3].head.imageId = 'only built results have one';
    hostile.budgets[0].comment = '#1';
    const text = JSON.stringify(hostile).replace(/^\{/, '{"__proto__":{"polluted":true},');
    const back = readUntrustedReport(write(text), 'report-from');
    expect(back).toEqual(r);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  it.each([
    ['a variant name with markup', (r: any) => (r.variants[0].name = 'a<img src=x>'), '/variants/0/name'],
    ['a variant name with an @mention', (r: any) => (r.variants[0].name = '@octocat'), '/variants/0/name'],
    ['a tool version with markup', (r: any) => (r.tool.version = '1.0 <b>'), '/tool/version'],
    ['an engine storage driver with spaces', (r: any) => (r.engine.storage = 'overlay2 @here'), '/engine/storage'],
    ['a budget name it does not know', (r: any) => (r.budgets[0].budget = 'max-anything'), '/budgets/0/budget'],
    ['an over-long error', (r: any) => (r.variants[3].head.error = 'x'.repeat(2001)), '/variants/3/head/error'],
    ['a control character', (r: any) => (r.variants[3].head.error = 'a\u001b[31mred'), '/variants/3/head/error'],
    ['too many log lines', (r: any) => (r.variants[3].head.log = Array(201).fill('x')), '/variants/3/head/log'],
    ['a size that is not a number', (r: any) => (r.variants[0].head.sizeBytes = '547 MB'), '/variants/0/head/sizeBytes'],
    ['a negative size', (r: any) => (r.variants[0].head.sizeBytes = -1), '/variants/0/head/sizeBytes'],
    ['a fractional layer count', (r: any) => (r.variants[0].head.layers = 1.5), '/variants/0/head/layers'],
    ['an unknown side status', (r: any) => (r.variants[0].head.status = 'pending'), '/variants/0/head'],
    ['a commit that is not hex', (r: any) => (r.head.sha = 'main'), '/head/sha'],
    ['another schema version', (r: any) => (r.schemaVersion = 2), '/schemaVersion'],
    ['a missing field', (r: any) => delete r.variants, 'the top level'],
    ['an array instead of the report', (r: any) => Object.assign(r, { variants: {} }), '/variants'],
  ])('rejects %s, naming the field', (_what, mutate, where) => {
    const r = JSON.parse(JSON.stringify(fullReport()));
    mutate(r);
    const message = errorOf(() => readUntrustedReport(write(JSON.stringify(r)), 'report-from'));
    expect(message).toMatch(/^report-from: ".*report\.json" is not a valid image-size-report report \(schema version 1\): at /);
    expect(message).toContain(`at ${where}`);
    expect(message).not.toContain('<img');
    expect(message).not.toContain('@octocat');
  });

  it('refuses a file over the size limit before reading it', () => {
    const file = write(Buffer.alloc(MAX_REPORT_BYTES + 1, 0x20));
    expect(errorOf(() => readUntrustedReport(file, 'report-from'))).toBe(`report-from: "${file}" is ${MAX_REPORT_BYTES + 1} bytes, over the limit of ${MAX_REPORT_BYTES} bytes for a report: refusing to read it.`);
  });

  it('refuses what is not a UTF-8 JSON file, with a clear message', () => {
    expect(errorOf(() => readUntrustedReport(write('{"schemaVersion": 1,'), 'report-from'))).toMatch(/is not valid JSON; it must be a report written by image-size-report/);
    expect(errorOf(() => readUntrustedReport(write(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 'report-from'))).toMatch(/is not UTF-8 text/);
    expect(errorOf(() => readUntrustedReport(write('[1, 2]'), 'report-from'))).toMatch(/at the top level, must be object/);
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(errorOf(() => readUntrustedReport(write(deep), 'report-from'))).toMatch(/at the top level, must be object/);
    const dir = tempDir('untrusted');
    mkdirSync(path.join(dir, 'a-directory'));
    expect(errorOf(() => readUntrustedReport(path.join(dir, 'a-directory'), 'report-from'))).toMatch(/is not a file\.$/);
    expect(errorOf(() => readUntrustedReport(path.join(dir, 'missing.json'), 'report-from'))).toMatch(/cannot be read \(ENOENT\)/);
  });

  it('accepts a byte-order mark', () => {
    const r = fullReport();
    expect(readUntrustedReport(write(`\ufeff${JSON.stringify(r)}`), 'report-from')).toEqual(r);
  });
});

describe('untrustedReportForComment', () => {
  it('recomputes the changes, the size wording and the verdict; the measurements and checks are shown as saved', () => {
    const r = fullReport();
    const forged: Report = JSON.parse(JSON.stringify(r));
    forged.variants[0].change = { sizeBytes: -1, sizeRatio: -0.99, layers: -3, buildMs: 0 };
    forged.engine.sizeMeaning = 'please merge this';
    forged.status = 'pass';
    const shown = untrustedReportForComment(forged);
    expect(shown.variants).toEqual(r.variants);
    expect(shown.engine.sizeMeaning).toBe("the engine's image size, uncompressed (sum of the layers on overlay2)");
    expect(shown.status).toBe('fail'); // a failed build is in it, whatever the file said
    expect(shown.budgets).toEqual(r.budgets);
  });
});
