/**
 * The pull-request comment and job summary, as GitHub-flavoured Markdown: GitHub's limits, the hidden marker that
 * finds our comment again, and `renderMarkdown`, which writes the report (markdown-sections.ts) and, given a
 * `maxLength`, gives up detail until it fits (fit-comment.ts). Pure.
 */
import type { Report } from '../report/types.js';
import { fitComment } from './fit-comment.js';
import { FULL_DETAIL, writeMarkdown, type WriteOptions } from './markdown-sections.js';

export { codeBlock, codeSpan, escapeInline } from './escape.js';
export { renderCancelledNotice } from './markdown-sections.js';

/** GitHub's limit for a comment body, in characters. */
export const COMMENT_LIMIT = 65_536;
/** GitHub's limit for one step's job summary: 1 MiB, counted in bytes (measure it with `utf8Length`). */
export const SUMMARY_LIMIT = 1024 * 1024;

export interface MarkdownOptions extends WriteOptions {
  /**
   * The longest the result may be (e.g. COMMENT_LIMIT). Detail is shortened, then left out, until the body
   * fits (fit-comment.ts): first the steps of DETAIL_STEPS, then rows of variants that passed, then the failed
   * builds' sections, then rows of failing variants. The verdict stays, and the body says what was left out and
   * where the full report is.
   */
  maxLength?: number;
  /** How length is counted for `maxLength`: String length (default), or e.g. `utf8Length` for bytes. */
  measure?: (text: string) => number;
}

/** The report as the comment or job summary; with `maxLength`, with as much detail as fits. */
export function renderMarkdown(report: Report, options: MarkdownOptions = {}): string {
  const { maxLength } = options;
  if (maxLength === undefined) return writeMarkdown(report, options, FULL_DETAIL);
  return fitComment(report, options, maxLength, options.measure ?? ((text: string) => text.length));
}

export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** The hidden marker that identifies our comment for a comment key. */
export function commentMarker(commentKey: string): string {
  return `<!-- image-size-report:${commentKey} -->`;
}
