/**
 * Test support only: REAL webhook payloads from `@octokit/webhooks-examples`
 * (api.github.com/index.json: an array of { name, actions, examples[] } per event),
 * deep-copied and pointed at the repository / commits a test needs.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

type JsonObject = Record<string, any>;

interface WebhookDefinition {
  name: string;
  actions: string[];
  examples: JsonObject[];
}

let definitions: WebhookDefinition[] | undefined;

function examplesOf(event: string): JsonObject[] {
  if (!definitions) {
    const requireFromHere = createRequire(import.meta.url);
    // package.json "main" is api.github.com/index.json
    const file = requireFromHere.resolve('@octokit/webhooks-examples');
    definitions = JSON.parse(readFileSync(file, 'utf8')) as WebhookDefinition[];
  }
  const def = definitions.find((x) => x.name === event);
  if (!def || def.examples.length === 0) throw new Error(`@octokit/webhooks-examples has no "${event}" examples`);
  return def.examples;
}

/** Login used as the owner of the head repository when `fork: true`. */
export const FORK_OWNER = 'external-contributor';

/** Replaces every occurrence of `from` in every string of `node` (in place). */
function replaceInStrings(node: unknown, from: RegExp, to: string): unknown {
  if (typeof node === 'string') return node.replace(from, to);
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = replaceInStrings(node[i], from, to);
    return node;
  }
  if (node && typeof node === 'object') {
    const obj = node as JsonObject;
    for (const key of Object.keys(obj)) obj[key] = replaceInStrings(obj[key], from, to);
  }
  return node;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Points a repository object (and its owner) of an example at owner/repo. */
function retargetRepository(repository: JsonObject, owner: string, repo: string): void {
  const oldOwner = String(repository.owner?.login ?? '');
  const oldFullName = String(repository.full_name ?? '');
  replaceInStrings(repository, new RegExp(escapeRegExp(oldFullName), 'g'), `${owner}/${repo}`);
  if (repository.owner && oldOwner) {
    replaceInStrings(repository.owner, new RegExp(`(?<=/)${escapeRegExp(oldOwner)}(?=$|[/?#{])`, 'g'), owner);
    repository.owner.login = owner;
    if (typeof repository.owner.name === 'string') repository.owner.name = owner;
  }
  repository.name = repo;
  repository.full_name = `${owner}/${repo}`;
}

/**
 * A REAL `pull_request` event payload (action `opened`, default, or `synchronize`), deep-copied, with
 * repository.owner.login/name/full_name, number, pull_request.number, base.sha/ref, head.sha/ref
 * (and every URL mentioning the example's repository / PR number) replaced.
 * With `fork: true`, head.repo is a fork owned by FORK_OWNER (head.repo.fork = true,
 * head.repo.full_name = `${FORK_OWNER}/${repo}`, head.label/user too).
 * For `synchronize`, top-level `after` is headSha (`before` keeps the example's value).
 */
export function pullRequestPayload(opts: {
  action?: 'opened' | 'synchronize';
  owner: string;
  repo: string;
  number: number;
  baseSha: string;
  headSha: string;
  baseRef?: string;
  headRef?: string;
  fork?: boolean;
}): Record<string, unknown> {
  const action = opts.action ?? 'opened';
  const example = examplesOf('pull_request').find((x) => x.action === action);
  if (!example) throw new Error(`@octokit/webhooks-examples has no pull_request.${action} example`);
  const payload = structuredClone(example);
  const pr = payload.pull_request as JsonObject;
  const oldNumber = Number(pr.number);
  const baseRef = opts.baseRef ?? String(pr.base.ref);
  const headRef = opts.headRef ?? String(pr.head.ref);

  // URLs such as .../pulls/2, .../pull/2.diff, .../issues/2/comments
  replaceInStrings(pr, new RegExp(`/(pulls|pull|issues)/${oldNumber}(?=$|[/.#?])`, 'g'), `/$1/${opts.number}`);

  for (const repository of [payload.repository, pr.base.repo, pr.head.repo]) {
    if (repository) retargetRepository(repository, opts.owner, opts.repo);
  }
  // Remaining "<owner>/<repo>" URLs in pull_request itself (url, html_url, commits_url, _links, ...).
  replaceInStrings(pr, new RegExp(escapeRegExp(String(example.repository.full_name)), 'g'), `${opts.owner}/${opts.repo}`);

  payload.number = opts.number;
  pr.number = opts.number;
  pr.base.sha = opts.baseSha;
  pr.base.ref = baseRef;
  pr.base.label = `${opts.owner}:${baseRef}`;
  pr.base.user = structuredClone(payload.repository.owner);
  pr.head.sha = opts.headSha;
  pr.head.ref = headRef;
  pr.statuses_url = `https://api.github.com/repos/${opts.owner}/${opts.repo}/statuses/${opts.headSha}`;
  if (pr._links?.statuses) pr._links.statuses.href = pr.statuses_url;

  if (opts.fork) {
    const headRepo = pr.head.repo as JsonObject;
    retargetRepository(headRepo, FORK_OWNER, opts.repo);
    headRepo.fork = true;
    headRepo.id = Number(payload.repository.id) + 1;
    headRepo.owner.id = 424242;
    headRepo.owner.node_id = Buffer.from('04:User424242').toString('base64');
    pr.head.user = structuredClone(headRepo.owner);
    pr.head.label = `${FORK_OWNER}:${headRef}`;
    pr.user = structuredClone(headRepo.owner);
    pr.author_association = 'CONTRIBUTOR';
  } else {
    pr.head.repo = structuredClone(pr.base.repo);
    pr.head.repo.fork = false;
    pr.head.user = structuredClone(payload.repository.owner);
    pr.head.label = `${opts.owner}:${headRef}`;
  }
  if (action === 'synchronize') payload.after = opts.headSha;
  return payload;
}

/**
 * A REAL `push` event payload (a branch push example), deep-copied, with ref/before/after,
 * head_commit.id, compare and repository (owner/name/full_name and URLs) replaced.
 */
export function pushPayload(opts: { owner: string; repo: string; ref: string; after: string; before: string }): Record<string, unknown> {
  const examples = examplesOf('push');
  const example = examples.find((x) => String(x.ref).startsWith('refs/heads/')) ?? examples[0]!;
  const payload = structuredClone(example);
  retargetRepository(payload.repository, opts.owner, opts.repo);
  replaceInStrings(payload, new RegExp(escapeRegExp(String(example.repository.full_name)), 'g'), `${opts.owner}/${opts.repo}`);
  payload.ref = opts.ref;
  payload.before = opts.before;
  payload.after = opts.after;
  payload.created = /^0+$/.test(opts.before);
  payload.deleted = /^0+$/.test(opts.after);
  payload.compare = payload.created
    ? `https://github.com/${opts.owner}/${opts.repo}/commit/${opts.after}`
    : `https://github.com/${opts.owner}/${opts.repo}/compare/${opts.before.slice(0, 12)}...${opts.after.slice(0, 12)}`;
  if (payload.head_commit && typeof payload.head_commit === 'object') {
    payload.head_commit.id = opts.after;
    payload.head_commit.url = `https://github.com/${opts.owner}/${opts.repo}/commit/${opts.after}`;
  }
  if (Array.isArray(payload.commits) && payload.commits.length > 0) {
    const lastCommit = payload.commits[payload.commits.length - 1];
    lastCommit.id = opts.after;
    lastCommit.url = `https://github.com/${opts.owner}/${opts.repo}/commit/${opts.after}`;
  }
  return payload;
}

/**
 * A REAL `workflow_run` event payload (the `completed` example that links a pull request), deep-copied, for a
 * run of the workflow `workflowPath` that ran on `event` at headSha of headBranch. With `pullRequest`, the run
 * is linked to that pull request as GitHub links same-repository pull requests (`workflow_run.pull_requests`);
 * with `fork: true` the head repository is FORK_OWNER's fork and `pull_requests` is empty, as GitHub sends it
 * for pull requests from forks.
 */
export function workflowRunPayload(opts: {
  owner: string;
  repo: string;
  runId?: number;
  headSha: string;
  headBranch: string;
  event?: string;
  conclusion?: 'success' | 'failure';
  pullRequest?: { number: number; baseRef: string; baseSha: string };
  fork?: boolean;
  workflowPath?: string;
}): Record<string, unknown> {
  const example = examplesOf('workflow_run').find((x) => x.action === 'completed' && x.workflow_run.pull_requests.length > 0);
  if (!example) throw new Error('@octokit/webhooks-examples has no completed workflow_run example with a pull request');
  const payload = structuredClone(example);
  const run = payload.workflow_run as JsonObject;
  const oldFullName = String(payload.repository.full_name);
  retargetRepository(payload.repository, opts.owner, opts.repo);
  retargetRepository(run.repository, opts.owner, opts.repo);
  replaceInStrings(payload, new RegExp(escapeRegExp(oldFullName), 'g'), `${opts.owner}/${opts.repo}`);
  const repoId = Number(payload.repository.id);
  run.repository.id = repoId;

  const headRepo = run.head_repository as JsonObject;
  if (opts.fork) {
    retargetRepository(headRepo, FORK_OWNER, opts.repo);
    headRepo.fork = true;
    headRepo.id = repoId + 1;
    headRepo.owner.id = 424242;
    headRepo.owner.type = 'User';
  } else {
    retargetRepository(headRepo, opts.owner, opts.repo);
    headRepo.fork = false;
    headRepo.id = repoId;
  }
  const runId = opts.runId ?? 30433642;
  const repoRef = { id: repoId, url: `https://api.github.com/repos/${opts.owner}/${opts.repo}`, name: opts.repo };
  run.pull_requests =
    opts.pullRequest && !opts.fork
      ? [
          {
            url: `https://api.github.com/repos/${opts.owner}/${opts.repo}/pulls/${opts.pullRequest.number}`,
            id: 279147437,
            number: opts.pullRequest.number,
            head: { ref: opts.headBranch, sha: opts.headSha, repo: repoRef },
            base: { ref: opts.pullRequest.baseRef, sha: opts.pullRequest.baseSha, repo: repoRef },
          },
        ]
      : [];
  run.id = runId;
  run.event = opts.event ?? 'pull_request';
  run.status = 'completed';
  run.conclusion = opts.conclusion ?? 'success';
  run.head_sha = opts.headSha;
  run.head_branch = opts.headBranch;
  run.path = opts.workflowPath ?? '.github/workflows/image-size.yml';
  run.head_commit.id = opts.headSha;
  for (const key of ['url', 'html_url', 'jobs_url', 'logs_url', 'artifacts_url', 'cancel_url', 'rerun_url']) {
    if (typeof run[key] === 'string') run[key] = run[key].replace(/\/runs\/\d+/, `/runs/${runId}`);
  }
  return payload;
}
