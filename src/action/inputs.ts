/** Reading the action's inputs (INPUT_* variables) over the config file. */
import path from 'node:path';
import * as core from '@actions/core';
import { existsSync, statSync } from 'node:fs';
import { InputError, quote } from '../errors.js';
import { REPORT_NAME_MAX } from '../report/types.js';
import { maskableValues, secretsOf, type Secret } from '../secrets/scrub.js';
import { loadConfigFile } from '../settings/config-file.js';
import { resolveSettings, SETTING_KEYS, type RawSettings, type Settings } from '../settings/schema.js';

export interface ActionSettings {
  settings: Settings;
  workingDirectory: string;
  token: string;
  configFile?: string;
  /** Build-arg values and the token: scrubbed from all we write (the values are registered with the runner's masker). */
  secrets: Secret[];
}

/**
 * Inputs given in the workflow override the config file key by key. action.yml gives these inputs no default,
 * so an empty input means "not given" and the file's value (or the built-in default) applies.
 */
export function readActionSettings(env: NodeJS.ProcessEnv = process.env): ActionSettings {
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  const workingDirectory = path.resolve(workspace, core.getInput('working-directory') || '.');
  if (!existsSync(workingDirectory) || !statSync(workingDirectory).isDirectory()) {
    throw new InputError(`working-directory: ${quote(core.getInput('working-directory'))} is not a directory in the workspace.`);
  }
  const { raw: fromFile, file } = loadConfigFile(workingDirectory, core.getInput('config') || undefined);
  const fromInputs: RawSettings = {};
  for (const key of SETTING_KEYS) {
    const value = core.getInput(key, { trimWhitespace: key !== 'build-args' });
    if (value.trim() !== '') fromInputs[key] = value;
  }
  const settings = resolveSettings({ ...fromFile, ...fromInputs }, env);
  // The runner masks the token itself; build-arg values it cannot know are secret.
  for (const value of maskableValues(secretsOf(settings.variants))) core.setSecret(value);
  const token = core.getInput('github-token');
  const secrets = secretsOf(settings.variants, [token]);
  if (file) core.info(`Settings read from ${path.relative(workspace, file) || file}, with the workflow's inputs laid over them.`);
  return { settings, workingDirectory, token, configFile: file, secrets };
}

/**
 * Inputs that only the workflow may set, never the config file: the config file comes from the checked-out
 * code, which on a pull request the pull request's author writes. These decide what the run trusts.
 */
export interface TrustInputs {
  /** Post the comment from this report file instead of building (the workflow_run half of the fork setup). */
  reportFrom?: string;
  /** What a comment that cannot be posted does to the step; undefined means the mode's default. */
  commentFailure?: 'fail' | 'warn';
  /** Build even on pull_request_target. */
  allowPullRequestTarget: boolean;
}

export function readTrustInputs(): TrustInputs {
  const reportFrom = core.getInput('report-from') || undefined;
  const failure = core.getInput('comment-failure');
  if (failure && failure !== 'fail' && failure !== 'warn') {
    throw new InputError(
      `comment-failure: "${failure}" is not accepted. Use fail (the step fails when the comment cannot be posted) or warn (it only warns).`,
    );
  }
  return {
    ...(reportFrom ? { reportFrom } : {}),
    ...(failure ? { commentFailure: failure as 'fail' | 'warn' } : {}),
    allowPullRequestTarget: booleanInput('allow-pull-request-target') ?? false,
  };
}

/**
 * `report-name`: what this report is of (a matrix job's platform, say), the title of its section when several
 * reports are posted as one comment. Free text, escaped where shown; one line of at most REPORT_NAME_MAX characters.
 */
export function readReportName(): string | undefined {
  const name = core.getInput('report-name');
  if (name === '') return undefined;
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (name.length > REPORT_NAME_MAX || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new InputError(
      `report-name: ${quote(name)} is not accepted. Use one line of at most ${REPORT_NAME_MAX} characters (it titles this report's section when several reports are posted as one comment).`,
    );
  }
  return name;
}

function booleanInput(name: string): boolean | undefined {
  const value = core.getInput(name);
  if (value === '') return undefined;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new InputError(`${name}: "${value}" is not accepted. Use true or false.`);
}
