import { afterEach, describe, expect, it, vi } from 'vitest';
import { getOctokit } from '@actions/github';
import { startFakeGitHub, responseSchemaProblem } from '../support/github/index.js';
import type { FakeGitHub, FakeGitHubOptions } from '../support/github/index.js';
import { pullRequestPayload, pushPayload, workflowRunPayload, FORK_OWNER } from '../support/webhook-payloads.js';

const OWNER = 'acme';
const REPO = 'widgets';
const PR = 42;

let servers: FakeGitHub[] = [];

async function start(opts?: FakeGitHubOptions): Promise<FakeGitHub> {
  const fake = await startFakeGitHub(opts);
  servers.push(fake);
  return fake;
}

function octokitFor(fake: FakeGitHub) {
  return getOctokit(fake.token, { baseUrl: fake.url });
}

/** Raw request with the headers GitHub insists on (unless overridden). */
function raw(fake: FakeGitHub, path: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
  return fetch(`${fake.url}${path}`, {
    ...init,
    headers: {
      authorization: `token ${fake.token}`,
      'user-agent': 'github-api-server-test',
      accept: 'application/vnd.github+json',
      ...(init.body !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}),
      ...init.headers,
    },
  });
}

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return -1;
  } catch (err) {
    return (err as { status: number }).status;
  }
}

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

describe('fake GitHub REST API', () => {
  it('paginates issue comments with a GitHub-style Link header that octokit.paginate follows', async () => {
    const fake = await start();
    for (let i = 1; i <= 35; i++) {
      fake.seedComment(OWNER, REPO, PR, `comment ${i}`, i % 5 === 0 ? undefined : { login: 'some-human' });
    }
    fake.seedComment(OWNER, REPO, PR + 1, 'on another PR');
    const octokit = octokitFor(fake);

    const all = await octokit.paginate(octokit.rest.issues.listComments, { owner: OWNER, repo: REPO, issue_number: PR });
    expect(all.map((c) => c.body)).toEqual(Array.from({ length: 35 }, (_, i) => `comment ${i + 1}`));
    // default per_page is 30: page 1 (30) + page 2 (5)
    const listCalls = fake.requests.filter((r) => r.operationId === 'issues/list-comments');
    expect(listCalls.map((r) => r.query)).toEqual([{}, { page: '2' }]);
    expect(all[4]!.user).toMatchObject({ login: 'github-actions[bot]', id: 41898282, type: 'Bot' });
    expect(all[0]!.user).toMatchObject({ login: 'some-human', type: 'User' });

    const middle = await octokit.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: PR, per_page: 10, page: 2 });
    const base = `${fake.url}/repos/${OWNER}/${REPO}/issues/${PR}/comments`;
    expect(middle.data.map((c) => c.body)).toEqual(Array.from({ length: 10 }, (_, i) => `comment ${i + 11}`));
    expect(middle.headers.link).toBe(
      `<${base}?per_page=10&page=1>; rel="prev", <${base}?per_page=10&page=3>; rel="next", ` +
        `<${base}?per_page=10&page=4>; rel="last", <${base}?per_page=10&page=1>; rel="first"`,
    );
    const lastPage = await octokit.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: PR, per_page: 10, page: 4 });
    expect(lastPage.data).toHaveLength(5);
    expect(lastPage.headers.link).not.toContain('rel="next"');

    // per_page is capped at 100, and a single page has no Link header at all
    const capped = await octokit.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: PR, per_page: 500 });
    expect(capped.data).toHaveLength(35);
    expect(capped.headers.link).toBeUndefined();

    expect(fake.rejections).toEqual([]);
  });

  it('creates, reads, updates and deletes a comment', async () => {
    const fake = await start();
    const octokit = octokitFor(fake);

    const created = await octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: PR, body: '## Image sizes\nv1' });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(created.data.url);
    expect(created.data).toMatchObject({
      body: '## Image sizes\nv1',
      user: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
      author_association: 'NONE',
      performed_via_github_app: null,
      issue_url: `${fake.url}/repos/${OWNER}/${REPO}/issues/${PR}`,
      reactions: { total_count: 0 },
    });

    const updated = await octokit.rest.issues.updateComment({
      owner: OWNER,
      repo: REPO,
      comment_id: created.data.id,
      body: '## Image sizes\nv2',
    });
    expect(updated.status).toBe(200);
    expect(updated.data.body).toBe('## Image sizes\nv2');
    expect(fake.comments(OWNER, REPO, PR).map((c) => c.body)).toEqual(['## Image sizes\nv2']);

    const fetched = await octokit.rest.issues.getComment({ owner: OWNER, repo: REPO, comment_id: created.data.id });
    expect(fetched.data.body).toBe('## Image sizes\nv2');

    // unknown comment: a 404 like GitHub's, but a valid request, so not a rejection
    expect(await statusOf(octokit.rest.issues.updateComment({ owner: OWNER, repo: REPO, comment_id: 999, body: 'x' }))).toBe(404);
    // comment ids are scoped to their repository
    expect(await statusOf(octokit.rest.issues.getComment({ owner: OWNER, repo: 'other', comment_id: created.data.id }))).toBe(404);

    const deleted = await octokit.rest.issues.deleteComment({ owner: OWNER, repo: REPO, comment_id: created.data.id });
    expect(deleted.status).toBe(204);
    expect(fake.comments(OWNER, REPO, PR)).toEqual([]);

    expect(fake.requests.map((r) => `${r.method} ${r.operationId} ${r.status}`)).toEqual([
      'POST issues/create-comment 201',
      'PATCH issues/update-comment 200',
      'GET issues/get-comment 200',
      'PATCH issues/update-comment 404',
      'GET issues/get-comment 404',
      'DELETE issues/delete-comment 204',
    ]);
    expect(fake.requests[0]!.body).toEqual({ body: '## Image sizes\nv1' });
    expect(fake.rejections).toEqual([]);
  });

  it('answers GET /user with 403 for an installation token', async () => {
    const fake = await start();
    const err = (await octokitFor(fake)
      .rest.users.getAuthenticated()
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as { status: number; response: { data: unknown } } | undefined;
    expect(err?.status).toBe(403);
    expect(err?.response.data).toMatchObject({ message: 'Resource not accessible by integration', status: '403' });
    expect(fake.rejections).toEqual([]);
  });

  it('answers GET /user with the user for a user token, and authors comments as that user', async () => {
    const fake = await start({ tokenKind: 'user', userLogin: 'mona', token: 'ghp_usertoken' });
    const octokit = octokitFor(fake);
    const me = await octokit.rest.users.getAuthenticated();
    expect(me.status).toBe(200);
    expect(me.data).toMatchObject({ login: 'mona', type: 'User' });
    expect(me.data).toHaveProperty('two_factor_authentication');
    // GET /user is oneOf [private-user, public-user] with a discriminator on user_view_type:
    // the served private user conforms, but would not if it claimed to be the public view.
    expect(responseSchemaProblem('GET', '/user', 200, me.data)).toBeUndefined();
    expect(responseSchemaProblem('GET', '/user', 200, { ...me.data, user_view_type: 'public' })).toMatch(/then/);
    const c = await octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: PR, body: 'hi' });
    expect(c.data.user).toMatchObject({ login: 'mona', id: me.data.id, type: 'User' });
    expect(fake.rejections).toEqual([]);
  });

  it('refuses writes with 403 for a read-only token, but serves reads', async () => {
    const fake = await start({ readOnly: true });
    fake.seedComment(OWNER, REPO, PR, 'existing');
    const octokit = octokitFor(fake);
    const err = (await octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: PR, body: 'nope' }).then(
      () => undefined,
      (e: unknown) => e,
    )) as { status: number; response: { data: { message: string } } } | undefined;
    expect(err?.status).toBe(403);
    expect(err?.response.data).toMatchObject({ message: 'Resource not accessible by integration', status: '403' });
    const id = fake.comments(OWNER, REPO, PR)[0]!.id;
    expect(await statusOf(octokit.rest.issues.updateComment({ owner: OWNER, repo: REPO, comment_id: id, body: 'x' }))).toBe(403);
    expect(await statusOf(octokit.rest.issues.deleteComment({ owner: OWNER, repo: REPO, comment_id: id }))).toBe(403);
    expect(fake.comments(OWNER, REPO, PR).map((c) => c.body)).toEqual(['existing']);
    const list = await octokit.rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: PR });
    expect(list.data).toHaveLength(1);
    expect(fake.rejections).toEqual([]);
  });

  it('rejects and records a POST whose body lacks `body`, or has the wrong type', async () => {
    const fake = await start();
    const res = await raw(fake, `/repos/${OWNER}/${REPO}/issues/${PR}/comments`, { method: 'POST', body: JSON.stringify({ text: 'hi' }) });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ message: expect.stringContaining('"body" wasn\'t supplied') });
    const res2 = await raw(fake, `/repos/${OWNER}/${REPO}/issues/${PR}/comments`, { method: 'POST', body: JSON.stringify({ body: 5 }) });
    expect(res2.status).toBe(422);
    const res3 = await raw(fake, `/repos/${OWNER}/${REPO}/issues/${PR}/comments`, { method: 'POST', body: '{not json' });
    expect(res3.status).toBe(400);

    expect(fake.rejections).toHaveLength(3);
    expect(fake.rejections[0]).toContain('POST /repos/acme/widgets/issues/42/comments (issues/create-comment)');
    expect(fake.rejections[0]).toContain("must have required property 'body'");
    expect(fake.rejections[1]).toContain('body/body must be string');
    expect(fake.rejections[2]).toContain('not valid JSON');
    expect(fake.requests.map((r) => r.status)).toEqual([422, 422, 400]);
    expect(fake.requests[0]!.body).toEqual({ text: 'hi' });
    expect(fake.comments(OWNER, REPO, PR)).toEqual([]);
  });

  it('rejects unknown paths and methods with 404', async () => {
    const fake = await start();
    const res = await raw(fake, `/repos/${OWNER}/${REPO}/issues/${PR}/commentz`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ message: 'Not Found' });
    const res2 = await raw(fake, `/repos/${OWNER}/${REPO}/issues/${PR}/comments`, { method: 'PUT', body: '{"body":"x"}' });
    expect(res2.status).toBe(404);
    expect(fake.rejections).toHaveLength(2);
    expect(fake.rejections[0]).toMatch(/^GET \/repos\/acme\/widgets\/issues\/42\/commentz: path matches no template/);
    expect(fake.rejections[1]).toContain('no PUT operation for /repos/{owner}/{repo}/issues/{issue_number}/comments');
    expect(fake.requests.map((r) => [r.status, r.operationId])).toEqual([
      [404, undefined],
      [404, undefined],
    ]);
  });

  it('rejects bad query and path parameters', async () => {
    const fake = await start();
    const res = await raw(fake, `/repos/${OWNER}/${REPO}/issues/${PR}/comments?per_page=abc`);
    expect(res.status).toBe(422);
    const res2 = await raw(fake, `/repos/${OWNER}/${REPO}/issues/abc/comments`);
    expect(res2.status).toBe(404);
    const res3 = await raw(fake, `/repos/${OWNER}/${REPO}/issues/${PR}/comments?perpage=10`);
    expect(res3.status).toBe(200); // GitHub ignores unknown query parameters, but it is still a mistake
    expect(fake.rejections).toHaveLength(3);
    expect(fake.rejections[0]).toContain('query parameter per_page="abc": per_page must be integer');
    expect(fake.rejections[1]).toContain('path parameter issue_number="abc"');
    expect(fake.rejections[2]).toContain('unknown query parameter perpage');
  });

  it('prefers literal path segments over parameters and answers 501 for documented but unimplemented operations', async () => {
    const fake = await start();
    // "/issues/comments/{comment_id}" must win over "/issues/{issue_number}/..." style templates
    const res = await raw(fake, `/repos/${OWNER}/${REPO}/issues/comments/123`);
    expect(res.status).toBe(404);
    const res2 = await raw(fake, `/repos/${OWNER}/${REPO}/issues/comments?sort=updated`);
    expect(res2.status).toBe(501);
    const res3 = await raw(fake, `/repos/${OWNER}/${REPO}/issues/7`);
    expect(res3.status).toBe(501);
    expect(fake.requests.map((r) => r.operationId)).toEqual(['issues/get-comment', 'issues/list-comments-for-repo', 'issues/get']);
    expect(fake.rejections).toEqual([]);
  });

  it('requires authentication and a User-Agent', async () => {
    const fake = await start();
    const path = `/repos/${OWNER}/${REPO}/issues/${PR}/comments`;
    const noAuth = await fetch(`${fake.url}${path}`, { headers: { 'user-agent': 'test' } });
    expect(noAuth.status).toBe(401);
    expect(await noAuth.json()).toMatchObject({ message: 'Requires authentication' });
    const wrong = await raw(fake, path, { headers: { authorization: 'token ghs_wrong' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ message: 'Bad credentials' });
    const bearer = await raw(fake, path, { headers: { authorization: `Bearer ${fake.token}` } });
    expect(bearer.status).toBe(200);
    const noUa = await raw(fake, path, { headers: { 'user-agent': '' } });
    expect(noUa.status).toBe(403);

    expect(fake.rejections).toHaveLength(3);
    expect(fake.rejections[0]).toContain('missing Authorization header');
    expect(fake.rejections[1]).toContain('bad credentials');
    expect(fake.rejections[2]).toContain('User-Agent');
    expect(
      await statusOf(
        getOctokit('ghs_other', { baseUrl: fake.url }).rest.issues.listComments({ owner: OWNER, repo: REPO, issue_number: PR }),
      ),
    ).toBe(401);
  });

  it('fails the next N requests on demand', async () => {
    const fake = await start();
    const octokit = octokitFor(fake);
    fake.failNext(2, 502, 'Server Error');
    const args = { owner: OWNER, repo: REPO, issue_number: PR };
    expect(await statusOf(octokit.rest.issues.listComments(args))).toBe(502);
    expect(await statusOf(octokit.rest.issues.createComment({ ...args, body: 'x' }))).toBe(502);
    expect((await octokit.rest.issues.createComment({ ...args, body: 'x' })).status).toBe(201);
    expect(fake.requests.map((r) => r.status)).toEqual([502, 502, 201]);
    expect(fake.comments(OWNER, REPO, PR)).toHaveLength(1);
    expect(fake.rejections).toEqual([]);
  });

  it('injects faults per operation, in the order they were added, and can let a write take effect anyway', async () => {
    const fake = await start();
    const octokit = octokitFor(fake);
    const args = { owner: OWNER, repo: REPO, issue_number: PR };
    fake.failNext(1, 500, undefined, { operationId: 'issues/create-comment' });
    fake.serverErrorNext(1, { status: 504, operationId: 'issues/create-comment', applied: true });
    expect(await statusOf(octokit.rest.issues.listComments(args))).toBe(-1); // not that operation: untouched
    expect(await statusOf(octokit.rest.issues.createComment({ ...args, body: 'a' }))).toBe(500);
    expect(fake.comments(OWNER, REPO, PR)).toHaveLength(0);
    expect(await statusOf(octokit.rest.issues.createComment({ ...args, body: 'b' }))).toBe(504);
    expect(fake.comments(OWNER, REPO, PR).map((c) => c.body)).toEqual(['b']); // applied, though the answer was 504
    expect(fake.requests.map((r) => r.status)).toEqual([200, 500, 504]);
    // Faults still validate the request: a bad one is recorded as a rejection.
    fake.serverErrorNext(1);
    await raw(fake, `/repos/${OWNER}/${REPO}/issues/${PR}/comments`, { method: 'POST', body: JSON.stringify({ text: 'no body' }) });
    expect(fake.rejections).toEqual([expect.stringContaining("must have required property 'body'")]);
    fake.rejections.length = 0;
  });

  it('answers a secondary rate limit as GitHub does: 403 or 429, its message, retry-after, and no effect', async () => {
    const fake = await start();
    fake.secondaryRateLimitNext(1, { retryAfter: 30 });
    fake.secondaryRateLimitNext(1, { status: 429, retryAfter: null });
    const post = () => raw(fake, `/repos/${OWNER}/${REPO}/issues/${PR}/comments`, { method: 'POST', body: JSON.stringify({ body: 'x' }) });
    const first = await post();
    expect(first.status).toBe(403);
    expect(first.headers.get('retry-after')).toBe('30');
    const body = (await first.json()) as { message: string; documentation_url: string };
    expect(body.message).toMatch(
      /^You have exceeded a secondary rate limit\. Please wait a few minutes before you try again\..*request ID [0-9A-F:]+\.$/,
    );
    expect(body.documentation_url).toMatch(/secondary-rate-limits$/);
    expect(responseSchemaProblem('POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments', 403, body)).toBeUndefined();
    const second = await post();
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBeNull();
    expect(fake.comments(OWNER, REPO, PR)).toEqual([]);
    expect((await post()).status).toBe(201);
  });

  it('answers an exhausted primary rate limit with x-ratelimit-remaining: 0 and the reset time', async () => {
    const fake = await start();
    fake.primaryRateLimitNext(1, { resetInSeconds: 120 });
    const res = await raw(fake, `/repos/${OWNER}/${REPO}/issues/${PR}/comments`);
    expect(res.status).toBe(403);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(res.headers.get('x-ratelimit-reset')) - Date.now() / 1000).toBeGreaterThan(100);
    expect(((await res.json()) as { message: string }).message).toMatch(/^API rate limit exceeded/);
  });

  it('holds answers until the expected number of requests arrived, and reports a barrier that never filled', async () => {
    const fake = await start();
    fake.holdUntil('issues/list-comments', 2);
    const octokit = octokitFor(fake);
    const args = { owner: OWNER, repo: REPO, issue_number: PR };
    const firstList = octokit.rest.issues.listComments(args);
    await vi.waitFor(() => expect(fake.requests).toHaveLength(1));
    // The first listing is held; a comment created meanwhile is not in it (its answer was computed on arrival).
    await octokit.rest.issues.createComment({ ...args, body: 'created while the first listing waits' });
    const secondList = octokit.rest.issues.listComments(args);
    const [a, b] = await Promise.all([firstList, secondList]);
    expect(a.data).toHaveLength(0);
    expect(b.data).toHaveLength(1);
    expect(fake.rejections).toEqual([]);

    fake.holdUntil('issues/list-comments', 2, 50);
    expect((await octokit.rest.issues.listComments(args)).data).toHaveLength(1); // released by the time-out
    expect(fake.rejections).toEqual([expect.stringMatching(/holdUntil\(issues\/list-comments, 2\) timed out with 1 request/)]);
    fake.rejections.length = 0;
  });

  it('lists seeded pull requests as REST pull-request-simple objects, filtered by state, head and base', async () => {
    const fake = await start();
    const sameRepo = pullRequestPayload({
      owner: OWNER,
      repo: REPO,
      number: 5,
      baseSha: 'a'.repeat(40),
      headSha: 'b'.repeat(40),
      headRef: 'feature',
    }) as any;
    const fromFork = pullRequestPayload({
      owner: OWNER,
      repo: REPO,
      number: 6,
      baseSha: 'a'.repeat(40),
      headSha: 'c'.repeat(40),
      headRef: 'feature',
      fork: true,
    }) as any;
    fake.seedPullRequest(OWNER, REPO, sameRepo.pull_request);
    fake.seedPullRequest(OWNER, REPO, fromFork.pull_request);
    const octokit = octokitFor(fake);
    const list = async (q: Record<string, string>) =>
      (await octokit.rest.pulls.list({ owner: OWNER, repo: REPO, ...q })).data.map((p) => [
        p.number,
        p.head.sha.slice(0, 1),
        p.head.repo?.full_name,
      ]);
    expect(await list({})).toEqual([
      [6, 'c', `${FORK_OWNER}/${REPO}`],
      [5, 'b', `${OWNER}/${REPO}`],
    ]);
    expect(await list({ head: `${FORK_OWNER}:feature` })).toEqual([[6, 'c', `${FORK_OWNER}/${REPO}`]]);
    expect(await list({ head: `${OWNER}:feature`, base: sameRepo.pull_request.base.ref })).toEqual([[5, 'b', `${OWNER}/${REPO}`]]);
    expect(await list({ state: 'closed' })).toEqual([]);
    expect(fake.rejections).toEqual([]);
  });

  it("authors an App installation token's comments as <app-slug>[bot], and still answers 403 on GET /user", async () => {
    const fake = await start({ appSlug: 'size-bot' });
    const octokit = octokitFor(fake);
    expect(await statusOf(octokit.rest.users.getAuthenticated())).toBe(403);
    const { data } = await octokit.rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: PR, body: 'hi' });
    expect(data.user).toMatchObject({ login: 'size-bot[bot]', type: 'Bot', html_url: 'https://github.com/apps/size-bot' });
  });

  it('checks response bodies against the description (OpenAPI 3.0 nullable included)', async () => {
    const fake = await start();
    const good = fake.seedComment(OWNER, REPO, PR, 'x', { login: 'someone', type: 'User' });
    const path = '/repos/{owner}/{repo}/issues/comments/{comment_id}';
    expect(responseSchemaProblem('GET', path, 200, good)).toBeUndefined();
    // nullable: true in the description → null allowed; anything else must still match
    expect(responseSchemaProblem('GET', path, 200, { ...good, performed_via_github_app: null, user: null })).toBeUndefined();
    expect(responseSchemaProblem('GET', path, 200, { ...good, performed_via_github_app: 'app' })).toMatch(/performed_via_github_app/);
    expect(responseSchemaProblem('GET', path, 200, { ...good, created_at: 'yesterday' })).toMatch(
      /created_at must match format "date-time"/,
    );
    // nullable next to oneOf (no `type`): null, or one of the alternatives
    const values = '/repos/{owner}/{repo}/properties/values';
    expect(
      responseSchemaProblem('GET', values, 200, [
        { property_name: 'team', value: null },
        { property_name: 'tags', value: ['a'] },
      ]),
    ).toBeUndefined();
    expect(responseSchemaProblem('GET', values, 200, [{ property_name: 'team', value: 5 }])).toMatch(/value/);
    const { node_id: _nodeId, ...missing } = good;
    expect(responseSchemaProblem('GET', path, 200, missing)).toMatch(/must have required property 'node_id'/);
    expect(responseSchemaProblem('DELETE', path, 204, undefined)).toBeUndefined();
    expect(responseSchemaProblem('DELETE', path, 200, {})).toMatch(/not documented/);
  });
});

describe('webhook payloads', () => {
  it('pullRequestPayload returns a real opened example with the requested fields replaced', () => {
    const payload = pullRequestPayload({
      owner: OWNER,
      repo: REPO,
      number: PR,
      baseSha: 'b'.repeat(40),
      headSha: 'h'.repeat(40),
      headRef: 'feature/x',
    }) as any;
    expect(payload.action).toBe('opened');
    expect(payload.number).toBe(PR);
    expect(payload.repository).toMatchObject({ name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER } });
    expect(payload.pull_request).toMatchObject({
      number: PR,
      base: { sha: 'b'.repeat(40), ref: 'master', repo: { full_name: `${OWNER}/${REPO}` } },
      head: { sha: 'h'.repeat(40), ref: 'feature/x', label: `${OWNER}:feature/x`, repo: { full_name: `${OWNER}/${REPO}`, fork: false } },
      url: `https://api.github.com/repos/${OWNER}/${REPO}/pulls/${PR}`,
      html_url: `https://github.com/${OWNER}/${REPO}/pull/${PR}`,
    });
    // still the real example underneath
    expect(payload.sender.login).toBe('Codertocat');
    expect(payload.repository.id).toBe(186853002);
    expect(payload.pull_request.title).toEqual(expect.any(String));
    expect(payload.pull_request._links.comments.href).toBe(`https://api.github.com/repos/${OWNER}/${REPO}/issues/${PR}/comments`);
    expect(JSON.stringify(payload)).not.toContain('Codertocat/Hello-World');
  });

  it('pullRequestPayload supports synchronize and forks, without sharing state between calls', () => {
    const payload = pullRequestPayload({
      action: 'synchronize',
      owner: OWNER,
      repo: REPO,
      number: 7,
      baseSha: '1'.repeat(40),
      headSha: '2'.repeat(40),
      baseRef: 'main',
      fork: true,
    }) as any;
    expect(payload.action).toBe('synchronize');
    expect(payload.after).toBe('2'.repeat(40));
    expect(payload.pull_request.base).toMatchObject({
      ref: 'main',
      sha: '1'.repeat(40),
      repo: { full_name: `${OWNER}/${REPO}`, fork: false },
    });
    expect(payload.pull_request.head.repo).toMatchObject({ full_name: `${FORK_OWNER}/${REPO}`, fork: true, owner: { login: FORK_OWNER } });
    expect(payload.pull_request.head.repo.full_name).not.toBe(payload.repository.full_name);
    expect(payload.installation).toBeDefined(); // the real synchronize example carries it

    payload.pull_request.base.sha = 'mutated';
    const again = pullRequestPayload({ owner: 'x', repo: 'y', number: 1, baseSha: 'c'.repeat(40), headSha: 'd'.repeat(40) }) as any;
    expect(again.pull_request.base.sha).toBe('c'.repeat(40));
    expect(again.pull_request.head.repo.fork).toBe(false);
  });

  it('pushPayload returns a real branch push example with ref/before/after and repository replaced', () => {
    const payload = pushPayload({ owner: OWNER, repo: REPO, ref: 'refs/heads/main', before: 'a'.repeat(40), after: 'f'.repeat(40) }) as any;
    expect(payload).toMatchObject({
      ref: 'refs/heads/main',
      before: 'a'.repeat(40),
      after: 'f'.repeat(40),
      created: false,
      repository: { name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER } },
      head_commit: { id: 'f'.repeat(40) },
    });
    expect(payload.pusher).toEqual(expect.objectContaining({ name: expect.any(String) }));
    expect(payload.commits.length).toBeGreaterThan(0);
    expect(payload.compare).toContain(`${OWNER}/${REPO}/compare/`);
  });

  it('workflowRunPayload links a same-repository pull request, and leaves pull_requests empty for a fork', () => {
    const same = workflowRunPayload({
      owner: OWNER,
      repo: REPO,
      runId: 99,
      headSha: 'e'.repeat(40),
      headBranch: 'feature',
      pullRequest: { number: 5, baseRef: 'main', baseSha: 'a'.repeat(40) },
    }) as any;
    expect(same.action).toBe('completed');
    expect(same.repository.full_name).toBe(`${OWNER}/${REPO}`);
    expect(same.workflow_run).toMatchObject({
      id: 99,
      event: 'pull_request',
      status: 'completed',
      head_sha: 'e'.repeat(40),
      head_branch: 'feature',
      head_repository: { full_name: `${OWNER}/${REPO}`, fork: false },
      repository: { full_name: `${OWNER}/${REPO}`, id: same.repository.id },
      pull_requests: [
        {
          number: 5,
          head: { sha: 'e'.repeat(40), ref: 'feature', repo: { id: same.repository.id } },
          base: { ref: 'main', repo: { id: same.repository.id } },
        },
      ],
    });
    expect(same.workflow_run.url).toMatch(/\/actions\/runs\/99$/);
    expect(same.workflow).toBeDefined();

    const fork = workflowRunPayload({
      owner: OWNER,
      repo: REPO,
      headSha: 'e'.repeat(40),
      headBranch: 'main',
      pullRequest: { number: 5, baseRef: 'main', baseSha: 'a'.repeat(40) },
      fork: true,
    }) as any;
    expect(fork.workflow_run.pull_requests).toEqual([]);
    expect(fork.workflow_run.head_repository).toMatchObject({
      full_name: `${FORK_OWNER}/${REPO}`,
      fork: true,
      owner: { login: FORK_OWNER },
    });
  });
});
