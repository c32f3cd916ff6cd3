/**
 * The settings model and its validation. Raw values come from a config file (typed YAML) or from action
 * inputs / CLI flags (strings); `resolveSettings` turns them into `Settings` or throws an InputError that
 * names the setting, the value and what is accepted. Pure: no file system, no environment.
 */
import { parse as parseYaml } from 'yaml';
import { InputError, listOf, messageOf, printable, quote } from '../errors.js';
import type { MinChange, Units } from '../report/types.js';
import { BUDGET_KEYS, BUDGET_KINDS, type Budget, type BudgetContext } from './budget-kinds.js';
import { parsePlatform, parsePlatforms } from './platforms.js';
import { asMapping, checkKeys, describe, isPlainObject, optionalString, parseDuration, parseIncrease } from './units.js';

export type { Budget } from './budget-kinds.js';
export type { Units } from '../report/types.js';

export interface VariantSpec {
  /** The row's name: the variant's, with the platform added when the variant lists platforms (`multi-stage (linux/arm64)`). */
  name: string;
  /** The variant as configured, when this row is one platform of it; absent: `name`. See `variantName`. */
  variant?: string;
  /** The platform to build (`linux/arm64`); absent: the engine's own. */
  platform?: string;
  /** Lower-case form used in image tags. */
  slug: string;
  /** Dockerfile path, relative to the working directory. */
  dockerfile: string;
  target?: string;
  /** Build context, relative to the working directory. */
  context: string;
  /** Values are secrets as far as reporting goes: never printed. */
  buildArgs: Record<string, string>;
}

/**
 * Where a base comes from. `auto`: rebuild when the event names a base commit (a pull request), else nothing;
 * `none`: no base at all (alone only). In a list (`registry, rebuild`) each variant takes its base from the
 * first source that has it (see pipeline.ts).
 */
export type Baseline = 'auto' | 'rebuild' | 'file' | 'registry' | 'none';
export const BASELINE_SOURCES = ['auto', 'rebuild', 'file', 'registry', 'none'] as const;

/** `baseline-image`: one reference per variant, a template with `{variant}` or a mapping of variant name to reference. */
export type BaselineImage = { template: string } | { byVariant: Record<string, string> };
export type Builder = 'buildkit' | 'legacy';

export interface Settings {
  variants: VariantSpec[];
  /** Budgets resolved per variant name (the `"*"` entry merged in). */
  budgets: Record<string, Budget>;
  noCache: boolean;
  pull: boolean;
  builder: Builder;
  timeoutMs: number;
  /** The baseline sources in order: one or more, `none` only alone (`['auto']` by default). */
  baseline: Baseline[];
  baselineFile?: string;
  /** For `registry`: where each variant's published image is. */
  baselineImage?: BaselineImage;
  /**
   * `auto`: comment on pull requests. `changed`: on pull requests, post a new comment only when something changed
   * by more than `minChange`, a budget is broken or a build failed; an existing comment is always updated.
   */
  comment: boolean | 'auto' | 'changed';
  /** What counts as a change (compare/noise.ts): smaller moves are shown as "same size" and post no new comment. */
  minChange: MinChange;
  commentKey: string;
  failOnBudget: boolean;
  keepImages: boolean;
  units: Units;
  reportFile?: string;
  /** Measure compressed (registry) sizes: the costly part of measuring. */
  compressedSize: boolean;
  /** Where layer measurements are kept across runs; undefined keeps them for the run only. */
  cacheDir?: string;
}

/** Keys a config file may hold; the same names as the action inputs. */
export const SETTING_KEYS = [
  'variants',
  'context',
  'build-args',
  'platforms',
  'no-cache',
  'pull',
  'builder',
  'timeout',
  'budgets',
  'baseline',
  'baseline-file',
  'baseline-image',
  'comment',
  'comment-key',
  'min-change',
  'fail-on-budget',
  'keep-images',
  'units',
  'report-file',
  'compressed-size',
  'cache-dir',
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];
export type RawSettings = Partial<Record<SettingKey, unknown>>;

const VARIANT_KEYS = ['dockerfile', 'target', 'context', 'build-args', 'platforms'] as const;

/** A build longer than a day is not a build that should be waited for (and timers stop being exact past ~24 days). */
const MAX_TIMEOUT_MS = 24 * 3_600_000;

/** Docker's rule for stage names (BuildKit's dockerfile frontend), which is what a target names. */
const STAGE_NAME = /^[a-z][a-z0-9_.-]*$/i;

export const DEFAULTS = {
  context: '.',
  dockerfile: 'Dockerfile',
  defaultVariant: 'default',
  timeout: '30m',
  commentKey: 'default',
  /** `min-change`, in percent of the figure on the base (compare/noise.ts's DEFAULT_MIN_CHANGE). */
  minChangePercent: 0.1,
  /** Relative to the home directory. */
  cacheDir: '.cache/image-size-report',
} as const;

/** Validate raw settings (file values with input values laid over them) into `Settings`. */
export function resolveSettings(raw: RawSettings, env: Record<string, string | undefined> = {}): Settings {
  const context = optionalPath(raw.context, 'context') ?? DEFAULTS.context;
  const globalArgs = parseBuildArgs(raw['build-args'], 'build-args', env);
  const variants = parseVariants(raw.variants, context, globalArgs, env, parsePlatforms(raw.platforms, 'platforms'));
  const baseline = parseBaseline(raw.baseline);
  const baselineFile = optionalPath(raw['baseline-file'], 'baseline-file');
  if (baseline.includes('file') && !baselineFile) {
    throw new InputError('baseline: "file" needs baseline-file, the path of a JSON report saved by an earlier run.');
  }
  const baselineImage = parseBaselineImage(raw['baseline-image'], variants);
  if (baseline.includes('registry') && !baselineImage) {
    throw new InputError(
      'baseline: "registry" needs baseline-image, the published image of each variant: a reference with {variant} ' +
        '(e.g. ghcr.io/acme/app:main-{variant}) or a mapping of variant name to reference.',
    );
  }
  const commentKey = optionalString(raw['comment-key'], 'comment-key') ?? DEFAULTS.commentKey;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(commentKey)) {
    throw new InputError(`comment-key: ${quote(commentKey)} is not accepted. Use 1 to 64 letters, digits, dots, dashes or underscores.`);
  }
  const timeoutMs = parseDuration(raw.timeout ?? DEFAULTS.timeout, 'timeout');
  if (timeoutMs < 1000) throw new InputError(`timeout: ${quote(String(raw.timeout))} is too short; use at least 1s.`);
  if (timeoutMs > MAX_TIMEOUT_MS) throw new InputError(`timeout: ${quote(String(raw.timeout))} is too long; use at most 24h.`);
  return {
    variants,
    budgets: parseBudgets(raw.budgets, variants),
    noCache: bool(raw['no-cache'], 'no-cache') ?? false,
    pull: bool(raw.pull, 'pull') ?? false,
    builder: oneOf(raw.builder, 'builder', ['buildkit', 'legacy'] as const) ?? 'buildkit',
    timeoutMs,
    baseline,
    baselineFile,
    ...(baselineImage ? { baselineImage } : {}),
    comment: commentSetting(raw.comment),
    minChange: minChange(raw['min-change']),
    commentKey,
    failOnBudget: bool(raw['fail-on-budget'], 'fail-on-budget') ?? true,
    keepImages: bool(raw['keep-images'], 'keep-images') ?? false,
    units: oneOf(raw.units, 'units', ['decimal', 'binary'] as const) ?? 'decimal',
    reportFile: optionalPath(raw['report-file'], 'report-file'),
    compressedSize: bool(raw['compressed-size'], 'compressed-size') ?? true,
    cacheDir: cacheDir(raw['cache-dir'], env),
  };
}

/** `comment`: true, false, auto (the default) or changed. */
function commentSetting(value: unknown): Settings['comment'] {
  if (typeof value === 'string' && /^(auto|changed)$/i.test(value.trim())) return value.trim().toLowerCase() as 'auto' | 'changed';
  try {
    return bool(value, 'comment') ?? 'auto';
  } catch {
    throw new InputError(
      `comment: ${describe(value)} is not accepted. Use true, false, auto (on pull requests) or changed (on pull requests, a new comment only when something changed).`,
    );
  }
}

/** `min-change`: a percentage of the base's figure (`0.1%`, the default) or a size (`1kB`; `0` counts every byte). */
function minChange(value: unknown): MinChange {
  if (value === undefined || value === null || value === '') return { kind: 'percent', value: DEFAULTS.minChangePercent };
  const parsed = parseIncrease(value, 'min-change');
  return parsed.kind === 'bytes' ? { kind: 'bytes', value: parsed.bytes } : { kind: 'percent', value: parsed.percent };
}

/**
 * `baseline`: one source, or an ordered list of them (`registry, rebuild` as a string, or a YAML list). `none`
 * means no base and stands alone; `auto` (rebuild where the event names a base commit) stands for `rebuild`, so
 * not both. A source named twice is a mistake.
 */
function parseBaseline(rawValue: unknown): Baseline[] {
  const value = yamlValue(rawValue, 'baseline');
  if (value === undefined || value === null) return ['auto'];
  let items: unknown[];
  if (typeof value === 'string') items = value.split(',');
  else if (Array.isArray(value))
    items = Array.from(value); // holes become undefined items, refused below
  else throw new InputError(`baseline: expected a source or a list of sources (${BASELINE_SOURCES.join(', ')}), got ${describe(value)}.`);
  const sources = items.map((item) => {
    if (typeof item !== 'string' || item.trim() === '') {
      throw new InputError(`baseline: ${describe(item)} is not accepted. Use one of: ${BASELINE_SOURCES.join(', ')}, or a list of them.`);
    }
    return oneOf(item.trim(), 'baseline', BASELINE_SOURCES)!;
  });
  if (sources.length === 0) return ['auto'];
  const twice = sources.find((source, i) => sources.indexOf(source) !== i);
  if (twice) throw new InputError(`baseline: ${quote(twice)} is listed twice; name each source once.`);
  if (sources.length > 1 && sources.includes('none')) {
    throw new InputError('baseline: "none" means no base at all and cannot be listed with other sources; drop it or the others.');
  }
  if (sources.includes('auto') && sources.includes('rebuild')) {
    throw new InputError('baseline: "auto" is "rebuild" where the event names a base commit; list one of them, not both.');
  }
  return sources;
}

/**
 * `baseline-image`: a reference with `{variant}` in it (the variant's name, as configured, without its platform),
 * or a mapping of variant name to reference. A reference without `{variant}` would compare every variant with
 * one image, so it is accepted only when there is one variant. A variant a mapping leaves out has no registry
 * base (the next source is tried).
 */
function parseBaselineImage(rawValue: unknown, variants: VariantSpec[]): BaselineImage | undefined {
  const value = yamlValue(rawValue, 'baseline-image');
  if (value === undefined || value === null) return undefined;
  const names = [...new Set(variants.map(variantName))];
  if (typeof value === 'string') {
    const template = imageReference(value, 'baseline-image');
    if (!template.includes('{variant}') && names.length > 1) {
      throw new InputError(
        `baseline-image: ${quote(template)} has no {variant}, so every variant (${listOf(names)}) would be compared with the same image. ` +
          'Put {variant} where the variant name goes, or give a mapping of variant name to reference.',
      );
    }
    return { template };
  }
  const mapping = asMapping(value, 'baseline-image', 'a reference with {variant} or a mapping of variant name to reference');
  const byVariant: Record<string, string> = {};
  for (const [name, reference] of Object.entries(mapping)) {
    if (!names.includes(name)) throw new InputError(`baseline-image: ${quote(name)} is not a variant. Known variants: ${listOf(names)}.`);
    if (typeof reference !== 'string') {
      throw new InputError(`baseline-image.${name}: expected an image reference, got ${describe(reference)}.`);
    }
    byVariant[name] = imageReference(reference, `baseline-image.${name}`);
  }
  return { byVariant };
}

function imageReference(value: string, where: string): string {
  const text = value.trim();
  if (text === '' || /[\s\p{Cc}]/u.test(text)) {
    throw new InputError(
      `${where}: ${describe(value)} is not an image reference (it is empty or holds a blank or a control character). ` +
        'Use a reference such as ghcr.io/acme/app:main-{variant}.',
    );
  }
  return text;
}

/** The registry reference of a row's base: its variant's, `{variant}` filled in; undefined when it has none. */
export function baselineReference(image: BaselineImage | undefined, spec: Pick<VariantSpec, 'name' | 'variant'>): string | undefined {
  if (!image) return undefined;
  const name = variantName(spec);
  return 'template' in image ? image.template.split('{variant}').join(name) : image.byVariant[name];
}

/** `none` (or `false`) keeps no cache across runs; empty means the default under the home directory. */
function cacheDir(value: unknown, env: Record<string, string | undefined>): string | undefined {
  if (value === false || (typeof value === 'string' && /^(none|false)$/i.test(value.trim()))) return undefined;
  const given = optionalPath(value, 'cache-dir');
  if (given) return given;
  const home = env.HOME || env.USERPROFILE;
  return home ? `${home.replace(/[\\/]+$/, '')}/${DEFAULTS.cacheDir}` : undefined;
}

/** Parse a YAML document given as a string (an input); mappings given directly pass through. */
export function yamlValue(value: unknown, where: string): unknown {
  if (typeof value !== 'string') return value;
  if (value.trim() === '') return undefined;
  try {
    // logLevel: a document's oddities (unknown tags, ...) are not printed as process warnings in the user's log.
    return parseYaml(value, { uniqueKeys: true, prettyErrors: true, logLevel: 'error' });
  } catch (error) {
    throw new InputError(`${where}: not valid YAML (${firstLine(error)}).`);
  }
}

function parseVariants(
  rawValue: unknown,
  defaultContext: string,
  globalArgs: Record<string, string>,
  env: Record<string, string | undefined>,
  defaultPlatforms: string[] | undefined,
): VariantSpec[] {
  const value = yamlValue(rawValue, 'variants');
  if (value === undefined || value === null) {
    return rowsOf(makeVariant(DEFAULTS.defaultVariant, DEFAULTS.dockerfile, undefined, defaultContext, globalArgs), defaultPlatforms);
  }
  const mapping = asMapping(
    value,
    'variants',
    'a mapping of variant name to a Dockerfile path or to {dockerfile, target, context, build-args, platforms}',
  );
  const names = Object.keys(mapping);
  if (names.length === 0) throw new InputError('variants: the mapping is empty; name at least one variant.');
  const slugs = new Map<string, string>();
  return names.flatMap((name) => {
    const where = `variants.${name}`;
    checkVariantName(name);
    const entry = mapping[name];
    let variant: VariantSpec;
    let platforms = defaultPlatforms;
    if (typeof entry === 'string') {
      variant = makeVariant(name, requirePath(entry, where), undefined, defaultContext, globalArgs);
    } else {
      const spec = asMapping(entry, where, 'a Dockerfile path or a mapping {dockerfile, target, context, build-args, platforms}');
      checkKeys(spec, VARIANT_KEYS, where);
      const args = { ...globalArgs, ...parseBuildArgs(spec['build-args'], `${where}.build-args`, env) };
      variant = makeVariant(
        name,
        optionalPath(spec.dockerfile, `${where}.dockerfile`) ?? DEFAULTS.dockerfile,
        optionalTarget(spec.target, `${where}.target`),
        optionalPath(spec.context, `${where}.context`) ?? defaultContext,
        args,
      );
      if (Object.hasOwn(spec, 'platforms')) platforms = parsePlatforms(spec.platforms, `${where}.platforms`) ?? defaultPlatforms;
    }
    return rowsOf(variant, platforms).map((row) => {
      const clash = slugs.get(row.slug);
      if (clash) {
        throw new InputError(`variants: ${quote(clash)} and ${quote(row.name)} differ only by case or punctuation; rename one.`);
      }
      slugs.set(row.slug, row.name);
      return row;
    });
  });
}

/**
 * The rows of one variant: itself when it lists no platforms (the engine's own: the report is as it was before
 * platforms existed), else one per platform, named `name (platform)`. A variant that lists a single platform gets
 * the suffix too, so a row keeps its name (and its baseline) when a second platform is added.
 */
function rowsOf(variant: VariantSpec, platforms: string[] | undefined): VariantSpec[] {
  if (!platforms || platforms.length === 0) return [variant];
  return platforms.map((platform) => ({
    ...variant,
    name: rowName(variant.name, platform),
    variant: variant.name,
    platform,
    slug: `${variant.slug}-${slugOf(platform)}`,
  }));
}

/** The name of a variant's row for one platform: `multi-stage (linux/arm64)`. */
export function rowName(variant: string, platform: string | undefined): string {
  return platform === undefined ? variant : `${variant} (${platform})`;
}

/** How a budget addresses one platform of a variant: `multi-stage@linux/arm64`. */
export function budgetAddress(spec: Pick<VariantSpec, 'name' | 'variant' | 'platform'>): string {
  return spec.platform === undefined ? spec.name : `${variantName(spec)}@${spec.platform}`;
}

function slugOf(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The variant a row belongs to, as configured (without its platform). */
export function variantName(spec: Pick<VariantSpec, 'name' | 'variant'>): string {
  return spec.variant ?? spec.name;
}

function makeVariant(
  name: string,
  dockerfile: string,
  target: string | undefined,
  context: string,
  buildArgs: Record<string, string>,
): VariantSpec {
  return { name, slug: slugOf(name), dockerfile, target, context, buildArgs };
}

function checkVariantName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) {
    throw new InputError(
      `variants: ${quote(name)} is not a valid variant name. Use up to 63 letters, digits, dots, dashes or underscores, starting with a letter or digit.`,
    );
  }
}

/**
 * Build args as KEY=VALUE lines (an input), a list of such strings, or a mapping. A bare KEY takes its value
 * from the environment, as `docker build --build-arg KEY` does. Values never appear in error messages.
 */
export function parseBuildArgs(rawValue: unknown, where: string, env: Record<string, string | undefined>): Record<string, string> {
  if (rawValue === undefined || rawValue === null || rawValue === '') return {};
  const result: Record<string, string> = {};
  const add = (key: string, value: string | undefined, position: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new InputError(
        `${where}: ${position} has an invalid name; a build-arg name is letters, digits and underscores, not starting with a digit.`,
      );
    }
    const fromEnv = Object.hasOwn(env, key) ? env[key] : undefined; // never Object.prototype's members
    result[key] = value ?? (typeof fromEnv === 'string' ? fromEnv : '');
  };
  const addLine = (line: string, position: string) => {
    const eq = line.indexOf('=');
    if (eq === -1) add(line.trim(), undefined, position);
    else add(line.slice(0, eq).trim(), line.slice(eq + 1), position);
  };
  if (typeof rawValue === 'string') {
    rawValue.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() !== '' && !line.trimStart().startsWith('#')) addLine(line, `line ${i + 1}`);
    });
  } else if (Array.isArray(rawValue)) {
    rawValue.forEach((item, i) => {
      if (typeof item !== 'string') throw new InputError(`${where}: item ${i + 1} must be a KEY=VALUE string.`);
      addLine(item, `item ${i + 1}`);
    });
  } else if (isPlainObject(rawValue)) {
    for (const [key, value] of Object.entries(rawValue as Record<string, unknown>)) {
      if (value !== null && typeof value === 'object') {
        throw new InputError(`${where}: the value of ${quote(key)} must be a string or a number.`);
      }
      add(key, value === null ? undefined : String(value), quote(key));
    }
  } else {
    throw new InputError(`${where}: expected KEY=VALUE lines or a mapping, got ${describeKind(rawValue)}.`);
  }
  return result;
}

/**
 * Budgets by row name. A key is `"*"` (every row), a variant's name (every platform of it) or `variant@platform`
 * (one row); the more precise one wins, limit by limit. A max-ratio's `of` names a variant (its row of the same
 * platform: like is compared with like) or one row (`variant@platform`), and is resolved here to a row name.
 */
function parseBudgets(rawValue: unknown, rows: VariantSpec[]): Record<string, Budget> {
  const value = yamlValue(rawValue, 'budgets');
  const resolved: Record<string, Budget> = Object.fromEntries(rows.map((v) => [v.name, {}]));
  if (value === undefined || value === null) return resolved;
  const mapping = asMapping(value, 'budgets', 'a mapping of variant name (or "variant@platform", or "*") to limits');
  const names = [...new Set(rows.map(variantName))];
  const known = new Set(names);
  const byAddress = new Map<string, VariantSpec>();
  for (const row of rows) if (row.platform !== undefined) byAddress.set(budgetAddress(row), row);
  const ratioTargets = new Set([...names, ...byAddress.keys()]);
  const parsed: Record<string, Budget> = Object.create(null) as Record<string, Budget>;
  /** Each parsed key as written, for messages. */
  const written: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, limits] of Object.entries(mapping)) {
    const address = key === '*' ? key : budgetKey(key, rows, names, known);
    if (written[address] !== undefined) {
      throw new InputError(`budgets: ${quote(written[address])} and ${quote(key)} address the same row; give its limits once.`);
    }
    written[address] = key;
    const self = key === '*' ? key : (address.split('@')[0] ?? address);
    parsed[address] = parseBudget(limits, `budgets.${key}`, names, ratioTargets, self);
  }
  for (const row of rows) {
    const address = budgetAddress(row);
    const layers: [string, Budget | undefined][] = [
      ['*', parsed['*']],
      [variantName(row), parsed[variantName(row)]],
      ...(row.platform !== undefined ? [[address, parsed[address]] as [string, Budget | undefined]] : []),
    ];
    const budget: Budget = Object.assign({}, ...layers.map(([, b]) => b ?? {})) as Budget;
    const from = [...layers].reverse().find(([, b]) => b?.maxRatio !== undefined)?.[0];
    if (budget.maxRatio && from) {
      const of = ratioRow(row, budget.maxRatio.of, rows, byAddress);
      if (typeof of === 'string' && of !== row.name) budget.maxRatio = { ...budget.maxRatio, of };
      else if (from === '*')
        delete budget.maxRatio; // "*" holds every row against the one named, but that row itself
      else {
        const where = `budgets.${written[from]}.max-ratio.of`;
        if (typeof of === 'string') throw new InputError(`${where}: ${quote(row.name)} would be compared with itself.`);
        throw new InputError(
          `${where}: ${quote(budget.maxRatio.of)} has no ${row.platform ?? "engine's own platform"} row to hold ${quote(row.name)} against ` +
            `(its rows: ${listOf(of.rows)}). List the same platforms for both variants, or name one row as "variant@platform".`,
        );
      }
    }
    resolved[row.name] = budget;
  }
  return resolved;
}

/** A budget key other than "*", as the address of `budgetAddress`: the variant's name, or `variant@platform` normalised. */
function budgetKey(key: string, rows: VariantSpec[], names: string[], known: Set<string>): string {
  const at = key.indexOf('@');
  const name = at === -1 ? key : key.slice(0, at);
  if (!known.has(name)) {
    throw new InputError(`budgets: ${quote(name)} is not a variant. Known variants: ${listOf(names)} (or "*" for all).`);
  }
  if (at === -1) return key;
  const platforms = rows.filter((r) => variantName(r) === name && r.platform !== undefined).map((r) => r.platform!);
  if (platforms.length === 0) {
    throw new InputError(
      `budgets: ${quote(key)} names a platform, but ${quote(name)} lists no platforms (it is built for the engine's own); address it as ${quote(name)}.`,
    );
  }
  const platform = parsePlatform(key.slice(at + 1), `budgets: ${quote(key)}`);
  if (!platforms.includes(platform)) {
    throw new InputError(`budgets: ${quote(key)}: ${quote(name)} has no platform ${platform}. Its platforms: ${listOf(platforms)}.`);
  }
  return `${name}@${platform}`;
}

/** The row a max-ratio of `row` names: `of` is a variant (its row of the same platform) or `variant@platform`. */
function ratioRow(row: VariantSpec, of: string, rows: VariantSpec[], byAddress: Map<string, VariantSpec>): string | { rows: string[] } {
  const exact = byAddress.get(of);
  if (exact) return exact.name;
  const candidates = rows.filter((r) => variantName(r) === of);
  const same = candidates.find((r) => r.platform === row.platform);
  return same ? same.name : { rows: candidates.map((r) => r.name) };
}

function parseBudget(value: unknown, where: string, names: string[], known: Set<string>, self: string): Budget {
  const limits = asMapping(value, where, `a mapping of limits (${BUDGET_KEYS.join(', ')})`);
  checkKeys(limits, BUDGET_KEYS, where);
  const context: BudgetContext = { names, known, self };
  const budget: Record<string, unknown> = {};
  for (const key of BUDGET_KEYS) {
    if (limits[key] !== undefined) budget[BUDGET_KINDS[key].field] = BUDGET_KINDS[key].parse(limits[key], `${where}.${key}`, context);
  }
  return budget as Budget;
}

function optionalPath(value: unknown, where: string): string | undefined {
  const text = optionalString(value, where);
  return text === undefined ? undefined : requirePath(text, where);
}

function requirePath(value: string, where: string): string {
  const text = value.trim();
  if (text === '' || text.includes('\0') || /[\r\n]/.test(text)) {
    throw new InputError(`${where}: ${quote(text)} is not a usable path (it is empty or holds a line break or a NUL character).`);
  }
  return text;
}

function bool(value: unknown, where: string): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  throw new InputError(`${where}: ${describe(value)} is not accepted. Use true or false.`);
}

function oneOf<T extends string>(value: unknown, where: string, accepted: readonly T[]): T | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (!accepted.includes(text as T)) {
    throw new InputError(`${where}: ${describe(value)} is not accepted. Use one of: ${accepted.join(', ')}.`);
  }
  return text as T;
}

/** The first line of the YAML parser's message (the rest is a code frame), cut to a sensible length. */
function firstLine(error: unknown): string {
  return printable(messageOf(error).split('\n')[0], 200);
}

/** A target must name a stage: Docker's stage-name rule. */
function optionalTarget(value: unknown, where: string): string | undefined {
  const target = optionalString(value, where);
  if (target !== undefined && !STAGE_NAME.test(target)) {
    throw new InputError(
      `${where}: ${quote(target)} cannot be a stage name. Use the name of a stage (FROM ... AS name): letters, digits, dots, dashes and underscores, starting with a letter.`,
    );
  }
  return target;
}

function describeKind(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? typeof value : describe(value);
}
