/**
 * The action's side of a cancelled run (src/cancel.ts): what it says in the log when SIGINT or SIGTERM comes,
 * how it ends the step, and the last resort when the clean-up does not end in time.
 */
import { appendFileSync } from 'node:fs';
import os from 'node:os';
import * as core from '@actions/core';
import { cancellation, CANCEL_EXIT_WITHIN_MS, exitStatusFor, listenForCancel, type RunCancelled } from '../cancel.js';
import { RUN_LABEL } from '../measure/measure.js';
import { renderCancelledNotice } from '../render/markdown.js';

export class ActionCancel {
  readonly signal: AbortSignal;
  /** Whether this step's job summary was written (the last resort writes one otherwise). */
  summaryWritten = false;

  constructor(
    /** The run's ID: it names the label that finds what a run left. */
    readonly runId: string,
  ) {
    this.signal = listenForCancel({
      onCancel: (cancelled) =>
        core.info(
          `Cancelled (${cancelled.signal}): stopping the builds, removing what this run made and writing the job summary with what was measured. No pull-request comment is posted.`,
        ),
      onRepeat: (signal) =>
        core.info(`${signal} as well: the clean-up goes on; the step ends within ${CANCEL_EXIT_WITHIN_MS / 1000} s of the first signal.`),
      onOverdue: (cancelled) => this.overdue(cancelled),
    }).signal;
  }

  /** The cancellation, once a signal came. */
  cancelled(): RunCancelled | undefined {
    return cancellation(this.signal);
  }

  /** Fail the step as cancelled, with the exit status a process ended by the signal has (130, 143). */
  fail(cancelled: RunCancelled, message: string): void {
    core.setFailed(message);
    process.exitCode = exitStatusFor(cancelled.signal);
  }

  /** Cancelled before there was a report (while connecting to the engine, or before): say so, and fail. */
  async withoutReport(cancelled: RunCancelled): Promise<void> {
    core.setOutput('status', 'cancelled');
    if (process.env.GITHUB_STEP_SUMMARY && !this.summaryWritten) {
      await core.summary.addRaw(renderCancelledNotice(cancelled.signal, 'early')).write();
      this.summaryWritten = true;
    }
    this.fail(cancelled, `The run was cancelled (${cancelled.signal}) before anything was measured.`);
  }

  /** The clean-up did not end in time: say what may be left, write a summary if there is none, and end. */
  private overdue(cancelled: RunCancelled): void {
    const left = ` What this run left is labelled ${RUN_LABEL}=${this.runId} (docker image ls --filter label=${RUN_LABEL}=${this.runId}).`;
    process.stdout.write(`::warning::The clean-up of the cancelled run did not finish in time: ending the step now.${left}${os.EOL}`);
    const summary = process.env.GITHUB_STEP_SUMMARY;
    if (summary && !this.summaryWritten) {
      try {
        appendFileSync(summary, renderCancelledNotice(cancelled.signal, 'overdue'));
      } catch {
        // nothing more can be done in the time left
      }
    }
    process.exit(exitStatusFor(cancelled.signal));
  }
}
