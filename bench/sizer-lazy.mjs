#!/usr/bin/env node
// Another name for bench/sizer.mjs (the two sizer benches were merged into bench/sizer.ts): without files it
// measures the kinds of layer it makes, as this one did; SIZER_BENCH_REPS, SIZER_BENCH_KINDS, SIZER_BENCH_FRESH
// and SIZER_BENCH_BASELINE work as they did.
await import('./sizer.mjs');
