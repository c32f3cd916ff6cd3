// Builders of report pieces for the pure compare/judge/render tests.
import { changeBetween, stageComparisons } from '../../src/compare/compare.js';
import { evaluateBudgets, verdict } from '../../src/judge/budgets.js';
import type { Report, SideResult, VariantReport } from '../../src/report/types.js';
import type { Budget } from '../../src/settings/schema.js';

export function built(sizeBytes: number, layers: number, buildMs = 10_000, cachedSteps = 0, steps = 4): SideResult {
  return { status: 'built', imageId: `sha256:${sizeBytes.toString(16).padStart(64, '0')}`, sizeBytes, layers, buildMs, steps, cachedSteps };
}

export function variant(name: string, stages: number, head: SideResult, base?: SideResult): VariantReport {
  return {
    name,
    dockerfile: stages > 1 ? 'Dockerfile' : 'Dockerfile.single',
    context: '.',
    stages,
    head,
    ...(base ? { base, change: changeBetween(base, head) } : {}),
  };
}

export function report(
  variants: VariantReport[],
  budgets: Record<string, Budget> = {},
  base: Report['base'] = { source: 'rebuild', ref: 'main', sha: 'a'.repeat(40) },
): Report {
  const comparisons = stageComparisons(variants, budgets);
  const checks = evaluateBudgets(variants, budgets, comparisons);
  return {
    schemaVersion: 2,
    tool: { name: 'image-size-report', version: '0.0.0-test' },
    createdAt: '2026-11-23T00:00:00.000Z',
    engine: {
      serverVersion: '20.10.24',
      apiVersion: '1.41',
      storage: 'overlay2',
      containerdStore: false,
      goVersion: 'go1.19.8',
      compressedSizing: 'go1.26',
      sizeMeaning: "the engine's image size, uncompressed",
    },
    units: 'decimal',
    head: { ref: 'feature', sha: 'b'.repeat(40) },
    base,
    variants,
    comparisons,
    budgets: checks,
    status: verdict(variants, checks),
  };
}
