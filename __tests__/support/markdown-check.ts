// Reading our Markdown as GitHub does, to prove that untrusted text stays inert: parsed with micromark's GFM
// (CommonMark + tables, autolink literals, strikethrough, footnotes), then checked for what GitHub does after
// rendering (mentions and issue references in text outside code).
import type { Nodes, Root } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';

export function parseMarkdown(markdown: string): Root {
  return fromMarkdown(markdown, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
}

export function walk(node: Nodes, visit: (node: Nodes, parents: Nodes[]) => void, parents: Nodes[] = []): void {
  visit(node, parents);
  if ('children' in node) for (const child of node.children) walk(child as Nodes, visit, [...parents, node]);
}

/** The HTML we write ourselves: the marker, collapsed sections and the footnote's <sub>. */
const OUR_HTML = [/^<!-- image-size-report:[\w.-]+ -->$/, /^<details( open)?><summary>[^<>&]*<\/summary>$/, /^<\/details>$/, /^<\/?sub>$/];

/** What GitHub turns into a link or a notification in text that is not inside <code>, <pre> or <a>. */
export const GITHUB_LINKERS: [string, RegExp][] = [
  ['@mention', /(?:^|[^\w`])@[a-z0-9]/i],
  ['e-mail autolink', /\w@[a-z0-9-]+\.\w/i],
  ['#123 reference', /(?:^|[^\w&])#\d/],
  ['GH-123 reference', /\bgh-\d/i],
  ['owner/repo#123 reference', /[\w.-]+\/[\w.-]+#\d/],
  ['URL autolink', /\bhttps?:\/\//i],
  ['www autolink', /\bwww\./i],
];

const ZWSP = /\u200B/g;

/** Everything that makes the Markdown do more than show text: links, images, foreign HTML, emphasis... */
export function activeParts(markdown: string, options: { allowStrong?: boolean; tree?: Root } = {}): string[] {
  const problems: string[] = [];
  walk(options.tree ?? parseMarkdown(markdown), (node, parents) => {
    switch (node.type) {
      case 'link':
      case 'linkReference':
      case 'image':
      case 'imageReference':
      case 'definition':
      case 'footnoteReference':
      case 'footnoteDefinition':
      case 'emphasis':
      case 'delete':
      case 'blockquote':
      case 'thematicBreak':
        problems.push(`${node.type} at line ${node.position?.start.line}`);
        break;
      case 'strong':
        if (!options.allowStrong) problems.push(`strong at line ${node.position?.start.line}`);
        break;
      case 'heading':
        if (parents.length !== 1 || node.depth < 2) problems.push(`heading ${node.depth} at line ${node.position?.start.line}`);
        break;
      case 'html':
        if (!OUR_HTML.some((re) => re.test(node.value))) problems.push(`html ${JSON.stringify(node.value)}`);
        break;
      case 'text':
        for (const [what, re] of GITHUB_LINKERS) if (re.test(node.value)) problems.push(`${what} in ${JSON.stringify(node.value)}`);
        break;
    }
  });
  const comments = markdown.split('<!--').length - 1;
  if (comments > (markdown.startsWith('<!-- image-size-report:') ? 1 : 0)) problems.push(`${comments} HTML comment openers`);
  return problems;
}

/** The text a reader sees in each text, inline code and code node (zero-width spaces removed). */
export function visibleTexts(markdown: string | Root): { type: string; value: string }[] {
  const texts: { type: string; value: string }[] = [];
  walk(typeof markdown === 'string' ? parseMarkdown(markdown) : markdown, (node) => {
    if (node.type === 'text' || node.type === 'inlineCode' || node.type === 'code')
      texts.push({ type: node.type, value: node.value.replace(ZWSP, '') });
  });
  return texts;
}

/** Shown literally: some text node holds `text` (with line breaks and blanks as one space, as inline text shows it). */
export function showsLiterally(markdown: string | Root, text: string): boolean {
  const wanted = flatText(text);
  return visibleTexts(markdown).some((t) => flatText(t.value).includes(wanted));
}

export function flatText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Fenced code blocks and <details> sections are all closed: the body ends outside both. */
export function unclosedBlocks(markdown: string, tree: Root = parseMarkdown(markdown)): string[] {
  const problems: string[] = [];
  let fence: { char: string; length: number } | undefined;
  for (const line of markdown.split('\n')) {
    const f = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence) {
      if (f && f[1][0] === fence.char && f[1].length >= fence.length && f[2].trim() === '') fence = undefined;
    } else if (f && !(f[1][0] === '`' && f[2].includes('`'))) {
      fence = { char: f[1][0], length: f[1].length };
    }
  }
  if (fence) problems.push('unclosed code fence');
  // <details> counts only where it is HTML, not where it is text in code.
  let open = 0;
  walk(tree, (node) => {
    if (node.type !== 'html') return;
    open += (node.value.match(/<details\b/g) ?? []).length;
    open -= (node.value.match(/<\/details>/g) ?? []).length;
    if (open < 0) problems.push('</details> without <details>');
  });
  if (open > 0) problems.push(`${open} unclosed <details>`);
  return problems;
}
