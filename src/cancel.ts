/**
 * Cancelling a run. GitHub cancels a job (a newer push to a `concurrency:` group with `cancel-in-progress`, the
 * Cancel button) by sending the step's process SIGINT, then SIGTERM a few seconds later, then killing it; a
 * user presses Ctrl-C (SIGINT) or a supervisor sends SIGTERM. Either signal, whichever comes first, aborts the
 * run's cancellation signal: the builds stop in the engine, what the run made is removed, the report says what
 * was measured by then, and the process exits within CANCEL_EXIT_WITHIN_MS of that first signal. Later signals
 * do not start a second clean-up and do not cut the first one short.
 *
 * The cancellation is an AbortSignal made here, at the edge (`listenForCancel`, called by the action's and the
 * command line's entry), and carried with the run; its `reason` is a RunCancelled that says which signal came
 * and when. Everything else in this file is pure.
 */
import { constants } from 'node:os';

export type CancelSignal = 'SIGINT' | 'SIGTERM';
export const CANCEL_SIGNALS: readonly CancelSignal[] = ['SIGINT', 'SIGTERM'];

/** From the first signal to the end of the process, clean-up and report included. */
export const CANCEL_EXIT_WITHIN_MS = 5000;
/**
 * Of that, how long the engine may take to remove what the run made (counted from the signal). An engine that
 * has not finished by then is given up on, and the warning names the label that finds what is left.
 */
export const CLEANUP_BUDGET_MS = 3000;
/** The last resort: if the process is still there this long after the first signal, it exits anyway. */
export const WATCHDOG_MS = 4500;

/** The reason of an aborted cancellation signal. */
export class RunCancelled extends Error {
  override name = 'RunCancelled';
  constructor(
    readonly signal: CancelSignal,
    /** When it came (`performance.now()`). */
    readonly atMs: number = performance.now(),
  ) {
    super(`the run was cancelled (${signal})`);
  }
}

/** The cancellation, when `signal` was aborted by one. */
export function cancellation(signal: AbortSignal | undefined): RunCancelled | undefined {
  return signal?.aborted && signal.reason instanceof RunCancelled ? signal.reason : undefined;
}

/** The exit status shells give a process ended by `signal`: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export function exitStatusFor(signal: CancelSignal): number {
  return 128 + constants.signals[signal];
}

/**
 * A signal that aborts CLEANUP_BUDGET_MS after the run was cancelled (at once if that time is over), and never
 * when it is not: what bounds the clean-up of a cancelled run, even one that began before the cancel came.
 */
export function cleanupDeadline(cancel: AbortSignal | undefined): AbortSignal | undefined {
  if (!cancel) return undefined;
  const controller = new AbortController();
  const arm = () => {
    const atMs = cancellation(cancel)?.atMs ?? performance.now();
    const left = Math.max(0, atMs + CLEANUP_BUDGET_MS - performance.now());
    setTimeout(
      () => controller.abort(new Error(`the ${CLEANUP_BUDGET_MS / 1000} s a cancelled run has for clean-up ran out`)),
      left,
    ).unref();
  };
  if (cancel.aborted) arm();
  else cancel.addEventListener('abort', arm, { once: true });
  return controller.signal;
}

/**
 * `promise`, or undefined `graceMs` after `cancel` aborted if it has not settled by then (it goes on, unwatched).
 * For work the cancel stops on its own (a save stream closed), so that a part that does not stop cannot hold
 * up the clean-up.
 */
export async function unlessCancelled<T>(promise: Promise<T>, cancel: AbortSignal | undefined, graceMs: number): Promise<T | undefined> {
  if (!cancel) return promise;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const given = new Promise<undefined>((resolve) => {
    onAbort = () => {
      timer = setTimeout(() => resolve(undefined), graceMs);
    };
    if (cancel.aborted) onAbort();
    else cancel.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, given]);
  } finally {
    clearTimeout(timer);
    cancel.removeEventListener('abort', onAbort!);
  }
}

/** Where the signals come from: `process`, or a stand-in for tests. */
export interface SignalSource {
  on(event: CancelSignal, listener: () => void): unknown;
  off(event: CancelSignal, listener: () => void): unknown;
}

export interface CancelHandlers {
  /** The first signal: the run is being cancelled (say so). */
  onCancel?(cancelled: RunCancelled): void;
  /** A later signal, while the clean-up runs: it changes nothing (say so). */
  onRepeat?(signal: CancelSignal, first: RunCancelled): void;
  /**
   * WATCHDOG_MS after the first signal, when the process has not ended: say what may be left, and end it
   * (`process.exit`). The timer does not keep the process alive.
   */
  onOverdue?(first: RunCancelled): void;
}

export interface CancelListener {
  /** Aborted by the first SIGINT or SIGTERM; its reason is a RunCancelled. */
  readonly signal: AbortSignal;
  /** Stop listening (the signals' default action comes back) and drop the watchdog. */
  dispose(): void;
}

/** Listen for SIGINT and SIGTERM for the length of a run: the edge of the action and of the command line. */
export function listenForCancel(handlers: CancelHandlers = {}, source: SignalSource = process): CancelListener {
  const controller = new AbortController();
  let watchdog: NodeJS.Timeout | undefined;
  const listeners = CANCEL_SIGNALS.map((name) => {
    const listener = () => {
      const first = cancellation(controller.signal);
      if (first) {
        handlers.onRepeat?.(name, first);
        return;
      }
      const cancelled = new RunCancelled(name);
      handlers.onCancel?.(cancelled);
      controller.abort(cancelled);
      if (handlers.onOverdue) {
        watchdog = setTimeout(() => handlers.onOverdue!(cancelled), WATCHDOG_MS);
        watchdog.unref();
      }
    };
    source.on(name, listener);
    return { name, listener };
  });
  return {
    signal: controller.signal,
    dispose() {
      for (const { name, listener } of listeners) source.off(name, listener);
      clearTimeout(watchdog);
    },
  };
}
