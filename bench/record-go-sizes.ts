/**
 * Records the gzip sizes real Go gives the unit tests' inputs (__tests__/unit/deflate-inputs.ts): writes each
 * input to a temporary folder, runs a binary built from bench/gogzip on them (io.Copy into gzip.NewWriter, as
 * `docker push` compresses a layer) and prints the sizes as a TypeScript object to paste into the test.
 *
 *   cd bench/gogzip && GOROOT=/tmp/forky/go/usr/lib/go-1.27 /tmp/forky/go/usr/lib/go-1.27/bin/go build -o /tmp/gogzip127 .
 *   node bench/record-go-sizes.mjs /tmp/gogzip127
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { recordedInputs } from '../__tests__/unit/deflate-inputs.js';

const goGzip = process.argv[2];
if (!goGzip) {
  process.stderr.write('usage: node bench/record-go-sizes.mjs GOGZIP_BINARY\n');
  process.exit(2);
}
const dir = mkdtempSync(path.join(tmpdir(), 'go-sizes-'));
try {
  const inputs = recordedInputs();
  const files = Object.entries(inputs).map(([name, bytes]) => {
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    return file;
  });
  const out = execFileSync(goGzip, files, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const version = spawnSync(goGzip, [], { encoding: 'utf8' }).stderr; // gogzip prints its Go version there
  process.stdout.write(`// ${version.trim().replace(/^# /, '')}\n{\n`);
  for (const line of out.trim().split('\n')) {
    const [size, file] = line.split('\t');
    process.stdout.write(`  ${path.basename(file)}: ${Number(size).toLocaleString('en-US').replaceAll(',', '_')},\n`);
  }
  process.stdout.write('}\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
