/**
 * Platforms (`linux/arm64`) as settings give them: a variant's `platforms` and the `platforms` setting. Parsed as
 * containerd's `platforms.Parse` reads `os/arch[/variant]`, and normalised as it normalises them (`linux/aarch64`
 * is `linux/arm64`, `linux/x86_64` is `linux/amd64`, `linux/arm` is `linux/arm/v7`; registry/platform.ts's
 * `normalize`, the same that picks an index's entry), so two spellings of one platform are one row and a duplicate
 * is found. Pure.
 */
import { InputError, quote } from '../errors.js';
import { normalize } from '../registry/platform.js';
import { describe } from './units.js';

/** containerd's known operating systems (platforms/database.go). */
const KNOWN_OS = new Set([
  'aix',
  'android',
  'darwin',
  'dragonfly',
  'freebsd',
  'hurd',
  'illumos',
  'ios',
  'js',
  'linux',
  'nacl',
  'netbsd',
  'openbsd',
  'plan9',
  'solaris',
  'wasip1',
  'windows',
  'zos',
]);

/** containerd's known architectures (platforms/database.go), after normalisation. */
const KNOWN_ARCH = new Set([
  '386',
  'amd64',
  'amd64p32',
  'arm',
  'armbe',
  'arm64',
  'arm64be',
  'loong64',
  'mips',
  'mipsle',
  'mips64',
  'mips64le',
  'mips64p32',
  'mips64p32le',
  'ppc',
  'ppc64',
  'ppc64le',
  'riscv',
  'riscv64',
  's390',
  's390x',
  'sparc',
  'sparc64',
  'wasm',
]);

/** containerd's specifier rule for each part. */
const PART = /^[A-Za-z0-9_-]+$/;

const ACCEPTED = 'a platform is os/arch or os/arch/variant, e.g. linux/amd64, linux/arm64 or linux/arm/v7';

/** One platform, normalised (`linux/arm64`); an InputError naming `where` and the value when it is not one. */
export function parsePlatform(value: string, where: string): string {
  const text = value.trim();
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || !parts.every((part) => PART.test(part))) {
    throw new InputError(`${where}: ${quote(text)} is not a platform; ${ACCEPTED}.`);
  }
  const os = parts[0].toLowerCase() === 'macos' ? 'darwin' : parts[0].toLowerCase();
  const { architecture: arch, variant } = normalize({ os, architecture: parts[1], variant: parts[2] });
  if (!KNOWN_OS.has(os)) {
    throw new InputError(
      `${where}: ${quote(text)} names an unknown operating system ${quote(os)}; ${ACCEPTED} (os is linux, windows, ...).`,
    );
  }
  if (!KNOWN_ARCH.has(arch)) {
    throw new InputError(
      `${where}: ${quote(text)} names an unknown architecture ${quote(parts[1])}; ${ACCEPTED} (arch is amd64, arm64, arm, 386, ppc64le, s390x, riscv64, ...).`,
    );
  }
  return variant ? `${os}/${arch}/${variant}` : `${os}/${arch}`;
}

/**
 * A list of platforms: a YAML list, or a string of platforms separated by commas (or line breaks or spaces), as
 * `docker buildx build --platform` takes them. Undefined when not given; an empty list means the engine's own.
 * Two spellings of one platform are an error, as a repeated one is.
 */
export function parsePlatforms(value: unknown, where: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  let items: unknown[];
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return undefined;
    items = (text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text).split(/[\s,]+/).filter((item) => item !== '');
  } else if (Array.isArray(value)) {
    items = Array.from(value); // a hole of a sparse array is an item too (undefined), not skipped
  } else {
    throw new InputError(
      `${where}: expected a list of platforms (e.g. [linux/amd64, linux/arm64]) or "linux/amd64,linux/arm64", got ${describe(value)}.`,
    );
  }
  const seen = new Map<string, string>();
  return items.map((item, i) => {
    if (typeof item !== 'string') throw new InputError(`${where}: item ${i + 1} must be a platform string such as linux/arm64.`);
    const platform = parsePlatform(item, where);
    const before = seen.get(platform);
    if (before !== undefined) {
      throw new InputError(
        `${where}: ${before === item.trim() ? `${quote(platform)} is listed twice` : `${quote(before)} and ${quote(item.trim())} are the same platform (${platform})`}; list each platform once.`,
      );
    }
    seen.set(platform, item.trim());
    return platform;
  });
}

/** A platform as the Engine API's image endpoints take it (`platform=`): a JSON-encoded OCI platform. */
export function ociPlatform(platform: string): { os: string; architecture: string; variant?: string } {
  const [os, architecture, variant] = platform.split('/');
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** The automatic platform build args, as BuildKit sets them for a build for `platform`. */
export const TARGET_ARGS = ['TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT'] as const;

export function targetArgs(platform: string): Record<(typeof TARGET_ARGS)[number], string> {
  const { os, architecture, variant } = ociPlatform(platform);
  return { TARGETPLATFORM: platform, TARGETOS: os, TARGETARCH: architecture, TARGETVARIANT: variant ?? '' };
}
