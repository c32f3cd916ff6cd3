#!/usr/bin/env node
// Proof for a change of structure: renders saved JSON reports with the tree as it is at a git ref and with the
// working tree, and says whether every rendering is byte-identical: the comment (Markdown, with and without the
// action's "This PR" label, at 4,000 and 20,000 characters, where detail is dropped to fit) and the terminal text.
//   node scripts/render-identity.mjs REF [REPORT.json...]   (default: __tests__/fixtures/reports/*.json)
// Exit 0: identical; 1: a rendering differs (the first difference is printed); 2: bad arguments.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { nodeBundle } from './esbuild-options.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [ref, ...given] = process.argv.slice(2);
if (!ref) {
  process.stderr.write('render-identity: give a git ref to compare with, e.g. main\n');
  process.exit(2);
}
const fixtures = path.join(ROOT, '__tests__', 'fixtures', 'reports');
const files = given.length
  ? given.map((f) => path.resolve(f))
  : readdirSync(fixtures)
      .filter((f) => f.endsWith('.json'))
      .map((f) => path.join(fixtures, f));

const work = mkdtempSync(path.join(tmpdir(), 'isr-render-identity-'));
try {
  const old = path.join(work, 'old');
  execFileSync('bash', ['-c', 'mkdir -p "$3" && git -C "$1" archive "$2" src | tar -x -C "$3"', 'render-identity', ROOT, ref, old]);
  const renders = {};
  for (const [name, tree] of [
    ['old', old],
    ['new', ROOT],
  ]) {
    const entry = path.join(work, `entry-${name}.ts`);
    writeFileSync(
      entry,
      `import { renderMarkdown } from ${JSON.stringify(path.join(tree, 'src/render/markdown.ts'))};\n` +
        `import { renderText } from ${JSON.stringify(path.join(tree, 'src/render/text.ts'))};\n` +
        `export { renderMarkdown, renderText };\n`,
    );
    const outfile = path.join(work, `render-${name}.mjs`);
    await build({ ...nodeBundle, entryPoints: [entry], outfile, nodePaths: [path.join(ROOT, 'node_modules')] });
    renders[name] = await import(outfile);
  }
  const ways = {
    Markdown: (r, report) => r.renderMarkdown(report),
    'Markdown, "This PR"': (r, report) => r.renderMarkdown(report, { headLabel: 'This PR' }),
    'Markdown, 4,000 characters': (r, report) => r.renderMarkdown(report, { maxLength: 4000 }),
    'Markdown, 20,000 characters': (r, report) => r.renderMarkdown(report, { maxLength: 20000 }),
    'terminal text': (r, report) => r.renderText(report),
  };
  const attempt = (f) => {
    try {
      return f();
    } catch (error) {
      return `threw: ${error instanceof Error ? error.message : String(error)}`;
    }
  };
  let count = 0;
  let reports = 0;
  const skipped = [];
  for (const file of files) {
    let report;
    try {
      report = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      skipped.push(file);
      continue;
    }
    if (!report || typeof report !== 'object' || !Array.isArray(report.variants)) {
      skipped.push(file);
      continue;
    }
    reports++;
    for (const [way, render] of Object.entries(ways)) {
      const before = attempt(() => render(renders.old, report));
      const after = attempt(() => render(renders.new, report));
      count++;
      if (before !== after) {
        let at = 0;
        while (before[at] === after[at]) at++;
        process.stdout.write(`render-identity: ${path.relative(ROOT, file)}, ${way}: differs at character ${at}\n`);
        process.stdout.write(`  ${ref}: ${JSON.stringify(before.slice(Math.max(0, at - 60), at + 60))}\n`);
        process.stdout.write(`  tree: ${JSON.stringify(after.slice(Math.max(0, at - 60), at + 60))}\n`);
        process.exit(1);
      }
    }
  }
  const passed = skipped.length ? ` (${skipped.length} file(s) skipped: not a JSON report)` : '';
  process.stdout.write(`render-identity: ${count} renderings of ${reports} report(s) identical to ${ref}'s${passed}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
