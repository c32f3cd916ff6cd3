/** Reading the YAML config file (`.github/image-size.yml` by default). The only file I/O of settings. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { checkKeys, SETTING_KEYS, yamlValue, type RawSettings } from './schema.js';

export const DEFAULT_CONFIG_FILE = '.github/image-size.yml';

/**
 * Load the config file. `explicit` is the path the user named; without it the default file is used when it
 * exists. Returns the raw settings and the path that was read (undefined when none).
 */
export function loadConfigFile(workingDirectory: string, explicit?: string): { raw: RawSettings; file?: string } {
  const relative = explicit || DEFAULT_CONFIG_FILE;
  const file = path.resolve(workingDirectory, relative);
  if (!existsSync(file)) {
    if (explicit) throw new InputError(`config: "${explicit}" does not exist (looked in ${workingDirectory}).`);
    return { raw: {} };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`config: "${relative}" cannot be read (${(error as NodeJS.ErrnoException).code ?? error}).`);
  }
  const value = yamlValue(text, `config file ${relative}`);
  if (value === undefined || value === null) return { raw: {}, file };
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(`config file ${relative}: expected a mapping of settings (${SETTING_KEYS.join(', ')}).`);
  }
  const mapping = value as Record<string, unknown>;
  if ('github-token' in mapping) {
    throw new InputError(
      `config file ${relative}: github-token must not be stored in a file; pass it as an input of the action.`,
    );
  }
  checkKeys(mapping, SETTING_KEYS, `config file ${relative}`);
  return { raw: mapping as RawSettings, file };
}
