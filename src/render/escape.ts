/**
 * Making untrusted text safe to show. Everything a report carries may come from a stranger's pull request:
 * variant names, paths, targets, Dockerfile instructions, build output, error messages, refs, and in a
 * `workflow_run` follow-up the whole report. Pure.
 *
 * How GitHub treats a comment, and so what these functions neutralise:
 * - Markdown (GFM): tables split rows on line breaks and cells on unescaped `|` (even inside code spans);
 *   emphasis, links, images, strikethrough, math (`$`), and autolinks of `http(s)://`, `www.` and e-mail
 *   addresses. Outside code, every such character is backslash-escaped and `<`, `>`, `&` become entities, so
 *   no HTML (`<img>`, `<a>`, `<details>`, `<!-- -->`) and no copy of our hidden marker can appear.
 * - After rendering, GitHub links `@user` / `@org/team` (and notifies them) and `#123`, `GH-123`,
 *   `owner/repo#123` (and cross-references the issue) in text that is not inside `<pre>`, `<code>` or `<a>`.
 *   Backslashes do not help there, because the escape is gone by then. As Renovate does for release notes
 *   (`sanitizeMarkdown` in renovatebot/renovate lib/util/markdown.ts), a zero-width space (`&#8203;`) goes
 *   after `@`, after a `#` or `GH-` that precedes a digit, and inside `://` and `www.`: the text reads the
 *   same but no longer matches. Inside code spans and blocks mentions and references are inert already, so
 *   their text is left as it is.
 * - Code spans and blocks are fenced with more backticks than they contain; inside them an HTML comment
 *   opener `<!--` gets a zero-width space (U+200B) after `<!`, so the comment body holds exactly one
 *   `<!--`: our marker.
 * - Terminal escape sequences and control characters are removed, and bidirectional-override characters
 *   (which can make text read differently from what it is) are shown as U+FFFD.
 */
import { cutWhole } from '../errors.js';

/** Zero-width space, as an HTML entity for text outside code (decoded by GitHub) and as itself inside code. */
const ZWSP_ENTITY = '&#8203;';
const ZWSP = '\u200B';

/** ANSI/VT escape sequences: CSI (colours, cursor), OSC (titles, hyperlinks, clipboard), and two-byte ESC. */
// eslint-disable-next-line no-control-regex -- terminal escape sequences start with control characters
const TERMINAL_ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]/g;
/** C0 and C1 control characters other than tab and line feed, and DEL. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are cut from rendered text
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/** Bidirectional embeddings, overrides and isolates (the "Trojan Source" characters). */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text without terminal escapes or control characters; line breaks of any kind become `\n` and tabs stay.
 * Bidi controls become U+FFFD so that they are visible rather than acted on.
 */
export function stripControls(text: string): string {
  return text
    .replace(/\r\n?|[\u2028\u2029\x85]/g, '\n')
    .replace(TERMINAL_ESCAPES, '')
    .replace(CONTROLS, '')
    .replace(BIDI, '\uFFFD');
}

/** One line: controls removed and every run of line breaks (with the blanks around it) made a single space. */
export function oneLine(text: string): string {
  return stripControls(text).replace(/[ \t]*\n[\s]*/g, ' ');
}

/** At most `max` characters (UTF-16 code units), ending with `…` when cut; never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  return `${cutWhole(text, max - 1)}…`;
}

/** Markdown or HTML meaning outside code, and what GitHub links after rendering. Matched case-insensitively. */
const INLINE_ACTIVE = /[&<>\\`*_[\]|~$@]|#(?=\d)|\bgh-(?=\d)|:(?=\/\/)|\bwww(?=\.)/gi;

/**
 * Untrusted text as inert inline Markdown, safe in a paragraph, a heading or a table cell: one line, at most
 * `max` characters before escaping, with nothing GitHub would render, link or notify (see the module comment).
 * The reader sees the original text (cut, on one line).
 */
export function escapeInline(text: string, max = 200): string {
  return truncate(oneLine(text), max).replace(INLINE_ACTIVE, (m) => {
    switch (m) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '@':
        return `@${ZWSP_ENTITY}`;
      case '#':
        return `#${ZWSP_ENTITY}`;
      case ':':
        return `${ZWSP_ENTITY}:`;
      default:
        // `gh-` and `www` (any case) before a digit or a dot; otherwise a single punctuation character.
        return m.length > 1 ? `${m}${ZWSP_ENTITY}` : `\\${m}`;
    }
  });
}

/** Inside code: only an HTML comment opener needs breaking (so no copy of our marker exists in the body). */
function inertCode(text: string): string {
  return text.replace(/<!--/g, `<!${ZWSP}--`);
}

export type CodeSpanPlace = 'table' | 'text';

/**
 * Untrusted text as an inline code span that its content cannot close: one line, at most `max` characters.
 * In a table cell (`'table'`, the default) `|` is escaped as GFM requires even inside code; elsewhere
 * (`'text'`) it is not, because outside a table `\|` would show its backslash.
 */
export function codeSpan(text: string, max = 200, place: CodeSpanPlace = 'table'): string {
  let content = inertCode(truncate(oneLine(text), max));
  // A backslash right before a pipe would pair with our escape in some parsers: keep them apart.
  if (place === 'table') content = content.replace(/\\?\|/g, (m) => (m.length === 2 ? `\\${ZWSP}\\|` : '\\|'));
  if (content === '') return '` `';
  const fence = '`'.repeat(longestRun(content, '`') + 1);
  // A leading or trailing backtick would join the fence; a space at both ends would be stripped by the parser.
  const pad = /^`|`$/.test(content) || /^ .*[^ ].* $/.test(content) ? ' ' : '';
  return `${fence}${pad}${content}${pad}${fence}`;
}

export interface CodeBlockOptions {
  /** Keep at most this many lines; which ones is set by `keep` (default: all). */
  maxLines?: number;
  /** `tail` (default) keeps the last lines, as a build log is read; `head` the first. */
  keep?: 'head' | 'tail';
  /** Cut longer lines (default 500 characters). */
  maxLineLength?: number;
  /** Info string after the opening fence (default `text`: no highlighting). */
  info?: string;
}

/**
 * Untrusted text as a fenced code block its content cannot close (the fence is longer than any backtick run
 * inside), without control characters, with long lines cut and at most `maxLines` lines. Says how many
 * lines were left out.
 */
export function codeBlock(text: string, options: CodeBlockOptions = {}): string {
  const { maxLines = Infinity, keep = 'tail', maxLineLength = 500, info = 'text' } = options;
  let lines = stripControls(text).split('\n');
  let omitted = 0;
  if (lines.length > maxLines) {
    omitted = lines.length - maxLines;
    lines = keep === 'tail' ? lines.slice(omitted) : lines.slice(0, maxLines);
  }
  const body = lines.map((line) => inertCode(truncate(line, maxLineLength)));
  if (omitted) {
    const note = `[${omitted} line${omitted === 1 ? '' : 's'} left out]`;
    if (keep === 'tail') body.unshift(note);
    else body.push(note);
  }
  const content = body.join('\n');
  const fence = '`'.repeat(Math.max(3, longestRun(content, '`') + 1));
  return `${fence}${info}\n${content}\n${fence}`;
}

/** Untrusted text for a terminal or the runner log: one line without escape sequences, at most `max` characters. */
export function plainText(text: string, max = Infinity): string {
  return truncate(oneLine(text), max);
}

/** Untrusted lines of output for a terminal: control characters and escape sequences removed, lines kept. */
export function plainLines(lines: readonly string[]): string[] {
  return lines.flatMap((line) => stripControls(line).split('\n'));
}

function longestRun(text: string, char: string): number {
  let best = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}
