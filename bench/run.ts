/**
 * The bench: measures the tool on this machine, side by side with plain `docker build` and `gzip -6`, in one
 * run, prints a table of figures with their goals (issues 3 and 10), and writes bench/RESULTS.md with the
 * machine described. It is a script that prints figures, not a test: nothing here passes or fails a build.
 *
 * Run it with `bash bench/run.sh` (or `npm run bench`); bench/run.mjs bundles this file and bench/analyze.ts
 * from the sources in the tree into bench/.build/ and runs it. See bench/README.md for what it measures, how,
 * and the environment variables (bench/config.ts reads them). It uses the Docker engine that DOCKER_HOST names
 * (default: the local socket) for both sides, and needs the network in RUN steps for the first build of the
 * large image and for cold builds of examples/python-service.
 *
 *   node bench/run.mjs                 measure the sections BENCH_SECTIONS names, write RESULTS.md
 *   node bench/run.mjs --render [FILE] rewrite RESULTS.md from a saved run (default bench/.build/last-run.json)
 *
 * The sections: throughput.ts (throughput, second run, memory), kinds.ts (throughput per kind of layer),
 * overhead.ts (against docker build), pull-request.ts; figures.ts makes the summary, results.ts the Markdown.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ANALYZE, BUILD_DIR, CLI, ROOT, readConfig, resultsFile, type Config } from './config.js';
import { figures, textTable } from './figures.js';
import { loadavg, seconds } from './format.js';
import { docker, ensureImage, imageExists } from './images.js';
import { kindsThroughput } from './kinds.js';
import { die, say, sinceStart } from './log.js';
import { describeMachine } from './machine.js';
import { overhead } from './overhead.js';
import { pullRequest } from './pull-request.js';
import { readRecord, saveRecord, type RunRecord } from './record.js';
import { keptEarlier, keptNotes, resultsMarkdown } from './results.js';
import { cleanupTemps, tempDir } from './temp.js';
import { throughput } from './throughput.js';

async function main(config: Config): Promise<void> {
  if (process.argv[2] === '--render') {
    // rewrite RESULTS.md from the figures the last run saved, without measuring again (after editing the layout)
    const saved = readRecord(process.argv[3]);
    publish(saved, saved.config.quick ? resultsFile(process.env, true) : config.out);
    return;
  }
  await prepare();
  const machine = await describeMachine();
  const e = machine.engine;
  say(`machine: ${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadStart}`);
  say(
    `engine: ${e.dockerHost}${e.matrixName ? ` (${e.matrixName})` : ''}: Docker ${e.serverVersion}, ${e.goVersion ?? 'Go unknown'}, ${e.imageStore}; ${e.buildx ? `buildx ${e.buildx.version}, builder ${e.buildx.name} (${e.buildx.driver} driver)` : `no BuildKit comparison: ${e.noBuildx}`}; compressed sizes: ${machine.push.method}`,
  );
  if (machine.distStale)
    say(
      'warning: dist/ looks older than src/: the CLI figures measure dist/ as it is (npm run build, or BENCH_BUILD_DIST=1 with bench/run.sh)',
    );
  const sections = config.sections;
  // the pull-request run's cold parts build with an ARG value of their own and do not need the kept image
  const needsImage = sections.includes('throughput') || (sections.includes('pr') && config.prParts.includes('warm'));
  const image = needsImage ? await ensureImage(config) : undefined;
  const record: RunRecord = { config: { quick: config.quick, image: config.image, imageDir: config.imageDir }, machine, image, totalMs: 0 };
  // saved after every part, so a run cut short still leaves what it measured (node bench/run.mjs --render)
  const save = () => {
    machine.loadEnd = loadavg();
    record.totalMs = sinceStart();
    saveRecord(record);
  };
  try {
    if (sections.includes('throughput')) {
      record.t = await throughput(config, machine, image!);
      save();
    }
    if (sections.includes('kinds')) {
      record.k = await kindsThroughput({
        root: ROOT,
        analyze: ANALYZE,
        workDir: tempDir('kinds'),
        quick: config.quick,
        reps: config.kindReps,
        kinds: config.kinds,
        models: config.models,
        rootfsImage: 'debian:bookworm-slim',
        log: say,
      });
      save();
    }
    if (sections.includes('overhead')) {
      record.o = await overhead(config, machine);
      save();
    }
    if (sections.includes('pr')) {
      record.p = await pullRequest(config);
      save();
    }
  } finally {
    cleanupTemps(config.keepTemp);
  }
  save();
  publish(record, config.out);
}

/** What the bench needs before measuring: the dependencies, dist/, an engine that answers, the base image. */
async function prepare(): Promise<void> {
  if (!existsSync(path.join(ROOT, 'node_modules'))) die('node_modules is missing: run `npm ci` first (bench/run.sh does).');
  if (!existsSync(CLI)) die('dist/cli.js is missing: run `npm run build` first (bench/run.sh does).');
  if (!existsSync(ANALYZE))
    die(`${path.relative(ROOT, ANALYZE)} is missing: run the bench with bash bench/run.sh or node bench/run.mjs, which bundle it.`);
  const engine = await docker(['version', '--format', '{{.Server.Version}}'], { allowFail: true });
  if (engine.code !== 0)
    die(
      `the Docker engine does not answer (${(engine.stderr.trim().split('\n').pop() || '').slice(0, 200)}); start it (bash scripts/setup-docker.sh) or set DOCKER_HOST.`,
    );
  if (!(await imageExists('debian:bookworm-slim')))
    die('debian:bookworm-slim is missing: run `bash scripts/setup-docker.sh --base-images` first.');
  mkdirSync(BUILD_DIR, { recursive: true });
}

/** Print the table and write the Markdown from the figures of a run (this one, or the last one saved). */
function publish(record: RunRecord, out: string): void {
  const rows = figures(record);
  const { machine, totalMs } = record;
  const e = machine.engine;
  const engine = e
    ? `Docker ${e.serverVersion} (${e.goVersion ?? 'Go unknown'}), ${e.imageStore}, ${e.buildx ? `buildx ${e.buildx.version}` : 'no buildx'}, at ${e.dockerHost}${e.matrixName ? ` (${e.matrixName})` : ''}`
    : `Docker ${machine.dockerServer}, ${machine.storage}`;
  process.stdout.write(`\n${textTable(rows)}\n\nWhole bench: ${seconds(totalMs)}. Machine: ${machine.cores} cores. Engine: ${engine}.\n`);
  const earlier = keptEarlier(existsSync(out) ? readFileSync(out, 'utf8') : undefined, record);
  writeFileSync(out, resultsMarkdown(record, rows, keptNotes(out), earlier));
  process.stdout.write(`Written: ${path.relative(process.cwd(), out) || out}\n`);
}

const config = readConfig();
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    say(`stopped by ${signal}; images tagged bench/... other than the large image may be left (docker images 'bench/*')`);
    cleanupTemps(config.keepTemp);
    process.exit(code);
  });
}

main(config).catch((error: unknown) => {
  cleanupTemps(config.keepTemp);
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
