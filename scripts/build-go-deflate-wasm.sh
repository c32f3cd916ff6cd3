#!/usr/bin/env bash
# Rebuilds the WebAssembly of the go1.26 compressed-size model's parser from
# src/measure/image/deflate/go-deflate-parse.c and writes it (base64) and the source's SHA-256 into
# src/measure/image/deflate/go126-model.ts, between the
# `go-deflate-parse.wasm` markers. A unit test checks that the hash matches the source, so a change to the C
# file without a rebuild fails the tests. Needs clang and wasm-ld (Debian: apt-get install clang lld); run it
# after editing the C file, then `npm run build`.
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE=src/measure/image/deflate/go-deflate-parse.c
TARGET=src/measure/image/deflate/go126-model.ts

CLANG=$(command -v clang || command -v clang-14 || true)
[ -n "$CLANG" ] || { echo "build-go-deflate-wasm: clang is missing (apt-get install clang lld)" >&2; exit 1; }
command -v wasm-ld >/dev/null || command -v wasm-ld-14 >/dev/null || { echo "build-go-deflate-wasm: wasm-ld is missing (apt-get install lld)" >&2; exit 1; }

out=$(mktemp --suffix=.wasm)
trap 'rm -f "$out"' EXIT
# -mbulk-memory: memory.fill for clearing the hash heads (every Node since 12 has it). No libc: nothing to link.
"$CLANG" --target=wasm32 -O2 -mbulk-memory -nostdlib -Wl,--no-entry -Wl,--strip-all \
  -Wl,--export=parse -Wl,--export=length_token -Wl,--export=distance_token -Wl,--export=__heap_base \
  -o "$out" "$SOURCE"

node - "$out" "$SOURCE" "$TARGET" "$("$CLANG" --version | head -1)" <<'NODE'
const { readFileSync, writeFileSync } = require('node:fs');
const { createHash } = require('node:crypto');
const [wasmFile, source, target, compiler] = process.argv.slice(2);
const wasm = readFileSync(wasmFile).toString('base64');
const sha = createHash('sha256').update(readFileSync(source)).digest('hex');
const text = readFileSync(target, 'utf8');
const block = /(\/\/ go-deflate-parse\.wasm: begin\n)[\s\S]*?( *\/\/ go-deflate-parse\.wasm: end)/;
if (!block.test(text)) throw new Error(`${target}: no go-deflate-parse.wasm markers`);
const indent = '  ';
const lines = [`${indent}// built from go-deflate-parse.c (sha256 ${sha}) by scripts/build-go-deflate-wasm.sh, ${compiler}`];
lines.push(`${indent}const PARSER_WASM =`);
const chunks = wasm.match(/.{1,100}/g);
chunks.forEach((c, i) => lines.push(`${indent}  '${c}'${i === chunks.length - 1 ? ';' : ' +'}`));
writeFileSync(target, text.replace(block, (_, a, b) => a + lines.join('\n') + '\n' + b));
console.log(`build-go-deflate-wasm: ${readFileSync(wasmFile).length} bytes of WebAssembly written into ${target}`);
NODE
