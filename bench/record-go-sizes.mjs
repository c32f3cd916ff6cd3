// Bundles bench/record-go-sizes.ts (see it) into bench/.build/ and runs it: node bench/record-go-sizes.mjs GOGZIP.
import { spawnSync } from 'node:child_process';
import { bundle } from './bundle.mjs';

const out = await bundle('record-go-sizes');
const result = spawnSync(process.execPath, [out, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
