import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { loadConfigFile } from '../../src/settings/config-file.js';
import { baselineReference, parseBuildArgs, resolveSettings } from '../../src/settings/schema.js';

describe('variants', () => {
  it('without variants, builds ./Dockerfile as the one variant "default"', () => {
    const s = resolveSettings({});
    expect(s.variants).toEqual([
      { name: 'default', slug: 'default', dockerfile: 'Dockerfile', target: undefined, context: '.', buildArgs: {} },
    ]);
  });

  it('reads the two forms of the issue example, from a YAML string as an input gives it', () => {
    const s = resolveSettings({
      variants: 'single-stage: Dockerfile.single\nmulti-stage: {dockerfile: Dockerfile, target: runtime}\n',
      context: 'app',
    });
    expect(s.variants.map((v) => [v.name, v.dockerfile, v.target, v.context])).toEqual([
      ['single-stage', 'Dockerfile.single', undefined, 'app'],
      ['multi-stage', 'Dockerfile', 'runtime', 'app'],
    ]);
  });

  it('merges global and per-variant build args, the variant winning', () => {
    const s = resolveSettings({
      'build-args': 'A=1\nB=two words\n',
      variants: { v: { dockerfile: 'D', 'build-args': { B: 'x', C: 3 } } },
    });
    expect(s.variants[0].buildArgs).toEqual({ A: '1', B: 'x', C: '3' });
  });

  it('names the variant and the key in errors', () => {
    expect(() => resolveSettings({ variants: { web: { dockerfle: 'D' } } })).toThrow(
      'variants.web: unknown key "dockerfle". Accepted keys: dockerfile, target, context, build-args, platforms.',
    );
    expect(() => resolveSettings({ variants: { web: ['D'] } })).toThrow(
      /variants\.web: expected a Dockerfile path or a mapping.*got a list/,
    );
    expect(() => resolveSettings({ variants: 'a: [' })).toThrow(/variants: not valid YAML/);
    expect(() => resolveSettings({ variants: '- Dockerfile' })).toThrow(/variants: expected a mapping of variant name/);
    expect(() => resolveSettings({ variants: {} })).toThrow(/empty/);
    expect(() => resolveSettings({ variants: { 'my image': 'D' } })).toThrow(/"my image" is not a valid variant name/);
    expect(() => resolveSettings({ variants: { Web: 'D', web: 'E' } })).toThrow(/differ only by case/);
  });
});

describe('budgets', () => {
  const variants = { 'single-stage': 'Dockerfile.single', 'multi-stage': 'Dockerfile' };

  it('applies "*" to every variant and lets a named entry override it key by key', () => {
    const s = resolveSettings({
      variants,
      budgets: { '*': { 'max-size': '1GB', 'max-layers': 20 }, 'multi-stage': { 'max-size': '150MB', 'max-increase': '5%' } },
    });
    expect(s.budgets['single-stage']).toEqual({ maxSize: 1e9, maxLayers: 20 });
    expect(s.budgets['multi-stage']).toEqual({ maxSize: 150e6, maxLayers: 20, maxIncrease: { kind: 'percent', percent: 5 } });
  });

  it('reads max-ratio and does not apply a "*" ratio to its own reference', () => {
    const s = resolveSettings({ variants, budgets: "'*': {max-ratio: {of: single-stage, max: 40%}}" });
    expect(s.budgets['multi-stage'].maxRatio).toEqual({ of: 'single-stage', fraction: 0.4 });
    expect(s.budgets['single-stage'].maxRatio).toBeUndefined();
  });

  it('rejects an unknown variant, naming the known ones', () => {
    expect(() => resolveSettings({ variants, budgets: { multistage: { 'max-size': '1MB' } } })).toThrow(
      'budgets: "multistage" is not a variant. Known variants: single-stage, multi-stage (or "*" for all).',
    );
  });

  it('rejects unparseable limits and unknown budget keys, naming where', () => {
    expect(() => resolveSettings({ variants, budgets: { 'multi-stage': { 'max-size': 'huge' } } })).toThrow(
      /budgets\.multi-stage\.max-size: "huge" is not a size/,
    );
    expect(() => resolveSettings({ variants, budgets: { 'multi-stage': { 'max-sise': '1MB' } } })).toThrow(
      /budgets\.multi-stage: unknown key "max-sise". Accepted keys: max-size, max-increase/,
    );
    expect(() => resolveSettings({ variants, budgets: { 'multi-stage': { 'max-ratio': { of: 'nope', max: '50%' } } } })).toThrow(
      /max-ratio\.of: "nope" is not a variant/,
    );
    expect(() => resolveSettings({ variants, budgets: { 'multi-stage': { 'max-ratio': { of: 'multi-stage', max: '50%' } } } })).toThrow(
      /cannot be compared with itself/,
    );
  });
});

describe('other settings', () => {
  it('has sensible defaults', () => {
    const s = resolveSettings({});
    expect(s).toMatchObject({
      noCache: false,
      pull: false,
      builder: 'buildkit',
      timeoutMs: 30 * 60_000,
      baseline: ['auto'],
      comment: 'auto',
      commentKey: 'default',
      failOnBudget: true,
      keepImages: false,
      units: 'decimal',
    });
  });

  it('reads booleans and choices as strings (inputs) and as YAML values (config file)', () => {
    expect(resolveSettings({ 'no-cache': 'TRUE', pull: true, builder: 'Legacy', units: 'binary', comment: 'false' })).toMatchObject({
      noCache: true,
      pull: true,
      builder: 'legacy',
      units: 'binary',
      comment: false,
    });
    expect(() => resolveSettings({ pull: 'yes' })).toThrow('pull: "yes" is not accepted. Use true or false.');
    expect(() => resolveSettings({ baseline: 'previous' })).toThrow(
      'baseline: "previous" is not accepted. Use one of: auto, rebuild, file, registry, none.',
    );
    expect(() => resolveSettings({ baseline: 'file' })).toThrow(/needs baseline-file/);
    expect(() => resolveSettings({ 'comment-key': 'a b' })).toThrow(/comment-key: "a b" is not accepted/);
    expect(() => resolveSettings({ timeout: '0s' })).toThrow(/too short/);
  });
});

describe('build args', () => {
  it('takes a bare KEY from the environment, keeps "=" inside values and skips comments', () => {
    expect(parseBuildArgs('# c\nTOKEN\nURL=a=b\n\n', 'build-args', { TOKEN: 'from-env' })).toEqual({ TOKEN: 'from-env', URL: 'a=b' });
    expect(parseBuildArgs(['X=1'], 'build-args', {})).toEqual({ X: '1' });
  });

  it('never puts a value in an error message', () => {
    try {
      parseBuildArgs('GOOD=1\n1BAD=super-secret-value', 'build-args', {});
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as Error).message).toBe(
        'build-args: line 2 has an invalid name; a build-arg name is letters, digits and underscores, not starting with a digit.',
      );
      expect((error as Error).message).not.toContain('super-secret-value');
    }
  });
});

describe('config file', () => {
  const dir = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'isr-config-'));
    mkdirSync(path.join(d, '.github'));
    return d;
  };

  it('uses .github/image-size.yml when it exists and nothing when it does not', () => {
    const d = dir();
    expect(loadConfigFile(d)).toEqual({ raw: {} });
    writeFileSync(path.join(d, '.github/image-size.yml'), 'variants:\n  web: Dockerfile\nbudgets:\n  web: {max-size: 10MB}\n');
    const { raw, file } = loadConfigFile(d);
    expect(file).toBe(path.join(d, '.github/image-size.yml'));
    expect(resolveSettings(raw).budgets.web.maxSize).toBe(10e6);
  });

  it('inputs override the file key by key', () => {
    const d = dir();
    writeFileSync(path.join(d, '.github/image-size.yml'), 'variants: {web: Dockerfile}\npull: true\nunits: binary\n');
    const s = resolveSettings({ ...loadConfigFile(d).raw, units: 'decimal' });
    expect(s.pull).toBe(true);
    expect(s.units).toBe('decimal');
  });

  it('explains a missing explicit file, a bad key, a token in the file and a file that is not a mapping', () => {
    const d = dir();
    expect(() => loadConfigFile(d, 'nope.yml')).toThrow(/config: "nope.yml" does not exist/);
    writeFileSync(path.join(d, 'a.yml'), 'variant: {web: Dockerfile}\n');
    expect(() => loadConfigFile(d, 'a.yml')).toThrow(/config file a.yml: unknown key "variant". Accepted keys: variants,/);
    writeFileSync(path.join(d, 'b.yml'), 'github-token: ghp_x\n');
    expect(() => loadConfigFile(d, 'b.yml')).toThrow(/must not be stored in a file/);
    writeFileSync(path.join(d, 'c.yml'), '- a\n- b\n');
    expect(() => loadConfigFile(d, 'c.yml')).toThrow(/expected a mapping of settings/);
  });
});

describe('baseline sources', () => {
  const variants = { 'single-stage': 'Dockerfile.single', 'multi-stage': { dockerfile: 'Dockerfile', target: 'runtime' } };
  const image = 'ghcr.io/acme/app:main-{variant}';

  it('keeps every single value as it was, and reads lists as comma-separated text or YAML lists', () => {
    for (const one of ['auto', 'rebuild', 'none'] as const) expect(resolveSettings({ baseline: one }).baseline).toEqual([one]);
    expect(resolveSettings({ baseline: ' File ', 'baseline-file': 'r.json' }).baseline).toEqual(['file']);
    expect(resolveSettings({ baseline: 'registry, rebuild', variants, 'baseline-image': image }).baseline).toEqual(['registry', 'rebuild']);
    expect(
      resolveSettings({ baseline: '- registry\n- file\n', 'baseline-file': 'r.json', 'baseline-image': image, variants }).baseline,
    ).toEqual(['registry', 'file']);
    expect(resolveSettings({ baseline: ['registry', 'auto'], 'baseline-image': image, variants }).baseline).toEqual(['registry', 'auto']);
  });

  it('rejects lists that cannot mean anything, naming the input, the value and what is accepted', () => {
    expect(() => resolveSettings({ baseline: 'registry, none', 'baseline-image': image, variants })).toThrow(
      'baseline: "none" means no base at all and cannot be listed with other sources; drop it or the others.',
    );
    expect(() => resolveSettings({ baseline: 'rebuild, rebuild' })).toThrow('baseline: "rebuild" is listed twice; name each source once.');
    expect(() => resolveSettings({ baseline: 'auto, rebuild' })).toThrow(/list one of them, not both/);
    expect(() => resolveSettings({ baseline: 'registry,', 'baseline-image': image, variants })).toThrow(
      'baseline: an empty string is not accepted. Use one of: auto, rebuild, file, registry, none, or a list of them.',
    );
    expect(() => resolveSettings({ baseline: 'registry, pull' })).toThrow(
      'baseline: "pull" is not accepted. Use one of: auto, rebuild, file, registry, none.',
    );
    expect(() => resolveSettings({ baseline: { a: 1 } })).toThrow(/^baseline: expected a source or a list of sources .* got a mapping\.$/);
    expect(() => resolveSettings({ baseline: 'rebuild, file' })).toThrow(/needs baseline-file/);
  });

  it('needs baseline-image for registry, as a template with {variant} or a mapping of known variants', () => {
    expect(() => resolveSettings({ baseline: 'registry', variants })).toThrow(/^baseline: "registry" needs baseline-image/);
    expect(resolveSettings({ baseline: 'registry', variants, 'baseline-image': image }).baselineImage).toEqual({ template: image });
    expect(() => resolveSettings({ baseline: 'registry', variants, 'baseline-image': 'ghcr.io/acme/app:main' })).toThrow(
      /^baseline-image: "ghcr\.io\/acme\/app:main" has no \{variant\}, so every variant \(single-stage, multi-stage\) would be compared with the same image\./,
    );
    // one variant: one image is what it means
    expect(resolveSettings({ baseline: 'registry', 'baseline-image': 'ghcr.io/acme/app:main' }).baselineImage).toEqual({
      template: 'ghcr.io/acme/app:main',
    });
    const mapping = 'single-stage: ghcr.io/acme/app:main\nmulti-stage: ghcr.io/acme/app:main-slim\n';
    expect(resolveSettings({ baseline: 'registry', variants, 'baseline-image': mapping }).baselineImage).toEqual({
      byVariant: { 'single-stage': 'ghcr.io/acme/app:main', 'multi-stage': 'ghcr.io/acme/app:main-slim' },
    });
    expect(() => resolveSettings({ variants, 'baseline-image': { single: 'x:1' } })).toThrow(
      'baseline-image: "single" is not a variant. Known variants: single-stage, multi-stage.',
    );
    expect(() => resolveSettings({ variants, 'baseline-image': { 'single-stage': 5 } })).toThrow(
      'baseline-image.single-stage: expected an image reference, got number 5.',
    );
    expect(() => resolveSettings({ 'baseline-image': 'a b' })).toThrow(/^baseline-image: "a b" is not an image reference/);
  });

  it('fills {variant} with the variant name, without the platform of a row', () => {
    const template = { template: 'reg.example:5000/app:main-{variant}' };
    expect(baselineReference(template, { name: 'multi-stage' })).toBe('reg.example:5000/app:main-multi-stage');
    expect(baselineReference(template, { name: 'multi-stage (linux/arm64)', variant: 'multi-stage' })).toBe(
      'reg.example:5000/app:main-multi-stage',
    );
    expect(baselineReference({ byVariant: { a: 'x:1' } }, { name: 'b' })).toBeUndefined();
    expect(baselineReference(undefined, { name: 'a' })).toBeUndefined();
  });
});
