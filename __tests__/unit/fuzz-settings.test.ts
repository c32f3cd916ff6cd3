// Config fuzzing: thousands of malformed settings, fed to the real entry points (the settings schema, the unit
// parsers, the config file loader, the action's inputs). Each must give valid Settings or an InputError whose
// message names the setting, says what is wrong with the value or what is accepted, stays short whatever the
// value's size, and holds nothing that looks like a stack trace or could forge a log line.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readActionSettings } from '../../src/action/inputs.js';
import { InputError, quote } from '../../src/errors.js';
import { loadConfigFile } from '../../src/settings/config-file.js';
import { resolveSettings, SETTING_KEYS, type RawSettings, type Settings } from '../../src/settings/schema.js';
import { parseCount, parseDuration, parseFraction, parseIncrease, parseSize } from '../../src/settings/units.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const MAX_MESSAGE = 1000;

// ---------------------------------------------------------------------------------------------------------------
// What a good outcome is

/** A clear error: an InputError naming the setting (message starts with it), short, printable, no stack trace. */
function expectClearError(error: unknown, settings: readonly string[], offending?: string): void {
  if (!(error instanceof InputError)) {
    throw new Error(`expected an InputError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  const message = error.message;
  const named = settings.some(
    (s) => message.startsWith(`${s}: `) || message.startsWith(`${s}.`) || (s === 'config file' && message.startsWith('config file ')),
  );
  if (!named) throw new Error(`the message does not start with the setting (${settings.join(' | ')}): ${message.slice(0, 300)}`);
  expect(message.length, message.slice(0, 300)).toBeLessThanOrEqual(MAX_MESSAGE);
  // Nothing that could forge a log line or a workflow command, or hide text: no control or invisible characters.
  // eslint-disable-next-line no-control-regex -- control characters are what this checks for
  expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/);
  expect(message).not.toMatch(/\bat .*:\d+:\d+|node:internal|node_modules|file:\/\/|\bError:/);
  // It says what is wrong with the value, or what is accepted.
  expect(message).toMatch(
    /"|\b(Use|Accepted|[Ee]xpected|must|needs|at least|at most|Name the|rename|missing|cannot|not valid YAML|a build-arg name is)\b/,
  );
  if (offending !== undefined && offending.trim() !== '') expect(message).toContain(quote(offending.trim()));
}

function outcome<T>(run: () => T, settings: readonly string[], offending?: string): T | undefined {
  try {
    return run();
  } catch (error) {
    expectClearError(error, settings, offending);
    return undefined;
  }
}

const USABLE_PATH = (p: string | undefined) => typeof p === 'string' && p !== '' && p === p.trim() && !/[\0\r\n]/.test(p);

/** Settings that resolved must be usable as they are: every number finite and in range, every name well formed. */
function expectValidSettings(s: Settings): void {
  expect(s.variants.length).toBeGreaterThan(0);
  const names = s.variants.map((v) => v.name);
  expect(new Set(names).size).toBe(names.length);
  expect(new Set(s.variants.map((v) => v.slug)).size).toBe(names.length);
  for (const v of s.variants) {
    expect(v.name).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/);
    expect(v.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(USABLE_PATH(v.dockerfile) && USABLE_PATH(v.context)).toBe(true);
    if (v.target !== undefined) expect(v.target).toMatch(/^[a-z][a-z0-9_.-]*$/i);
    for (const [key, value] of Object.entries(v.buildArgs)) {
      expect(key).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
      expect(typeof value).toBe('string');
    }
  }
  expect(Object.keys(s.budgets).sort()).toEqual([...names].sort());
  const finite = (n: number | undefined, min = 0) => n === undefined || (Number.isFinite(n) && n >= min && n <= Number.MAX_SAFE_INTEGER);
  for (const [name, b] of Object.entries(s.budgets)) {
    expect(finite(b.maxSize) && finite(b.maxLayers, 1) && finite(b.maxBuildTimeMs)).toBe(true);
    if (b.maxLayers !== undefined) expect(Number.isInteger(b.maxLayers)).toBe(true);
    if (b.maxIncrease) expect(finite(b.maxIncrease.kind === 'bytes' ? b.maxIncrease.bytes : b.maxIncrease.percent)).toBe(true);
    if (b.maxRatio) {
      expect(names).toContain(b.maxRatio.of);
      expect(b.maxRatio.of).not.toBe(name);
      expect(finite(b.maxRatio.fraction) && b.maxRatio.fraction > 0).toBe(true);
    }
  }
  expect(Number.isInteger(s.timeoutMs) && s.timeoutMs >= 1000 && s.timeoutMs <= 24 * 3_600_000).toBe(true);
  for (const flag of [s.noCache, s.pull, s.failOnBudget, s.keepImages]) expect(typeof flag).toBe('boolean');
  expect(['buildkit', 'legacy']).toContain(s.builder);
  expect(s.baseline.length).toBeGreaterThan(0);
  for (const source of s.baseline) expect(['auto', 'rebuild', 'file', 'registry', 'none']).toContain(source);
  if (s.baseline.length > 1) expect(s.baseline).not.toContain('none');
  expect(['decimal', 'binary']).toContain(s.units);
  expect([true, false, 'auto']).toContain(s.comment);
  expect(s.commentKey).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
  for (const file of [s.baselineFile, s.reportFile]) if (file !== undefined) expect(USABLE_PATH(file)).toBe(true);
  if (s.baseline.includes('file')) expect(s.baselineFile).toBeDefined();
  if (s.baseline.includes('registry')) expect(s.baselineImage).toBeDefined();
}

// ---------------------------------------------------------------------------------------------------------------
// Generators of malformed (and sometimes well-formed) values

const anyChar = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 3 }),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), // lone surrogates included
  fc.constantFrom('\n', '\r\n', '\t', '\0', '\u202e', '\u200b', '\ufeff', '\u00a0', '"', "'", '`', '|', '#', '%', '\\', '$'),
);
const noise = fc.array(anyChar, { maxLength: 40 }).map((parts) => parts.join(''));

const numberText = fc.oneof(
  fc.nat({ max: 100_000 }).map(String),
  fc.double({ noNaN: false }).map(String),
  fc.constantFrom(
    '0',
    '.5',
    '5.',
    '1.2.3',
    '-5',
    '+5',
    '1e3',
    '1e400',
    '9'.repeat(400),
    'Infinity',
    'NaN',
    '0x10',
    '١٢',
    '１',
    '٫5',
    '1_000',
    '1,5',
    '',
  ),
);
const unitText = fc.constantFrom(
  '',
  'B',
  'b',
  'kB',
  'KB',
  'kb',
  'Kb',
  'KiB',
  'kib',
  'MB',
  'mb',
  'MiB',
  'GB',
  'GiB',
  'TB',
  'TiB',
  'PB',
  'iB',
  'MBB',
  '%',
  '%%',
  'ms',
  's',
  'm',
  'h',
  'd',
  'µs',
  'min',
  'sec',
  'M B',
  'm30s',
  'h1m',
  'ms5',
);
const spacing = fc.constantFrom('', ' ', '  ', '\t', '\n', '\u00a0', '\u2003');
/** Strings that look like sizes, durations or percentages, and mostly are not. */
const quantityText = fc.oneof(
  fc.tuple(spacing, numberText, spacing, unitText, spacing).map((p) => p.join('')),
  fc.array(fc.tuple(numberText, spacing, unitText), { minLength: 1, maxLength: 4 }).map((parts) => parts.map((p) => p.join('')).join('')),
  noise,
);
/** Anything a config file (YAML, including YAML 1.1's dates, sets and binaries) or a JavaScript caller can give. */
const anyValue = fc.oneof(
  quantityText,
  fc.anything({
    maxDepth: 3,
    withBoxedValues: true,
    withMap: true,
    withSet: true,
    withDate: true,
    withTypedArray: true,
    withBigInt: true,
    withNullPrototype: true,
    withSparseArray: true,
  }),
  // eslint-disable-next-line no-loss-of-precision -- 1e400 is meant: a literal that overflows to Infinity, as YAML or JSON text can
  fc.constantFrom(null, undefined, true, false, 0, -1, NaN, Infinity, -Infinity, 1e400, Number.MAX_VALUE, '', ' ', [], {}),
);

const VOCABULARY = [
  ...SETTING_KEYS,
  'dockerfile',
  'target',
  'context',
  'build-args',
  'max-size',
  'max-increase',
  'max-layers',
  'max-build-time',
  'max-ratio',
  'of',
  'max',
  '*',
  'single-stage',
  'multi-stage',
  'web',
  'Web',
  'web.',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'a b',
  '-x',
  '0',
  'Dockerfile',
  'TOKEN',
  'TOKEN=x',
  '1BAD',
  'github-token',
  '${{ secrets.X }}',
];
const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...VOCABULARY) }, { weight: 1, arbitrary: noise });
const leaf = fc.oneof(quantityText, fc.constantFrom(...VOCABULARY), noise, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
/** Nested mappings and lists built from the settings' own words: close to real config, wrong in many ways. */
const structure = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.dictionary(key, tie('node'), { maxKeys: 5 }),
    fc.array(tie('node'), { maxLength: 4 }),
  ),
})).node;

const YAML_TOKENS = [
  '{',
  '}',
  '[',
  ']',
  ':',
  ': ',
  ', ',
  '- ',
  '\n',
  '\n  ',
  '"',
  "'",
  '&a ',
  '*a',
  '!!set ',
  '!!binary ',
  '!!omap ',
  '!!str ',
  '!!int ',
  '!!timestamp ',
  '!custom ',
  '%YAML 1.1\n---\n',
  '---\n',
  '...\n',
  '# c',
  '|\n  ',
  '>\n  ',
  '? ',
  '<<: *a',
  '~',
  'null',
  'true',
  'yes',
  '.inf',
  '-.nan',
  '0o17',
  '2001-12-14',
  '@',
  '`',
  '\t',
  ...VOCABULARY,
];
/** Token soup: mostly broken YAML, sometimes valid YAML of the wrong shape. */
const yamlSoup = fc.array(fc.oneof(fc.constantFrom(...YAML_TOKENS), quantityText), { maxLength: 30 }).map((t) => t.join(''));
const yamlText = fc.oneof(
  yamlSoup,
  structure.map((v) => toYaml(v)),
  structure.map((v) => JSON.stringify(v) ?? ''),
  noise,
);

/** Every input's value as a workflow gives it: a string, or YAML for the mapping inputs. */
const inputText = fc.oneof(yamlText, quantityText);

// ---------------------------------------------------------------------------------------------------------------

describe('sizes, durations, percentages and counts', () => {
  const parsers = [
    ['max-size', parseSize, (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0],
    ['max-build-time', parseDuration, (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0],
    ['max-layers', (v: unknown, w: string) => parseCount(v, w, 1), (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 1],
    ['max-ratio.max', parseFraction, (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0],
    [
      'max-increase',
      parseIncrease,
      (r: unknown) => {
        const inc = r as { kind: string; bytes?: number; percent?: number };
        const n = inc.kind === 'bytes' ? inc.bytes : inc.percent;
        return ['bytes', 'percent'].includes(inc.kind) && Number.isFinite(n) && n! >= 0 && n! <= Number.MAX_SAFE_INTEGER;
      },
    ],
  ] as const;

  it.each(parsers)('%s: a number in range, or an error quoting the value and saying what is accepted', (name, parse, valid) => {
    const where = `budgets.web.${name}`;
    fc.assert(
      fc.property(fc.oneof({ weight: 3, arbitrary: quantityText }, { weight: 1, arbitrary: anyValue }), (value) => {
        const result = outcome(() => parse(value, where), [where], typeof value === 'string' ? value : undefined);
        if (result !== undefined) expect(valid(result), `${JSON.stringify(value)} gave ${JSON.stringify(result)}`).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('the settings schema', () => {
  it('variants: valid Settings or an error about variants', () => {
    fc.assert(
      fc.property(fc.oneof(yamlText, structure, anyValue), (variants) => {
        const settings = outcome(() => resolveSettings({ variants }), ['variants']);
        if (settings) expectValidSettings(settings);
      }),
      { numRuns: RUNS },
    );
  });

  it('budgets: valid Settings or an error about budgets', () => {
    // Variant names that are also names of Object.prototype's members, to catch lookups that reach the prototype.
    const variants = { 'single-stage': 'Dockerfile.single', 'multi-stage': 'Dockerfile', constructor: 'D', toString: 'D' };
    const budgetsFor = fc.oneof(
      yamlText,
      structure,
      anyValue,
      // Well-shaped budgets with malformed limits.
      fc.dictionary(
        fc.constantFrom('*', 'single-stage', 'multi-stage', 'constructor', 'toString', 'web'),
        fc.dictionary(
          fc.constantFrom('max-size', 'max-increase', 'max-layers', 'max-build-time', 'max-ratio', 'max-sise'),
          fc.oneof(
            quantityText,
            fc.record(
              { of: fc.oneof(fc.constantFrom('single-stage', 'multi-stage', 'constructor', 'nope'), noise), max: quantityText },
              { requiredKeys: [] },
            ),
            anyValue,
          ),
        ),
      ),
    );
    fc.assert(
      fc.property(budgetsFor, (budgets) => {
        const settings = outcome(() => resolveSettings({ variants, budgets }), ['budgets']);
        if (settings) expectValidSettings(settings);
      }),
      { numRuns: RUNS },
    );
  });

  it('timeout: a duration of 1s to 24h, or an error about timeout', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 3, arbitrary: quantityText }, { weight: 1, arbitrary: anyValue }), (timeout) => {
        const settings = outcome(() => resolveSettings({ timeout }), ['timeout']);
        if (settings) expectValidSettings(settings);
      }),
      { numRuns: RUNS },
    );
  });

  it('every setting at once, as a config file or the inputs give them: valid Settings or an error naming one of them', () => {
    const raw = fc.dictionary(fc.constantFrom(...SETTING_KEYS), fc.oneof(inputText, structure, anyValue), { maxKeys: 6 });
    fc.assert(
      fc.property(raw, (value) => {
        const settings = outcome(() => resolveSettings(value as RawSettings, { TOKEN: 'from-env' }), SETTING_KEYS);
        if (settings) expectValidSettings(settings);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('config files and action inputs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'isr-fuzz-'));
    mkdirSync(path.join(dir, '.github'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('YAML config files: valid Settings or an error naming the file or a setting', () => {
    const file = path.join(dir, '.github', 'image-size.yml');
    fc.assert(
      fc.property(
        fc.oneof(
          yamlText,
          structure.map((v) => toYaml({ variants: v })),
          structure.map((v) => toYaml({ variants: { web: 'D' }, budgets: v })),
        ),
        (text) => {
          writeFileSync(file, text);
          const settings = outcome(() => resolveSettings(loadConfigFile(dir).raw), ['config file .github/image-size.yml', ...SETTING_KEYS]);
          if (settings) expectValidSettings(settings);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('action inputs (INPUT_* variables): valid Settings or an error naming the input', () => {
    const INPUTS = [
      'variants',
      'budgets',
      'timeout',
      'build-args',
      'context',
      'builder',
      'no-cache',
      'units',
      'comment-key',
      'report-file',
      'config',
      'working-directory',
    ] as const;
    const envName = (input: string) => `INPUT_${input.toUpperCase()}`;
    const saved = { ...process.env };
    // setSecret and info write workflow commands to standard output: keep them out of the test log.
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      fc.assert(
        fc.property(fc.dictionary(fc.constantFrom(...INPUTS), inputText, { maxKeys: 4 }), (inputs) => {
          for (const input of INPUTS) delete process.env[envName(input)];
          process.env.GITHUB_WORKSPACE = dir;
          for (const [input, value] of Object.entries(inputs)) {
            if (!value.includes('\0')) process.env[envName(input)] = value; // an environment variable cannot hold NUL
          }
          const result = outcome(() => readActionSettings(process.env), [...INPUTS, 'config file', ...SETTING_KEYS]);
          if (result) expectValidSettings(result.settings);
        }),
        { numRuns: RUNS },
      );
    } finally {
      stdout.mockRestore();
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });
});

describe('a hostile 1 MB value', () => {
  const huge = 'A'.repeat(1 << 20);
  const hugeLines = '\u202e'.repeat(1000) + 'x\n'.repeat(500_000);

  it.each(SETTING_KEYS)('%s: a short message, with the value cut', (setting) => {
    for (const value of [huge, `${huge}: x`, hugeLines, `{${huge}: 1}`, `{web: {${huge}: 1}}`, `{web: ${huge}}`]) {
      const raw: RawSettings = { [setting]: value };
      if (setting === 'budgets') raw.variants = '{web: D}';
      try {
        resolveSettings(raw);
      } catch (error) {
        expectClearError(error, [setting]);
      }
    }
  });

  it('as a config file path, a config file, a key in a config file and a unit', () => {
    for (const run of [
      () => loadConfigFile(os.tmpdir(), huge.slice(0, 4000)),
      () => {
        writeFileSync(path.join(os.tmpdir(), 'isr-fuzz-huge.yml'), `${huge}: 1\n`);
        return loadConfigFile(os.tmpdir(), 'isr-fuzz-huge.yml');
      },
      () => parseSize(`${huge}MB`, 'budgets.web.max-size'),
      () => parseDuration(`1${'0'.repeat(1 << 20)}s`, 'timeout'),
    ]) {
      const error = (() => {
        try {
          run();
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message.length).toBeLessThanOrEqual(MAX_MESSAGE);
    }
    rmSync(path.join(os.tmpdir(), 'isr-fuzz-huge.yml'), { force: true });
  });
});

// What fuzzing found, kept as plain examples.
describe('found by fuzzing', () => {
  const message = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      return (error as Error).message;
    }
    throw new Error('expected an InputError');
  };

  it('a bare build-arg named like an Object member takes nothing from the prototype', () => {
    const s = resolveSettings({ 'build-args': 'toString\nhasOwnProperty\nTOKEN' }, { TOKEN: 'x' });
    expect(s.variants[0].buildArgs).toEqual({ toString: '', hasOwnProperty: '', TOKEN: 'x' });
  });

  it('numbers past what JavaScript holds exactly are refused, not turned into Infinity', () => {
    expect(message(() => parseSize(`${'9'.repeat(400)}MB`, 'budgets.web.max-size'))).toMatch(
      /^budgets\.web\.max-size: "9{60}…" \(402 characters\) is too large\.$/,
    );
    expect(message(() => parseCount('99999999999999999999', 'budgets.web.max-layers'))).toBe(
      'budgets.web.max-layers: "99999999999999999999" is too large.',
    );
    expect(message(() => parseFraction(`${'9'.repeat(400)}%`, 'x.max'))).toMatch(/is too large/);
    expect(message(() => resolveSettings({ timeout: '25h' }))).toBe('timeout: "25h" is too long; use at most 24h.');
  });

  it('line breaks and invisible characters in a value are escaped, and a long value is cut', () => {
    expect(message(() => resolveSettings({ pull: 'yes\n::error::forged' }))).toBe(
      'pull: "yes\\n::error::forged" is not accepted. Use true or false.',
    );
    expect(message(() => resolveSettings({ units: 'bin\u202eary' }))).toBe(
      'units: "bin\\u202eary" is not accepted. Use one of: decimal, binary.',
    );
    expect(message(() => resolveSettings({ 'comment-key': 'k'.repeat(100_000) }))).toBe(
      `comment-key: "${'k'.repeat(60)}…" (100,000 characters) is not accepted. Use 1 to 64 letters, digits, dots, dashes or underscores.`,
    );
  });

  it('a target that cannot be a stage name is refused where it is written', () => {
    expect(message(() => resolveSettings({ variants: { web: { target: 'run\ntime' } } }))).toBe(
      'variants.web.target: "run\\ntime" cannot be a stage name. Use the name of a stage (FROM ... AS name): letters, digits, dots, dashes and underscores, starting with a letter.',
    );
    expect(resolveSettings({ variants: { web: { target: 'Runtime.v2_x-y' } } }).variants[0].target).toBe('Runtime.v2_x-y');
  });

  it("YAML 1.1's binaries, sets and dates are not mappings or sizes", () => {
    expect(message(() => resolveSettings({ variants: '%YAML 1.1\n---\n!!binary aGVsbG8=' }))).toBe(
      'variants: expected a mapping of variant name to a Dockerfile path or to {dockerfile, target, context, build-args, platforms}, got a Uint8Array value.',
    );
    expect(message(() => resolveSettings({ variants: '%YAML 1.1\n---\n!!set {a, b}' }))).toMatch(
      /^variants: expected a mapping .*, got a Set value\.$/,
    );
    expect(message(() => resolveSettings({ variants: { web: 'D' }, budgets: '%YAML 1.1\n---\nweb: {max-size: 2001-12-14}' }))).toMatch(
      /^budgets\.web\.max-size: expected a number with a unit.*, got a Date value\.$/,
    );
  });

  it('a YAML bomb and a deeply nested document are refused as YAML, quickly', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(',')}]`,
      ),
    ].join('\n');
    expect(message(() => resolveSettings({ variants: bomb }))).toMatch(/^variants: not valid YAML \(Excessive alias count/);
    expect(message(() => resolveSettings({ budgets: '['.repeat(100_000) }))).toMatch(/^budgets: not valid YAML \(/);
  });

  it('a config file over 1 MB is refused before it is parsed', () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'isr-fuzz-big-'));
    writeFileSync(path.join(d, 'big.yml'), `variants: {web: D}\n${'#'.repeat(1_100_000)}\n`);
    expect(message(() => loadConfigFile(d, 'big.yml'))).toBe(
      'config file big.yml: the file is 1,100,020 bytes; a config file may have at most 1 MB.',
    );
    rmSync(d, { recursive: true, force: true });
  });
});
