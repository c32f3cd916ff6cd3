// The cancellation of a run (src/cancel.ts): which signal comes first, what a second one does, the clean-up's
// deadline and the last resort; with an event emitter in the place of `process`.
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import {
  cancellation,
  CLEANUP_BUDGET_MS,
  cleanupDeadline,
  exitStatusFor,
  listenForCancel,
  RunCancelled,
  unlessCancelled,
  WATCHDOG_MS,
  type CancelSignal,
} from '../../src/cancel.js';

function signals() {
  const source = new EventEmitter();
  return { source, send: (signal: CancelSignal) => source.emit(signal) };
}

describe('listenForCancel', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('aborts on the first %s, with a reason that names it', (signal) => {
    const { source, send } = signals();
    const onCancel = vi.fn();
    const cancel = listenForCancel({ onCancel }, source);
    expect(cancel.signal.aborted).toBe(false);
    send(signal);
    expect(cancel.signal.aborted).toBe(true);
    expect(cancellation(cancel.signal)?.signal).toBe(signal);
    expect(onCancel).toHaveBeenCalledExactlyOnceWith(cancel.signal.reason);
    cancel.dispose();
  });

  it('takes a later signal as a repeat: no second cancel, the first one stands', () => {
    const { source, send } = signals();
    const onCancel = vi.fn();
    const onRepeat = vi.fn();
    const cancel = listenForCancel({ onCancel, onRepeat }, source);
    const aborts = vi.fn();
    cancel.signal.addEventListener('abort', aborts);
    send('SIGINT');
    const first = cancellation(cancel.signal);
    send('SIGTERM');
    send('SIGINT');
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(aborts).toHaveBeenCalledTimes(1);
    expect(onRepeat.mock.calls).toEqual([
      ['SIGTERM', first],
      ['SIGINT', first],
    ]);
    expect(cancellation(cancel.signal)).toBe(first);
    expect(first?.signal).toBe('SIGINT');
    cancel.dispose();
  });

  it('stops listening when disposed, so that the signals act as they normally do again', () => {
    const { source, send } = signals();
    const cancel = listenForCancel({}, source);
    expect(source.listenerCount('SIGINT')).toBe(1);
    expect(source.listenerCount('SIGTERM')).toBe(1);
    cancel.dispose();
    expect(source.listenerCount('SIGINT')).toBe(0);
    expect(source.listenerCount('SIGTERM')).toBe(0);
    send('SIGINT');
    expect(cancel.signal.aborted).toBe(false);
  });

  it('calls the last resort WATCHDOG_MS after the first signal, once, unless disposed first', () => {
    vi.useFakeTimers();
    try {
      const { source, send } = signals();
      const onOverdue = vi.fn();
      const cancel = listenForCancel({ onOverdue }, source);
      send('SIGTERM');
      send('SIGINT'); // a repeat does not restart the clock
      vi.advanceTimersByTime(WATCHDOG_MS - 1);
      expect(onOverdue).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(onOverdue).toHaveBeenCalledExactlyOnceWith(cancellation(cancel.signal));
      vi.advanceTimersByTime(WATCHDOG_MS * 2);
      expect(onOverdue).toHaveBeenCalledTimes(1);
      cancel.dispose();

      const other = signals();
      const late = vi.fn();
      const disposed = listenForCancel({ onOverdue: late }, other.source);
      other.send('SIGINT');
      disposed.dispose(); // the run ended in time
      vi.advanceTimersByTime(WATCHDOG_MS);
      expect(late).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it('leaves the whole run, clean-up included, inside the 5 s it promises', () => {
    expect(CLEANUP_BUDGET_MS).toBeLessThan(WATCHDOG_MS);
    expect(WATCHDOG_MS).toBeLessThan(5000);
  });
});

describe('exit statuses', () => {
  it('are 128 + the signal number, as shells report a process the signal ended', () => {
    expect(exitStatusFor('SIGINT')).toBe(130);
    expect(exitStatusFor('SIGTERM')).toBe(143);
  });
});

describe('cancellation', () => {
  it('is the RunCancelled of an aborted signal, and nothing for another abort or none', () => {
    const controller = new AbortController();
    expect(cancellation(controller.signal)).toBeUndefined();
    const reason = new RunCancelled('SIGINT', 12);
    controller.abort(reason);
    expect(cancellation(controller.signal)).toBe(reason);
    expect(reason.message).toBe('the run was cancelled (SIGINT)');
    expect(cancellation(AbortSignal.abort(new Error('timeout')))).toBeUndefined();
    expect(cancellation(undefined)).toBeUndefined();
  });
});

describe('cleanupDeadline', () => {
  it('is none without a cancellation signal, and never fires while the run is not cancelled', () => {
    vi.useFakeTimers();
    try {
      expect(cleanupDeadline(undefined)).toBeUndefined();
      const deadline = cleanupDeadline(new AbortController().signal)!;
      vi.advanceTimersByTime(60_000);
      expect(deadline.aborted).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('fires CLEANUP_BUDGET_MS after the cancel, counted from the signal, also when made later', () => {
    vi.useFakeTimers();
    try {
      const controller = new AbortController();
      const early = cleanupDeadline(controller.signal)!;
      controller.abort(new RunCancelled('SIGINT', performance.now()));
      vi.advanceTimersByTime(1000);
      const late = cleanupDeadline(controller.signal)!; // the clean-up began a second after the signal
      vi.advanceTimersByTime(CLEANUP_BUDGET_MS - 1001);
      expect([early.aborted, late.aborted]).toEqual([false, false]);
      vi.advanceTimersByTime(1);
      expect([early.aborted, late.aborted]).toEqual([true, true]);
      expect((early.reason as Error).message).toBe(`the ${CLEANUP_BUDGET_MS / 1000} s a cancelled run has for clean-up ran out`);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('waiting on work a cancel may leave running', () => {
  it('unlessCancelled: the result while not cancelled; after a cancel, the result if it comes within the grace, else nothing', async () => {
    expect(await unlessCancelled(Promise.resolve(7), undefined, 0)).toBe(7);
    const controller = new AbortController();
    expect(await unlessCancelled(Promise.resolve(7), controller.signal, 0)).toBe(7);
    controller.abort(new RunCancelled('SIGTERM'));
    const slow = new Promise<number>((resolve) => setTimeout(() => resolve(8), 30));
    expect(await unlessCancelled(slow, controller.signal, 200)).toBe(8);
    const never = new Promise<number>(() => {});
    expect(await unlessCancelled(never, controller.signal, 10)).toBeUndefined();
  });
});
