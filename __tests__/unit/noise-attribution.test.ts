// Signal over noise and where the growth came from: the min-change tolerance (compare/noise.ts), the split of a
// change into base image and own layers (compare/attribution.ts), the max-own-increase budget, the decision of
// comment: changed (judge/comment-worth.ts), the settings, and how the collapsed row, the split rows and the
// "same size" line render.
import { describe, expect, it } from 'vitest';
import { splitChange, splitOfSide } from '../../src/compare/attribution.js';
import { changeBetween, layerChanges } from '../../src/compare/compare.js';
import { changedFigures, isChange, isSameSizeRebuild, isUnchanged, tolerance } from '../../src/compare/noise.js';
import { evaluateBudgets } from '../../src/judge/budgets.js';
import { commentPlan, newCommentWorth } from '../../src/judge/comment-worth.js';
import { renderMarkdown } from '../../src/render/markdown.js';
import { renderText } from '../../src/render/text.js';
import type { LayerChange, MinChange, Report, SideResult, VariantReport } from '../../src/report/types.js';
import { resolveSettings } from '../../src/settings/schema.js';
import { layer, withLayers } from '../support/layer-fixture.js';
import { built, report } from '../support/report-fixture.js';

const PERCENT: MinChange = { kind: 'percent', value: 0.1 };
const KB: MinChange = { kind: 'bytes', value: 1000 };

/** A variant as the pipeline makes it: change and layer changes from the two sides. */
function compared(name: string, head: SideResult, base?: SideResult): VariantReport {
  const change = base ? changeBetween(base, head) : undefined;
  const grew = base ? layerChanges(base, head) : undefined;
  return {
    name,
    dockerfile: 'Dockerfile',
    context: '.',
    stages: 1,
    head,
    ...(base ? { base } : {}),
    ...(change ? { change } : {}),
    ...(grew ? { layerChanges: grew } : {}),
  };
}

const changed = (sizeBytes: number, headBytes: number, compressedBytes?: number, headCompressedBytes?: number): LayerChange => ({
  kind: 'changed',
  instruction: 'RUN x',
  sizeBytes,
  headBytes,
  ...(compressedBytes !== undefined ? { compressedBytes } : {}),
  ...(headCompressedBytes !== undefined ? { headCompressedBytes } : {}),
});

describe('the min-change tolerance', () => {
  it('is a percentage of the figure on the base, never under 512 bytes; or a size as given', () => {
    expect(tolerance(200_000_000, PERCENT)).toBe(200_000);
    expect(tolerance(100_000, PERCENT)).toBe(512);
    expect(tolerance(0, PERCENT)).toBe(512);
    expect(tolerance(-3_000_000, PERCENT)).toBe(3_000);
    expect(tolerance(200_000_000, KB)).toBe(1000);
    expect(tolerance(200_000_000, { kind: 'bytes', value: 0 })).toBe(0);
  });

  it('counts a move as a change only past the tolerance, either way', () => {
    expect(isChange(200_000, 200_000_000, PERCENT)).toBe(false);
    expect(isChange(200_001, 200_000_000, PERCENT)).toBe(true);
    expect(isChange(-200_001, 200_000_000, PERCENT)).toBe(true);
    expect(isChange(512, 10, PERCENT)).toBe(false);
    expect(isChange(513, 10, PERCENT)).toBe(true);
    expect(isChange(1000, 5, KB)).toBe(false);
    expect(isChange(1001, 5, KB)).toBe(true);
    expect(isChange(1, 5, { kind: 'bytes', value: 0 })).toBe(true);
    expect(isChange(0, 5, { kind: 'bytes', value: 0 })).toBe(false);
  });
});

describe('layers rebuilt with the same size', () => {
  it('are changed layers within the tolerance in both unpacked and compressed terms', () => {
    // the sample's: the 472 MB apt layer rebuilt, 0 B unpacked, +705 B compressed of 167 MB
    expect(isSameSizeRebuild(changed(0, 472_328_897, 705, 166_767_414), PERCENT)).toBe(true);
    // a 0-byte WORKDIR layer: the 512-byte floor
    expect(isSameSizeRebuild(changed(0, 0, 0, 98), PERCENT)).toBe(true);
    expect(isSameSizeRebuild(changed(512, 512), PERCENT)).toBe(true);
    expect(isSameSizeRebuild(changed(513, 513), PERCENT)).toBe(false);
    // unpacked the same, compressed grew past the floor
    expect(isSameSizeRebuild(changed(0, 10_000, 600, 3_000), PERCENT)).toBe(false);
    // with no compressed size of the head, the compressed change is held against the unpacked layer's tolerance
    expect(isSameSizeRebuild(changed(0, 2_000_000, 1_900), PERCENT)).toBe(true);
    expect(isSameSizeRebuild(changed(0, 2_000_000, 2_001), PERCENT)).toBe(false);
  });

  it('are never new or removed layers, whatever their size', () => {
    expect(isSameSizeRebuild({ kind: 'added', instruction: 'WORKDIR /a', sizeBytes: 0, headBytes: 0 }, PERCENT)).toBe(false);
    expect(isSameSizeRebuild({ kind: 'removed', instruction: 'WORKDIR /a', sizeBytes: 0, headBytes: 0 }, PERCENT)).toBe(false);
  });

  it('follow min-change when it is a size', () => {
    expect(isSameSizeRebuild(changed(900, 1_000_000_000, 900, 300_000_000), KB)).toBe(true);
    expect(isSameSizeRebuild(changed(1_001, 1_000_000_000), KB)).toBe(false);
  });
});

describe('where the growth came from', () => {
  const base = withLayers([layer('os-1', 'ADD os /', 30_000_000, true), layer('app-1', 'COPY app /app', 2_000_000)]);
  const bumped = withLayers([layer('os-2', 'ADD os /', 34_000_000, true), layer('app-1', 'COPY app /app', 2_000_000)]);

  it("sums each side's base-image layers and its own", () => {
    expect(splitOfSide(base)).toEqual({
      baseImage: { sizeBytes: 30_000_000, compressedBytes: 10_000_000 },
      own: { sizeBytes: 2_000_000, compressedBytes: 666_667 },
    });
  });

  it('splits the change, the two parts adding up to the whole', () => {
    const grown = withLayers([layer('os-2', 'ADD os /', 34_000_000, true), layer('app-2', 'COPY app /app', 2_500_000)]);
    const change = changeBetween(base, grown)!;
    expect(change.baseImage).toEqual({ sizeBytes: 4_000_000, compressedBytes: 1_333_333 });
    expect(change.own).toEqual({ sizeBytes: 500_000, compressedBytes: 166_666 });
    expect(change.baseImage!.sizeBytes + change.own!.sizeBytes).toBe(change.sizeBytes);
  });

  it('is unknown when either side does not know its base-image layers', () => {
    const unknown = withLayers(bumped.layerDetails!, { unknownBase: true });
    expect(splitOfSide(unknown)).toBeUndefined();
    expect(splitChange(base, unknown)).toBeUndefined();
    expect(splitChange(unknown, base)).toBeUndefined();
    const change = changeBetween(base, unknown)!;
    expect(change).not.toHaveProperty('baseImage');
    expect(change).not.toHaveProperty('own');
    expect(splitOfSide(built(5, 1) as never)).toBeUndefined(); // no layer details at all
  });

  it('leaves the compressed part out when a layer has no compressed size', () => {
    const partial = withLayers([
      layer('os-2', 'ADD os /', 34_000_000, true),
      { ...layer('app-1', 'COPY app /app', 2_000_000), compressedBytes: undefined },
    ]);
    const change = changeBetween(base, partial)!;
    expect(change.baseImage).toEqual({ sizeBytes: 4_000_000, compressedBytes: 1_333_333 });
    expect(change.own).toEqual({ sizeBytes: 0 });
  });

  it('from scratch: no base-image layers, all of the change is own', () => {
    const from = withLayers([layer('bin-1', 'COPY bin /', 1_000)]);
    const to = withLayers([layer('bin-2', 'COPY bin /', 3_000)]);
    expect(changeBetween(from, to)).toMatchObject({ baseImage: { sizeBytes: 0, compressedBytes: 0 }, own: { sizeBytes: 2_000 } });
  });
});

describe('max-own-increase', () => {
  const base = withLayers([layer('os-1', 'ADD os /', 30_000_000, true), layer('app-1', 'COPY app /app', 2_000_000)]);
  const bumped = withLayers([layer('os-2', 'ADD os /', 34_000_000, true), layer('app-1', 'COPY app /app', 2_000_000)]);
  const budgets = (limit: object) => resolveSettings({ variants: '{app: Dockerfile}', budgets: { app: limit } }).budgets;

  it('passes a bump of the base image that max-increase fails', () => {
    const v = compared('app', bumped, base);
    const checks = evaluateBudgets([v], budgets({ 'max-increase': '1MB', 'max-own-increase': '1MB' }), []);
    expect(checks.map((c) => [c.budget, c.actual, c.outcome])).toEqual([
      ['max-increase', 4_000_000, 'fail'],
      ['max-own-increase', 0, 'pass'],
    ]);
  });

  it('fails growth of the own layers, as a size or as a percentage of the whole base image', () => {
    const grown = withLayers([layer('os-1', 'ADD os /', 30_000_000, true), layer('app-2', 'COPY app /app', 3_600_000)]);
    const v = compared('app', grown, base);
    const [bytes] = evaluateBudgets([v], budgets({ 'max-own-increase': '1.5MB' }), []);
    expect(bytes).toMatchObject({ quantity: 'bytes', limit: 1_500_000, actual: 1_600_000, outcome: 'fail' });
    const [percent] = evaluateBudgets([v], budgets({ 'max-own-increase': '5%' }), []);
    expect(percent).toMatchObject({ quantity: 'percent', limit: 5, actual: 5, outcome: 'pass' }); // 1.6 MB of 32 MB
    const [tight] = evaluateBudgets([v], budgets({ 'max-own-increase': '4.9%' }), []);
    expect(tight.outcome).toBe('fail');
    const text = renderMarkdown(report([v], budgets({ 'max-own-increase': '1.5MB' })));
    expect(text).toContain(
      "app: budget max-own-increase broken: growth of the Dockerfile's own layers of +1.60 MB is over the limit of 1.50 MB.",
    );
  });

  it('is skipped, with the reason, when the split is unknown or there is no base', () => {
    const unknown = compared('app', withLayers(bumped.layerDetails!, { unknownBase: true }), base);
    const [check] = evaluateBudgets([unknown], budgets({ 'max-own-increase': '1MB' }), []);
    expect(check.outcome).toBe('skipped');
    expect(check.note).toMatch(/^not measured: which layers are the base image's is not known on both sides/);
    const fresh = compared('app', bumped, { status: 'absent', reason: 'no Dockerfile in the base' });
    expect(evaluateBudgets([fresh], budgets({ 'max-own-increase': '1MB' }), [])[0]).toMatchObject({
      outcome: 'skipped',
      note: 'not in the base: no Dockerfile in the base',
    });
    const failed = compared('app', { status: 'failed', error: 'x', log: [] }, base);
    expect(evaluateBudgets([failed], budgets({ 'max-own-increase': '1MB' }), [])[0].note).toBe('not measured: the build failed');
  });

  it('is parsed as max-increase is, with errors that name it', () => {
    expect(budgets({ 'max-own-increase': '10MB' }).app.maxOwnIncrease).toEqual({ kind: 'bytes', bytes: 10_000_000 });
    expect(budgets({ 'max-own-increase': '2.5%' }).app.maxOwnIncrease).toEqual({ kind: 'percent', percent: 2.5 });
    expect(() => budgets({ 'max-own-increase': 'lots' })).toThrow(/^budgets\.app\.max-own-increase: "lots" is neither a percentage/);
  });
});

describe('an unchanged variant', () => {
  const before = withLayers([layer('os', '', 30_000_000, true), layer('app-1', 'RUN build', 5_000_000)], { wastedBytes: 1_000 });
  const same = withLayers([layer('os', '', 30_000_000, true), layer('app-2', 'RUN build', 5_004_000)], { wastedBytes: 1_000 });

  it('has no figure past min-change, and collapses to one row', () => {
    const v = compared('steady', same, before);
    expect(changedFigures(v, PERCENT)).toEqual([]);
    expect(isUnchanged(v, PERCENT)).toBe(true);
    const md = renderMarkdown(report([v]));
    const main = md.slice(md.indexOf('| Variant'), md.indexOf('\n\n', md.indexOf('| Variant')));
    const rows = main.split('\n').slice(2);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^\| ✅ \*\*steady\*\* \| Size \| +35\.0 MB \| +35\.0 MB \| no change beyond 0\.1% \|$/);
    expect(md).toContain('<details><summary>Where it grew: layers new or changed against the base</summary>'); // closed: nothing to see
    expect(md).toContain('**steady**: 1 layer rebuilt, same size (within 0.1%).');
    expect(md).not.toContain('`RUN build`  |'); // not listed
  });

  it('is shown in full when min-change is smaller than what moved, and names what changed', () => {
    const v = compared('steady', same, before);
    expect(changedFigures(v, KB)).toEqual([
      { figure: 'size', delta: 4_000 },
      { figure: 'compressed', delta: 1_333 },
      { figure: 'own layers', delta: 4_000 },
    ]);
    const md = renderMarkdown({ ...report([v]), minChange: KB });
    expect(md).toMatch(/\| ✅ \*\*steady\*\* +\| Size +\| +35\.0 MB \| +35\.0 MB \| +\+4\.00 kB \(0\.0%\) \|/);
    expect(md).toMatch(/\| +\| ↳ base image \| +30\.0 MB \| +30\.0 MB \| +0 B \|/);
    expect(md).toMatch(/\| +\| ↳ own layers \| +5\.00 MB \| +5\.00 MB \| +\+4\.00 kB \|/);
    expect(md).toContain('| changed | `RUN build` |');
  });

  it('is not collapsed when it breaks a budget, has a new layer, or its base image moved by as much as its own layers did not', () => {
    const broken = report([compared('steady', same, before)], { steady: { maxSize: 1_000 } });
    expect(renderMarkdown(broken)).not.toContain('no change beyond');
    const layered = withLayers([...same.layerDetails!, layer('wd', 'WORKDIR /w', 0)], { wastedBytes: 1_000 });
    expect(isUnchanged(compared('steady', layered, before), PERCENT)).toBe(false);
    const moved = withLayers([layer('os-2', '', 30_200_000, true), layer('app-3', 'RUN build', 4_800_000)], { wastedBytes: 1_000 });
    const v = compared('steady', moved, before);
    expect(v.change!.sizeBytes).toBe(0);
    expect(changedFigures(v, PERCENT).map((f) => f.figure)).toEqual(['base image', 'own layers']);
  });

  it('needs both sides built: a new variant is never "unchanged"', () => {
    expect(isUnchanged(compared('fresh', same, { status: 'absent', reason: 'new' }), PERCENT)).toBe(false);
    expect(isUnchanged(compared('fresh', same), PERCENT)).toBe(false);
  });
});

describe('the "same size" line', () => {
  it('sums up the rebuilt layers under the listed ones, in the comment and the terminal', () => {
    const before = withLayers([
      layer('os', '', 30_000_000, true),
      layer('a-1', 'RUN apt-get install curl', 5_000_000),
      layer('w-1', 'WORKDIR /w', 0),
      layer('c-1', 'COPY . .', 3_000),
    ]);
    const after = withLayers([
      layer('os', '', 30_000_000, true),
      layer('a-2', 'RUN apt-get install curl', 9_000_000),
      layer('w-2', 'WORKDIR /w', 0),
      layer('c-2', 'COPY . .', 3_100),
    ]);
    const r = report([compared('app', after, before)]);
    const md = renderMarkdown(r);
    expect(md).toContain('<details open><summary>Where it grew');
    expect(md).toContain('| changed | `RUN apt-get install curl` | +4.00 MB |');
    expect(md).not.toContain('`WORKDIR /w` |');
    expect(md).toContain('Also 2 layers rebuilt, same size (within 0.1%).');
    const text = renderText(r);
    expect(text).toContain('changed  RUN apt-get install curl');
    expect(text).toContain('  Also 2 layers rebuilt, same size (within 0.1%)');
    expect(text).not.toContain('WORKDIR /w');
    expect(renderMarkdown({ ...r, minChange: { kind: 'bytes', value: 50 } })).toContain('Also 1 layer rebuilt, same size (within 50 B).');
  });
});

describe('comment: changed', () => {
  const before = withLayers([layer('os', '', 30_000_000, true), layer('app-1', 'RUN build', 5_000_000)]);
  const same = withLayers([layer('os', '', 30_000_000, true), layer('app-2', 'RUN build', 5_000_400)]);
  const grown = withLayers([layer('os', '', 30_000_000, true), layer('app-3', 'RUN build', 6_000_000)]);

  it('is not worth a new comment when nothing moved past min-change and all is well', () => {
    const r = report([compared('app', same, before)], { app: { maxSize: 100_000_000 } });
    expect(newCommentWorth(r)).toEqual({ worth: false, reasons: [] });
    expect(commentPlan('changed', [r])).toEqual({
      updateOnly: {
        why: 'comment: changed, and no figure changed by more than 0.1% (min-change), no budget is broken and no build failed',
      },
    });
  });

  it('is worth one for a change past min-change, a broken budget, a failed build, a new variant or a failed base', () => {
    expect(newCommentWorth(report([compared('app', grown, before)])).reasons).toEqual([
      'app: size +1.00 MB, compressed +333 kB, own layers +1.00 MB',
    ]);
    expect(newCommentWorth(report([compared('app', same, before)], { app: { maxSize: 1 } })).reasons).toEqual(['1 budget broken']);
    expect(newCommentWorth(report([compared('app', { status: 'failed', error: 'x', log: [] }, before)])).reasons).toEqual([
      'app failed to build',
    ]);
    expect(newCommentWorth(report([compared('app', same, { status: 'absent', reason: 'no Dockerfile' })])).reasons).toEqual([
      'app is new (not in the base)',
    ]);
    expect(newCommentWorth(report([compared('app', same, { status: 'failed', error: 'x', log: [] })])).reasons).toEqual([
      'the base build of app failed, so it has no comparison',
    ]);
    expect(commentPlan('changed', [report([compared('app', grown, before)])])).toEqual({
      worth: 'comment: changed, and app: size +1.00 MB, compressed +333 kB, own layers +1.00 MB',
    });
  });

  it('follows the min-change the report was made with', () => {
    const r: Report = { ...report([compared('app', same, before)]), minChange: { kind: 'bytes', value: 100 } };
    expect(newCommentWorth(r).reasons).toEqual(['app: size +400 B, compressed +133 B, own layers +400 B']);
  });

  it('changes nothing for the other values of comment', () => {
    const r = report([compared('app', same, before)]);
    for (const setting of [true, false, 'auto'] as const) expect(commentPlan(setting, [r])).toEqual({});
  });
});

describe('the settings', () => {
  it('min-change: 0.1% by default, a percentage or a size, an InputError naming it otherwise', () => {
    expect(resolveSettings({}).minChange).toEqual({ kind: 'percent', value: 0.1 });
    expect(resolveSettings({ 'min-change': '1kB' }).minChange).toEqual({ kind: 'bytes', value: 1000 });
    expect(resolveSettings({ 'min-change': ' 0.5% ' }).minChange).toEqual({ kind: 'percent', value: 0.5 });
    expect(resolveSettings({ 'min-change': 0 }).minChange).toEqual({ kind: 'bytes', value: 0 });
    expect(resolveSettings({ 'min-change': '2 KiB' }).minChange).toEqual({ kind: 'bytes', value: 2048 });
    expect(() => resolveSettings({ 'min-change': 'tiny' })).toThrow(
      /^min-change: "tiny" is neither a percentage \(such as 5%\) nor a size\. Use 5% or a number with a unit/,
    );
    expect(() => resolveSettings({ 'min-change': '-1%' })).toThrow(/^min-change: /);
  });

  it('comment: true, false, auto or changed', () => {
    expect(resolveSettings({ comment: 'changed' }).comment).toBe('changed');
    expect(resolveSettings({ comment: ' Changed ' }).comment).toBe('changed');
    expect(resolveSettings({ comment: 'auto' }).comment).toBe('auto');
    expect(resolveSettings({ comment: false }).comment).toBe(false);
    expect(resolveSettings({}).comment).toBe('auto');
    expect(() => resolveSettings({ comment: 'sometimes' })).toThrow(
      'comment: "sometimes" is not accepted. Use true, false, auto (on pull requests) or changed (on pull requests, a new comment only when something changed).',
    );
  });
});
