/** What the workflow run is about, read from the event payload the runner wrote (GITHUB_EVENT_PATH). */
import { context } from '@actions/github';

export interface PullRequestInfo {
  owner: string;
  repo: string;
  number: number;
  baseSha: string;
  baseRef: string;
  headSha: string;
  headRef: string;
  /** The head lives in another repository: the token is read-only then. */
  fromFork: boolean;
}

export function eventName(): string {
  return context.eventName;
}

/** The pull request of a pull_request or pull_request_target event, or undefined for other events. */
export function pullRequest(): PullRequestInfo | undefined {
  const pr = context.payload.pull_request as
    | {
        number: number;
        base: { sha: string; ref: string; repo?: { full_name?: string } };
        head: { sha: string; ref: string; repo?: { full_name?: string } | null };
      }
    | undefined;
  if (!pr?.base?.sha || !pr.head?.sha) return undefined;
  const baseRepo = pr.base.repo?.full_name ?? `${context.repo.owner}/${context.repo.repo}`;
  return {
    owner: context.repo.owner,
    repo: context.repo.repo,
    number: pr.number,
    baseSha: pr.base.sha,
    baseRef: pr.base.ref,
    headSha: pr.head.sha,
    headRef: pr.head.ref,
    fromFork: !pr.head.repo || pr.head.repo.full_name !== baseRepo,
  };
}

/** The commit and ref of this run, for the report. */
export function currentCommit(): { sha?: string; ref?: string } {
  const pr = pullRequest();
  if (pr) return { sha: pr.headSha, ref: pr.headRef };
  return { sha: context.sha || undefined, ref: context.ref?.replace(/^refs\/heads\//, '') || undefined };
}

/** The commit a push event moved from (`before`), or undefined for other events and new branches. */
export function pushedFrom(): { sha: string; ref: string } | undefined {
  const before = context.payload.before as string | undefined;
  if (context.eventName !== 'push' || !before || /^0+$/.test(before)) return undefined;
  return { sha: before, ref: `${String(context.payload.ref ?? '').replace(/^refs\/heads\//, '')}@{before}` };
}

/** The run that triggered a `workflow_run` event, from the event payload (written by GitHub: trusted). */
export interface WorkflowRunInfo {
  id: number;
  /** The event that started that run: `pull_request`, `push`, ... */
  event: string;
  headSha: string;
  headBranch?: string;
  /** owner/name of the repository the head commit is in (a fork's for a pull request from a fork). */
  headRepository?: string;
  /** Pull requests GitHub links to the run. Always empty for a pull request from a fork. */
  pullRequests: { number: number; headSha?: string; baseRepoId?: number }[];
}

export function workflowRun(): WorkflowRunInfo | undefined {
  if (context.eventName !== 'workflow_run') return undefined;
  const run = context.payload.workflow_run as
    | {
        id: number;
        event: string;
        head_sha: string;
        head_branch?: string | null;
        head_repository?: { full_name?: string } | null;
        pull_requests?: { number: number; head?: { sha?: string }; base?: { repo?: { id?: number } } }[];
      }
    | undefined;
  if (!run?.head_sha) return undefined;
  return {
    id: run.id,
    event: run.event,
    headSha: run.head_sha,
    ...(run.head_branch ? { headBranch: run.head_branch } : {}),
    ...(run.head_repository?.full_name ? { headRepository: run.head_repository.full_name } : {}),
    pullRequests: (run.pull_requests ?? []).map((p) => ({ number: p.number, headSha: p.head?.sha, baseRepoId: p.base?.repo?.id })),
  };
}

/** This repository's id, from the event payload. */
export function repositoryId(): number | undefined {
  return (context.payload.repository as { id?: number } | undefined)?.id;
}

export function repository(): { owner: string; repo: string } {
  return { owner: context.repo.owner, repo: context.repo.repo };
}
