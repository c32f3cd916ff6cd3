/**
 * The one pull-request comment per comment key: found again by its hidden marker and its author, updated in
 * place on later runs, never duplicated. The only module that writes to GitHub.
 */
import { getOctokit } from '@actions/github';

type Octokit = ReturnType<typeof getOctokit>;

export interface CommentTarget {
  owner: string;
  repo: string;
  number: number;
}

/** The login comments made with this token carry. GITHUB_TOKEN cannot read /user: its comments are github-actions[bot]'s. */
export async function tokenLogin(octokit: Octokit): Promise<string> {
  try {
    const { data } = await octokit.rest.users.getAuthenticated();
    return data.login;
  } catch (error) {
    if ((error as { status?: number }).status === 403 || (error as { status?: number }).status === 401) {
      return 'github-actions[bot]';
    }
    throw error;
  }
}

export async function upsertComment(
  octokit: Octokit,
  target: CommentTarget,
  marker: string,
  body: string,
): Promise<{ id: number; url: string; action: 'created' | 'updated' }> {
  const author = await tokenLogin(octokit);
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.number,
    per_page: 100,
  });
  const ours = comments.find((c) => c.user?.login === author && (c.body ?? '').startsWith(marker));
  if (ours) {
    const { data } = await octokit.rest.issues.updateComment({
      owner: target.owner,
      repo: target.repo,
      comment_id: ours.id,
      body,
    });
    return { id: data.id, url: data.html_url, action: 'updated' };
  }
  const { data } = await octokit.rest.issues.createComment({
    owner: target.owner,
    repo: target.repo,
    issue_number: target.number,
    body,
  });
  return { id: data.id, url: data.html_url, action: 'created' };
}

export function createOctokit(token: string): Octokit {
  return getOctokit(token);
}
