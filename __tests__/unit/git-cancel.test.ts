// git and the run's cancellation, with real git: a fetch of the base that hangs is stopped by the cancel, and
// removing the base's worktree is never stopped by it.
import { existsSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunCancelled } from '../../src/cancel.js';
import { Git } from '../../src/git/git.js';
import { processesMatching } from '../support/private-engine.js';
import { git, repoFromFixture, tempDir } from '../support/workspace.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('git, when the run is cancelled', () => {
  let step = '';
  afterEach(() => {
    for (const p of processesMatching(step)) process.kill(p.pid, 'SIGKILL');
  });

  it('stops a fetch of the base that hangs, at once, and rejects with the cancellation', async () => {
    // An origin reached over "ssh" that never answers: the ssh command is a sleep no other process has.
    step = `sleep ${randomInt(600_000, 699_999)}`;
    const { dir } = repoFromFixture('tiny-app');
    git(dir, 'remote', 'add', 'origin', 'ssh://git.example.invalid/shop.git');
    git(dir, 'config', 'core.sshCommand', `${step} #`);
    const controller = new AbortController();
    const fetching = new Git(dir, controller.signal).ensureCommit('f'.repeat(40)).catch((error: unknown) => error);
    for (let i = 0; i < 200 && processesMatching(step).length === 0; i++) await sleep(25);
    expect(processesMatching(step)).not.toEqual([]); // git is waiting for the origin
    const reason = new RunCancelled('SIGINT');
    const sentAt = performance.now();
    controller.abort(reason);
    expect(await fetching).toBe(reason);
    expect(performance.now() - sentAt).toBeLessThan(1000);
    // git itself is gone (it was sent SIGTERM); no fetch of ours is left running in the repository.
    for (let i = 0; i < 40 && processesMatching(`fetch --no-tags --depth=1 origin ${'f'.repeat(40)}`).length > 0; i++) await sleep(25);
    expect(processesMatching(`fetch --no-tags --depth=1 origin ${'f'.repeat(40)}`)).toEqual([]);
  });

  it('starts no new command once cancelled, but still removes the worktree it made', async () => {
    const { dir, sha } = repoFromFixture('tiny-app');
    const tree = path.join(tempDir('base'), 'tree');
    const controller = new AbortController();
    const repo = new Git(dir, controller.signal);
    await repo.addWorktree(tree, sha);
    expect(existsSync(path.join(tree, 'Dockerfile'))).toBe(true);
    const reason = new RunCancelled('SIGTERM');
    controller.abort(reason);
    await expect(repo.addWorktree(path.join(tempDir('base'), 'tree'), sha)).rejects.toBe(reason);
    await repo.removeWorktree(tree);
    expect(existsSync(tree)).toBe(false);
    expect(
      git(dir, 'worktree', 'list', '--porcelain')
        .split('\n')
        .filter((line) => line.startsWith('worktree ')),
    ).toHaveLength(1);
  });
});
