/**
 * The RESULTS.md writer: the Markdown of a run's raw figures, section by section (the machine, the figures
 * table, the large image, then one section per part measured), and the hand-written notes kept from the file
 * it replaces. Pure: bench/run.ts measures, bench/figures.ts makes the table's rows.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './config.js';
import { verdict, mb, mbOneDecimal, mbps, md, ratio, seconds } from './format.js';
import type { FigureRow } from './figures.js';
import { MODELS, type KindsResult } from './kinds.js';
import type { Machine } from './machine.js';
import { overheadRuns, type OverheadResult } from './overhead.js';
import type { PullRequestResult } from './pull-request.js';
import type { RunRecord } from './record.js';
import type { ThroughputResult } from './throughput.js';

const NOTES = /<!-- NOTES-START -->[\s\S]*?<!-- NOTES-END -->/;
const EMPTY_NOTES = '<!-- NOTES-START -->\n<!-- Written by hand; kept when the bench rewrites this file. -->\n<!-- NOTES-END -->';

/**
 * The whole of RESULTS.md. `notes`: the notes section of the file it replaces, kept. `earlier`: what the file
 * it replaces measured that this run did not (keptEarlier), kept below this run's figures.
 */
export function resultsMarkdown(record: RunRecord, rows: FigureRow[], notes: string | undefined, earlier?: string): string {
  const { config, machine, image, t, o, p, k, totalMs } = record;
  const L: string[] = [];
  L.push('# Bench results', '');
  L.push(
    `Written by \`bash bench/run.sh\`${config.quick ? ' with BENCH_QUICK=1' : ''} on ${machine.date.slice(0, 16).replace('T', ' ')} UTC; the whole run took ${seconds(totalMs)}. ` +
      'Re-run it to refresh this file (the notes section at the end is kept). What each figure means and how it is measured: bench/README.md.',
    '',
  );
  L.push(...machineSection(machine));
  L.push('## Figures', '');
  L.push('| Figure | Measured | Goal | |', '| :-- | --: | :-- | :-: |');
  for (const r of rows) L.push(`| ${md(r.figure)} | ${md(r.value)} | ${md(r.goal)} | ${verdict(r.pass)} |`);
  L.push('');
  if (image) {
    L.push('## The large image', '');
    L.push(
      `\`${image.tag}\` from \`${path.relative(ROOT, config.imageDir)}/Dockerfile\` (Debian packages: compilers, Python with NumPy and SciPy, Boost, OpenBLAS, a JDK, TeX Live): ` +
        `${image.layers} layers, ${mb(image.engineSizeBytes)} as the engine counts it (${machine.engine?.containerdStore ? 'the containerd store: its blobs as stored, packed' : 'a graph driver: unpacked'})` +
        (t
          ? `, ${mb(t.first.unpackedBytes)} of files and ${mb(t.figures.bytes)} of layer tars as the tool reads them, ${mb(t.first.compressedBytes ?? NaN)} compressed`
          : '') +
        '. ' +
        (image.built
          ? `Built in this run in ${seconds(image.built.ms)} (cold, legacy builder, packages from Debian's mirror).`
          : `Reused (built ${image.created.slice(0, 16).replace('T', ' ')}); BENCH_REBUILD=1 rebuilds it.`),
      '',
    );
  }
  if (t) L.push(...throughputSection(t, machine));
  if (k) L.push(...kindsSection(k, machine.cores));
  if (o) L.push(...overheadSection(o, machine));
  if (p) L.push(...pullRequestSection(p, config.image));
  if (earlier) L.push(earlier, '');
  L.push('## Notes', '');
  L.push(notes || EMPTY_NOTES);
  L.push('');
  return L.join('\n');
}

/** The notes section of the results file there is, to keep. */
export function keptNotes(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  return NOTES.exec(readFileSync(file, 'utf8'))?.[0];
}

const EARLIER = '## Earlier figures';

/** Whether a run measured every part (a run of some, BENCH_SECTIONS or BENCH_PR without `warm`, did not). */
export const wholeRun = ({ t, k, o, p }: RunRecord): boolean => Boolean(t && k && o && p?.fresh);

/**
 * When this run measured only some parts: the file it replaces, but its notes, as a section of its own below this
 * run's (its headings one level down, its date in the heading), so that a run of one part does not wipe the
 * figures of the others. An earlier-figures section of that file is not carried on (git has it). Undefined after
 * a whole run, or when there is no file.
 */
export function keptEarlier(text: string | undefined, record: RunRecord): string | undefined {
  if (text === undefined || wholeRun(record)) return undefined;
  let body = text.split(/^## Notes$/m)[0];
  const date = /^Written by .*? on (\d{4}-\d\d-\d\d \d\d:\d\d) UTC/m.exec(body)?.[1];
  const at = body.indexOf(`${EARLIER}`);
  if (at >= 0) {
    const next = body.slice(at + EARLIER.length).search(/^## /m);
    body = body.slice(0, at) + (next >= 0 ? body.slice(at + EARLIER.length + next) : '');
  }
  body = body
    .replace(/^# .*\n/, '')
    .replace(/^(#{2,5}) /gm, '#$1 ')
    .trim();
  if (!body) return undefined;
  return [
    `${EARLIER}${date ? ` (run of ${date} UTC)` : ''}: the parts this run did not measure again`,
    '',
    "Kept from the results file this run replaced, as that run wrote it (its own machine, engine and load average): this run measured only part of the bench. Where both measured the same figure, this run's is above.",
    '',
    body,
  ].join('\n');
}

function machineSection(machine: Machine): string[] {
  const L: string[] = [];
  L.push('## Machine', '');
  L.push('| | |', '| :-- | :-- |');
  L.push(`| CPU | ${machine.cores} cores, ${md(machine.cpuModel)} |`);
  L.push(`| RAM | ${(machine.ramBytes / 2 ** 30).toFixed(1)} GiB |`);
  L.push(`| Disk (Docker's root) | ${md(machine.disk)} |`);
  L.push(`| Kernel | ${md(machine.kernel)} |`);
  L.push(...engineRows(machine));
  L.push(`| Node.js | ${machine.node} |`);
  L.push(`| gzip | ${md(machine.gzip)}${machine.taskset ? ', pinned to one core with taskset -c 0' : ', not pinned (no taskset)'} |`);
  L.push(
    `| Tool | commit ${md(machine.commit)}; compressed sizer: "${md(machine.sizer)}"${machine.distStale ? '; **dist/ looked older than src/**: the CLI figures are of dist/ as it was (run `npm run build` and re-run)' : ''} |`,
  );
  L.push(`| Load average (1, 5, 15 min) | at start ${machine.loadStart}; at end ${machine.loadEnd} |`);
  L.push('');
  return L;
}

/** The engine, for the Machine table: which one, its Docker and Go, its image store, buildx. */
function engineRows(machine: Machine): string[] {
  const e = machine.engine;
  if (!e) {
    // a run saved before the engine was described
    return [
      `| Docker | server ${machine.dockerServer} (API ${machine.dockerApi}), storage driver ${machine.storage}, CLI ${machine.dockerClient} |`,
    ];
  }
  const where = `${e.dockerHost}${e.fromEnvironment ? ' (DOCKER_HOST)' : ' (the default socket; DOCKER_HOST unset)'}${e.matrixName ? `: the matrix's \`${e.matrixName}\`` : ''}`;
  const buildx = e.buildx
    ? `buildx ${e.buildx.version}, builder \`${e.buildx.name}\` (${e.buildx.driver} driver: the engine's own BuildKit${e.buildx.buildkit ? `, ${e.buildx.buildkit}` : ''})`
    : `no buildx: ${e.noBuildx}`;
  return [
    `| Engine | ${md(where)} |`,
    `| Docker | server ${e.serverVersion} (API ${e.apiVersion}), built with ${e.goVersion ?? 'an unknown Go'}; CLI ${e.clientVersion ?? '?'}; ${md(buildx)} |`,
    `| Image store | ${md(e.imageStore)} (docker info: Driver ${md(e.storageDriver)}) |`,
    ...(machine.push
      ? [
          `| Compressed sizes | as the tool finds them on this engine: ${md(machine.push.method)}, ${md(machine.push.reason)}` +
            (machine.push.modelAvailable === false && !machine.push.asStored
              ? `; **the sizer in this tree does not offer ${machine.push.model}** (${md(machine.push.modelMissing ?? '')}): what is measured is the default model`
              : '') +
            ' |',
        ]
      : []),
  ];
}

function throughputSection(t: ThroughputResult, machine: Machine): string[] {
  const L: string[] = [];
  const f = t.figures;
  const open: { firstByteMs?: number } = t.first.opens[0] ?? {};
  const saveOpen: { firstByteMs?: number; openMs?: number; bytes?: number } = t.save.opens[0] ?? {};
  L.push('## Throughput, second run and memory', '');
  L.push(`Load average before ${t.loadBefore}, after ${t.loadAfter}.`, '');
  L.push('| Step | Wall time | Rate over the layer tars | Notes |', '| :-- | --: | --: | :-- |');
  L.push(
    `| \`docker save\` read through the API and dropped | ${seconds(t.save.wallMs)} | ${mbps(f.bytes, t.save.wallMs)} | first byte after ${seconds(saveOpen.firstByteMs ?? 0)} (response headers after ${seconds(saveOpen.openMs ?? 0)}); ${mb(saveOpen.bytes ?? 0)} of tar |`,
  );
  L.push(
    `| \`docker save \\| tar -x\` to a temporary directory | ${seconds(t.gzip.saveToDiskMs)} | ${mbps(f.bytes, t.gzip.saveToDiskMs)} | for the gzip baseline only${t.gzip.unzipped ? `; ${t.gzip.unzipped} layer blob(s) saved gzipped (as the containerd store keeps them), unzipped after, untimed` : ''} |`,
  );
  L.push(
    `| \`gzip -6\` over the ${t.gzip.layers.length} layer tars, one at a time, one core | ${seconds(t.gzip.ms)} | ${mbps(t.gzip.bytes, t.gzip.ms)} | ${mb(t.gzip.gzBytes)} out${Number.isFinite(t.gzip.cpuMs) ? `; CPU ${seconds(t.gzip.cpuMs)}` : ''} |`,
  );
  if (t.gzip.sizer)
    L.push(
      `| The tool's compressed sizer alone${t.gzip.sizer.model ? ` (model ${t.gzip.sizer.model})` : ''} over the same layer tars, one at a time, every core | ${seconds(t.gzip.sizer.wallMs)} | ${mbps(t.gzip.sizer.bytes, t.gzip.sizer.wallMs)} | ${mb(t.gzip.sizer.compressedBytes)} out (${((t.gzip.sizer.compressedBytes / t.gzip.gzBytes - 1) * 100).toFixed(2)}% against gzip -6); CPU ${seconds(t.gzip.sizer.cpuUserMs)} user + ${seconds(t.gzip.sizer.cpuSystemMs)} system; peak RSS ${mb(t.gzip.sizer.maxRssBytes)} |`,
    );
  L.push(
    `| Tool analysis, compressed sizes on${f.asStored ? ' (taken from the stored blobs: nothing compressed)' : t.first.push ? ` (${t.first.push.method}${machine.push?.modelAvailable === false ? ', measured as go1.26: the sizer in the tree does not offer it' : ''})` : ''}, empty cache | ${seconds(t.first.analyzeMs)} | ${mbps(f.bytes, t.first.analyzeMs)} | first byte after ${seconds(open.firstByteMs ?? 0)}; from then on ${(f.streamingRate / 1e6).toFixed(1)} MB/s; CPU ${seconds(t.first.cpuUserMs)} user + ${seconds(t.first.cpuSystemMs)} system; ${t.first.work.passes} save pass(es); ${mb(t.first.compressedBytes ?? NaN)} compressed (${(f.compressedVsGzip * 100).toFixed(2)}% against gzip -6) |`,
  );
  L.push(
    `| Tool analysis, compressed sizes off, no cache | ${seconds(t.noCompress.analyzeMs)} | ${mbps(f.bytes, t.noCompress.analyzeMs)} | hashing, tar listing and the save stream alone; CPU ${seconds(t.noCompress.cpuUserMs)} user + ${seconds(t.noCompress.cpuSystemMs)} system |`,
  );
  L.push(
    `| Tool analysis again, same cache directory | ${seconds(t.second.analyzeMs)} | — | ${t.second.work.passes} save pass(es); the whole process ${seconds(t.second.childWallMs)} against ${seconds(t.first.childWallMs)} the first time |`,
  );
  L.push('');
  if (Number.isFinite(t.gzip.cpuMs)) {
    const toolCpu = t.first.cpuUserMs + t.first.cpuSystemMs;
    L.push(
      `CPU time, which the other processes on the machine disturb less than wall time: gzip -6 used ${seconds(t.gzip.cpuMs)} (${mbps(t.gzip.bytes, t.gzip.cpuMs)} per CPU-second), ` +
        `the tool's first analysis ${seconds(toolCpu)} in all (${mbps(f.bytes, toolCpu)} per CPU-second: compression, hashing, tar listing, reading the stream, starting Node). ` +
        `With every core to itself, the tool could at best reach about ${(machine.cores * (t.gzip.cpuMs / toolCpu)).toFixed(2)}× gzip's one-core wall rate on ${machine.cores} cores.`,
      '',
    );
  }
  const files = t.first.layers.every((l) => typeof l.files === 'number')
    ? [...new Map(t.first.layers.map((l) => [l.diffId, l.files])).values()].reduce((a, b) => a + b, 0)
    : undefined;
  L.push(
    `Peak RSS of the first analysis: ${mb(t.first.maxRssBytes)} (the process's own maximum, from the kernel), ${mb(t.first.peakTreeRss ?? 0)} (process and children, sampled every 50 ms); the larger is the figure. ` +
      (t.first.memoryPeaks
        ? `Node's own figures at their peaks (sampled every 100 ms): heap used ${mb(t.first.memoryPeaks.heapUsed)} of ${mb(t.first.memoryPeaks.heapTotal)}, buffers outside the heap ${mb(t.first.memoryPeaks.external)}. `
        : '') +
      `Without compressed sizes: ${mb(t.noCompress.maxRssBytes)}. The second run, which reads only the layer cache: ${mb(t.second.maxRssBytes)}` +
      (files !== undefined ? `; the image's layers hold ${files.toLocaleString('en-US')} regular files.` : '.'),
    '',
  );
  if (t.manyFiles) {
    const m = t.manyFiles.first;
    const manyFiles = m.layers.reduce((sum, l) => sum + l.files, 0);
    L.push(
      `\`bench/manyfiles:1\` (\`bench/manyfiles/Dockerfile\`: ${manyFiles.toLocaleString('en-US')} regular files, ${mb(m.distinctTarBytes)} of layer tars): analysis ${seconds(m.analyzeMs)}, peak RSS ${mb(Math.max(m.maxRssBytes, m.peakTreeRss ?? 0))}` +
        (m.memoryPeaks
          ? `; heap used ${mb(m.memoryPeaks.heapUsed)} of ${mb(m.memoryPeaks.heapTotal)}, buffers outside the heap ${mb(m.memoryPeaks.external)}`
          : '') +
        ". Its wasted-space figures need every path of the image: the layers' listings are sorted to disk and merged, so memory does not grow with the number of files either.",
      '',
    );
  }
  L.push('<details><summary>Per layer</summary>', '');
  L.push('| Layer | Instruction | Tar | gzip -6 | Tool compressed |', '| --: | :-- | --: | --: | --: |');
  const distinct = [...new Map(t.first.layers.map((l) => [l.diffId, l])).values()];
  distinct.forEach((l, i) => {
    const g = t.gzip.layers[i];
    L.push(
      `| ${i + 1} | ${md(l.createdBy.replace(/^\/bin\/sh -c (#\(nop\)\s*)?/, '').slice(0, 70))} | ${mb(l.tarBytes)} | ${g ? mb(g.gzBytes) : '—'} | ${l.compressedBytes !== undefined ? mb(l.compressedBytes) : '—'} |`,
    );
  });
  L.push('', '</details>', '');
  return L;
}

function kindsSection(k: KindsResult, cores: number): string[] {
  const goal = 0.9 * cores;
  const L: string[] = [];
  L.push('## Compressed-size throughput per kind of layer', '');
  L.push(
    `Each kind is one file of layer bytes; per repetition, back to back: \`${k.pinned ? 'taskset -c 0 ' : ''}gzip -6 -c FILE | wc -c\` (one core${k.pinned ? '' : ': not pinned, no taskset'}) and the sizer of each model in a process of its own (every core, the file read in 1 MiB chunks), the order alternating; ` +
      `${k.reps} repetition(s), medians. Goal: the sizer at least 0.9 × ${cores} cores = ${goal.toFixed(1)}× gzip's rate on every kind, for every model. ` +
      "CPU: gzip's CPU time over the sizer's (every thread); on a machine shared with other work it is steadier than the wall ratio, which is at best about cores × the CPU ratio.",
    '',
  );
  L.push(`Load average before ${k.loadBefore}, after ${k.loadAfter}.`, '');
  for (const [m, a] of Object.entries(k.availability))
    if (!a.available) L.push(`Model ${m}: not available (${md(a.reason ?? 'unknown')}).`, '');
  const models = MODELS.filter((m) => k.availability[m]?.available);
  const head = [
    'Kind',
    'Bytes',
    'gzip -6, one core',
    'gzip -6 out',
    ...models.flatMap((m) => [`${m}`, `${m} / gzip`, `${m} CPU ratio`, `${m} size against gzip -6`, '']),
  ];
  L.push(`| ${head.join(' | ')} |`, `| :-- | --: | --: | --: | ${models.map(() => '--: | --: | --: | --: | :-:').join(' | ')} |`);
  for (const r of k.kinds) {
    const cells = [r.input.kind, mbOneDecimal(r.input.bytes), mbps(r.input.bytes, r.gzipMedianMs), mbOneDecimal(r.gzipBytes)];
    for (const m of models) {
      const f = r.models[m];
      if (!f) cells.push('—', '—', '—', '—', '—');
      else {
        cells.push(
          mbps(r.input.bytes, f.medianMs),
          `**${f.ratio.toFixed(2)}×**`,
          `${f.cpuRatio.toFixed(2)}×`,
          `${((f.compressedBytes / r.gzipBytes - 1) * 100).toFixed(2)}%`,
          f.ratio >= goal ? 'pass' : 'MISS',
        );
      }
    }
    L.push(`| ${cells.join(' | ')} |`);
  }
  L.push('', '<details><summary>Inputs and repetitions</summary>', '');
  for (const r of k.kinds) L.push(`- ${r.input.kind}: ${md(r.input.source)}, ${r.input.bytes.toLocaleString('en-US')} bytes.`);
  L.push(
    '',
    `| Kind | Rep | Order | gzip -6 | ${models.join(' | ')} |`,
    `| :-- | --: | :-- | --: | ${models.map(() => '--:').join(' | ')} |`,
  );
  for (const r of k.kinds) {
    r.runs.forEach((run, i) => {
      const cells = models.map((m) => {
        const s = run.sizers[m];
        return s ? `${(s.ms / 1000).toFixed(2)} s (CPU ${(s.cpuMs / 1000).toFixed(2)} s)` : '—';
      });
      L.push(
        `| ${r.input.kind} | ${i + 1} | ${run.order} | ${(run.gzip.ms / 1000).toFixed(2)} s (CPU ${(run.gzip.cpuMs / 1000).toFixed(2)} s) | ${cells.join(' | ')} |`,
      );
    });
  }
  L.push('', '</details>', '');
  return L;
}

function overheadSection(o: OverheadResult, machine: Machine): string[] {
  const L: string[] = [];
  const runs = overheadRuns(o);
  const buildx = machine.engine?.buildx;
  L.push('## Overhead: the tool against `docker build`', '');
  L.push(
    'examples/python-service, its two variants (single-stage `Dockerfile.single`; multi-stage `Dockerfile`, target `runtime`), built by each side one after the other, with each builder. ' +
      'Legacy builder: `DOCKER_BUILDKIT=0 docker build` of each against `node dist/cli.js -C examples/python-service --builder legacy --no-compressed-size --cache-dir <dir> --no-fail-on-budget`. ' +
      (runs.some((m) => m.builder === 'buildkit')
        ? `BuildKit, what \`docker build\` is today: \`docker buildx build --builder ${buildx?.name ?? 'default'}\` of each (the engine's own builder, docker driver${buildx ? `, buildx ${buildx.version}` : ''}: the same BuildKit and build cache as the tool's builds; it loads the image into the engine's image store by default, \`--load\` being implied) against the same tool command with \`--builder buildkit\` (the default). `
        : `No BuildKit comparison${o.noBuildKit ? `: ${md(o.noBuildKit)}` : ''}. `) +
      "The tool builds, reads each image's layers in one pass over `docker save`, and removes its images. " +
      'Images either side built are removed between repetitions (untimed); the order alternates.',
    '',
  );
  L.push(`Load average before ${o.loadBefore}, after ${o.loadAfter}.`, '');
  L.push(
    '| Builder | Cache state | Rep | Order | docker | tool | tool / docker | tool: builds | tool: the rest |',
    '| :-- | :-- | --: | :-- | --: | --: | --: | --: | --: |',
  );
  for (const m of runs) {
    const who = m.builder === 'buildkit' ? 'BuildKit (`docker buildx build`)' : 'legacy (`DOCKER_BUILDKIT=0 docker build`)';
    m.rows.forEach((r, i) => {
      L.push(
        `| ${who} | ${m.mode} | ${i + 1} | ${r.order} | ${seconds(r.docker.ms)} | ${seconds(r.tool.ms)} | ${ratio(r.tool.ms / r.docker.ms, 3)} | ${seconds(r.tool.buildMs)} | ${seconds(r.tool.ms - r.tool.buildMs)} |`,
      );
    });
    L.push(
      `| ${who} | ${m.mode} | median | | ${seconds(m.dockerMedian)} | ${seconds(m.toolMedian)} | **${ratio(m.ratio, 3)}** | ${seconds(m.toolBuildMedian)} | ${seconds(m.toolMedian - m.toolBuildMedian)} |`,
    );
  }
  L.push(
    '',
    "cold: an empty build cache on both sides, as on a fresh runner: a copy of the example with `ARG BENCH_NONCE` after each FROM, built with a value of its own by each side in each repetition, so that every RUN runs (packages come from Debian's mirror; an ARG in scope is in every RUN's cache key with either builder); no `--no-cache`, so each side leaves its build cache as it would, removed between repetitions, untimed (legacy: the step images; BuildKit: the build-cache records the repetition added); an empty layer cache for the tool. warm: a first untimed build fills the cache, then every step is a cache hit on both sides; the tool's layer cache is the one an untimed run of the tool filled, as a runner keeping both caches would have them. " +
      "tool: builds = the build requests as the tool times them (context packing included); the rest = the tool's wall time less its builds: starting Node, reading the layers of each image (docker save), removing its images.",
    '',
  );
  return L;
}

function pullRequestSection(p: PullRequestResult, image: string): string[] {
  const L: string[] = [];
  L.push('## Pull-request run', '');
  L.push(
    `A temporary git repository: the base commit (${p.repo.base}) holds the large image's Dockerfile, the head (${p.repo.head}) adds \`COPY pr-note.txt\`, one small layer. ` +
      `docker side: \`DOCKER_BUILDKIT=0 docker build\` of the head alone. Tool side: \`node dist/cli.js -C <repo> --base HEAD~1 --builder legacy --cache-dir <dir> --no-fail-on-budget\` ` +
      '(the full run: builds the head, measures it with compressed sizes, checks out the base in a worktree, builds and measures it, compares, removes its images).' +
      (p.docker
        ? ` Build cache: every step but the added one is cached on both sides (\`${image}\` is present), so the builds are short and what the tool adds shows plainly.`
        : ''),
    '',
  );
  L.push(`Load average before ${p.loadBefore}, after ${p.loadAfter}.`, '');
  const cold = p.cold;
  if (!p.docker && !cold) return [...L, ''];
  L.push('| Run | Wall time | Builds (head + base) | Everything else | Peak RSS (tree) |', '| :-- | --: | --: | --: | --: |');
  if (p.docker) {
    L.push(
      `| docker build of the head (${p.docker.cachedSteps}/${p.docker.steps - 1} steps cached) | ${seconds(p.docker.ms)} | ${seconds(p.docker.ms)} | — | — |`,
    );
    for (const [label, r] of [
      ['tool, empty layer cache', p.fresh],
      ['tool, layer cache left by a run on the base commit', p.persisted],
    ] as const) {
      if (!r) continue;
      L.push(
        `| ${label} | ${seconds(r.ms)} | ${seconds(r.head.buildMs)} + ${seconds(r.base.buildMs)} | ${seconds(r.ms - r.buildMs)} | ${mb(r.peakTreeRss ?? 0)} |`,
      );
    }
  }
  if (cold) {
    L.push(
      `| empty build cache: docker build of the head (${cold.docker.cachedSteps}/${cold.docker.steps - 1} steps cached) | ${seconds(cold.docker.ms)} | ${seconds(cold.docker.ms)} | — | — |`,
    );
    if (cold.tool)
      L.push(
        `| empty build cache: tool, \`--base HEAD~1\` (rebuild), empty layer cache (head ${cold.tool.head.cachedSteps}/${cold.tool.head.steps}, base ${cold.tool.base.cachedSteps}/${cold.tool.base.steps} steps cached) | ${seconds(cold.tool.ms)} | ${seconds(cold.tool.head.buildMs)} + ${seconds(cold.tool.base.buildMs)} | ${seconds(cold.tool.ms - cold.tool.buildMs)} | ${mb(cold.tool.peakTreeRss ?? 0)} |`,
      );
    const r = cold.registry;
    if (r)
      L.push(
        `| empty build cache: tool, \`--baseline registry --baseline-image ${md(r.baselineImage)}\`, empty layer cache (head ${r.tool.head.cachedSteps}/${r.tool.head.steps} steps cached, base not built) | ${seconds(r.tool.ms)} | ${seconds(r.tool.head.buildMs)} + — | ${seconds(r.tool.ms - r.tool.buildMs)} | ${mb(r.tool.peakTreeRss ?? 0)} |`,
      );
    L.push('');
    if (cold.loadBefore) {
      const d = cold.loadDuring;
      L.push(
        `Empty build cache: load average before ${cold.loadBefore}, after ${cold.loadAfter ?? '?'}` +
          (d
            ? `; during (1-minute, every 10 s, ${d.samples} samples): ${d.min.toFixed(2)} to ${d.max.toFixed(2)}, median ${d.median.toFixed(2)}`
            : '') +
          '.',
        '',
      );
    }
    L.push(
      "Empty build cache: an `ARG BENCH_NONCE` after FROM, with a value of this run's, puts a new value in every RUN step's cache key (legacy builder), so nothing of the kept image is reused; the docker side builds with its own value, and each run of the tool with its own. The tool's base rebuild then reuses the head's layers, as on a fresh runner." +
        (cold.tool && r ? ' The rebuild and the registry runs are each divided by the one docker build of the head above.' : ''),
    );
    if (r) {
      const s = r.stream;
      L.push(
        '',
        `Baseline from a registry: before the timed runs, what the publishing job on the base branch would have done, untimed: the base commit built cold with an ARG value of its own (${seconds(r.published.buildMs)}; the head's build later finds none of its layers in the build cache, as on another runner) and \`docker push ${md(r.reference)}\` (${seconds(r.published.pushMs)}${r.published.digest ? `, ${r.published.digest.slice(0, 19)}…` : ''}); the local image and its step images removed again. ` +
          `The tool then builds the head alone and reads the base from the registry (manifest, config, and the blobs of the layers its layer cache does not know: the head's measurement fills it first): base ${mb(r.tool.base.sizeBytes ?? 0)} unpacked, ${mb(r.tool.base.compressedBytes ?? 0)} compressed (the registry's sizes).`,
        '',
        `Streaming the registry's blobs alone (\`bench/analyze.mjs registry ${md(r.reference)} none\`: every blob, no layer cache, as \`baseline: registry\` measures them): ${s.work.measured} layers, ${mb(s.work.blobBytes)} of blobs in ${seconds(s.wallMs)} (${mbps(s.work.blobBytes, s.wallMs)}); peak RSS ${mb(Math.max(s.maxRssBytes, s.peakTreeRss ?? 0))} (heap ${mb(s.memoryPeaks.heapUsed ?? 0)}, buffers ${mb(s.memoryPeaks.arrayBuffers ?? 0)}); CPU ${seconds(s.cpuUserMs)} user + ${seconds(s.cpuSystemMs)} system.`,
      );
    } else if (cold.registrySkipped) L.push('', `Baseline from a registry: not measured: ${md(cold.registrySkipped)}.`);
  }
  L.push('');
  return L;
}
