/**
 * The report's JSON schema: every field of `Report` (types.ts) with the bounds a report read from elsewhere must
 * keep: types, enums, ranges, string lengths and, for names that reach Markdown as they are (variant names, tool
 * name and version, engine words), patterns. Typed with ajv's `JSONSchemaType`, so `tsc` fails when it and the
 * types differ: a property missing on either side, an optional one made required or the other way round, a
 * value of the wrong type, an enum value outside its type or one of its type's values missing. Exported: REPORT_SCHEMA, at the end (built of the pieces
 * above it); read-report.ts reads reports with it.
 *
 * To extend the report: add the field to types.ts, then here with its bounds (tsc says where), and to the full
 * report of __tests__/unit/report-fields.test.ts, which checks that every field survives reading.
 */
import type { JSONSchemaType } from 'ajv';
import { BUDGET_KEYS } from '../settings/budget-kinds.js';
import {
  COMPRESSED_SIZINGS,
  REPORT_NAME_MAX,
  REPORT_SCHEMA_VERSION,
  type BaseSource,
  type BaseSourceKind,
  type BudgetCheck,
  type Change,
  type ChangePart,
  type Efficiency,
  type LayerChange,
  type LayerDetail,
  type MinChange,
  type Report,
  type SideResult,
  type StageComparison,
  type VariantReport,
} from './types.js';

type Schema<T> = JSONSchemaType<T>;
/** The `properties` of an object schema for T (each key of T, optional ones marked by `optional`). */
type Properties<T> = NonNullable<Extract<Schema<T>, { properties?: unknown }>['properties']>;

/**
 * An optional property. JSONSchemaType wants an optional property marked `nullable: true`, which would also let
 * `null` through; a report never holds null, so the mark is in the type only (tsc still checks that exactly the
 * optional properties have it) and the property is left out of `required`.
 */
function optional<S extends object>(schema: S): S & { nullable: true } {
  const copy = { ...schema };
  OPTIONAL.add(copy);
  return copy as S & { nullable: true };
}
const OPTIONAL = new WeakSet<object>();

/**
 * An object schema of T: `required` lists every property not marked `optional`, in the order given, so it is
 * exactly T's required properties. (The cast: tsc cannot follow a generic T through JSONSchemaType's conditional
 * types; what it checks is `properties`, against T.)
 */
function object<T>(properties: Properties<T>): Schema<T> {
  const required = Object.entries(properties as Record<string, object>)
    .filter(([, p]) => !OPTIONAL.has(p))
    .map(([key]) => key);
  return { type: 'object', properties, required } as unknown as Schema<T>;
}

/** A string enum that lists every value of T: tsc fails when T gains one the list lacks. */
function stringEnum<T extends string>() {
  return <const V extends readonly T[]>(
    values: V & ([Exclude<T, V[number]>] extends [never] ? unknown : { missing: Exclude<T, V[number]> }),
  ) => ({ type: 'string', enum: values }) as const;
}

const NO_CONTROL = '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$';
const text = (maxLength: number) => ({ type: 'string', maxLength, pattern: NO_CONTROL }) as const;
const VARIANT_NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' } as const;
/** A platform as settings normalise it (settings/platforms.ts): os/arch[/variant]. */
const PLATFORM_PART = '[a-z0-9_-]{1,32}(/[a-z0-9_-]{1,32}){1,2}';
const PLATFORM = { type: 'string', pattern: `^${PLATFORM_PART}$` } as const;
/** A row: a variant's name, with ` (platform)` when the variant lists platforms. */
const ROW_NAME = { type: 'string', pattern: `^[A-Za-z0-9][A-Za-z0-9._-]{0,62}( \\(${PLATFORM_PART}\\))?$` } as const;
const SHA = { type: 'string', pattern: '^[0-9a-fA-F]{7,64}$' } as const;
const REF = text(255);
const BYTES = { type: 'number', minimum: 0, maximum: 1e15 } as const;
const SIGNED_BYTES = { type: 'number', minimum: -1e15, maximum: 1e15 } as const;
const COUNT = { type: 'integer', minimum: 0, maximum: 1_000_000 } as const;
const SIGNED_COUNT = { type: 'integer', minimum: -1_000_000, maximum: 1_000_000 } as const;
/** Durations: up to a week. */
const MS = { type: 'number', minimum: 0, maximum: 604_800_000 } as const;
const SIGNED_MS = { type: 'number', minimum: -604_800_000, maximum: 604_800_000 } as const;
/** A relative change: -100% at least, and any growth from a tiny base. */
const RATIO_CHANGE = { type: 'number', minimum: -1, maximum: 1e12 } as const;
/** A Dockerfile instruction as the image history records it: a RUN can be long, and a heredoc has newlines. */
const INSTRUCTION = text(65_536);

const LAYER_DETAIL = object<LayerDetail>({
  diffId: { type: 'string', pattern: '^[a-z0-9]{1,16}:[0-9a-f]{32,128}$' },
  instruction: INSTRUCTION,
  sizeBytes: BYTES,
  compressedBytes: optional(BYTES),
  // `enum: [true]` rather than `const: true`: JSONSchemaType allows no `const` but null on an optional property.
  pushedUncompressed: optional({ type: 'boolean', enum: [true] } as const),
  fromBaseImage: { type: 'boolean' },
});

const EFFICIENCY = object<Efficiency>({
  score: { type: 'number', minimum: 0, maximum: 1 },
  wastedBytes: BYTES,
  topWasted: {
    type: 'array',
    maxItems: 100,
    items: object<Efficiency['topWasted'][number]>({ path: text(4096), bytes: BYTES, copies: COUNT }),
  },
});

type Side<S extends SideResult['status']> = Extract<SideResult, { status: S }>;

/** One schema per status (a key missing here is a tsc error); `discriminator` makes ajv check only the one named. */
const SIDE_RESULTS: { [S in SideResult['status']]: Schema<Side<S>> } = {
  built: object<Side<'built'>>({
    status: { type: 'string', const: 'built' },
    imageId: { type: 'string', pattern: '^[A-Za-z0-9:]{1,100}$' },
    sizeBytes: BYTES,
    compressedBytes: optional(BYTES),
    engineSizeBytes: optional(BYTES),
    layers: COUNT,
    baseImageLayers: optional(COUNT),
    contentLayers: optional(COUNT),
    layerDetails: optional({ type: 'array', maxItems: 1000, items: LAYER_DETAIL } as const),
    efficiency: optional(EFFICIENCY),
    analysisError: optional(text(2000)),
    buildMs: optional(MS),
    steps: optional(COUNT),
    cachedSteps: optional(COUNT),
    comparableBuildMs: optional(MS),
    cachedFromRun: optional(COUNT),
  }),
  failed: object<Side<'failed'>>({
    status: { type: 'string', const: 'failed' },
    error: text(2000),
    failedStep: optional(text(1000)),
    log: { type: 'array', maxItems: 200, items: text(2000) },
    buildMs: optional(MS),
  }),
  absent: object<Side<'absent'>>({ status: { type: 'string', const: 'absent' }, reason: text(500) }),
  cancelled: object<Side<'cancelled'>>({
    status: { type: 'string', const: 'cancelled' },
    during: optional(stringEnum<NonNullable<Side<'cancelled'>['during']>>()(['build', 'layers'])),
  }),
};

// The union as JSONSchemaType types it: `oneOf` of schemas of its members (that each member has one is checked
// by SIDE_RESULTS' type). `status` is required where the branches define it (ajv's discriminator needs that).
const SIDE_RESULT: Schema<SideResult> = {
  type: 'object',
  required: ['status'],
  discriminator: { propertyName: 'status' },
  oneOf: Object.values(SIDE_RESULTS),
};

const CHANGE_PART = object<ChangePart>({ sizeBytes: SIGNED_BYTES, compressedBytes: optional(SIGNED_BYTES) });

const CHANGE = object<Change>({
  sizeBytes: SIGNED_BYTES,
  sizeRatio: optional(RATIO_CHANGE),
  compressedBytes: optional(SIGNED_BYTES),
  compressedRatio: optional(RATIO_CHANGE),
  layers: SIGNED_COUNT,
  wastedBytes: optional(SIGNED_BYTES),
  buildMs: optional(SIGNED_MS),
  baseImage: optional(CHANGE_PART),
  own: optional(CHANGE_PART),
});

const BASE_SOURCE = object<BaseSource>({
  source: optional(stringEnum<BaseSourceKind>()(['rebuild', 'file', 'registry'])),
  reference: optional(text(1000)),
  digest: optional({ type: 'string', pattern: '^[a-z0-9]+:[a-f0-9]{32,128}$' }),
  error: optional(text(2000)),
});

const LAYER_CHANGE = object<LayerChange>({
  kind: stringEnum<LayerChange['kind']>()(['added', 'changed', 'removed']),
  instruction: INSTRUCTION,
  sizeBytes: SIGNED_BYTES,
  compressedBytes: optional(SIGNED_BYTES),
  headBytes: BYTES,
  headCompressedBytes: optional(BYTES),
});

const VARIANT = object<VariantReport>({
  name: ROW_NAME,
  variant: optional(VARIANT_NAME),
  platform: optional(PLATFORM),
  dockerfile: text(1000),
  target: optional(text(200)),
  context: text(1000),
  stages: { type: 'integer', minimum: 1, maximum: 10_000 },
  head: SIDE_RESULT,
  base: optional(SIDE_RESULT),
  change: optional(CHANGE),
  layerChanges: optional({ type: 'array', maxItems: 1000, items: LAYER_CHANGE } as const),
  baseSource: optional(BASE_SOURCE),
});

const COMPARISON = object<StageComparison>({
  variant: ROW_NAME,
  reference: ROW_NAME,
  ratio: { type: 'number', minimum: 0, maximum: 1e12 },
  savedBytes: SIGNED_BYTES,
});

const BUDGET_CHECK = object<BudgetCheck>({
  variant: ROW_NAME,
  // The budget kinds' table lists every BudgetKind (its type says so).
  budget: { type: 'string', enum: BUDGET_KEYS },
  quantity: stringEnum<BudgetCheck['quantity']>()(['bytes', 'percent', 'count', 'ms', 'ratio', 'score']),
  limit: { type: 'number', minimum: -1e15, maximum: 1e15 },
  actual: optional({ type: 'number', minimum: -1e15, maximum: 1e15 } as const),
  of: optional(ROW_NAME),
  outcome: stringEnum<BudgetCheck['outcome']>()(['pass', 'fail', 'skipped']),
  note: optional(text(500)),
});

type Engine = Report['engine'];

export const REPORT_SCHEMA: Schema<Report> = object<Report>({
  schemaVersion: { type: 'integer', const: REPORT_SCHEMA_VERSION },
  // Free text (the report-name input), escaped where it is shown, as a section title of a merged comment.
  name: optional(text(REPORT_NAME_MAX)),
  tool: object<Report['tool']>({
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' },
    version: { type: 'string', pattern: '^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$' },
  }),
  createdAt: text(64),
  engine: object<Engine>({
    serverVersion: { type: 'string', pattern: '^[0-9A-Za-z][0-9A-Za-z.+~_-]{0,63}$' },
    apiVersion: { type: 'string', pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){0,2}$' },
    storage: { type: 'string', pattern: '^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$' },
    containerdStore: { type: 'boolean' },
    goVersion: optional({ type: 'string', pattern: '^go[0-9][0-9A-Za-z.+-]{0,39}$' } as const),
    compressedSizing: optional(stringEnum<NonNullable<Engine['compressedSizing']>>()(COMPRESSED_SIZINGS)),
    // Free text in the report, but rendered as the tool's own words: the poster recomputes it.
    sizeMeaning: text(500),
    endpoint: optional(
      object<NonNullable<Engine['endpoint']>>({
        host: { type: 'string', maxLength: 300, pattern: '^(unix|tcp|ssh)://[^\\u0000-\\u001f\\u007f]*$' },
        from: stringEnum<NonNullable<Engine['endpoint']>['from']>()(['DOCKER_HOST', 'context', 'default']),
        context: optional(text(200)),
      }),
    ),
  }),
  units: stringEnum<Report['units']>()(['decimal', 'binary']),
  head: object<Report['head']>({ ref: optional(REF), sha: optional(SHA) }),
  base: object<Report['base']>({
    source: stringEnum<Report['base']['source']>()(['rebuild', 'file', 'registry', 'none', 'mixed']),
    ref: optional(REF),
    sha: optional(SHA),
    file: optional(text(1000)),
    error: optional(text(2000)),
  }),
  variants: { type: 'array', maxItems: 200, items: VARIANT },
  comparisons: { type: 'array', maxItems: 1000, items: COMPARISON },
  budgets: { type: 'array', maxItems: 2000, items: BUDGET_CHECK },
  status: stringEnum<Report['status']>()(['pass', 'fail', 'cancelled']),
  // Kept so that a cancelled run's report is never shown as a finished one (the poster does not comment it).
  cancelled: optional(
    object<NonNullable<Report['cancelled']>>({ signal: stringEnum<NonNullable<Report['cancelled']>['signal']>()(['SIGINT', 'SIGTERM']) }),
  ),
  minChange: optional(
    object<MinChange>({
      kind: stringEnum<MinChange['kind']>()(['bytes', 'percent']),
      value: { type: 'number', minimum: 0, maximum: 1e15 },
    }),
  ),
});
