/**
 * The action's log: the run's Logger (src/log.ts) written to the workflow log, and the stop-commands fence put
 * around everything untrusted that is printed there.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import * as core from '@actions/core';
import type { Logger } from '../log.js';

/**
 * Run `fn` with workflow commands off: between stop-commands markers the runner does not act on `::command::`
 * lines, so untrusted text printed there (build output, a Dockerfile's echo) cannot add masks, set outputs, ...
 */
export async function withoutCommands<T>(fn: () => Promise<T> | T): Promise<T> {
  const resume = randomUUID();
  process.stdout.write(`::stop-commands::${resume}${os.EOL}`);
  try {
    return await fn();
  } finally {
    process.stdout.write(`::${resume}::${os.EOL}`);
  }
}

export const actionsLogger: Logger = {
  info: (m) => core.info(m),
  warning: (m) => core.warning(m),
  group: (title, fn) => core.group(title, () => withoutCommands(fn)),
  buildLine: (line) => core.info(line),
};
