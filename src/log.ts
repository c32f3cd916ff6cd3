/**
 * The run's log: what the pipeline and the measuring write as they go. The entries implement it for their medium
 * (the action's workflow log, the command line's standard error); src/secrets/scrub.ts wraps one so that every
 * message is scrubbed. Imports nothing.
 */

export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  /** Run `fn` with its output folded under `title` where the medium allows it. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  /** A line of build output; verbose media show it. */
  buildLine(line: string): void;
}
