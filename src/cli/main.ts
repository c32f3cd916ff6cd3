/** The command-line tool: the action's engine, printing the table in a terminal. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DockerEngine } from '../docker/engine.js';
import { failsRun } from '../judge/budgets.js';
import { InputError, isUserError, messageOf } from '../errors.js';
import { cancellation, CANCEL_EXIT_WITHIN_MS, exitStatusFor, listenForCancel } from '../cancel.js';
import type { Logger } from '../log.js';
import { RUN_LABEL } from '../measure/measure.js';
import { createReport, type BaselineStep } from '../pipeline.js';
import { createRegistry } from '../registry/client.js';
import type { Registry } from '../registry/types.js';
import { describeCancel } from '../render/format.js';
import { renderMarkdown } from '../render/markdown.js';
import { renderText } from '../render/text.js';
import { createScrubber, scrubbedLogger, secretsOf } from '../secrets/scrub.js';
import { loadConfigFile } from '../settings/config-file.js';
import { resolveSettings, type RawSettings, type Settings } from '../settings/schema.js';
import { TOOL } from '../version.js';

const HELP = `Usage: image-size-report [options]

Builds each image variant, prints its size, layer count and build time,
compares them with a base and checks the size budgets.

Options:
  -C, --working-directory DIR  variant paths are relative to DIR (default: .)
  -c, --config FILE            config file (default: .github/image-size.yml when it exists)
      --variants YAML          variants, as in the action input, e.g.
                               '{single: Dockerfile.single, multi: {dockerfile: Dockerfile, target: runtime}}'
      --budgets YAML           budgets, as in the action input
      --context DIR            default build context (default: .)
      --build-arg KEY=VALUE    a build argument (repeatable); a bare KEY takes its value from the environment
      --platforms LIST         build every variant for these platforms, one row each, e.g.
                               linux/amd64,linux/arm64 (default: the engine's own)
      --base REF               rebuild REF (branch, tag or commit) in a git worktree and compare with it
      --baseline-file FILE     compare with a JSON report saved by an earlier run
      --baseline LIST          where bases come from, in order: registry, file, rebuild
                               (e.g. registry,rebuild); default: rebuild with --base,
                               file with --baseline-file
      --baseline-image REF     with registry: each variant's published image, {variant}
                               for its name (e.g. ghcr.io/acme/app:main-{variant})
      --no-cache               build without the build cache
      --pull                   pull newer base images
      --builder NAME           buildkit (default) or legacy
      --timeout DURATION       time limit per build (default: 30m)
      --units NAME             decimal (default, as docker images) or binary
      --min-change SIZE|PCT    what counts as a change (default: 0.1% of the base's figure,
                               at least 512 B); smaller moves show as "same size"
      --no-compressed-size     skip the compressed (registry) sizes, the slowest measurement
      --cache-dir DIR          keep layer measurements in DIR across runs
                               (default: ~/.cache/image-size-report; none: keep nothing)
      --json FILE              also write the JSON report to FILE (- for standard output)
      --markdown               print the Markdown comment instead of the table
      --keep-images            keep the images built (tagged ${'image-size-report/<variant>:<side>-<run>'})
      --no-fail-on-budget      exit 0 even when a budget is broken
  -v, --verbose                show the build output
  -h, --help                   show this help
      --version                show the version

Exit status: 0 all built and within budget; 1 a build failed or a budget is broken;
2 bad input, or Docker or git not usable; 130 cancelled by Ctrl-C (SIGINT), 143 by SIGTERM.

Ctrl-C or SIGTERM stops the build under way in the engine, removes what the run made
(images, tags, containers, the base's worktree), prints what was measured by then, and exits
within 5 s; a second signal does not cut that short.
`;

const OPTIONS = {
  'working-directory': { type: 'string', short: 'C' },
  config: { type: 'string', short: 'c' },
  variants: { type: 'string' },
  budgets: { type: 'string' },
  context: { type: 'string' },
  'build-arg': { type: 'string', multiple: true },
  platforms: { type: 'string' },
  base: { type: 'string' },
  'baseline-file': { type: 'string' },
  baseline: { type: 'string' },
  'baseline-image': { type: 'string' },
  'no-cache': { type: 'boolean' },
  pull: { type: 'boolean' },
  builder: { type: 'string' },
  timeout: { type: 'string' },
  units: { type: 'string' },
  'min-change': { type: 'string' },
  'no-compressed-size': { type: 'boolean' },
  'cache-dir': { type: 'string' },
  json: { type: 'string' },
  markdown: { type: 'boolean' },
  'keep-images': { type: 'boolean' },
  'no-fail-on-budget': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

export async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: false }>>['values'];
  try {
    args = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }).values;
  } catch (error) {
    process.stderr.write(`image-size-report: ${messageOf(error)}\nRun image-size-report --help for the options.\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`${TOOL.version}\n`);
    return 0;
  }
  let cancel: AbortSignal | undefined;
  try {
    const workingDirectory = path.resolve(args['working-directory'] ?? '.');
    const { raw: fromFile } = loadConfigFile(workingDirectory, args.config);
    const fromFlags: RawSettings = {
      variants: args.variants,
      budgets: args.budgets,
      context: args.context,
      'build-args': args['build-arg'],
      platforms: args.platforms,
      'no-cache': args['no-cache'],
      pull: args.pull,
      builder: args.builder,
      timeout: args.timeout,
      units: args.units,
      'min-change': args['min-change'],
      'keep-images': args['keep-images'],
      'cache-dir': args['cache-dir'],
      ...(args['no-compressed-size'] ? { 'compressed-size': false } : {}),
      ...(args['no-fail-on-budget'] ? { 'fail-on-budget': false } : {}),
      'baseline-file': args['baseline-file'],
      'baseline-image': args['baseline-image'],
      // without --baseline, --baseline-file means `file` and --base means `rebuild`, as they always have
      baseline: args.baseline ?? (args.base ? 'rebuild' : args['baseline-file'] ? 'file' : undefined),
    };
    const given = Object.fromEntries(Object.entries(fromFlags).filter(([, v]) => v !== undefined)) as RawSettings;
    const settings = resolveSettings({ ...fromFile, ...given }, process.env);
    if (args.base && args['baseline-file'] && !args.baseline)
      throw new InputError('--base and --baseline-file cannot be used together; pick one base.');

    // Build-arg values never reach the output, as in the action: the report is scrubbed before anything is written.
    // and so do the registry's credentials and tokens, as soon as it has used them
    const registry = settings.baseline.includes('registry') ? await createRegistry({ env: process.env }) : undefined;
    const scrubber = createScrubber(secretsOf(settings.variants), registry && (() => registry.secrets()));
    const runId = `cli-${Date.now().toString(36)}`;
    cancel = cancelOnSignals(runId);
    const report = scrubber.deep(
      await createReport({
        settings,
        workingDirectory,
        engine: DockerEngine.fromEnvironment(),
        baseline: cliBaseline(settings, workingDirectory, args.base, registry),
        head: {},
        runId,
        log: scrubbedLogger(terminalLogger(Boolean(args.verbose)), scrubber),
        signal: cancel,
      }),
    );
    if (args.json) {
      const json = JSON.stringify(report, null, 2) + '\n';
      if (args.json === '-') process.stdout.write(json);
      else writeFileSync(path.resolve(args.json), json);
    }
    if (args.json !== '-') process.stdout.write(args.markdown ? renderMarkdown(report, { headLabel: 'Current' }) : renderText(report));
    const cancelled = cancellation(cancel);
    if (cancelled) {
      process.stderr.write(`image-size-report: ${describeCancel(report) ?? `the run was cancelled (${cancelled.signal}).`}\n`);
      return exitStatusFor(cancelled.signal);
    }
    return failsRun(report, settings.failOnBudget) ? 1 : 0;
  } catch (error) {
    const cancelled = cancellation(cancel);
    if (cancelled) {
      process.stderr.write(`image-size-report: the run was cancelled (${cancelled.signal}) before anything was measured.\n`);
      return exitStatusFor(cancelled.signal);
    }
    if (isUserError(error)) {
      process.stderr.write(`image-size-report: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`image-size-report: unexpected error: ${messageOf(error)}\n`);
    if (process.env.DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return 2;
  }
}

/**
 * Ctrl-C (SIGINT) or SIGTERM cancels the run (src/cancel.ts): said at once on standard error; a second signal
 * only says the clean-up goes on. The listeners stay until the process ends (they do not keep it alive).
 */
function cancelOnSignals(runId: string): AbortSignal {
  return listenForCancel({
    onCancel: (cancelled) =>
      process.stderr.write(
        `\nimage-size-report: cancelled (${cancelled.signal}): stopping the builds and removing what this run made...\n`,
      ),
    onRepeat: (signal) =>
      process.stderr.write(
        `image-size-report: ${signal} as well: still cleaning up (done within ${CANCEL_EXIT_WITHIN_MS / 1000} s of the first signal).\n`,
      ),
    onOverdue: (cancelled) => {
      const label = `${RUN_LABEL}=${runId}`;
      process.stderr.write(
        `image-size-report: the clean-up did not finish in time; what this run left is labelled ${label} (docker image ls --filter label=${label}).\n`,
      );
      process.exit(exitStatusFor(cancelled.signal));
    },
  }).signal;
}

/** The sources in order; `rebuild` (and `auto`) rebuild `--base REF`, which `rebuild` needs. */
function cliBaseline(
  settings: Pick<Settings, 'baseline' | 'baselineFile' | 'baselineImage'>,
  cwd: string,
  base: string | undefined,
  registry: Registry | undefined,
): BaselineStep[] {
  return settings.baseline.flatMap((source): BaselineStep[] => {
    if (source === 'file') return [{ source: 'file', file: path.resolve(cwd, settings.baselineFile!) }];
    if (source === 'registry') return [{ source: 'registry', registry: registry!, image: settings.baselineImage! }];
    if ((source === 'rebuild' || source === 'auto') && base) return [{ source: 'rebuild', commit: base, ref: base }];
    if (source === 'rebuild') throw new InputError('baseline is "rebuild": name the base with --base REF (e.g. --base origin/main).');
    return [];
  });
}

function terminalLogger(verbose: boolean): Logger {
  return {
    info: (m) => process.stderr.write(`${m}\n`),
    warning: (m) => process.stderr.write(`warning: ${m}\n`),
    async group(title, fn) {
      process.stderr.write(`${title}...\n`);
      const started = performance.now();
      const result = await fn();
      process.stderr.write(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      return result;
    },
    buildLine: (line) => {
      if (verbose) process.stderr.write(`  ${line}\n`);
    },
  };
}
