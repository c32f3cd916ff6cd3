/** What went wrong talking to GitHub, in words a workflow log can show, with what to do about it. Pure. */
import { messageOf } from '../errors.js';
import { pathOfUrl, RETRY } from './octokit.js';

/**
 * The error of a failed API call (after the client's bounded retries, see octokit.ts) as a clause: the status,
 * the call, and what it means. `number` is the pull request the call was about, when there is one.
 */
export function describeApiError(error: unknown, number?: number): string {
  const e = error as { status?: number; message?: string; request?: { method?: string; url?: string } };
  const call = e.request?.method && e.request.url ? ` to ${e.request.method} ${readableUrl(e.request.url)}` : '';
  if (e.status === 403 && /rate limit/i.test(e.message ?? ''))
    return `GitHub's rate limit was still in force after the retries (HTTP 403${call}: ${e.message})`;
  if (e.status === 403)
    return `the token is not allowed to (HTTP 403${call}); the workflow needs "pull-requests: write" in its permissions`;
  if (e.status === 404)
    return `GitHub answered 404${call}: ${number ? `pull request #${number}` : 'the repository'} does not exist or the token cannot see it`;
  if (e.status === 401) return `GitHub rejected the token (HTTP 401${call})`;
  if (e.status && e.status >= 500) return `GitHub answered ${e.status}${call} on every attempt (${RETRY.serverErrors} retries)`;
  if (e.status === 429) return `GitHub's rate limit was still in force after the retries (HTTP 429${call})`;
  return `${e.status ? `HTTP ${e.status}${call}: ` : ''}${messageOf(error)}`;
}

/** The path and query of an API URL, percent-decoded for reading. */
function readableUrl(url: string): string {
  const local = pathOfUrl(url);
  try {
    return decodeURIComponent(local);
  } catch {
    return local;
  }
}
