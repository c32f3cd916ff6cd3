// The action's Octokit client against the OpenAPI-validating fake: which answers are retried, how often, and
// that waits are bounded. Waits run in a short wait unit (waitUnitMs: 5 ms a second), not mocked.
import { afterEach, describe, expect, it } from 'vitest';
import { createOctokit, RETRY, waitUnitMs } from '../../src/github/octokit.js';
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from '../support/github/index.js';

const OWNER = 'acme';
const REPO = 'widgets';
const PR = 7;
const args = { owner: OWNER, repo: REPO, issue_number: PR };

let fake: FakeGitHub | undefined;
afterEach(async () => {
  expect(fake?.rejections ?? []).toEqual([]);
  await fake?.close();
  fake = undefined;
});

async function client(opts?: FakeGitHubOptions) {
  fake = await startFakeGitHub(opts);
  const log: string[] = [];
  const octokit = createOctokit(fake.token, { baseUrl: fake.url, waitUnitMs: 5, log: { info: (m) => log.push(m) } });
  return { fake, octokit, log };
}

async function statusOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return 0;
  } catch (error) {
    return (error as { status?: number }).status;
  }
}

describe('retries', () => {
  it('retries 5xx answers up to three times, then succeeds', async () => {
    const { fake, octokit, log } = await client();
    fake.serverErrorNext(3, { status: 502 });
    const { data } = await octokit.rest.issues.createComment({ ...args, body: 'hello' });
    expect(data.body).toBe('hello');
    expect(fake.requests.map((r) => r.status)).toEqual([502, 502, 502, 201]);
    expect(fake.comments(OWNER, REPO, PR)).toHaveLength(1);
    expect(log.filter((l) => /GitHub answered 502 to POST .*: retrying\./.test(l))).toHaveLength(3);
  });

  it('gives up after three retries with the last 5xx', async () => {
    const { fake, octokit, log } = await client();
    fake.serverErrorNext(10, { status: 503 });
    expect(await statusOf(octokit.rest.issues.listComments(args))).toBe(503);
    expect(fake.requests).toHaveLength(1 + RETRY.serverErrors);
    expect(log.at(-1)).toMatch(/GET \/repos\/acme\/widgets\/issues\/7\/comments \(attempt 4\): no retries left/);
  });

  it('does not retry answers that retrying cannot fix (404, 422, a plain 403)', async () => {
    const { fake, octokit } = await client();
    fake.failNext(1, 404, 'Not Found');
    expect(await statusOf(octokit.rest.issues.listComments(args))).toBe(404);
    fake.failNext(1, 403, 'Resource not accessible by integration');
    expect(await statusOf(octokit.rest.issues.createComment({ ...args, body: 'x' }))).toBe(403);
    fake.failNext(1, 422, 'Validation Failed');
    expect(await statusOf(octokit.rest.issues.createComment({ ...args, body: 'x' }))).toBe(422);
    expect(fake.requests.map((r) => r.status)).toEqual([404, 403, 422]);
  });

  it('waits out a secondary rate limit (403 with retry-after) and retries at most twice', async () => {
    const { fake, octokit, log } = await client();
    fake.secondaryRateLimitNext(2, { retryAfter: 2, operationId: 'issues/create-comment' });
    await octokit.rest.issues.createComment({ ...args, body: 'after the limit' });
    expect(fake.requests.map((r) => r.status)).toEqual([403, 403, 201]);
    expect(log.filter((l) => l.includes('secondary rate limit') && l.includes('retrying in 2 s'))).toHaveLength(2);

    fake.secondaryRateLimitNext(3, { retryAfter: 1 });
    expect(await statusOf(octokit.rest.issues.listComments(args))).toBe(403);
    expect(fake.requests.slice(3).map((r) => r.status)).toEqual([403, 403, 403]);
    expect(log.at(-1)).toMatch(/still in force after 2 retries: giving up/);
  });

  it('handles a 429 secondary rate limit once per attempt (not also as a 5xx-style retry)', async () => {
    const { fake, octokit } = await client();
    fake.secondaryRateLimitNext(1, { status: 429, retryAfter: 1 });
    await octokit.rest.issues.listComments(args);
    expect(fake.requests.map((r) => r.status)).toEqual([429, 200]);
    fake.secondaryRateLimitNext(5, { status: 429, retryAfter: 1 });
    expect(await statusOf(octokit.rest.issues.listComments(args))).toBe(429);
    expect(fake.requests.slice(2).map((r) => r.status)).toEqual([429, 429, 429]);
  });

  it('uses a fallback wait when a secondary rate limit has no retry-after', async () => {
    const { fake, octokit, log } = await client();
    fake.secondaryRateLimitNext(1, { retryAfter: null });
    await octokit.rest.issues.listComments(args);
    expect(fake.requests.map((r) => r.status)).toEqual([403, 200]);
    expect(log).toEqual([expect.stringMatching(/retrying in 60 s/)]);
  });

  it('does not wait longer than a minute: a retry-after over 60 s, or an hourly quota reset far off, fails at once', async () => {
    const { fake, octokit, log } = await client();
    fake.secondaryRateLimitNext(1, { retryAfter: 120 });
    expect(await statusOf(octokit.rest.issues.listComments(args))).toBe(403);
    fake.primaryRateLimitNext(1, { resetInSeconds: 1800 });
    expect(await statusOf(octokit.rest.issues.listComments(args))).toBe(403);
    expect(fake.requests.map((r) => r.status)).toEqual([403, 403]);
    expect(log).toEqual([
      expect.stringMatching(/asks to wait 120 s, longer than the 60 s/),
      expect.stringMatching(/rate limit .* asks to wait 18\d\d s/),
    ]);
  });

  it('waits for a primary rate limit that resets within the minute', async () => {
    const { fake, octokit } = await client();
    fake.primaryRateLimitNext(1, { resetInSeconds: 1 });
    await octokit.rest.issues.listComments(args);
    expect(fake.requests.map((r) => r.status)).toEqual([403, 200]);
  });
});

describe('the wait unit', () => {
  it('is a real second unless the variable holds a number, and can only shorten waits', () => {
    expect(waitUnitMs(undefined)).toBe(1000);
    expect(waitUnitMs('')).toBe(1000);
    expect(waitUnitMs('soon')).toBe(1000);
    expect(waitUnitMs('5')).toBe(5);
    expect(waitUnitMs('0')).toBe(1);
    expect(waitUnitMs('100000')).toBe(1000);
  });
});
