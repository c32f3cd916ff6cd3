/**
 * Errors whose message is written for the user: printed as is, never with a stack trace.
 * Anything else that escapes is a bug in this tool and is reported as one.
 */
export class InputError extends Error {
  override name = 'InputError';
}

/** Something around the tool is missing or broken: Docker not reachable, git not a repository, ... */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

export function isUserError(error: unknown): error is InputError | EnvironmentError {
  return error instanceof InputError || error instanceof EnvironmentError;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The first `max` UTF-16 code units of `text` (all of it when it is no longer), one fewer when the cut would
 * leave the first half of a surrogate pair at the end. The cut of `printable` here and of `truncate` in
 * render/escape.ts.
 */
export function cutWhole(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/**
 * Characters that must not reach a message as they are: control characters (a newline could forge a log line or
 * a workflow command), lone surrogates, and the invisible ones that reorder or hide text (bidirectional
 * controls, zero-width marks, the byte-order mark).
 */
const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point: they are cut from text shown to people
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\u061c\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** How much of a value from the user a message quotes. */
export const QUOTE_LIMIT = 60;

/**
 * Text from the user made safe to print in a message: unprintable characters escaped (`\n`, `\u200e`), and cut to
 * `max` characters (a 1 MB value gives a short message, not a 1 MB one).
 */
export function printable(text: string, max = QUOTE_LIMIT): string {
  const cut = cutWhole(text, max);
  const escaped = cut.replace(UNPRINTABLE, (c) => NAMED_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return cut.length < text.length ? `${escaped}…` : escaped;
}

/** A value from the user in double quotes, made printable and cut; a cut value says how long it was. */
export function quote(text: string, max = QUOTE_LIMIT): string {
  const shown = `"${printable(text, max)}"`;
  return text.length > max ? `${shown} (${text.length.toLocaleString('en-US')} characters)` : shown;
}

/** Names for a message: at most `max` of them, each printable, and how many there are in all when cut. */
export function listOf(items: readonly string[], max = 10): string {
  const shown = items
    .slice(0, max)
    .map((item) => printable(item))
    .join(', ');
  return items.length > max ? `${shown}, … (${items.length.toLocaleString('en-US')} in all)` : shown;
}
