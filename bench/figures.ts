/**
 * The bench's summary: one row per figure with its goal (issues 3 and 10), from a run's raw figures; printed as
 * a text table at the end of a run and written as RESULTS.md's Figures table (bench/results.ts).
 */
import { mb, mbOneDecimal, mbps, ratio, seconds, verdict } from './format.js';
import { MODELS, type KindsResult, type ModelName } from './kinds.js';
import { overheadRuns, type OverheadRun } from './overhead.js';
import { median } from './proc.js';
import type { RunRecord } from './record.js';

export interface FigureRow {
  figure: string;
  value: string;
  goal: string;
  /** Undefined: a figure without a goal to pass. */
  pass?: boolean;
}

export function figures({ machine, t, o, p, k }: RunRecord): FigureRow[] {
  const rows: FigureRow[] = [];
  if (o) {
    for (const m of overheadRuns(o)) {
      const mode = m.mode;
      rows.push({
        figure: `Overhead, ${mode} (${mode === 'cold' ? 'empty build cache both sides' : 'every step cached both sides'}), ${builderWords(m)}`,
        value: `${ratio(m.ratio, 3)} (${seconds(m.toolMedian)} / ${seconds(m.dockerMedian)})`,
        goal: '≤ 1.05×',
        pass: m.ratio <= 1.05,
      });
      if (mode === 'cold') {
        // cold builds vary by tens of seconds with the mirror and the load; the builds are the same work on
        // both sides, so the tool's other work over docker's time is the steadier estimate of what it adds
        const rest = median(m.rows.map((r) => r.tool.ms - r.tool.buildMs));
        rows.push({
          figure: `Overhead, cold, ${m.builder === 'buildkit' ? 'BuildKit' : 'legacy builder'}, build times taken as equal: (docker's builds + the tool's work besides building) / docker's builds`,
          value: `${ratio((m.dockerMedian + rest) / m.dockerMedian, 3)} (+${seconds(rest)} on ${seconds(m.dockerMedian)})`,
          goal: '≤ 1.05× (estimate)',
          pass: (m.dockerMedian + rest) / m.dockerMedian <= 1.05,
        });
      }
    }
    if (o.noBuildKit)
      rows.push({ figure: 'Overhead, BuildKit: tool / docker buildx build', value: `not measured: ${o.noBuildKit}`, goal: '≤ 1.05×' });
  }
  if (t) {
    const f = t.figures;
    rows.push(
      f.asStored
        ? {
            figure: `Whole analysis, ${mb(f.bytes)} of layer tars (containerd store: compressed sizes as its blobs are stored, nothing compressed): tool / gzip -6 on one core`,
            value: `${ratio(f.speedup)} (${mbps(f.bytes, t.first.analyzeMs)} / ${mbps(t.gzip.bytes, t.gzip.ms)})`,
            goal: '— (no compression to measure)',
          }
        : {
            figure: `Compressed-size throughput, ${mb(f.bytes)} of layer tars: tool / gzip -6 on one core`,
            value: `${ratio(f.speedup)} (${mbps(f.bytes, t.first.analyzeMs)} / ${mbps(t.gzip.bytes, t.gzip.ms)})`,
            goal: `≥ ${ratio(f.speedupGoal, 1)} (0.9 × ${machine.cores} cores)`,
            pass: f.speedup >= f.speedupGoal,
          },
    );
    if (t.gzip.sizer) {
      rows.push({
        figure: `Compressed-size throughput, the sizer alone${t.gzip.sizer.model ? ` (${t.gzip.sizer.model})` : ''} over the same ${mb(t.gzip.sizer.bytes)} of layer tars on disk: tool / gzip -6 on one core`,
        value: `${ratio(f.sizerSpeedup)} (${mbps(t.gzip.sizer.bytes, t.gzip.sizer.wallMs)} / ${mbps(t.gzip.bytes, t.gzip.ms)})`,
        goal: `≥ ${ratio(f.speedupGoal, 1)} (0.9 × ${machine.cores} cores)`,
        pass: f.sizerSpeedup >= f.speedupGoal,
      });
    }
    rows.push({
      figure: 'Second run over the same image (layer cache kept): first / second',
      value: `${ratio(f.secondRatio, 0)} (${seconds(t.first.childWallMs)} / ${seconds(t.second.childWallMs)})`,
      goal: '≥ 20×',
      pass: f.secondRatio >= 20,
    });
    rows.push({
      figure: `Peak memory (RSS) measuring the image of ${mb(t.first.unpackedBytes)} of files`,
      value: mb(f.peakRss),
      goal: '< 200 MB',
      pass: f.peakRss < 200e6,
    });
    if (t.manyFiles) {
      const m = t.manyFiles.first;
      const peak = Math.max(m.maxRssBytes, m.peakTreeRss ?? 0);
      const files = m.layers.reduce((sum, l) => sum + l.files, 0);
      rows.push({
        figure: `Peak memory (RSS) measuring an image of ${files.toLocaleString('en-US')} files (${mb(m.unpackedBytes)})`,
        value: mb(peak),
        goal: '< 200 MB',
        pass: peak < 200e6,
      });
    }
  }
  if (k) rows.push(...kindFigures(k, machine.cores));
  if (p) {
    if (p.fresh && p.persisted && p.docker) {
      rows.push({
        figure: 'Pull-request run (baseline rebuild, base one layer less), empty layer cache: tool / docker build of the head',
        value: `${ratio(p.fresh.ms / p.docker.ms, 1)} (${seconds(p.fresh.ms)} / ${seconds(p.docker.ms)})`,
        goal: '— (figure)',
      });
      rows.push({
        figure: 'Pull-request run, layer cache left by a run on the base commit: tool / docker build of the head',
        value: `${ratio(p.persisted.ms / p.docker.ms, 1)} (${seconds(p.persisted.ms)} / ${seconds(p.docker.ms)})`,
        goal: '— (figure)',
      });
    }
    const cold = p.cold;
    if (cold?.tool) {
      rows.push({
        figure: 'Pull-request run, baseline rebuild, empty build cache and layer cache (a fresh runner): tool / docker build of the head',
        value: `${ratio(cold.tool.ms / cold.docker.ms, 2)} (${seconds(cold.tool.ms)} / ${seconds(cold.docker.ms)})`,
        goal: '— (figure)',
      });
    }
    // the cold builds vary by tens of seconds with the mirror and the load, and the head's build is the same
    // work on both sides: docker's build plus the tool's work besides building is the steadier estimate
    const estimate = (tool: { ms: number; buildMs: number }) => (cold!.docker.ms + tool.ms - tool.buildMs) / cold!.docker.ms;
    if (cold?.tool) {
      rows.push({
        figure:
          "Pull-request run, baseline rebuild, empty build cache, build times taken as equal: (docker's build + the tool's work besides building) / docker's build",
        value: `${ratio(estimate(cold.tool), 2)} (+${seconds(cold.tool.ms - cold.tool.buildMs)} on ${seconds(cold.docker.ms)})`,
        goal: '— (figure)',
      });
    }
    if (cold?.registry) {
      const r = cold.registry;
      const x = r.tool.ms / cold.docker.ms;
      rows.push({
        figure:
          "Pull-request run, baseline registry (the base commit's image published beforehand), empty build cache and layer cache: tool / docker build of the head",
        value: `${ratio(x, 2)} (${seconds(r.tool.ms)} / ${seconds(cold.docker.ms)})${cold.loadDuring ? `; load ${cold.loadDuring.min.toFixed(1)} to ${cold.loadDuring.max.toFixed(1)}` : ''}`,
        goal: '≤ 1.1×',
        pass: x <= 1.1,
      });
      rows.push({
        figure:
          "Pull-request run, baseline registry, empty build cache, build times taken as equal: (docker's build + the tool's work besides building) / docker's build",
        value: `${ratio(estimate(r.tool), 2)} (+${seconds(r.tool.ms - r.tool.buildMs)} on ${seconds(cold.docker.ms)})`,
        goal: '≤ 1.1× (estimate)',
        pass: estimate(r.tool) <= 1.1,
      });
      rows.push({
        figure: 'Peak memory (RSS, process tree) of that pull-request run, baseline registry',
        value: mb(r.tool.peakTreeRss ?? 0),
        goal: '< 200 MB',
        pass: (r.tool.peakTreeRss ?? Infinity) < 200e6,
      });
      const peak = Math.max(r.stream.maxRssBytes, r.stream.peakTreeRss ?? 0);
      rows.push({
        figure: `Peak memory (RSS) streaming the registry's blobs alone: every blob of the base (${mb(r.stream.work.blobBytes)}) analysed, no layer cache`,
        value: mb(peak),
        goal: '< 200 MB',
        pass: peak < 200e6,
      });
    } else if (cold?.registrySkipped) {
      rows.push({
        figure: 'Pull-request run, baseline registry: tool / docker build of the head',
        value: `not measured: ${cold.registrySkipped}`,
        goal: '≤ 1.1×',
      });
    }
  }
  return rows;
}

const builderWords = (m: OverheadRun): string =>
  m.builder === 'buildkit'
    ? 'BuildKit: tool / docker buildx build'
    : 'legacy builder: tool --builder legacy / DOCKER_BUILDKIT=0 docker build';

/** Throughput per kind of layer: per model, per kind (a model not available: one row saying so). */
export function kindFigures(k: KindsResult, cores: number, models: readonly ModelName[] = MODELS): FigureRow[] {
  const goal = 0.9 * cores;
  const goalText = `≥ ${goal.toFixed(1)}× (0.9 × ${cores} cores)`;
  const rows: FigureRow[] = [];
  for (const m of models) {
    const a = k.availability[m];
    if (!a) continue;
    if (!a.available) {
      rows.push({
        figure: `Compressed-size throughput per kind of layer, sizer ${m}: sizer / gzip -6 on one core`,
        value: `model not available (${a.reason})`,
        goal: `${goalText} on every kind`,
      });
      continue;
    }
    for (const r of k.kinds) {
      const f = r.models[m];
      if (!f) continue;
      rows.push({
        figure: `Compressed-size throughput, ${r.input.kind} (${mbOneDecimal(r.input.bytes)}), sizer ${m}: sizer / gzip -6 on one core`,
        value: `${f.ratio.toFixed(2)}× (${mbps(r.input.bytes, f.medianMs)} / ${mbps(r.input.bytes, r.gzipMedianMs)})`,
        goal: goalText,
        pass: f.ratio >= goal,
      });
    }
  }
  return rows;
}

/** The summary as a text table, for the terminal. */
export function textTable(rows: FigureRow[]): string {
  const head = ['Figure', 'Measured', 'Goal', ''];
  const body = rows.map((r) => [r.figure, r.value, r.goal, verdict(r.pass)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
