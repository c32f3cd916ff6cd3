import { describe, expect, it } from 'vitest';
import { codeBlock, codeSpan, escapeInline, oneLine, plainText, stripControls, truncate } from '../../src/render/escape.js';
import { HOSTILE } from '../support/hostile-strings.js';
import { activeParts, parseMarkdown, showsLiterally, unclosedBlocks, visibleTexts } from '../support/markdown-check.js';

const flat = (s: string) => oneLine(s);

describe('escapeInline', () => {
  it.each(HOSTILE)('shows %j literally, in a paragraph and a table cell, with nothing active', (text) => {
    const escaped = escapeInline(text);
    expect(escaped).not.toMatch(/[\n\r<>]/);
    expect(escaped).not.toContain('<!--');
    const paragraph = `Before ${escaped} after.`;
    expect(activeParts(paragraph)).toEqual([]);
    expect(visibleTexts(paragraph)).toEqual([{ type: 'text', value: `Before ${flat(text)} after.` }]);
    const table = `| Name | Size |\n| --- | --: |\n| ${escaped} | 1 MB |\n`;
    expect(activeParts(table)).toEqual([]);
    const root = parseMarkdown(table);
    expect(root.children).toHaveLength(1);
    const [node] = root.children;
    expect(node.type).toBe('table');
    if (node.type !== 'table') return;
    expect(node.children).toHaveLength(2);
    expect(node.children[1].children).toHaveLength(2);
    expect(showsLiterally(table, text)).toBe(true);
  });

  it('escapes GitHub math, so $...$ is not rendered as a formula', () => {
    expect(escapeInline('$x$ $$y$$')).toBe('\\$x\\$ \\$\\$y\\$\\$');
  });

  it('breaks what GitHub links after rendering with a zero-width space, as Renovate does', () => {
    expect(escapeInline('@octocat #12 GH-3 https://x.example www.y.example')).toBe(
      '@&#8203;octocat #&#8203;12 GH-&#8203;3 https&#8203;://x.example www&#8203;.y.example',
    );
  });

  it('makes a forged marker plain text, so the body holds one marker only', () => {
    expect(escapeInline('<!-- image-size-report:default -->')).toBe('&lt;!-- image-size-report:default --&gt;');
  });

  it('cuts long text to the limit, on a character boundary', () => {
    expect(escapeInline('x'.repeat(300))).toBe(`${'x'.repeat(199)}…`);
    expect(truncate(`${'x'.repeat(8)}💥💥`, 10)).toBe(`${'x'.repeat(8)}…`);
    expect(truncate('short', 10)).toBe('short');
  });
});

describe('codeSpan', () => {
  it.each(HOSTILE)('keeps %j inside one code span, in text and in a table cell', (text) => {
    const inText = `Failed step: ${codeSpan(text, 200, 'text')} here.`;
    expect(activeParts(inText)).toEqual([]);
    const texts = visibleTexts(inText);
    expect(texts.map((t) => t.type)).toEqual(['text', 'inlineCode', 'text']);
    expect(texts[1].value).toBe(flat(text));

    const table = `| Layer | Size |\n| --- | --: |\n| ${codeSpan(text)} | 1 MB |\n`;
    expect(activeParts(table)).toEqual([]);
    const [node] = parseMarkdown(table).children;
    expect(node.type).toBe('table');
    if (node.type !== 'table') return;
    expect(node.children).toHaveLength(2);
    expect(node.children[1].children).toHaveLength(2);
    expect(visibleTexts(table).find((t) => t.type === 'inlineCode')?.value).toBe(flat(text));
  });

  it('is fenced longer than any backtick run inside, padded where the content touches the fence', () => {
    expect(codeSpan('run `x` | y', 200, 'text')).toBe('``run `x` | y``');
    expect(codeSpan('run `x` | y')).toBe('``run `x` \\| y``');
    expect(codeSpan('`edge`', 200, 'text')).toBe('`` `edge` ``');
    expect(codeSpan('', 200, 'text')).toBe('` `');
  });

  it('leaves mentions and references as they are: GitHub does not link inside code', () => {
    expect(codeSpan('@octocat #1', 200, 'text')).toBe('`@octocat #1`');
  });
});

describe('codeBlock', () => {
  it.each(HOSTILE)('keeps %j inside one fenced block that closes', (text) => {
    const markdown = `<details><summary>Output</summary>\n\n${codeBlock(text)}\n\n</details>\n\nAfter.\n`;
    expect(activeParts(markdown)).toEqual([]);
    expect(unclosedBlocks(markdown)).toEqual([]);
    const root = parseMarkdown(markdown);
    expect(root.children.map((n) => n.type)).toEqual(['html', 'code', 'html', 'paragraph']);
    const code = root.children[1];
    if (code.type === 'code') expect(code.value.replace(/\u200B/g, '')).toBe(stripControls(text));
  });

  it('keeps the last lines and says how many were left out; cuts long lines', () => {
    const log = Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join('\n');
    expect(codeBlock(log, { maxLines: 3 })).toBe('```text\n[47 lines left out]\nline 48\nline 49\nline 50\n```');
    expect(codeBlock('y'.repeat(1000), { maxLineLength: 10 })).toBe(`\`\`\`text\n${'y'.repeat(9)}…\n\`\`\``);
    expect(codeBlock('````\nx')).toBe('`````text\n````\nx\n`````');
  });
});

describe('control characters', () => {
  it('removes terminal escape sequences and controls, and shows bidi overrides', () => {
    expect(stripControls('\x1b[31mred\x1b[0m \x1b]0;title\x07ok \x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\')).toBe('red ok link');
    expect(stripControls('a\x00b\x07c\x7fd\x90e')).toBe('abcde');
    expect(stripControls('\u202Eevil\u2066')).toBe('\uFFFDevil\uFFFD');
    expect(stripControls('a\r\nb\rc\u2028d')).toBe('a\nb\nc\nd');
    expect(escapeInline('\x1b[1mbold\x1b[0m\u202E')).toBe('bold\uFFFD');
    expect(plainText('one\n\ntwo\x1b[2K  ')).toBe('one two  ');
  });
});
