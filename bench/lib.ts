/**
 * The typed parts of the bench that bench/run.mjs loads (bundled into bench/.build/lib.mjs, as analyze.ts is
 * bundled): the engine (engine.ts), compressed-size throughput per kind of layer (kinds.ts), and how the tool
 * sizes pushes on an engine (from the sources in the tree).
 */
export * from './engine.js';
export * from './kinds.js';
export { pushSizingFor } from '../src/measure/image/push-sizing.js';
