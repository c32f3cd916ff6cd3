// Runs the bundled action (dist/index.js) the way a GitHub runner does: inputs as INPUT_* variables, the event
// payload in a file, outputs and the job summary written to the files the runner names.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './workspace.js';

export const DIST_ACTION = path.resolve(import.meta.dirname, '../../dist/index.js');

export interface ActionRun {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  runnerTemp: string;
}

export interface ActionRunOptions {
  workspace: string;
  inputs: Record<string, string>;
  eventName: string;
  payload: Record<string, unknown>;
  repository: string;
  apiUrl: string;
  token: string;
  sha: string;
  runId?: string;
  /** Further environment variables of the step (`env:` in the workflow, the GitHub wait unit IMAGE_SIZE_REPORT_GITHUB_WAIT_UNIT_MS). */
  env?: Record<string, string>;
}

export async function runAction(options: ActionRunOptions): Promise<ActionRun> {
  return startAction(options).done;
}

/** The action started, for a test that signals it (as a runner does to cancel a job) while it runs. */
export interface StartedAction {
  child: ChildProcess;
  /** Standard output so far. */
  stdout(): string;
  runnerTemp: string;
  done: Promise<ActionRun>;
}

export function startAction(options: ActionRunOptions): StartedAction {
  const runnerTemp = tempDir('runner-temp');
  const files = {
    event: path.join(runnerTemp, 'event.json'),
    output: path.join(runnerTemp, 'output.txt'),
    summary: path.join(runnerTemp, 'summary.md'),
  };
  writeFileSync(files.event, JSON.stringify(options.payload));
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? runnerTemp,
    ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_EVENT_NAME: options.eventName,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_REPOSITORY: options.repository,
    GITHUB_REPOSITORY_OWNER: options.repository.split('/')[0],
    GITHUB_API_URL: options.apiUrl,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_GRAPHQL_URL: `${options.apiUrl}/graphql`,
    GITHUB_SHA: options.sha,
    GITHUB_REF: 'refs/pull/1/merge',
    GITHUB_RUN_ID: options.runId ?? String(Date.now()),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_TEMP: runnerTemp,
    // github-token has a default in action.yml, so the runner always passes it.
    'INPUT_GITHUB-TOKEN': options.token,
    ...options.env,
  };
  for (const [name, value] of Object.entries(options.inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;

  const child = spawn(process.execPath, [DIST_ACTION], { cwd: options.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<number>((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal ? -1 : -2)))).then((code) => ({
    code,
    stdout,
    stderr,
    outputs: parseOutputFile(readFileSync(files.output, 'utf8')),
    summary: existsSync(files.summary) ? readFileSync(files.summary, 'utf8') : '',
    runnerTemp,
  }));
  return { child, stdout: () => stdout, runnerTemp, done };
}

/** The GITHUB_OUTPUT file format: `name<<DELIMITER\nvalue\nDELIMITER` blocks (as @actions/core writes them). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2], i + 1);
      outputs[heredoc[1]] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (lines[i].includes('=')) {
      const eq = lines[i].indexOf('=');
      outputs[lines[i].slice(0, eq)] = lines[i].slice(eq + 1);
    }
  }
  return outputs;
}
