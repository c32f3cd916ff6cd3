/**
 * Test support only (never shipped): the fake GitHub REST API (server.ts: the loopback server, its requests and
 * faults; state.ts: what it holds and how its endpoints act; openapi.ts: the checks against GitHub's OpenAPI
 * description), and `fakeGitHubPerTest`, one fake per test whose every request must have matched.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from './server.js';

export { openApiDescriptionFile, openApiLoadTimings, responseSchemaProblem } from './openapi.js';
export {
  SECONDARY_RATE_LIMIT_MESSAGE,
  startFakeGitHub,
  type FakeGitHub,
  type FakeGitHubOptions,
  type Fault,
  type RecordedRequest,
} from './server.js';
export type { FakeComment, FakeReactions, FakeUser } from './state.js';

/** The fake GitHub of the current test, from `fakeGitHubPerTest`. */
export interface FakeGitHubPerTest {
  readonly server: FakeGitHub;
  /** Stop the current server and start one with other options (a read-only token, an app's token...). */
  restart(opts: FakeGitHubOptions): Promise<void>;
}

/**
 * One fake GitHub per test of the calling file: started before each test; after it, every request must have
 * matched GitHub's OpenAPI description (none rejected), and the server is stopped.
 */
export function fakeGitHubPerTest(): FakeGitHubPerTest {
  let server: FakeGitHub | undefined;
  const current = (): FakeGitHub => {
    if (!server) throw new Error('the fake GitHub runs only inside a test');
    return server;
  };
  beforeEach(async () => {
    server = await startFakeGitHub();
  });
  afterEach(async () => {
    expect(current().rejections).toEqual([]);
    await current().close();
    server = undefined;
  });
  return {
    get server() {
      return current();
    },
    async restart(opts) {
      await current().close();
      server = await startFakeGitHub(opts);
    },
  };
}
