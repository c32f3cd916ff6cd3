/** Reading the YAML config file (`.github/image-size.yml` by default). The only file I/O of settings. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError, messageOf, printable, quote } from '../errors.js';
import { SETTING_KEYS, yamlValue, type RawSettings } from './schema.js';
import { checkKeys, isPlainObject } from './units.js';

export const DEFAULT_CONFIG_FILE = '.github/image-size.yml';

/** Settings fit in a few hundred bytes; a larger file is a mistake (or an attempt to wear the runner out). */
const MAX_CONFIG_BYTES = 1_000_000;

/**
 * Load the config file. `explicit` is the path the user named; without it the default file is used when it
 * exists. Returns the raw settings and the path that was read (undefined when none).
 */
export function loadConfigFile(workingDirectory: string, explicit?: string): { raw: RawSettings; file?: string } {
  const relative = explicit || DEFAULT_CONFIG_FILE;
  const where = `config file ${printable(relative, 100)}`;
  if (relative.includes('\0')) throw new InputError(`config: ${quote(relative)} is not a usable path (it holds a NUL character).`);
  const file = path.resolve(workingDirectory, relative);
  if (!existsSync(file)) {
    if (explicit) throw new InputError(`config: ${quote(explicit)} does not exist (looked in ${printable(workingDirectory, 200)}).`);
    return { raw: {} };
  }
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_CONFIG_BYTES) {
      throw new InputError(`${where}: the file is ${size.toLocaleString('en-US')} bytes; a config file may have at most 1 MB.`);
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`config: ${quote(relative)} cannot be read (${code ?? printable(messageOf(error), 200)}).`);
  }
  const value = yamlValue(text, where);
  if (value === undefined || value === null) return { raw: {}, file };
  if (!isPlainObject(value)) {
    throw new InputError(`${where}: expected a mapping of settings (${SETTING_KEYS.join(', ')}).`);
  }
  if (Object.hasOwn(value, 'github-token')) {
    throw new InputError(`${where}: github-token must not be stored in a file; pass it as an input of the action.`);
  }
  checkKeys(value, SETTING_KEYS, where);
  return { raw: value as RawSettings, file };
}
