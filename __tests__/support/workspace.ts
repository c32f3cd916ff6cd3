// Real git repositories and logs for integration tests.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../../src/log.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `isr-${prefix}-`));
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'], // git's complaints belong to the assertion, not the test log
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  }).trim();
}

/** A git repository holding a copy of a fixture folder, committed; returns its path and the commit. */
export function repoFromFixture(fixture: string): { dir: string; sha: string } {
  const dir = tempDir('repo');
  cpSync(path.join(FIXTURES, fixture), dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');
  return { dir, sha: git(dir, 'rev-parse', 'HEAD') };
}

export function commitAll(dir: string, message: string): string {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/** A logger that remembers everything, for assertions. */
export function memoryLogger(): Logger & { lines: string[]; warnings: string[] } {
  const lines: string[] = [];
  const warnings: string[] = [];
  return {
    lines,
    warnings,
    info: (m) => lines.push(m),
    warning: (m) => warnings.push(m),
    group: async (title, fn) => {
      lines.push(`[group] ${title}`);
      return fn();
    },
    buildLine: (line) => lines.push(line),
  };
}
