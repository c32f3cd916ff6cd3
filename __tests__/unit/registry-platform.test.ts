import { describe, expect, it } from 'vitest';
import { choosePlatform, formatPlatform, normalize, parsePlatform } from '../../src/registry/platform.js';

const p = (text: string) => parsePlatform(text)!;

describe('platform matching as containerd does', () => {
  it('normalizes architecture aliases and default variants', () => {
    expect(normalize(p('linux/aarch64'))).toEqual({ os: 'linux', architecture: 'arm64', variant: '' });
    expect(normalize(p('linux/arm64/v8'))).toEqual({ os: 'linux', architecture: 'arm64', variant: '' });
    expect(normalize(p('Linux/x86_64'))).toEqual({ os: 'linux', architecture: 'amd64', variant: '' });
    expect(normalize(p('linux/arm'))).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(normalize(p('linux/armhf'))).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
  });

  it('arm64 picks the arm64/v8 entry, and arm64/v8 the plain arm64 one', () => {
    expect(choosePlatform([p('linux/amd64'), p('linux/arm64/v8')], p('linux/arm64'))).toBe(1);
    expect(choosePlatform([p('linux/arm64'), p('linux/amd64')], p('linux/arm64/v8'))).toBe(0);
  });

  it('the exact variant first; arm/v7 falls back to v6 when there is no v7', () => {
    expect(choosePlatform([p('linux/arm/v6'), p('linux/arm/v7')], p('linux/arm/v7'))).toBe(1);
    expect(choosePlatform([p('linux/arm/v6'), p('linux/amd64')], p('linux/arm/v7'))).toBe(0);
    expect(choosePlatform([p('linux/arm/v7')], p('linux/arm/v6'))).toBeUndefined();
  });

  it('os and architecture must match; entries without a platform never do', () => {
    expect(choosePlatform([undefined, p('windows/amd64'), p('linux/amd64')], p('linux/amd64'))).toBe(2);
    expect(choosePlatform([p('linux/amd64'), p('linux/arm64')], p('linux/s390x'))).toBeUndefined();
    expect(choosePlatform([p('linux/arm64/v9')], p('linux/arm64'))).toBeUndefined();
  });

  it('formats and parses OS/ARCH[/VARIANT]', () => {
    expect(formatPlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe('linux/arm64/v8');
    expect(parsePlatform('linux')).toBeUndefined();
    expect(parsePlatform('linux/amd64/v2/x')).toBeUndefined();
    expect(parsePlatform('linux/amd64')).toEqual({ os: 'linux', architecture: 'amd64' });
  });
});
