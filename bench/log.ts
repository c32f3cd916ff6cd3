/** Bench helpers (not part of the tool): progress on stderr, with the seconds since the bench started, and stopping on bad input. */

const benchStarted = performance.now();

/** Milliseconds since the bench started. */
export const sinceStart = (): number => performance.now() - benchStarted;

export function say(message: string): void {
  const s = (sinceStart() / 1000).toFixed(0).padStart(5);
  process.stderr.write(`[${s} s] ${message}\n`);
}

export function die(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}
