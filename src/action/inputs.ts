/** Reading the action's inputs (INPUT_* variables) over the config file. */
import path from 'node:path';
import * as core from '@actions/core';
import { existsSync, statSync } from 'node:fs';
import { InputError, quote } from '../errors.js';
import { loadConfigFile } from '../settings/config-file.js';
import { resolveSettings, SETTING_KEYS, type RawSettings, type Settings } from '../settings/schema.js';

export interface ActionSettings {
  settings: Settings;
  workingDirectory: string;
  token: string;
  configFile?: string;
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
  for (const variant of settings.variants) {
    for (const value of Object.values(variant.buildArgs)) if (value) core.setSecret(value);
  }
  if (file) core.info(`Settings read from ${path.relative(workspace, file) || file}, with the workflow's inputs laid over them.`);
  return { settings, workingDirectory, token: core.getInput('github-token'), configFile: file };
}
