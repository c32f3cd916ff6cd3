#!/usr/bin/env node
import { createRequire as __isrCreateRequire } from 'node:module';
import { fileURLToPath as __isrFileURLToPath } from 'node:url';
import { dirname as __isrDirname } from 'node:path';
const require = __isrCreateRequire(import.meta.url);
const __filename = __isrFileURLToPath(import.meta.url);
const __dirname = __isrDirname(__filename);
import {
  CANCEL_EXIT_WITHIN_MS,
  DockerEngine,
  InputError,
  RUN_LABEL,
  TOOL,
  cancellation,
  createRegistry,
  createReport,
  createScrubber,
  describeCancel,
  exitStatusFor,
  failsRun,
  isUserError,
  listenForCancel,
  loadConfigFile,
  messageOf,
  renderMarkdown,
  renderText,
  resolveSettings,
  scrubbedLogger,
  secretsOf
} from "./chunks/chunk-EXCVQYOY.js";

// src/cli/main.ts
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
var HELP = `Usage: image-size-report [options]

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
      --keep-images            keep the images built (tagged ${"image-size-report/<variant>:<side>-<run>"})
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
var OPTIONS = {
  "working-directory": { type: "string", short: "C" },
  config: { type: "string", short: "c" },
  variants: { type: "string" },
  budgets: { type: "string" },
  context: { type: "string" },
  "build-arg": { type: "string", multiple: true },
  platforms: { type: "string" },
  base: { type: "string" },
  "baseline-file": { type: "string" },
  baseline: { type: "string" },
  "baseline-image": { type: "string" },
  "no-cache": { type: "boolean" },
  pull: { type: "boolean" },
  builder: { type: "string" },
  timeout: { type: "string" },
  units: { type: "string" },
  "min-change": { type: "string" },
  "no-compressed-size": { type: "boolean" },
  "cache-dir": { type: "string" },
  json: { type: "string" },
  markdown: { type: "boolean" },
  "keep-images": { type: "boolean" },
  "no-fail-on-budget": { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" }
};
async function main(argv) {
  let args;
  try {
    args = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }).values;
  } catch (error) {
    process.stderr.write(`image-size-report: ${messageOf(error)}
Run image-size-report --help for the options.
`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`${TOOL.version}
`);
    return 0;
  }
  let cancel;
  try {
    const workingDirectory = path.resolve(args["working-directory"] ?? ".");
    const { raw: fromFile } = loadConfigFile(workingDirectory, args.config);
    const fromFlags = {
      variants: args.variants,
      budgets: args.budgets,
      context: args.context,
      "build-args": args["build-arg"],
      platforms: args.platforms,
      "no-cache": args["no-cache"],
      pull: args.pull,
      builder: args.builder,
      timeout: args.timeout,
      units: args.units,
      "min-change": args["min-change"],
      "keep-images": args["keep-images"],
      "cache-dir": args["cache-dir"],
      ...args["no-compressed-size"] ? { "compressed-size": false } : {},
      ...args["no-fail-on-budget"] ? { "fail-on-budget": false } : {},
      "baseline-file": args["baseline-file"],
      "baseline-image": args["baseline-image"],
      // without --baseline, --baseline-file means `file` and --base means `rebuild`, as they always have
      baseline: args.baseline ?? (args.base ? "rebuild" : args["baseline-file"] ? "file" : void 0)
    };
    const given = Object.fromEntries(Object.entries(fromFlags).filter(([, v]) => v !== void 0));
    const settings = resolveSettings({ ...fromFile, ...given }, process.env);
    if (args.base && args["baseline-file"] && !args.baseline)
      throw new InputError("--base and --baseline-file cannot be used together; pick one base.");
    const registry = settings.baseline.includes("registry") ? await createRegistry({ env: process.env }) : void 0;
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
        signal: cancel
      })
    );
    if (args.json) {
      const json = JSON.stringify(report, null, 2) + "\n";
      if (args.json === "-") process.stdout.write(json);
      else writeFileSync(path.resolve(args.json), json);
    }
    if (args.json !== "-") process.stdout.write(args.markdown ? renderMarkdown(report, { headLabel: "Current" }) : renderText(report));
    const cancelled = cancellation(cancel);
    if (cancelled) {
      process.stderr.write(`image-size-report: ${describeCancel(report) ?? `the run was cancelled (${cancelled.signal}).`}
`);
      return exitStatusFor(cancelled.signal);
    }
    return failsRun(report, settings.failOnBudget) ? 1 : 0;
  } catch (error) {
    const cancelled = cancellation(cancel);
    if (cancelled) {
      process.stderr.write(`image-size-report: the run was cancelled (${cancelled.signal}) before anything was measured.
`);
      return exitStatusFor(cancelled.signal);
    }
    if (isUserError(error)) {
      process.stderr.write(`image-size-report: ${error.message}
`);
      return 2;
    }
    process.stderr.write(`image-size-report: unexpected error: ${messageOf(error)}
`);
    if (process.env.DEBUG) process.stderr.write(`${error.stack}
`);
    return 2;
  }
}
function cancelOnSignals(runId) {
  return listenForCancel({
    onCancel: (cancelled) => process.stderr.write(
      `
image-size-report: cancelled (${cancelled.signal}): stopping the builds and removing what this run made...
`
    ),
    onRepeat: (signal) => process.stderr.write(
      `image-size-report: ${signal} as well: still cleaning up (done within ${CANCEL_EXIT_WITHIN_MS / 1e3} s of the first signal).
`
    ),
    onOverdue: (cancelled) => {
      const label = `${RUN_LABEL}=${runId}`;
      process.stderr.write(
        `image-size-report: the clean-up did not finish in time; what this run left is labelled ${label} (docker image ls --filter label=${label}).
`
      );
      process.exit(exitStatusFor(cancelled.signal));
    }
  }).signal;
}
function cliBaseline(settings, cwd, base, registry) {
  return settings.baseline.flatMap((source) => {
    if (source === "file") return [{ source: "file", file: path.resolve(cwd, settings.baselineFile) }];
    if (source === "registry") return [{ source: "registry", registry, image: settings.baselineImage }];
    if ((source === "rebuild" || source === "auto") && base) return [{ source: "rebuild", commit: base, ref: base }];
    if (source === "rebuild") throw new InputError('baseline is "rebuild": name the base with --base REF (e.g. --base origin/main).');
    return [];
  });
}
function terminalLogger(verbose) {
  return {
    info: (m) => process.stderr.write(`${m}
`),
    warning: (m) => process.stderr.write(`warning: ${m}
`),
    async group(title, fn) {
      process.stderr.write(`${title}...
`);
      const started = performance.now();
      const result = await fn();
      process.stderr.write(`  done in ${((performance.now() - started) / 1e3).toFixed(1)} s
`);
      return result;
    },
    buildLine: (line) => {
      if (verbose) process.stderr.write(`  ${line}
`);
    }
  };
}

// src/cli.ts
process.exitCode = await main(process.argv.slice(2));
