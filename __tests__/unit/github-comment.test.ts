// The sticky comment against the OpenAPI-validating fake: found by marker AND author, never someone else's,
// updated in place, and one comment left when two runs race.
import { afterEach, describe, expect, it } from 'vitest';
import { isOurComment, upsertComment } from '../../src/github/comment.js';
import { createOctokit } from '../../src/github/octokit.js';
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from '../support/github/index.js';

const OWNER = 'acme';
const REPO = 'widgets';
const PR = 12;
const MARKER = '<!-- image-size-report:default -->';
const target = { owner: OWNER, repo: REPO, number: PR };

let fake: FakeGitHub | undefined;
afterEach(async () => {
  expect(fake?.rejections ?? []).toEqual([]);
  await fake?.close();
  fake = undefined;
});

async function start(opts?: FakeGitHubOptions) {
  fake = await startFakeGitHub(opts);
  return { fake, octokit: octokitFor(fake) };
}

function octokitFor(server: FakeGitHub) {
  return createOctokit(server.token, { baseUrl: server.url, waitUnitMs: 2 });
}

const body = (text: string) => `${MARKER}\n## Image size report\n\n${text}\n`;
const writes = (server: FakeGitHub) => server.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.operationId}`);

describe('finding our comment', () => {
  it('creates one comment, updates it in place, and leaves it alone when nothing changed', async () => {
    const { fake, octokit } = await start();
    const first = await upsertComment(octokit, target, MARKER, body('one'));
    expect(first).toMatchObject({ action: 'created', author: 'github-actions[bot]', removed: [] });
    const second = await upsertComment(octokit, target, MARKER, body('two'));
    expect(second).toMatchObject({ id: first.id, action: 'updated' });
    const third = await upsertComment(octokit, target, MARKER, body('two'));
    expect(third).toMatchObject({ id: first.id, action: 'unchanged' });
    expect(writes(fake)).toEqual(['POST issues/create-comment', 'PATCH issues/update-comment']);
    expect(fake.comments(OWNER, REPO, PR).map((c) => c.body)).toEqual([body('two')]);
  });

  it("never edits a comment that merely contains the marker: a human's, one quoting it, or another key's", async () => {
    const { fake, octokit } = await start();
    const forged = [
      fake.seedComment(OWNER, REPO, PR, body('a human pasted our marker first'), { login: 'mallory', type: 'User' }),
      fake.seedComment(OWNER, REPO, PR, body('a login that looks like a bot'), { login: 'github-actions', type: 'User' }),
      fake.seedComment(OWNER, REPO, PR, `> ${MARKER}\nquoted by our own bot`),
      fake.seedComment(OWNER, REPO, PR, `Look: ${MARKER}`),
      fake.seedComment(OWNER, REPO, PR, `<!-- image-size-report:default-2 -->\nanother key`),
      fake.seedComment(OWNER, REPO, PR, ` ${MARKER}\nmarker not at the very start`),
    ];
    const result = await upsertComment(octokit, target, MARKER, body('ours'));
    expect(result.action).toBe('created');
    const after = fake.comments(OWNER, REPO, PR);
    expect(after).toHaveLength(forged.length + 1);
    for (const c of forged) expect(after.find((x) => x.id === c.id)!.body).toBe(c.body);
    expect(writes(fake)).toEqual(['POST issues/create-comment']);
  });

  it('with a personal access token, matches the login GET /user reports, and no other account, bot or not', async () => {
    const { fake, octokit } = await start({ tokenKind: 'user', userLogin: 'size-keeper', token: 'ghp_usertoken' });
    const bots = fake.seedComment(OWNER, REPO, PR, body('the old GITHUB_TOKEN comment'), { login: 'github-actions[bot]' });
    const mine = fake.seedComment(OWNER, REPO, PR, body('mine'), { login: 'Size-Keeper', type: 'User' });
    const result = await upsertComment(octokit, target, MARKER, body('new'));
    expect(result).toMatchObject({ id: mine.id, action: 'updated', author: 'Size-Keeper' });
    expect(fake.comments(OWNER, REPO, PR).find((c) => c.id === bots.id)!.body).toBe(bots.body);
  });

  it("with a GitHub App installation token (GET /user is 403), finds the App bot's earlier comment instead of posting another", async () => {
    const { fake, octokit } = await start({ appSlug: 'size-bot' });
    fake.seedComment(OWNER, REPO, PR, body('a human'), { login: 'size-bot', type: 'User' });
    const earlier = fake.seedComment(OWNER, REPO, PR, body('from the last run'));
    expect(earlier.user.login).toBe('size-bot[bot]');
    const result = await upsertComment(octokit, target, MARKER, body('this run'));
    expect(result).toMatchObject({ id: earlier.id, action: 'updated', author: 'size-bot[bot]' });
    expect(fake.requests.find((r) => r.operationId === 'users/get-authenticated')!.status).toBe(403);
    expect(writes(fake)).toEqual(['PATCH issues/update-comment']);
  });

  it('isOurComment: marker at the start, and the author known or else a Bot', () => {
    const c = (text: string, login: string, type: string) => ({ id: 1, html_url: '', body: text, user: { login, type } });
    expect(isOurComment(c(body('x'), 'octocat', 'User'), MARKER, 'octocat')).toBe(true);
    expect(isOurComment(c(body('x'), 'octocat', 'User'), MARKER, undefined)).toBe(false);
    expect(isOurComment(c(body('x'), 'my-app[bot]', 'Bot'), MARKER, undefined)).toBe(true);
    expect(isOurComment(c(body('x'), 'my-app[bot]', 'Bot'), MARKER, 'github-actions[bot]')).toBe(false);
    expect(isOurComment(c(`x${MARKER}`, 'my-app[bot]', 'Bot'), MARKER, undefined)).toBe(false);
    expect(isOurComment({ id: 1, html_url: '', body: body('x'), user: null }, MARKER, undefined)).toBe(false);
  });
});

describe('races and retried writes', () => {
  it('two runs that both find no comment and both create one end with one comment, holding the later content', async () => {
    const { fake } = await start();
    fake.seedComment(OWNER, REPO, PR, body('a human, before'), { login: 'octocat', type: 'User' });
    // Both runs' first listing is answered only once both asked: each sees no comment of ours.
    fake.holdUntil('issues/list-comments', 2);
    const [a, b] = await Promise.all([
      upsertComment(octokitFor(fake), target, MARKER, body('run A')),
      upsertComment(octokitFor(fake), target, MARKER, body('run B')),
    ]);
    expect(fake.requests.filter((r) => r.operationId === 'issues/create-comment')).toHaveLength(2);
    const ours = fake.comments(OWNER, REPO, PR).filter((c) => c.user.login === 'github-actions[bot]');
    expect(ours).toHaveLength(1);
    expect(a.id).toBe(ours[0].id);
    expect(b.id).toBe(ours[0].id);
    // The run that created the newer comment removed it, after copying its content into the older one.
    const [older, newer] = [a, b].sort((x, y) => x.removed.length - y.removed.length);
    expect(older.removed).toEqual([]);
    expect(newer.removed).toHaveLength(1);
    expect(ours[0].body).toBe(newer === a ? body('run A') : body('run B'));
    expect(fake.requests.filter((r) => r.operationId === 'issues/delete-comment').map((r) => r.status)).toEqual([204]);
  });

  it('two racing runs with the same content also end with one comment, whichever removes the copy first', async () => {
    const { fake } = await start();
    fake.holdUntil('issues/list-comments', 2);
    const results = await Promise.all([0, 1].map(() => upsertComment(octokitFor(fake), target, MARKER, body('same'))));
    const left = fake.comments(OWNER, REPO, PR);
    expect(left.map((c) => c.body)).toEqual([body('same')]);
    expect(results.map((r) => r.id)).toEqual([left[0].id, left[0].id]);
    expect(fake.requests.filter((r) => r.operationId === 'issues/update-comment')).toEqual([]);
  });

  it('a create that GitHub applied but answered 502 is retried, and the copy it left is removed', async () => {
    const { fake, octokit } = await start();
    fake.serverErrorNext(1, { operationId: 'issues/create-comment', applied: true });
    const result = await upsertComment(octokit, target, MARKER, body('once'));
    expect(fake.requests.filter((r) => r.operationId === 'issues/create-comment').map((r) => r.status)).toEqual([502, 201]);
    expect(fake.comments(OWNER, REPO, PR).map((c) => [c.id, c.body])).toEqual([[result.id, body('once')]]);
    expect(result.removed).toHaveLength(1);
  });

  it('updates the oldest of several comments of ours, and deletes none it did not create', async () => {
    const { fake, octokit } = await start();
    // Left by earlier runs (e.g. before races were handled): both ours by marker and author.
    const oldest = fake.seedComment(OWNER, REPO, PR, body('run X'));
    const other = fake.seedComment(OWNER, REPO, PR, body('run Y'));
    const result = await upsertComment(octokit, target, MARKER, body('run Z'));
    // An existing comment was found: the oldest is updated, nothing is created or deleted.
    expect(result).toMatchObject({ id: oldest.id, action: 'updated', removed: [] });
    expect(fake.comments(OWNER, REPO, PR).find((c) => c.id === other.id)!.body).toBe(body('run Y'));
  });
});
