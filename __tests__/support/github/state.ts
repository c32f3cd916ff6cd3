/**
 * Test support only (never shipped): what the fake GitHub holds and how its endpoints act on it: issue and pull
 * request comments, pull requests, the identity of the server's token, and the objects GitHub answers with
 * (users, comments, pull requests, pages of lists with their Link header), built to match the OpenAPI description.
 */
import { basicError, openApiDocument, type JsonObject, type Operation, type Reply } from './openapi.js';

export interface FakeUser {
  login: string;
  id: number;
  node_id: string;
  avatar_url: string;
  gravatar_id: string;
  url: string;
  html_url: string;
  followers_url: string;
  following_url: string;
  gists_url: string;
  starred_url: string;
  subscriptions_url: string;
  organizations_url: string;
  repos_url: string;
  events_url: string;
  received_events_url: string;
  type: 'Bot' | 'User';
  user_view_type: string;
  site_admin: boolean;
}

export interface FakeReactions {
  url: string;
  total_count: number;
  '+1': number;
  '-1': number;
  laugh: number;
  confused: number;
  heart: number;
  hooray: number;
  eyes: number;
  rocket: number;
}

/** Who wrote a seeded comment: a login, with its id and account type when they matter. */
export interface CommentAuthor {
  login: string;
  id?: number;
  type?: 'Bot' | 'User';
}

export interface FakeComment {
  id: number;
  node_id: string;
  url: string;
  html_url: string;
  issue_url: string;
  body: string;
  user: FakeUser;
  created_at: string;
  updated_at: string;
  author_association: 'COLLABORATOR' | 'CONTRIBUTOR' | 'FIRST_TIMER' | 'FIRST_TIME_CONTRIBUTOR' | 'MANNEQUIN' | 'MEMBER' | 'NONE' | 'OWNER';
  performed_via_github_app: null;
  reactions: FakeReactions;
  pin: null;
  minimized: null;
}

/** Who a comment is by. */
export interface Identity {
  login: string;
  id: number;
  type: 'Bot' | 'User';
}

export interface FakeStateOptions {
  /** The server's URL: the objects' `url` fields and Link headers point at it. */
  baseUrl: string;
  /** See FakeGitHubOptions (server.ts). */
  tokenKind: 'installation' | 'user';
  userLogin: string;
  appSlug: string;
}

/** The fake's data, and the real behaviour of the endpoints the action uses (`handle`). */
export class FakeGitHubState {
  private readonly byId = new Map<number, StoredComment>();
  private nextCommentId = 2_100_000_001;
  private readonly pulls = new Map<string, JsonObject[]>();
  private readonly baseUrl: string;

  constructor(private readonly options: FakeStateOptions) {
    this.baseUrl = options.baseUrl;
  }

  /** Who the server's token is: github-actions[bot], another App's bot, or the user. */
  tokenIdentity(): Identity {
    const { tokenKind, userLogin, appSlug } = this.options;
    return tokenKind === 'user'
      ? { login: userLogin, id: idForLogin(userLogin), type: 'User' }
      : appSlug === 'github-actions'
        ? ACTIONS_BOT
        : { login: `${appSlug}[bot]`, id: idForLogin(`${appSlug}[bot]`), type: 'Bot' };
  }

  /** A comment as a previous run would have left it: by `author`, else by the identity of the token. */
  seedComment(owner: string, repo: string, issueNumber: number, body: string, author?: CommentAuthor): FakeComment {
    const who = author
      ? {
          login: author.login,
          id: author.id ?? idForLogin(author.login),
          type: author.type ?? (author.login.endsWith('[bot]') ? ('Bot' as const) : ('User' as const)),
        }
      : this.tokenIdentity();
    return this.createComment(owner, repo, issueNumber, body, who);
  }

  /** A pull request for GET /repos/{owner}/{repo}/pulls, from a webhook payload's `pull_request` (replaces one of its number). */
  seedPullRequest(owner: string, repo: string, pullRequest: Record<string, unknown>): void {
    const key = repoKey(owner, repo);
    const list = (this.pulls.get(key) ?? []).filter((pr) => pr.number !== pullRequest.number);
    list.push(restPullRequest(pullRequest));
    this.pulls.set(key, list);
  }

  /** Real behaviour for the endpoints the action uses; 501 for every other documented operation. */
  handle(op: Operation, p: Record<string, string>, query: Record<string, string>, body: JsonObject): Reply {
    const identity = this.tokenIdentity();
    const notFound = () => basicError(404, 'Not Found', op.docsUrl);
    switch (op.operationId) {
      case 'issues/list-comments': {
        const issueNumber = Number(p.issue_number);
        let all = this.listComments(p.owner!, p.repo!, issueNumber);
        if (query.since) {
          const since = Date.parse(query.since);
          all = all.filter((c) => Date.parse(c.updated_at) >= since);
        }
        return onePage(all, query, `${this.baseUrl}/repos/${p.owner}/${p.repo}/issues/${issueNumber}/comments`);
      }
      case 'issues/create-comment': {
        const c = this.createComment(p.owner!, p.repo!, Number(p.issue_number), body.body, identity);
        return { status: 201, body: c, headers: { location: c.url } };
      }
      case 'issues/get-comment': {
        const s = this.findComment(p.owner!, p.repo!, Number(p.comment_id));
        return s ? { status: 200, body: s.comment } : notFound();
      }
      case 'issues/update-comment': {
        const s = this.findComment(p.owner!, p.repo!, Number(p.comment_id));
        if (!s) return notFound();
        s.comment.body = body.body;
        s.comment.updated_at = nowIso();
        return { status: 200, body: s.comment };
      }
      case 'issues/delete-comment': {
        const s = this.findComment(p.owner!, p.repo!, Number(p.comment_id));
        if (!s) return notFound();
        this.byId.delete(s.comment.id);
        return { status: 204 };
      }
      case 'pulls/list': {
        let all = (this.pulls.get(repoKey(p.owner!, p.repo!)) ?? []).slice().sort((a, b) => b.number - a.number);
        const state = query.state ?? 'open';
        if (state !== 'all') all = all.filter((pr) => pr.state === state);
        if (query.head) all = all.filter((pr) => String(pr.head?.label).toLowerCase() === query.head!.toLowerCase());
        if (query.base) all = all.filter((pr) => pr.base?.ref === query.base);
        return onePage(all, query, `${this.baseUrl}/repos/${p.owner}/${p.repo}/pulls`);
      }
      case 'users/get-authenticated': {
        if (this.options.tokenKind === 'installation') return basicError(403, 'Resource not accessible by integration', op.docsUrl);
        const example = structuredClone(openApiDocument().components.examples['private-user'].value) as JsonObject;
        const user = makeUser(this.baseUrl, this.options.userLogin, identity.id, 'User');
        return {
          status: 200,
          body: { ...example, ...user, user_view_type: 'private', name: this.options.userLogin, email: null, notification_email: null },
          headers: { 'x-oauth-scopes': 'repo, read:org', 'x-accepted-oauth-scopes': '' },
        };
      }
      default:
        return basicError(
          501,
          `fake GitHub: ${op.method.toUpperCase()} ${op.template} (${op.operationId}) is documented but not implemented by this fake`,
          op.docsUrl,
        );
    }
  }

  private createComment(owner: string, repo: string, issueNumber: number, body: string, author: Identity): FakeComment {
    const id = this.nextCommentId++;
    const ts = nowIso();
    const api = `${this.baseUrl}/repos/${owner}/${repo}`;
    const association: FakeComment['author_association'] =
      author.type === 'Bot' ? 'NONE' : author.login.toLowerCase() === owner.toLowerCase() ? 'OWNER' : 'CONTRIBUTOR';
    const comment: FakeComment = {
      id,
      node_id: `IC_kwDO${Buffer.from(`${owner}/${repo}#${issueNumber}:${id}`).toString('base64url').slice(0, 14)}`,
      url: `${api}/issues/comments/${id}`,
      html_url: `https://github.com/${owner}/${repo}/issues/${issueNumber}#issuecomment-${id}`,
      issue_url: `${api}/issues/${issueNumber}`,
      body,
      user: makeUser(this.baseUrl, author.login, author.id, author.type),
      created_at: ts,
      updated_at: ts,
      author_association: association,
      performed_via_github_app: null,
      reactions: {
        url: `${api}/issues/comments/${id}/reactions`,
        total_count: 0,
        '+1': 0,
        '-1': 0,
        laugh: 0,
        confused: 0,
        heart: 0,
        hooray: 0,
        eyes: 0,
        rocket: 0,
      },
      pin: null,
      minimized: null,
    };
    this.byId.set(id, { key: repoKey(owner, repo), owner, repo, issueNumber, comment });
    return comment;
  }

  /** The comments of an issue or pull request, oldest first (the stored objects). */
  listComments(owner: string, repo: string, issueNumber: number): FakeComment[] {
    const key = repoKey(owner, repo);
    return [...this.byId.values()]
      .filter((s) => s.key === key && s.issueNumber === issueNumber)
      .map((s) => s.comment)
      .sort((a, b) => a.id - b.id);
  }

  private findComment(owner: string, repo: string, id: number): StoredComment | undefined {
    const s = this.byId.get(id);
    return s && s.key === repoKey(owner, repo) ? s : undefined;
  }
}

interface StoredComment {
  key: string;
  owner: string;
  repo: string;
  issueNumber: number;
  comment: FakeComment;
}

/** One page of a list (`per_page`, default 30, at most 100; `page`), with GitHub's Link header when there are more. */
function onePage(all: unknown[], query: Record<string, string>, base: string): Reply {
  const perPage = Math.min(100, Math.max(1, query.per_page !== undefined ? Number(query.per_page) : 30));
  const page = Math.max(1, query.page !== undefined ? Number(query.page) : 1);
  const last = Math.max(1, Math.ceil(all.length / perPage));
  const headers: Record<string, string> = {};
  const link = linkHeader(base, query, page, last);
  if (link) headers.link = link;
  return { status: 200, body: all.slice((page - 1) * perPage, page * perPage), headers };
}

function linkHeader(base: string, query: Record<string, string>, page: number, last: number): string | undefined {
  const href = (n: number) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (k !== 'page') params.append(k, v);
    params.append('page', String(n));
    return `<${base}?${params.toString()}>`;
  };
  // GitHub's order: prev, next, last, first.
  const parts: string[] = [];
  if (page > 1) parts.push(`${href(page - 1)}; rel="prev"`);
  if (page < last) parts.push(`${href(page + 1)}; rel="next"`, `${href(last)}; rel="last"`);
  if (page > 1) parts.push(`${href(1)}; rel="first"`);
  return parts.length ? parts.join(', ') : undefined;
}

const ACTIONS_BOT: Identity = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };
const KNOWN_IDS: Record<string, number> = { octocat: 583231, 'github-actions[bot]': 41898282, 'dependabot[bot]': 49699333 };

function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function idForLogin(login: string): number {
  const known = KNOWN_IDS[login.toLowerCase()];
  if (known) return known;
  let h = 2166136261;
  for (const ch of login.toLowerCase()) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return 1_000_000 + (h % 90_000_000);
}

function makeUser(apiUrl: string, login: string, id: number, type: 'Bot' | 'User'): FakeUser {
  const u = `${apiUrl}/users/${encodeURIComponent(login)}`;
  const isBot = type === 'Bot';
  return {
    login,
    id,
    node_id: Buffer.from(isBot ? `03:Bot${id}` : `04:User${id}`).toString('base64'),
    avatar_url:
      login === ACTIONS_BOT.login
        ? 'https://avatars.githubusercontent.com/in/15368?v=4'
        : `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: u,
    html_url: isBot ? `https://github.com/apps/${login.replace(/\[bot\]$/, '')}` : `https://github.com/${login}`,
    followers_url: `${u}/followers`,
    following_url: `${u}/following{/other_user}`,
    gists_url: `${u}/gists{/gist_id}`,
    starred_url: `${u}/starred{/owner}{/repo}`,
    subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`,
    repos_url: `${u}/repos`,
    events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`,
    type,
    user_view_type: 'public',
    site_admin: false,
  };
}

/**
 * The REST API's `pull-request-simple` (what GET /repos/{owner}/{repo}/pulls lists) from a webhook payload's
 * `pull_request`: the properties the REST schema describes, those webhooks lack filled as GitHub does.
 */
function restPullRequest(webhook: Record<string, unknown>): JsonObject {
  const schema = openApiDocument().components.schemas['pull-request-simple'] as JsonObject;
  const source = structuredClone(webhook) as JsonObject;
  const out: JsonObject = {};
  for (const name of Object.keys(schema.properties)) if (name in source) out[name] = source[name];
  out.auto_merge ??= null;
  out.labels ??= [];
  out.draft ??= false;
  return out;
}

function repoKey(owner: string, repo: string): string {
  return `${owner.toLowerCase()}/${repo.toLowerCase()}`;
}
