/**
 * The budget kinds, in one table: for each, its key (the setting, and the `budget` of a check in the report), how
 * its value is parsed, what it measures of a variant, and the sentence a broken one is described by. Settings
 * parse budgets with it, the judge checks them with it, render describes them with it and the report's schema
 * accepts its keys. Adding a kind is one entry here (and its key in `BudgetKind`, report/types.ts). Pure.
 */
import { InputError, listOf, quote } from '../errors.js';
import type { BudgetCheck, BudgetKind, BuiltResult, StageComparison, VariantReport } from '../report/types.js';
import { asMapping, checkKeys, optionalString, parseCount, parseDuration, parseFraction, parseIncrease, parseSize } from './units.js';

/**
 * What a check reads, which says why it may find nothing to measure (judge/budgets.ts) and where it comes in
 * a variant's checks: those of the image first, then of its change against the base, of its layer analysis,
 * and of another variant (the order of `READS`).
 */
export type Reads = 'image' | 'change' | 'layers' | 'reference';
export const READS: readonly Reads[] = ['image', 'change', 'layers', 'reference'];

/** The variants a budget may name (max-ratio's `of`), and the one whose budget it is (`self`). */
export interface BudgetContext {
  names: string[];
  known: Set<string>;
  self: string;
}

/** What a check measures: the quantity, the limit and the measured value (undefined when not measured). */
export type Measured = Pick<BudgetCheck, 'quantity' | 'limit' | 'actual' | 'of'>;

/** What a check is made of: the variant, its built result (undefined when it was not built) and the run's comparisons. */
export interface Measuring {
  variant: VariantReport;
  head: BuiltResult | undefined;
  comparisons: StageComparison[];
}

export interface BudgetKindSpec<Field extends string, Limit> {
  /** Its field in a resolved `Budget`. */
  field: Field;
  reads: Reads;
  /** The setting's value; `where` names it (`budgets.<variant>.<key>`) for errors. */
  parse(value: unknown, where: string, context: BudgetContext): Limit;
  measure(limit: Limit, at: Measuring): Measured;
  /** The measured value must not be under the limit (rather than over it). */
  floor?: true;
  /**
   * Why a check of a built variant with a comparison found nothing to measure, when the kind has its own reason
   * (undefined: the reason `reads` gives, judge/budgets.ts).
   */
  unmeasured?(variant: VariantReport): string | undefined;
  /** What broke, given the limit and the measured value as text (`unknown` when not measured). */
  breach(check: BudgetCheck, limit: string, actual: string): string;
}

const kind = <const Field extends string, Limit>(spec: BudgetKindSpec<Field, Limit>) => spec;

/** In the order settings list them (in messages and the README). */
export const BUDGET_KINDS = {
  'max-size': kind({
    field: 'maxSize',
    reads: 'image',
    parse: (value, where) => parseSize(value, where),
    measure: (limit, { head }) => ({ quantity: 'bytes', limit, actual: head?.sizeBytes }),
    breach: (_check, limit, actual) => `size ${actual} is over the limit of ${limit}`,
  }),
  'max-increase': kind({
    field: 'maxIncrease',
    reads: 'change',
    parse: (value, where) => parseIncrease(value, where),
    measure: (increase, { variant: { change } }) =>
      increase.kind === 'bytes'
        ? { quantity: 'bytes', limit: increase.bytes, actual: change?.sizeBytes }
        : { quantity: 'percent', limit: increase.percent, actual: change?.sizeRatio === undefined ? undefined : change.sizeRatio * 100 },
    breach: (check, limit, actual) =>
      `growth against the base of ${check.quantity === 'bytes' && check.actual !== undefined && check.actual > 0 ? '+' : ''}${actual} is over the limit of ${limit}`,
  }),
  /**
   * Growth of the layers the Dockerfile adds only, the base image's left out (compare/attribution.ts): a bump of
   * the FROM image does not break it. A percentage is of the base's whole image, as for max-increase.
   */
  'max-own-increase': kind({
    field: 'maxOwnIncrease',
    reads: 'change',
    parse: (value, where) => parseIncrease(value, where),
    measure: (increase, { variant: { change, base } }) => {
      const own = change?.own?.sizeBytes;
      if (increase.kind === 'bytes') return { quantity: 'bytes', limit: increase.bytes, actual: own };
      const whole = base?.status === 'built' ? base.sizeBytes : 0;
      return { quantity: 'percent', limit: increase.percent, actual: own === undefined || whole === 0 ? undefined : (own / whole) * 100 };
    },
    unmeasured: ({ change }) =>
      change && !change.own
        ? "not measured: which layers are the base image's is not known on both sides (the FROM image must be in the engine, its layers the image's first)"
        : undefined,
    breach: (check, limit, actual) =>
      `growth of the Dockerfile's own layers of ${check.quantity === 'bytes' && check.actual !== undefined && check.actual > 0 ? '+' : ''}${actual} is over the limit of ${limit}`,
  }),
  'max-layers': kind({
    field: 'maxLayers',
    reads: 'image',
    parse: (value, where) => parseCount(value, where, 1),
    measure: (limit, { head }) => ({ quantity: 'count', limit, actual: head?.layers }),
    breach: (_check, limit, actual) => `${actual} layers is over the limit of ${limit}`,
  }),
  'max-build-time': kind({
    field: 'maxBuildTimeMs',
    reads: 'image',
    parse: (value, where) => parseDuration(value, where),
    measure: (limit, { head }) => ({ quantity: 'ms', limit, actual: head ? (head.comparableBuildMs ?? head.buildMs) : undefined }),
    breach: (_check, limit, actual) => `build time ${actual} is over the limit of ${limit}`,
  }),
  'max-ratio': kind({
    field: 'maxRatio',
    reads: 'reference',
    parse: (value, where, { names, known, self }): { of: string; fraction: number } => {
      const ratio = asMapping(value, where, 'a mapping {of: <variant>, max: <fraction>}, e.g. {of: single-stage, max: 50%}');
      checkKeys(ratio, ['of', 'max'], where);
      const of = optionalString(ratio.of, `${where}.of`);
      if (!of || !known.has(of)) {
        throw new InputError(
          `${where}.of: ${of ? `${quote(of)} is not a variant` : 'missing'}. Name the variant to compare with: ${listOf(names)}.`,
        );
      }
      if (of === self) throw new InputError(`${where}.of: a variant cannot be compared with itself.`);
      return { of, fraction: parseFraction(ratio.max, `${where}.max`) };
    },
    measure: ({ of, fraction }, { variant, comparisons }) => {
      const comparison = comparisons.find((c) => c.variant === variant.name && c.reference === of);
      return { quantity: 'ratio', limit: fraction, actual: comparison?.ratio, of };
    },
    breach: (check, limit, actual) => `size is ${actual} of ${check.of ?? 'the reference'}, over the limit of ${limit}`,
  }),
  /** Lowest acceptable efficiency score (0..1), as dive computes it. */
  'min-efficiency': kind({
    field: 'minEfficiency',
    reads: 'layers',
    parse: (value, where) => {
      const score = parseFraction(value, where);
      if (score > 1) {
        throw new InputError(`${where}: "${String(value)}" is above 100%; an efficiency score is between 0 and 1, e.g. 0.9 or 90%.`);
      }
      return score;
    },
    measure: (limit, { head }) => ({ quantity: 'score', limit, actual: head?.efficiency?.score }),
    floor: true,
    breach: (_check, limit, actual) => `efficiency ${actual} is under the minimum of ${limit}`,
  }),
  /** Most bytes allowed in paths stored in more than one layer (dive's wasted bytes). */
  'max-wasted': kind({
    field: 'maxWasted',
    reads: 'layers',
    parse: (value, where) => parseSize(value, where),
    measure: (limit, { head }) => ({ quantity: 'bytes', limit, actual: head?.efficiency?.wastedBytes }),
    breach: (_check, limit, actual) => `${actual} of wasted space is over the limit of ${limit}`,
  }),
} satisfies { [K in BudgetKind]: BudgetKindSpec<string, unknown> };

type Kinds = typeof BUDGET_KINDS;
type LimitOf<K extends BudgetKind> = ReturnType<Kinds[K]['parse']>;

/** The budget kinds' keys, in the order settings list them. */
export const BUDGET_KEYS = Object.keys(BUDGET_KINDS) as BudgetKind[];

/** A variant's budgets, resolved: each kind's limit under its `field` (e.g. `maxSize`, `maxRatio`). */
export type Budget = { [K in BudgetKind as Kinds[K]['field']]?: LimitOf<K> };

/** One kind's spec, with its limit's type forgotten: for code that goes through every kind. */
export function budgetKind(key: BudgetKind): BudgetKindSpec<string, unknown> {
  return BUDGET_KINDS[key] as BudgetKindSpec<string, unknown>;
}
