// What the layer analysis feeds: where it grew (layerChanges), the min-efficiency and max-wasted budgets, and
// their settings.
import { describe, expect, it } from 'vitest';
import { layerChanges } from '../../src/compare/compare.js';
import { evaluateBudgets } from '../../src/judge/budgets.js';
import type { BuiltResult, LayerDetail, SideResult } from '../../src/report/types.js';
import { resolveSettings } from '../../src/settings/schema.js';
import { built, variant } from '../support/report-fixture.js';

const id = (name: string) => `sha256:${Buffer.from(name).toString('hex').padEnd(64, '0')}`;
const layer = (name: string, instruction: string, sizeBytes: number, compressedBytes?: number): LayerDetail => ({
  diffId: id(name),
  instruction,
  sizeBytes,
  ...(compressedBytes !== undefined ? { compressedBytes } : {}),
  fromBaseImage: name === 'os',
});
const withLayers = (layers: LayerDetail[], extra: Partial<BuiltResult> = {}): SideResult => ({
  ...(built(
    layers.reduce((s, l) => s + l.sizeBytes, 0),
    layers.length,
  ) as BuiltResult),
  layerDetails: layers,
  ...extra,
});

describe('layerChanges', () => {
  const os = layer('os', '', 70_000_000, 28_000_000);
  const copy = layer('copy', 'COPY . /app', 50_000, 20_000);

  it('lists added, changed (same instruction, new content) and removed layers, largest change first', () => {
    const base = withLayers([
      os,
      layer('apt-1', 'RUN apt-get install -y curl', 10_000_000, 4_000_000),
      copy,
      layer('rm', 'RUN rm -rf /tmp/x', 10),
    ]);
    const head = withLayers([
      os,
      layer('apt-2', 'RUN apt-get install -y curl', 12_500_000, 5_000_000),
      copy,
      layer('new', 'RUN make', 200_000, 90_000),
    ]);
    expect(layerChanges(base, head)).toEqual([
      {
        kind: 'changed',
        instruction: 'RUN apt-get install -y curl',
        sizeBytes: 2_500_000,
        compressedBytes: 1_000_000,
        headBytes: 12_500_000,
        headCompressedBytes: 5_000_000,
      },
      {
        kind: 'added',
        instruction: 'RUN make',
        sizeBytes: 200_000,
        compressedBytes: 90_000,
        headBytes: 200_000,
        headCompressedBytes: 90_000,
      },
      { kind: 'removed', instruction: 'RUN rm -rf /tmp/x', sizeBytes: -10, headBytes: 0 },
    ]);
  });

  it('orders by the size of the change whichever its sign, and matches one gone layer per new one', () => {
    const base = withLayers([os, layer('big', 'RUN build', 5_000_000), layer('a1', 'COPY a /a', 100)]);
    const head = withLayers([os, layer('a2', 'COPY a /a', 400), layer('a3', 'COPY a /a', 300), layer('small', 'RUN build', 1_000)]);
    expect(layerChanges(base, head)).toEqual([
      { kind: 'changed', instruction: 'RUN build', sizeBytes: -4_999_000, headBytes: 1_000 },
      { kind: 'changed', instruction: 'COPY a /a', sizeBytes: 300, headBytes: 400 },
      { kind: 'added', instruction: 'COPY a /a', sizeBytes: 300, headBytes: 300 },
    ]);
  });

  it('leaves out the compressed change when one side has no compressed size', () => {
    const base = withLayers([layer('x1', 'RUN x', 100)]);
    const head = withLayers([layer('x2', 'RUN x', 150, 60)]);
    expect(layerChanges(base, head)).toEqual([{ kind: 'changed', instruction: 'RUN x', sizeBytes: 50, headBytes: 150 }]);
  });

  it('is empty when nothing changed, and undefined when either side has no layer details', () => {
    expect(layerChanges(withLayers([os, copy]), withLayers([os, copy]))).toEqual([]);
    expect(layerChanges(built(1, 1), withLayers([os]))).toBeUndefined();
    expect(layerChanges(withLayers([os]), built(1, 1))).toBeUndefined();
    expect(layerChanges(undefined, withLayers([os]))).toBeUndefined();
    expect(layerChanges({ status: 'absent', reason: 'new variant' }, withLayers([os]))).toBeUndefined();
    expect(layerChanges(withLayers([os]), { status: 'failed', error: 'x', log: [] })).toBeUndefined();
  });
});

describe('min-efficiency and max-wasted budgets', () => {
  const efficiency = (score: number, wastedBytes: number) => ({ score, wastedBytes, topWasted: [] });
  const headWith = (extra: Partial<BuiltResult>) => ({ ...(built(100e6, 5) as BuiltResult), ...extra });

  it('min-efficiency is a floor: below it fails, at it or above passes', () => {
    const budgets = { low: { minEfficiency: 0.9 }, equal: { minEfficiency: 0.9 }, high: { minEfficiency: 0.9 } };
    const variants = [
      variant('low', 1, headWith({ efficiency: efficiency(0.85, 0) })),
      variant('equal', 1, headWith({ efficiency: efficiency(0.9, 0) })),
      variant('high', 1, headWith({ efficiency: efficiency(0.97, 0) })),
    ];
    expect(evaluateBudgets(variants, budgets, []).map((c) => [c.variant, c.budget, c.quantity, c.limit, c.actual, c.outcome])).toEqual([
      ['low', 'min-efficiency', 'score', 0.9, 0.85, 'fail'],
      ['equal', 'min-efficiency', 'score', 0.9, 0.9, 'pass'],
      ['high', 'min-efficiency', 'score', 0.9, 0.97, 'pass'],
    ]);
  });

  it('max-wasted is a ceiling: above it fails, at it or below passes', () => {
    const budgets = { over: { maxWasted: 1e6 }, at: { maxWasted: 1e6 }, none: { maxWasted: 0 } };
    const variants = [
      variant('over', 1, headWith({ efficiency: efficiency(0.5, 1_000_001) })),
      variant('at', 1, headWith({ efficiency: efficiency(0.5, 1e6) })),
      variant('none', 1, headWith({ efficiency: efficiency(1, 0) })),
    ];
    expect(evaluateBudgets(variants, budgets, []).map((c) => [c.variant, c.budget, c.quantity, c.actual, c.outcome])).toEqual([
      ['over', 'max-wasted', 'bytes', 1_000_001, 'fail'],
      ['at', 'max-wasted', 'bytes', 1e6, 'pass'],
      ['none', 'max-wasted', 'bytes', 0, 'pass'],
    ]);
  });

  it('skips both with a note when the layers could not be read, or the build failed', () => {
    const budgets = { unread: { minEfficiency: 0.9, maxWasted: 1e6 }, failed: { minEfficiency: 0.9, maxWasted: 1e6 } };
    const variants = [
      variant('unread', 1, headWith({ analysisError: "the image's layers could not be read: boom" })),
      variant('failed', 1, { status: 'failed', error: 'exit code: 1', log: [] }),
    ];
    expect(evaluateBudgets(variants, budgets, []).map((c) => [c.variant, c.budget, c.outcome, c.note])).toEqual([
      ['unread', 'min-efficiency', 'skipped', 'not measured: the image layers could not be read'],
      ['unread', 'max-wasted', 'skipped', 'not measured: the image layers could not be read'],
      ['failed', 'min-efficiency', 'skipped', 'not measured: the build failed'],
      ['failed', 'max-wasted', 'skipped', 'not measured: the build failed'],
    ]);
  });
});

describe('min-efficiency and max-wasted settings', () => {
  const variants = { app: 'Dockerfile' };
  const budgetOf = (limits: Record<string, unknown>) => resolveSettings({ variants, budgets: { app: limits } }).budgets.app;

  it('reads min-efficiency as a percentage or a fraction', () => {
    expect(budgetOf({ 'min-efficiency': '90%' })).toEqual({ minEfficiency: 0.9 });
    expect(budgetOf({ 'min-efficiency': 0.9 })).toEqual({ minEfficiency: 0.9 });
    expect(budgetOf({ 'min-efficiency': '0.95' })).toEqual({ minEfficiency: 0.95 });
    expect(budgetOf({ 'min-efficiency': '100%' })).toEqual({ minEfficiency: 1 });
  });

  it('rejects a min-efficiency above 100% or that is not a fraction, naming the setting and the value', () => {
    expect(() => budgetOf({ 'min-efficiency': '150%' })).toThrow(
      'budgets.app.min-efficiency: "150%" is above 100%; an efficiency score is between 0 and 1, e.g. 0.9 or 90%.',
    );
    expect(() => budgetOf({ 'min-efficiency': 1.5 })).toThrow(/budgets\.app\.min-efficiency: "1\.5" is above 100%/);
    expect(() => budgetOf({ 'min-efficiency': 'high' })).toThrow(
      /budgets\.app\.min-efficiency: "high" is not a fraction such as 0\.5 or a percentage/,
    );
  });

  it('reads max-wasted as a size, and rejects what is not one', () => {
    expect(budgetOf({ 'max-wasted': '20MB' })).toEqual({ maxWasted: 20e6 });
    expect(budgetOf({ 'max-wasted': '1.5 MiB' })).toEqual({ maxWasted: 1.5 * 1024 ** 2 });
    expect(budgetOf({ 'max-wasted': 0 })).toEqual({ maxWasted: 0 });
    expect(() => budgetOf({ 'max-wasted': '10%' })).toThrow(/budgets\.app\.max-wasted: "10%" is not a size/);
  });

  it('applies "*" to every variant', () => {
    const settings = resolveSettings({
      variants: { a: 'A', b: 'B' },
      budgets: "'*': {min-efficiency: 90%, max-wasted: 5MB}\nb: {min-efficiency: 0.5}",
    });
    expect(settings.budgets).toEqual({ a: { minEfficiency: 0.9, maxWasted: 5e6 }, b: { minEfficiency: 0.5, maxWasted: 5e6 } });
  });
});
