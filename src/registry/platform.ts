/**
 * Choosing an index's entry for a platform as containerd's platform matching does (platforms.Normalize and
 * platforms.Only): architecture aliases (x86_64, aarch64, armhf, ...), arm64's default variant v8 (an entry
 * `linux/arm64/v8` and one `linux/arm64` are the same platform), arm's default variant v7, and an arm/v7 machine
 * running arm/v6 and arm/v5 images when the index has no v7 one. Pure.
 */
import type { Platform } from './types.js';

/** The platform as containerd normalizes it: variant '' when it is the architecture's default. */
export function normalize(platform: Platform): Required<Platform> {
  const os = platform.os.toLowerCase();
  let architecture = platform.architecture.toLowerCase();
  let variant = (platform.variant ?? '').toLowerCase();
  switch (architecture) {
    case 'i386':
      architecture = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      architecture = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      architecture = 'arm64';
      if (variant === '8' || variant === 'v8' || variant === 'v8.0') variant = '';
      else if (variant === '9' || variant === '9.0' || variant === 'v9.0') variant = 'v9';
      break;
    case 'armhf':
      architecture = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      architecture = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '' || variant === '7') variant = 'v7';
      else if (/^[5678]$/.test(variant)) variant = `v${variant}`;
      break;
  }
  return { os, architecture, variant };
}

/** `linux/arm64/v8` */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/** `linux/arm64/v8`, `linux/amd64`, `windows/amd64` as parts; undefined when it is not OS/ARCH[/VARIANT]. */
export function parsePlatform(text: string): Platform | undefined {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => !/^[A-Za-z0-9_.-]+$/.test(part))) return undefined;
  const [os, architecture, variant] = parts;
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/**
 * The platforms an image for `wanted` may be, best first (platforms.Only): the platform itself, and for arm/vN
 * the older arm variants it runs.
 */
function acceptable(wanted: Platform): Required<Platform>[] {
  const w = normalize(wanted);
  const list = [w];
  if (w.architecture === 'arm') {
    for (const older of { v8: ['v7', 'v6', 'v5'], v7: ['v6', 'v5'], v6: ['v5'] }[w.variant] ?? []) list.push({ ...w, variant: older });
  }
  return list;
}

/** The index of the entry `wanted` picks among `platforms` (undefined when none fits), as containerd picks. */
export function choosePlatform(platforms: readonly (Platform | undefined)[], wanted: Platform): number | undefined {
  const normalized = platforms.map((p) => (p ? normalize(p) : undefined));
  for (const candidate of acceptable(wanted)) {
    const i = normalized.findIndex(
      (p) => p !== undefined && p.os === candidate.os && p.architecture === candidate.architecture && p.variant === candidate.variant,
    );
    if (i >= 0) return i;
  }
  return undefined;
}
