/**
 * The last line of defence for secrets: every string the action or the CLI emits (the report and everything
 * rendered from it, and each line of the log) passes through a scrubber that replaces secret values with
 * `***`. Pure.
 *
 * What is secret: every build-arg value (BuildKit expands them into step names, image history records them
 * as `RUN |1 NAME=value ...`, a Dockerfile may echo them), whether written in the workflow, the config file,
 * or taken from an environment variable (a bare `NAME`); and the GitHub token.
 *
 * Each value is searched for in the forms it can take on the way out: as it is, each of its lines (output is
 * read line by line), JSON-escaped, shell-quoted (`'\''` and `'"'"'` for single quotes, backslashes for
 * double quotes), URL-encoded (the build request's query string) and escaped as a workflow command's data
 * (`%0A`). Longer forms are replaced first, so a value that contains another is removed whole.
 *
 * Values (and lines) shorter than MIN_SECRET_LENGTH characters are not searched for in free text: removing
 * every `1` or `on` would wreck the report, and a value that short is no secret (it can be guessed in a few
 * hundred tries). They are still removed where they appear as `NAME=value`, as image history writes them.
 * A registry's credentials and tokens (for `baseline: registry`) are added as the run learns them.
 * They are not registered with the runner's masker either, for the same reason.
 */
import type { Logger } from '../log.js';

export const MIN_SECRET_LENGTH = 3;
export const REDACTED = '***';

export interface Secret {
  value: string;
  /** The build-arg name, when the value is one: `NAME=value` is then removed whatever the value's length. */
  name?: string;
}

export interface Scrubber {
  /** The text with every secret (in every form) replaced by `***`. */
  text(text: string): string;
  /** A copy of `value` with every string in it (object keys too) scrubbed; other values unchanged. */
  deep<T>(value: T): T;
}

/** Build-arg values of every variant (with their names), and any further values, e.g. the token. */
export function secretsOf(variants: readonly { buildArgs: Record<string, string> }[], extra: readonly string[] = []): Secret[] {
  const secrets: Secret[] = [];
  for (const variant of variants) {
    for (const [name, value] of Object.entries(variant.buildArgs)) if (value) secrets.push({ name, value });
  }
  for (const value of extra) if (value) secrets.push({ value });
  return secrets;
}

/** The values to register with the runner's masker: each secret and each of its lines, long enough to mask. */
export function maskableValues(secrets: readonly Secret[]): string[] {
  const values = new Set<string>();
  for (const { value } of secrets) {
    for (const part of [value, ...lines(value)]) if (part.length >= MIN_SECRET_LENGTH) values.add(part);
  }
  return [...values];
}

function lines(value: string): string[] {
  if (!/[\r\n]/.test(value)) return [];
  return value.split(/\r\n|\r|\n/).flatMap((line) => [line, line.trim()]);
}

/** The forms one value can take in what we emit (see the module comment). */
export function secretForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const forms = [
    value,
    ...lines(value),
    json,
    value.replace(/'/g, `'\\''`),
    value.replace(/'/g, `'"'"'`),
    value.replace(/[\\"$`]/g, '\\$&'),
    encodeURIComponent(value),
    encodeURIComponent(json),
    value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A'),
  ];
  return [...new Set(forms)].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/**
 * Image and layer digests are left alone: a short value found in one is there by chance, and a changed digest
 * would no longer match its layer in a later run's baseline.
 */
const DIGEST = /^sha256:[0-9a-f]{64}$/;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `later`: secrets learnt while the run goes on (a registry's credentials and tokens, `Registry.secrets()`),
 * asked for at every use; the scrubber takes in new ones as they appear.
 */
export function createScrubber(secrets: readonly Secret[], later?: () => readonly string[]): Scrubber {
  if (!later) return fixedScrubber(secrets);
  let known = -1;
  let current = fixedScrubber(secrets);
  const now = (): Scrubber => {
    const extra = later();
    if (extra.length !== known) {
      known = extra.length;
      current = fixedScrubber([...secrets, ...extra.filter(Boolean).map((value) => ({ value }))]);
    }
    return current;
  };
  return { text: (input) => now().text(input), deep: (value) => now().deep(value) };
}

function fixedScrubber(secrets: readonly Secret[]): Scrubber {
  const forms = [...new Set(secrets.flatMap((s) => secretForms(s.value)))].sort((a, b) => b.length - a.length);
  // Short values are cut only right after their `NAME=` and up to a blank, a quote or the end.
  const named = secrets.filter((s) => s.name && s.value && s.value.length < MIN_SECRET_LENGTH);
  const anywhere = forms.length ? new RegExp(forms.map(escapeRegExp).join('|'), 'g') : undefined;
  const assigned = named.length
    ? new RegExp(`\\b(${named.map((s) => `${escapeRegExp(s.name!)}=${escapeRegExp(s.value)}`).join('|')})(?=$|[\\s"'])`, 'g')
    : undefined;
  const text = (input: string): string => {
    let out = anywhere ? input.replace(anywhere, REDACTED) : input;
    if (assigned) out = out.replace(assigned, (m) => `${m.slice(0, m.indexOf('=') + 1)}${REDACTED}`);
    return out;
  };
  const deep = <T>(value: T): T => {
    if (typeof value === 'string') return (DIGEST.test(value) ? value : text(value)) as T;
    if (Array.isArray(value)) return value.map((item) => deep(item)) as T;
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [text(key), deep(item)])) as T;
    }
    return value;
  };
  return { text, deep };
}

/** A logger whose every message, group title and build line is scrubbed before it is written. */
export function scrubbedLogger(log: Logger, scrubber: Scrubber): Logger {
  return {
    info: (message) => log.info(scrubber.text(message)),
    warning: (message) => log.warning(scrubber.text(message)),
    group: (title, fn) => log.group(scrubber.text(title), fn),
    buildLine: (line) => log.buildLine(scrubber.text(line)),
  };
}
