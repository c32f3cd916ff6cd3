// Bundles one of the bench's TypeScript entries from the sources in the tree with esbuild into bench/.build/
// (ignored by git), as scripts/bundle.mjs bundles the tool: whatever src/ holds is what the bench measures.
// Used by the launchers: bench/run.mjs, bench/sizer.mjs, bench/record-go-sizes.mjs.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { nodeBundle } from '../scripts/esbuild-options.mjs';

export const BENCH = path.dirname(fileURLToPath(import.meta.url));
export const BUILD = path.join(BENCH, '.build');

/** Bundle bench/<entry>.ts into bench/.build/<out>.mjs (default: the entry's name); resolves with its path. */
export async function bundle(entry, { out = entry, plugins = [] } = {}) {
  const outfile = path.join(BUILD, `${out}.mjs`);
  mkdirSync(BUILD, { recursive: true });
  await build({ ...nodeBundle, entryPoints: [path.join(BENCH, `${entry}.ts`)], outfile, plugins });
  return outfile;
}
