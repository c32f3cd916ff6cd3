/**
 * Reading a JSON report that an untrusted run produced (the `pull_request` run of the two-workflow setup, whose
 * artifact anyone who opens a pull request controls) before it is rendered into a comment posted with a write
 * token. The file is data, never code:
 * - at most MAX_REPORT_BYTES, checked before it is read, and read with that bound;
 * - strict UTF-8, parsed with JSON.parse (no reviver, no eval; `__proto__` keys become plain properties and are
 *   removed with every other unknown key below, so nothing reaches an object's prototype);
 * - validated against REPORT_SCHEMA: every field rendering uses, with types, enums, ranges, string lengths and,
 *   for names that reach Markdown as they are (variant names, tool name and version, engine words), patterns;
 * - every property the schema does not describe is REMOVED, so text that no one validated cannot reach a
 *   comment. A new report field shows up in a posted comment only once it is added here.
 * Rendering then escapes the text as it does for a report measured in the same run.
 *
 * To extend: add the field to the matching `properties` below with its bounds (optional unless every report
 * writer sets it), and to the fixture in __tests__/unit/github-report-schema.test.ts, which checks that a full
 * report survives the schema unchanged.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { InputError } from '../errors.js';
import { REPORT_SCHEMA_VERSION, type Report } from './types.js';

/** Reports are a few kB per variant; 5 MB leaves room for hundreds of variants and layers. */
export const MAX_REPORT_BYTES = 5_000_000;

const NO_CONTROL = '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$';
const text = (maxLength: number) => ({ type: 'string', maxLength, pattern: NO_CONTROL }) as const;
const VARIANT_NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' } as const;
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

const object = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required }) as const;
const array = (items: unknown, maxItems: number) => ({ type: 'array', maxItems, items }) as const;
/** A Dockerfile instruction as the image history records it: a RUN can be long, and a heredoc has newlines. */
const INSTRUCTION = text(65_536);

const LAYER_DETAIL = object(
  {
    diffId: { type: 'string', pattern: '^[a-z0-9]{1,16}:[0-9a-f]{32,128}$' },
    instruction: INSTRUCTION,
    sizeBytes: BYTES,
    compressedBytes: BYTES,
    pushedUncompressed: { const: true },
    fromBaseImage: { type: 'boolean' },
  },
  ['diffId', 'instruction', 'sizeBytes', 'fromBaseImage'],
);

const EFFICIENCY = object(
  {
    score: { type: 'number', minimum: 0, maximum: 1 },
    wastedBytes: BYTES,
    topWasted: array(object({ path: text(4096), bytes: BYTES, copies: COUNT }, ['path', 'bytes', 'copies']), 100),
  },
  ['score', 'wastedBytes', 'topWasted'],
);

const SIDE_RESULT = {
  type: 'object',
  required: ['status'],
  discriminator: { propertyName: 'status' },
  oneOf: [
    object(
      {
        status: { const: 'built' },
        imageId: { type: 'string', pattern: '^[A-Za-z0-9:]{1,100}$' },
        sizeBytes: BYTES,
        compressedBytes: BYTES,
        engineSizeBytes: BYTES,
        layers: COUNT,
        baseImageLayers: COUNT,
        contentLayers: COUNT,
        layerDetails: array(LAYER_DETAIL, 1000),
        efficiency: EFFICIENCY,
        analysisError: text(2000),
        buildMs: MS,
        steps: COUNT,
        cachedSteps: COUNT,
        comparableBuildMs: MS,
        cachedFromRun: COUNT,
      },
      ['status', 'imageId', 'sizeBytes', 'layers', 'buildMs', 'steps', 'cachedSteps'],
    ),
    object(
      {
        status: { const: 'failed' },
        error: text(2000),
        failedStep: text(1000),
        log: { type: 'array', maxItems: 200, items: text(2000) },
        buildMs: MS,
      },
      ['status', 'error', 'log'],
    ),
    object({ status: { const: 'absent' }, reason: text(500) }, ['status', 'reason']),
    object({ status: { const: 'cancelled' }, during: { enum: ['build', 'layers'] } }, ['status']),
  ],
} as const;

export const REPORT_SCHEMA = object(
  {
    schemaVersion: { const: REPORT_SCHEMA_VERSION },
    tool: object({ name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }, version: { type: 'string', pattern: '^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$' } }, ['name', 'version']),
    createdAt: text(64),
    engine: object(
      {
        serverVersion: { type: 'string', pattern: '^[0-9A-Za-z][0-9A-Za-z.+~_-]{0,63}$' },
        apiVersion: { type: 'string', pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){0,2}$' },
        storage: { type: 'string', pattern: '^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$' },
        containerdStore: { type: 'boolean' },
        goVersion: { type: 'string', pattern: '^go[0-9][0-9A-Za-z.+-]{0,39}$' },
        compressedSizing: { enum: ['go1.26', 'go1.27', 'as-stored'] },
        // Free text in the report, but rendered as the tool's own words: the poster recomputes it.
        sizeMeaning: text(500),
        endpoint: object(
          {
            host: { type: 'string', maxLength: 300, pattern: '^(unix|tcp|ssh)://[^\\u0000-\\u001f\\u007f]*$' },
            from: { enum: ['DOCKER_HOST', 'context', 'default'] },
            context: text(200),
          },
          ['host', 'from'],
        ),
      },
      ['serverVersion', 'apiVersion', 'storage', 'containerdStore', 'sizeMeaning'],
    ),
    units: { enum: ['decimal', 'binary'] },
    head: object({ ref: REF, sha: SHA }),
    base: object({ source: { enum: ['rebuild', 'file', 'none'] }, ref: REF, sha: SHA, file: text(1000), error: text(2000) }, ['source']),
    variants: {
      type: 'array',
      maxItems: 200,
      items: object(
        {
          name: VARIANT_NAME,
          dockerfile: text(1000),
          target: text(200),
          context: text(1000),
          stages: { type: 'integer', minimum: 1, maximum: 10_000 },
          head: SIDE_RESULT,
          base: SIDE_RESULT,
          change: object(
            {
              sizeBytes: SIGNED_BYTES,
              sizeRatio: RATIO_CHANGE,
              compressedBytes: SIGNED_BYTES,
              compressedRatio: RATIO_CHANGE,
              layers: SIGNED_COUNT,
              wastedBytes: SIGNED_BYTES,
              buildMs: SIGNED_MS,
            },
            ['sizeBytes', 'layers', 'buildMs'],
          ),
          layerChanges: array(
            object(
              { kind: { enum: ['added', 'changed', 'removed'] }, instruction: INSTRUCTION, sizeBytes: SIGNED_BYTES, compressedBytes: SIGNED_BYTES, headBytes: BYTES },
              ['kind', 'instruction', 'sizeBytes', 'headBytes'],
            ),
            1000,
          ),
        },
        ['name', 'dockerfile', 'context', 'stages', 'head'],
      ),
    },
    comparisons: {
      type: 'array',
      maxItems: 1000,
      items: object({ variant: VARIANT_NAME, reference: VARIANT_NAME, ratio: { type: 'number', minimum: 0, maximum: 1e12 }, savedBytes: SIGNED_BYTES }, [
        'variant',
        'reference',
        'ratio',
        'savedBytes',
      ]),
    },
    budgets: {
      type: 'array',
      maxItems: 2000,
      items: object(
        {
          variant: VARIANT_NAME,
          budget: { enum: ['max-size', 'max-increase', 'max-layers', 'max-build-time', 'max-ratio', 'min-efficiency', 'max-wasted'] },
          quantity: { enum: ['bytes', 'percent', 'count', 'ms', 'ratio', 'score'] },
          limit: { type: 'number', minimum: -1e15, maximum: 1e15 },
          actual: { type: 'number', minimum: -1e15, maximum: 1e15 },
          of: VARIANT_NAME,
          outcome: { enum: ['pass', 'fail', 'skipped'] },
          note: text(500),
        },
        ['variant', 'budget', 'quantity', 'limit', 'outcome'],
      ),
    },
    status: { enum: ['pass', 'fail', 'cancelled'] },
    // Kept so that a cancelled run's report is never shown as a finished one (the poster does not comment it).
    cancelled: object({ signal: { enum: ['SIGINT', 'SIGTERM'] } }, ['signal']),
  },
  ['schemaVersion', 'tool', 'createdAt', 'engine', 'units', 'head', 'base', 'variants', 'comparisons', 'budgets', 'status'],
);

let validator: ValidateFunction | undefined;

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

/**
 * Read, parse and validate a report file an untrusted run wrote. `setting` names the input for messages.
 * Throws InputError with a message that says what is wrong (never the file's content beyond a field path).
 */
export function readUntrustedReport(file: string, setting: string): Report {
  const what = `${setting}: "${file}"`;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new InputError(`${what} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}). It must be the JSON report of the run that measured the images (its report output), downloaded before this step.`);
  }
  let bytes: Buffer;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new InputError(`${what} is not a file.`);
    if (stat.size > MAX_REPORT_BYTES) throw new InputError(`${what} is ${stat.size} bytes, over the limit of ${MAX_REPORT_BYTES} bytes for a report: refusing to read it.`);
    bytes = Buffer.alloc(MAX_REPORT_BYTES + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < bytes.length; length += n) n = readSync(fd, bytes, length, bytes.length - length, null);
    if (length > MAX_REPORT_BYTES) throw new InputError(`${what} is over the limit of ${MAX_REPORT_BYTES} bytes for a report: refusing to read it.`);
    bytes = bytes.subarray(0, length);
  } finally {
    closeSync(fd);
  }
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch (error) {
    const why = error instanceof TypeError ? 'is not UTF-8 text' : 'is not valid JSON';
    throw new InputError(`${what} ${why}; it must be a report written by image-size-report (its report output).`);
  }
  const errors = validate(data);
  if (errors) {
    const [first] = errors;
    const where = first?.instancePath ? `at ${first.instancePath}` : 'at the top level';
    const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
    if (typeof data === 'object' && data !== null && !Array.isArray(data) && version !== REPORT_SCHEMA_VERSION) {
      const was = typeof version === 'number' && Number.isInteger(version) ? `version ${version}` : 'no known version';
      throw new InputError(`${what} is a report of ${was}, and this action posts reports of version ${REPORT_SCHEMA_VERSION}: use the same version of image-size-report in the workflow that measures and in the one that posts.`);
    }
    throw new InputError(`${what} is not a valid image-size-report report (schema version ${REPORT_SCHEMA_VERSION}): ${where}, ${first?.message ?? 'invalid'}.`);
  }
  return data as Report;
}
