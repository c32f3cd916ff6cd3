/**
 * The one pull-request comment per comment key: found again by its hidden marker and its author, updated in
 * place on later runs, never duplicated, even when two runs of the same pull request race.
 *
 * Which comments are ours: the body STARTS with our marker (`<!-- image-size-report:<key> -->`), AND the
 * author is us:
 * - When GET /user answers (a personal access token), we know our login: the author must be exactly that.
 * - An installation token (GITHUB_TOKEN, or a GitHub App's) cannot read /user (403), and its comments are by
 *   `github-actions[bot]` or `<app-slug>[bot]`, which we cannot tell beforehand. Then only a comment by a
 *   Bot account (type "Bot", login ending in "[bot]") is accepted, and once we have created or updated a
 *   comment, GitHub's answer tells us our login, which is used from then on (the race check below).
 * Why that is enough: anyone who can comment can put our marker at the start of a comment, so the marker
 * alone proves nothing; but nobody can make GitHub show a comment as written by someone else. A user account
 * cannot be a Bot, and its login cannot contain "[bot]". Bot accounts are GitHub Apps a repository admin
 * installed, and workflows of the repository itself (github-actions[bot]), i.e. code the maintainers chose to
 * trust with a write token. The worst such a bot could do by starting a comment with our marker is to have
 * that comment overwritten with our report. A comment whose marker is not at the very start (a quote, a
 * human pasting it) is never ours.
 */
import type { Octokit } from './octokit.js';

export interface CommentTarget {
  owner: string;
  repo: string;
  number: number;
}

export interface UpsertResult {
  id: number;
  url: string;
  /** `unchanged`: our comment already had this body. */
  action: 'created' | 'updated' | 'unchanged';
  /** The login our comments are written by, as GitHub reported it. */
  author?: string;
  /** Duplicates we removed after a race (their ids). */
  removed: number[];
}

interface ListedComment {
  id: number;
  body?: string;
  html_url: string;
  user: { login: string; type?: string } | null;
}

/**
 * The login comments made with this token carry, when GitHub tells it: GET /user answers for a user's token.
 * Undefined for an installation token (GITHUB_TOKEN or a GitHub App's), which gets 403 there.
 */
export async function tokenLogin(octokit: Octokit): Promise<string | undefined> {
  try {
    const { data } = await octokit.rest.users.getAuthenticated();
    return data.login;
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 403 || status === 401) return undefined;
    throw error;
  }
}

/** Whether a comment is one of ours for this marker: marker at the very start, and our author (see above). */
export function isOurComment(comment: ListedComment, marker: string, author: string | undefined): boolean {
  if (!(comment.body ?? '').startsWith(marker)) return false;
  const user = comment.user;
  if (!user) return false;
  if (author !== undefined) return user.login.toLowerCase() === author.toLowerCase();
  return user.type === 'Bot' && user.login.endsWith('[bot]');
}

/** Our comments on the pull request (oldest first), by `author` when known (see above). */
async function ourComments(octokit: Octokit, target: CommentTarget, marker: string, author: string | undefined): Promise<ListedComment[]> {
  const all = (await octokit.paginate(octokit.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.number,
    per_page: 100,
  })) as ListedComment[];
  return all.filter((c) => isOurComment(c, marker, author)).sort((a, b) => a.id - b.id);
}

/** Bring our oldest comment up to `body`; undefined when there is none (nothing is created). */
async function updateOurs(octokit: Octokit, target: CommentTarget, marker: string, body: string, login: string | undefined) {
  const existing = (await ourComments(octokit, target, marker, login))[0];
  if (!existing) return undefined;
  if (existing.body === body)
    return {
      id: existing.id,
      url: existing.html_url,
      action: 'unchanged',
      author: existing.user?.login,
      removed: [],
    } satisfies UpsertResult;
  const { data } = await octokit.rest.issues.updateComment({ owner: target.owner, repo: target.repo, comment_id: existing.id, body });
  return { id: data.id, url: data.html_url, action: 'updated', author: data.user?.login ?? login, removed: [] } satisfies UpsertResult;
}

/**
 * Update our comment when there is one, and create none when there is not (`comment: changed` with nothing worth
 * a new comment): undefined then. An existing comment so never shows the numbers of an older run.
 */
export async function updateExistingComment(
  octokit: Octokit,
  target: CommentTarget,
  marker: string,
  body: string,
): Promise<UpsertResult | undefined> {
  return updateOurs(octokit, target, marker, body, await tokenLogin(octokit));
}

export async function upsertComment(octokit: Octokit, target: CommentTarget, marker: string, body: string): Promise<UpsertResult> {
  const where = { owner: target.owner, repo: target.repo };
  const login = await tokenLogin(octokit);
  const ours = (author: string | undefined) => ourComments(octokit, target, marker, author);

  const existing = await updateOurs(octokit, target, marker, body, login);
  if (existing) return existing;

  const { data: created } = await octokit.rest.issues.createComment({ ...where, issue_number: target.number, body });
  const author = created.user?.login ?? login;

  // Another run of this pull request may have looked at the same moment, found nothing either, and created
  // its own comment. Look again: the oldest of ours stays (with this run's content, the latest posted), and
  // this run removes what it created itself, plus exact copies of its body (a create that GitHub applied but
  // answered with a 5xx, then retried). Each racing run does the same, so one comment remains.
  const now = await ours(author);
  const keep = now[0];
  // Alone (or everything gone since): done. Also when the racing run already removed ours as an exact copy.
  if (!keep || (now.length === 1 && keep.id === created.id))
    return { id: created.id, url: created.html_url, action: 'created', author, removed: [] };
  let action: UpsertResult['action'] = keep.id === created.id ? 'created' : 'unchanged';
  if (keep.body !== body) {
    await octokit.rest.issues.updateComment({ ...where, comment_id: keep.id, body });
    action = 'updated';
  }
  const removed: number[] = [];
  for (const extra of now.slice(1)) {
    if (extra.id !== created.id && extra.body !== body) continue; // another run's: that run removes it
    try {
      await octokit.rest.issues.deleteComment({ ...where, comment_id: extra.id });
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error; // already removed by the other run
    }
    removed.push(extra.id);
  }
  return { id: keep.id, url: keep.html_url, action, author, removed };
}
