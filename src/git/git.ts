/** Every git command the tool runs: finding the base commit, fetching it, and a worktree to build it in. */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { EnvironmentError } from '../errors.js';

/** What git prints is read whole; a fetch or worktree command prints little. */
const MAX_OUTPUT = 64 * 1024 * 1024;

export class Git {
  /**
   * `signal`: the run's cancellation. A git command under way when it aborts is stopped (SIGTERM, on which git
   * removes what it had half made) and the call rejects with its reason; removing a worktree is never stopped.
   */
  constructor(
    private readonly cwd: string,
    private readonly signal?: AbortSignal,
  ) {}

  private async run(args: string[], allowFailure = false, stoppable = true): Promise<{ ok: boolean; stdout: string; stderr: string }> {
    const signal = stoppable ? this.signal : undefined;
    if (signal?.aborted) throw signal.reason;
    const result = await new Promise<{ error: (Error & { code?: number | string }) | null; stdout: string; stderr: string }>((resolve) => {
      execFile('git', args, { cwd: this.cwd, signal, maxBuffer: MAX_OUTPUT, encoding: 'utf8' }, (error, stdout, stderr) =>
        resolve({ error: error as (Error & { code?: number | string }) | null, stdout, stderr }),
      );
    });
    if (signal?.aborted) throw signal.reason;
    if (result.error && typeof result.error.code === 'string') {
      throw new EnvironmentError(`git could not be run (${result.error.message}). Install git to compare with the base.`);
    }
    const exitCode = result.error ? (result.error.code ?? 'none, it was stopped by a signal') : 0;
    const ok = exitCode === 0;
    if (!ok && !allowFailure) {
      throw new EnvironmentError(
        `git ${args[0]} failed: ${result.stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${exitCode}`}`,
      );
    }
    return { ok, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
  }

  /** The top of the repository `cwd` is in. */
  async topLevel(): Promise<string> {
    const result = await this.run(['rev-parse', '--show-toplevel'], true);
    if (!result.ok) {
      throw new EnvironmentError(
        `${this.cwd} is not inside a git repository, so the base cannot be rebuilt. Check out the repository, or set baseline to file or none.`,
      );
    }
    return result.stdout;
  }

  /** The commit a ref or SHA names, or undefined when it is not in the local repository. */
  async resolveCommit(ref: string): Promise<string | undefined> {
    const result = await this.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], true);
    return result.ok ? result.stdout : undefined;
  }

  /**
   * Make sure `ref` (a SHA or a ref) is available locally, fetching it from origin when the checkout is shallow
   * or lacks it (actions/checkout fetches one commit by default). Returns the commit SHA.
   */
  async ensureCommit(ref: string, remote = 'origin'): Promise<string> {
    const local = await this.resolveCommit(ref);
    if (local) return local;
    const fetched = await this.run(['fetch', '--no-tags', '--depth=1', remote, ref], true);
    if (!fetched.ok) {
      throw new EnvironmentError(
        `The base commit ${ref} is not in the checkout and could not be fetched from ${remote}: ${fetched.stderr.split('\n').slice(-2).join(' ')}`,
      );
    }
    const after = (await this.resolveCommit(ref)) ?? (await this.resolveCommit('FETCH_HEAD'));
    if (!after) throw new EnvironmentError(`The base commit ${ref} could not be found after fetching it from ${remote}.`);
    return after;
  }

  /** Check out `commit` into a new detached worktree at `dir`. */
  async addWorktree(dir: string, commit: string): Promise<void> {
    await this.run(['worktree', 'add', '--detach', dir, commit]);
  }

  /**
   * Remove a worktree this tool added (and only that). When git cannot remove it (a file it cannot delete, a lock),
   * its folder is deleted here and git forgets it, so no worktree is left registered in the user's repository.
   */
  async removeWorktree(dir: string): Promise<void> {
    const removed = await this.run(['worktree', 'remove', '--force', '--force', dir], true, false);
    if (!removed.ok) rmSync(dir, { recursive: true, force: true });
    await this.run(['worktree', 'prune'], true, false);
  }
}
