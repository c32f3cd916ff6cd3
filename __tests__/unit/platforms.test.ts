// Platforms: a variant's platforms become rows, budgets address one row or all of a variant's, and comparisons
// between variants (the multi- versus single-stage line, max-ratio) hold like platforms together.
import { describe, expect, it } from 'vitest';
import { stageComparisons } from '../../src/compare/compare.js';
import { baseImageFor, parseStages } from '../../src/docker/dockerfile.js';
import { platformHelp } from '../../src/docker/engine.js';
import { targetArgs } from '../../src/settings/platforms.js';
import { InputError } from '../../src/errors.js';
import { evaluateBudgets } from '../../src/judge/budgets.js';
import type { SideResult, VariantReport } from '../../src/report/types.js';
import { parsePlatform, parsePlatforms } from '../../src/settings/platforms.js';
import { resolveSettings, variantName, type RawSettings } from '../../src/settings/schema.js';

const rows = (raw: RawSettings) => resolveSettings(raw).variants;
const failure = (raw: RawSettings): string => {
  try {
    resolveSettings(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an InputError');
};

describe('platform names', () => {
  it('reads os/arch[/variant] as containerd does, normalising other spellings of the same platform', () => {
    expect(parsePlatform('linux/amd64', 'p')).toBe('linux/amd64');
    expect(parsePlatform(' Linux/AArch64 ', 'p')).toBe('linux/arm64');
    expect(parsePlatform('linux/x86_64', 'p')).toBe('linux/amd64');
    expect(parsePlatform('linux/arm64/v8', 'p')).toBe('linux/arm64');
    expect(parsePlatform('linux/arm', 'p')).toBe('linux/arm/v7');
    expect(parsePlatform('linux/armhf', 'p')).toBe('linux/arm/v7');
    expect(parsePlatform('linux/arm/6', 'p')).toBe('linux/arm/v6');
    expect(parsePlatform('linux/i386', 'p')).toBe('linux/386');
    expect(parsePlatform('windows/amd64', 'p')).toBe('windows/amd64');
  });

  it('refuses what is not a platform, naming the setting and the value', () => {
    expect(() => parsePlatform('linux', 'platforms')).toThrow(/^platforms: "linux" is not a platform; a platform is os\/arch/);
    expect(() => parsePlatform('linux/arm64/v8/x', 'platforms')).toThrow(/"linux\/arm64\/v8\/x" is not a platform/);
    expect(() => parsePlatform('linux/amd46', 'platforms')).toThrow(/unknown architecture "amd46"/);
    expect(() => parsePlatform('lnux/amd64', 'platforms')).toThrow(/unknown operating system "lnux"/);
    expect(() => parsePlatform('linux/$(id)', 'platforms')).toThrow(/is not a platform/);
  });

  it('takes a list or a comma-separated string; a platform twice (in any spelling) is an error', () => {
    expect(parsePlatforms('linux/amd64,linux/arm64', 'p')).toEqual(['linux/amd64', 'linux/arm64']);
    expect(parsePlatforms('linux/amd64, linux/arm64\n', 'p')).toEqual(['linux/amd64', 'linux/arm64']);
    expect(parsePlatforms('[linux/amd64, linux/arm64]', 'p')).toEqual(['linux/amd64', 'linux/arm64']);
    expect(parsePlatforms(['linux/arm64'], 'p')).toEqual(['linux/arm64']);
    expect(parsePlatforms('', 'p')).toBeUndefined();
    expect(parsePlatforms([], 'p')).toEqual([]);
    expect(() => parsePlatforms('linux/arm64,linux/arm64', 'platforms')).toThrow('platforms: "linux/arm64" is listed twice');
    expect(() => parsePlatforms(['linux/arm64', 'linux/aarch64'], 'platforms')).toThrow(
      'platforms: "linux/arm64" and "linux/aarch64" are the same platform (linux/arm64)',
    );
    expect(() => parsePlatforms({ a: 1 }, 'platforms')).toThrow(/expected a list of platforms/);
    expect(() => parsePlatforms([3], 'platforms')).toThrow('platforms: item 1 must be a platform string');
  });
});

describe('rows', () => {
  it('without platforms, one row per variant exactly as before (no variant or platform field)', () => {
    const variants = rows({ variants: { single: 'Dockerfile.single', multi: { dockerfile: 'Dockerfile', target: 'runtime' } } });
    expect(variants.map((v) => [v.name, v.slug, v.platform, v.variant])).toEqual([
      ['single', 'single', undefined, undefined],
      ['multi', 'multi', undefined, undefined],
    ]);
    expect(Object.keys(variants[1]).sort()).toEqual(['buildArgs', 'context', 'dockerfile', 'name', 'slug', 'target']);
  });

  it("a variant's platforms: one row each, named 'variant (platform)', with its own slug", () => {
    const variants = rows({
      variants: {
        'multi-stage': { dockerfile: 'Dockerfile', target: 'runtime', platforms: ['linux/amd64', 'linux/aarch64'] },
        single: 'D',
      },
    });
    expect(variants.map((v) => [v.name, v.variant, v.platform, v.slug, v.target])).toEqual([
      ['multi-stage (linux/amd64)', 'multi-stage', 'linux/amd64', 'multi-stage-linux-amd64', 'runtime'],
      ['multi-stage (linux/arm64)', 'multi-stage', 'linux/arm64', 'multi-stage-linux-arm64', 'runtime'],
      ['single', undefined, undefined, 'single', undefined],
    ]);
    expect(variants.map(variantName)).toEqual(['multi-stage', 'multi-stage', 'single']);
  });

  it('the platforms setting is the default of every variant; a variant that lists its own (or none: []) keeps them', () => {
    const variants = rows({
      platforms: 'linux/amd64,linux/arm64',
      variants: { a: 'Dockerfile', b: { dockerfile: 'D', platforms: 'linux/s390x' }, c: { dockerfile: 'D', platforms: [] } },
    });
    expect(variants.map((v) => v.name)).toEqual(['a (linux/amd64)', 'a (linux/arm64)', 'b (linux/s390x)', 'c']);
    expect(rows({ platforms: ['linux/arm64'] }).map((v) => v.name)).toEqual(['default (linux/arm64)']);
  });

  it('a single platform listed still names the row, so it keeps its name when a platform is added', () => {
    expect(rows({ variants: { app: { dockerfile: 'D', platforms: 'linux/amd64' } } }).map((v) => v.name)).toEqual(['app (linux/amd64)']);
  });

  it('bad platforms name the variant; rows whose tags would clash are refused', () => {
    expect(failure({ variants: { app: { dockerfile: 'D', platforms: 'linux/amd64,linux/x86_64' } } })).toBe(
      'variants.app.platforms: "linux/amd64" and "linux/x86_64" are the same platform (linux/amd64); list each platform once.',
    );
    expect(failure({ platforms: 'arm64' })).toMatch(/^platforms: "arm64" is not a platform/);
    // a hole of a sparse list (the fuzz test's [,]) is an item that is no platform, not skipped
    // eslint-disable-next-line no-sparse-arrays -- the hole is what this checks
    expect(failure({ platforms: [, 'linux/arm64'] })).toBe('platforms: item 1 must be a platform string such as linux/arm64.');
    // eslint-disable-next-line no-sparse-arrays -- the same for the list of baseline sources
    expect(failure({ baseline: [, 'none'] })).toMatch(/^baseline: nothing is not accepted\. Use one of: /);
    expect(failure({ variants: { 'a-linux-arm64': 'D', a: { dockerfile: 'D', platforms: ['linux/arm64'] } } })).toBe(
      'variants: "a-linux-arm64" and "a (linux/arm64)" differ only by case or punctuation; rename one.',
    );
  });
});

describe('budgets by platform', () => {
  const variants = {
    'multi-stage': { dockerfile: 'Dockerfile', target: 'runtime', platforms: ['linux/amd64', 'linux/arm64'] },
    'single-stage': { dockerfile: 'Dockerfile.single', platforms: ['linux/amd64', 'linux/arm64'] },
  };

  it("a variant's budget applies to every platform of it; variant@platform to that row only; '*' to all", () => {
    const { budgets } = resolveSettings({
      variants,
      budgets: { '*': { 'max-layers': 20 }, 'multi-stage': { 'max-size': '100MB' }, 'multi-stage@linux/aarch64': { 'max-size': '150MB' } },
    });
    expect(budgets).toEqual({
      'multi-stage (linux/amd64)': { maxLayers: 20, maxSize: 100e6 },
      'multi-stage (linux/arm64)': { maxLayers: 20, maxSize: 150e6 },
      'single-stage (linux/amd64)': { maxLayers: 20 },
      'single-stage (linux/arm64)': { maxLayers: 20 },
    });
  });

  it('an address the variant does not have is an InputError that lists its platforms', () => {
    expect(failure({ variants, budgets: { 'multi-stage@linux/s390x': { 'max-size': '1GB' } } })).toBe(
      'budgets: "multi-stage@linux/s390x": "multi-stage" has no platform linux/s390x. Its platforms: linux/amd64, linux/arm64.',
    );
    expect(failure({ variants: { app: 'D' }, budgets: { 'app@linux/arm64': { 'max-size': '1GB' } } })).toMatch(
      /^budgets: "app@linux\/arm64" names a platform, but "app" lists no platforms/,
    );
    expect(failure({ variants, budgets: { 'nope@linux/arm64': { 'max-size': '1GB' } } })).toMatch(/^budgets: "nope" is not a variant/);
    expect(failure({ variants, budgets: { 'multi-stage@linux': { 'max-size': '1GB' } } })).toMatch(/"linux" is not a platform/);
    expect(
      failure({
        variants,
        budgets: { 'multi-stage@linux/arm64': { 'max-size': '1GB' }, 'multi-stage@linux/aarch64': { 'max-size': '2GB' } },
      }),
    ).toBe('budgets: "multi-stage@linux/arm64" and "multi-stage@linux/aarch64" address the same row; give its limits once.');
  });

  it("max-ratio of a variant holds each row against the reference's row of the same platform", () => {
    const { budgets } = resolveSettings({ variants, budgets: { 'multi-stage': { 'max-ratio': { of: 'single-stage', max: '50%' } } } });
    expect(budgets['multi-stage (linux/amd64)'].maxRatio).toEqual({ of: 'single-stage (linux/amd64)', fraction: 0.5 });
    expect(budgets['multi-stage (linux/arm64)'].maxRatio).toEqual({ of: 'single-stage (linux/arm64)', fraction: 0.5 });
    expect(budgets['single-stage (linux/arm64)'].maxRatio).toBeUndefined();
  });

  it('max-ratio may name one row; a reference without the platform is an InputError', () => {
    const { budgets } = resolveSettings({
      variants,
      budgets: { 'multi-stage@linux/arm64': { 'max-ratio': { of: 'multi-stage@linux/amd64', max: 1.2 } } },
    });
    expect(budgets['multi-stage (linux/arm64)'].maxRatio).toEqual({ of: 'multi-stage (linux/amd64)', fraction: 1.2 });
    expect(
      failure({
        variants: { ...variants, small: { dockerfile: 'D', platforms: 'linux/amd64' } },
        budgets: { 'multi-stage': { 'max-ratio': { of: 'small', max: 2 } } },
      }),
    ).toMatch(
      /^budgets\.multi-stage\.max-ratio\.of: "small" has no linux\/arm64 row to hold "multi-stage \(linux\/arm64\)" against \(its rows: small \(linux\/amd64\)\)/,
    );
    // '*' holds every other row against the one named, and skips the rows it cannot pair
    const wild = resolveSettings({
      variants: { ...variants, small: { dockerfile: 'D', platforms: 'linux/amd64' } },
      budgets: { '*': { 'max-ratio': { of: 'small', max: 2 } } },
    }).budgets;
    expect(wild['multi-stage (linux/amd64)'].maxRatio?.of).toBe('small (linux/amd64)');
    expect(wild['multi-stage (linux/arm64)'].maxRatio).toBeUndefined();
    expect(wild['small (linux/amd64)'].maxRatio).toBeUndefined();
  });
});

const built = (sizeBytes: number): SideResult => ({
  status: 'built',
  imageId: 'sha256:x',
  sizeBytes,
  layers: 3,
  buildMs: 1,
  steps: 1,
  cachedSteps: 0,
});
const row = (variant: string, platform: string | undefined, stages: number, size: number): VariantReport => ({
  name: platform ? `${variant} (${platform})` : variant,
  ...(platform ? { variant, platform } : {}),
  dockerfile: 'Dockerfile',
  context: '.',
  stages,
  head: built(size),
});

describe('comparisons of like platforms', () => {
  it('the multi- versus single-stage line pairs rows of the same platform', () => {
    const report = [
      row('multi', 'linux/amd64', 2, 10),
      row('multi', 'linux/arm64', 2, 30),
      row('single', 'linux/amd64', 1, 100),
      row('single', 'linux/arm64', 1, 60),
    ];
    expect(stageComparisons(report, {})).toEqual([
      { variant: 'multi (linux/amd64)', reference: 'single (linux/amd64)', ratio: 0.1, savedBytes: 90 },
      { variant: 'multi (linux/arm64)', reference: 'single (linux/arm64)', ratio: 0.5, savedBytes: 30 },
    ]);
  });

  it('a row with no single-stage row of its platform is not compared', () => {
    expect(stageComparisons([row('multi', 'linux/arm64', 2, 30), row('single', 'linux/amd64', 1, 60)], {})).toEqual([]);
    expect(stageComparisons([row('multi', undefined, 2, 30), row('single', undefined, 1, 60)], {})).toEqual([
      { variant: 'multi', reference: 'single', ratio: 0.5, savedBytes: 30 },
    ]);
  });

  it('a budget on variant@platform is judged on that row only; max-ratio against the same platform', () => {
    const settings = resolveSettings({
      variants: {
        multi: { dockerfile: 'D', platforms: 'linux/amd64,linux/arm64' },
        single: { dockerfile: 'S', platforms: 'linux/amd64,linux/arm64' },
      },
      budgets: { 'multi@linux/arm64': { 'max-size': 20 }, multi: { 'max-ratio': { of: 'single', max: '40%' } } },
    });
    const report = [
      row('multi', 'linux/amd64', 2, 30),
      row('multi', 'linux/arm64', 2, 30),
      row('single', 'linux/amd64', 1, 100),
      row('single', 'linux/arm64', 1, 60),
    ];
    const comparisons = stageComparisons(report, settings.budgets);
    const checks = evaluateBudgets(report, settings.budgets, comparisons);
    expect(checks.map((c) => [c.variant, c.budget, c.actual, c.of, c.outcome])).toEqual([
      ['multi (linux/amd64)', 'max-ratio', 0.3, 'single (linux/amd64)', 'pass'],
      ['multi (linux/arm64)', 'max-size', 30, undefined, 'fail'],
      ['multi (linux/arm64)', 'max-ratio', 0.5, 'single (linux/arm64)', 'fail'],
    ]);
  });
});

describe('a platform the engine cannot run', () => {
  it('a build that found no emulator says to register QEMU or remove the platform', () => {
    const help = platformHelp('linux/arm64', {
      error: 'process "/bin/sh -c uname -m" did not complete successfully: exit code: 255',
      logTail: ['exec /bin/sh: exec format error'],
    });
    expect(help).toMatch(
      /cannot run linux\/arm64 programs \(exec format error\).*docker\/setup-qemu-action.*remove linux\/arm64 from platforms/,
    );
    expect(platformHelp('linux/arm64', { error: 'exit code: 1', logTail: ['make: *** Error 1'] })).toBeUndefined();
    expect(platformHelp('windows/amd64', { error: 'failed to solve: operating system is not supported', logTail: [] })).toMatch(
      /cannot build for windows\/amd64.*Remove windows\/amd64 from platforms/,
    );
  });
});

describe("a platform's base image", () => {
  it('FROM base:${TARGETARCH} names the base image of each platform; other args stay unknown', () => {
    const parsed = parseStages('ARG TARGETARCH\nFROM busybox:${TARGETARCH} AS build\nFROM $BASE-$TARGETOS\n');
    expect(baseImageFor(parsed, 'build', targetArgs('linux/arm64'))).toBe('busybox:arm64');
    expect(baseImageFor(parsed, 'build', targetArgs('linux/arm/v7'))).toBe('busybox:arm');
    expect(baseImageFor(parsed, 'build')).toBeUndefined();
    expect(baseImageFor(parsed, undefined, targetArgs('linux/arm64'))).toBeUndefined();
  });
});
