/**
 * Test support only (never shipped): a loopback HTTP server that answers like the GitHub REST API for the few
 * endpoints the action uses (state.ts), and rejects every request that does not match GitHub's official OpenAPI
 * description (openapi.ts). It records every request, and injects faults on demand: error answers, rate limits,
 * and barriers that make concurrent requests race.
 *
 * Point the action at it with `GITHUB_API_URL=<fake.url>`.
 */
import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import {
  basicError,
  checkRequest,
  checkResponse,
  DOCS_ROOT,
  findOperation,
  openApiDocument,
  type Operation,
  type Reply,
} from './openapi.js';
import { FakeGitHubState, type CommentAuthor, type FakeComment } from './state.js';

export interface RecordedRequest {
  method: string;
  /** URL path without the query string, as received. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body (the raw string if it was not JSON; undefined if empty). */
  body: unknown;
  /** operationId from the OpenAPI description, when the request matched one. */
  operationId?: string;
  /** Status code the fake answered with. */
  status: number;
}

export interface FakeGitHubOptions {
  /** Default 'ghs_testtoken'. Requests must carry `authorization: token <t>` or `Bearer <t>`, else 401. */
  token?: string;
  /**
   * 'installation' (default, like GITHUB_TOKEN): GET /user answers 403 "Resource not accessible by integration",
   * comments are authored by github-actions[bot] (id 41898282, type Bot).
   * 'user': GET /user answers 200 with login `userLogin`; comments are authored by that user.
   */
  tokenKind?: 'installation' | 'user';
  /** Default 'octocat'. */
  userLogin?: string;
  /** Like a fork PR token: POST/PATCH/PUT/DELETE answer 403 "Resource not accessible by integration". */
  readOnly?: boolean;
  /**
   * For 'installation' tokens: the GitHub App whose installation token this is. Default 'github-actions'
   * (GITHUB_TOKEN); e.g. 'size-bot' makes comments authored by `size-bot[bot]` (type Bot), as a GitHub App's
   * installation token does. GET /user answers 403 either way.
   */
  appSlug?: string;
}

/** A fault to answer with instead of the real answer (the request is still validated, and has no effect). */
export interface Fault {
  status: number;
  /** The `message` of the basic-error body; default the HTTP reason phrase. */
  message?: string;
  documentationUrl?: string;
  /** Extra response headers (they override the fake's rate-limit headers). */
  headers?: Record<string, string>;
  /** Only requests of this operation (operationId, e.g. 'issues/create-comment') take the fault. */
  operationId?: string;
  /**
   * The request takes effect anyway, and only its answer is the fault: a gateway that gave up after GitHub
   * applied the write (so a client that retries it writes twice).
   */
  applied?: boolean;
}

/** GitHub's message for a secondary rate limit (REST API docs, "Rate limits for the REST API"). */
export const SECONDARY_RATE_LIMIT_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ';
const RATE_LIMIT_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';

export interface FakeGitHub {
  /** e.g. http://127.0.0.1:43123 */
  url: string;
  token: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** One line per request that did NOT match the OpenAPI description (and "fake server bug: ..." lines). */
  rejections: string[];
  /** Current comments of that issue/PR, oldest first (deep copies). */
  comments(owner: string, repo: string, issueNumber: number): FakeComment[];
  /**
   * Adds a pre-existing comment. Without `author`, it is authored by the identity of the
   * server's token (github-actions[bot] for 'installation', `userLogin` for 'user'),
   * i.e. what a previous run of the action would have left.
   */
  seedComment(owner: string, repo: string, issueNumber: number, body: string, author?: CommentAuthor): FakeComment;
  /**
   * Fault injection. The next `count` requests (of `fault.operationId` only, when given) answer with the
   * fault instead (body {"message", "documentation_url", "status"}); they are validated but have no effect.
   * Calls queue up: faults are taken in the order they were added.
   */
  failNext(count: number, status: number, message?: string, fault?: Omit<Fault, 'status' | 'message'>): void;
  /** The next `count` requests (of `operationId`, when given) answer 5xx (default 502 Bad Gateway). */
  serverErrorNext(count: number, options?: { status?: number; operationId?: string; applied?: boolean }): void;
  /**
   * The next `count` requests (of `operationId`, when given) hit a secondary rate limit: 403 (or 429) with
   * GitHub's message and, unless `retryAfter` is null, a `retry-after` header (seconds, default 1).
   */
  secondaryRateLimitNext(count: number, options?: { retryAfter?: number | null; status?: 403 | 429; operationId?: string }): void;
  /**
   * The next `count` requests (of `operationId`, when given) find the primary rate limit exhausted: 403 with
   * "API rate limit exceeded", x-ratelimit-remaining: 0 and x-ratelimit-reset `resetInSeconds` from now.
   */
  primaryRateLimitNext(count: number, options?: { resetInSeconds?: number; operationId?: string }): void;
  /**
   * A barrier, to make races happen on purpose: the answers to the next `count` requests of `operationId`
   * are held back until all `count` have arrived, then sent together (each answer is computed when its
   * request arrives). After `timeoutMs` (default 20 s) they are released anyway and a rejection is recorded.
   */
  holdUntil(operationId: string, count: number, timeoutMs?: number): void;
  /** Pull requests: GET /repos/{owner}/{repo}/pulls answers from these (state, head, base filters). */
  seedPullRequest(owner: string, repo: string, pullRequest: Record<string, unknown>): void;
  close(): Promise<void>;
}

export async function startFakeGitHub(opts: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  openApiDocument(); // read the description now, not on the first request
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const fake = new FakeGitHubServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, opts);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    fake.onRequest(req, res).catch((err: unknown) => {
      fake.rejections.push(`fake server bug: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ message: 'fake server bug' }));
    });
  });
  return fake;
}

/** A request as received, before it is checked. */
interface Incoming {
  method: string;
  path: string;
  query: Record<string, string>;
  queryKeys: string[];
  headers: IncomingMessage['headers'];
  rawBody: string;
  body: unknown;
  bodyParseError: boolean;
}

class FakeGitHubServer implements FakeGitHub {
  readonly token: string;
  readonly requests: RecordedRequest[] = [];
  readonly rejections: string[] = [];
  private readonly readOnly: boolean;
  private readonly state: FakeGitHubState;
  private readonly faults = new Faults();
  private readonly holds: Holds;
  private rateRemaining = 5000;
  private readonly rateReset = Math.floor(Date.now() / 1000) + 3600;

  constructor(
    private readonly server: Server,
    readonly url: string,
    opts: FakeGitHubOptions,
  ) {
    this.token = opts.token ?? 'ghs_testtoken';
    this.readOnly = opts.readOnly ?? false;
    this.state = new FakeGitHubState({
      baseUrl: url,
      tokenKind: opts.tokenKind ?? 'installation',
      userLogin: opts.userLogin ?? 'octocat',
      appSlug: opts.appSlug ?? 'github-actions',
    });
    this.holds = new Holds(this.rejections);
  }

  comments(owner: string, repo: string, issueNumber: number): FakeComment[] {
    return structuredClone(this.state.listComments(owner, repo, issueNumber));
  }

  seedComment(owner: string, repo: string, issueNumber: number, body: string, author?: CommentAuthor): FakeComment {
    return structuredClone(this.state.seedComment(owner, repo, issueNumber, body, author));
  }

  failNext(count: number, status: number, message?: string, fault?: Omit<Fault, 'status' | 'message'>): void {
    this.faults.add(count, { ...fault, status, ...(message !== undefined ? { message } : {}) });
  }

  serverErrorNext(count: number, options: { status?: number; operationId?: string; applied?: boolean } = {}): void {
    this.faults.add(count, {
      status: options.status ?? 502,
      ...(options.operationId ? { operationId: options.operationId } : {}),
      ...(options.applied ? { applied: true } : {}),
    });
  }

  secondaryRateLimitNext(count: number, options: { retryAfter?: number | null; status?: 403 | 429; operationId?: string } = {}): void {
    const retryAfter = options.retryAfter === undefined ? 1 : options.retryAfter;
    this.faults.add(count, {
      status: options.status ?? 403,
      message: `${SECONDARY_RATE_LIMIT_MESSAGE}${requestId()}.`,
      documentationUrl: `${RATE_LIMIT_DOCS}#about-secondary-rate-limits`,
      ...(retryAfter === null ? {} : { headers: { 'retry-after': String(retryAfter) } }),
      ...(options.operationId ? { operationId: options.operationId } : {}),
    });
  }

  primaryRateLimitNext(count: number, options: { resetInSeconds?: number; operationId?: string } = {}): void {
    const reset = Math.floor(Date.now() / 1000) + (options.resetInSeconds ?? 3600);
    this.faults.add(count, {
      status: 403,
      message: 'API rate limit exceeded for installation ID 12345678.',
      documentationUrl: `${RATE_LIMIT_DOCS}#about-the-primary-rate-limit`,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(reset) },
      ...(options.operationId ? { operationId: options.operationId } : {}),
    });
  }

  holdUntil(operationId: string, count: number, timeoutMs = 20_000): void {
    this.holds.add(operationId, count, timeoutMs);
  }

  seedPullRequest(owner: string, repo: string, pullRequest: Record<string, unknown>): void {
    this.state.seedPullRequest(owner, repo, pullRequest);
  }

  close(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.close((err) => (err ? reject(err) : resolve()));
      this.server.closeAllConnections();
    });
  }

  async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query: Record<string, string> = {};
    const queryKeys: string[] = [];
    for (const [k, v] of url.searchParams) {
      if (!(k in query)) queryKeys.push(k);
      query[k] = v;
    }
    let body: unknown;
    let bodyParseError = false;
    if (rawBody.trim() !== '') {
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
        bodyParseError = true;
      }
    }
    const recorded: RecordedRequest = { method, path: url.pathname, query, body, status: 0 };
    this.requests.push(recorded);
    const label = `${method} ${url.pathname}${url.search}`;
    const reject = (why: string) => this.rejections.push(`${label}${recorded.operationId ? ` (${recorded.operationId})` : ''}: ${why}`);

    let reply: Reply;
    let op: Operation | undefined;
    let failure: Fault | undefined;
    try {
      const incoming: Incoming = { method, path: url.pathname, query, queryKeys, headers: req.headers, rawBody, body, bodyParseError };
      ({ reply, op, fault: failure } = this.dispatch(incoming, recorded, reject));
      if (op) recorded.operationId = op.operationId;
    } catch (err) {
      this.rejections.push(`fake server bug: ${label}: ${(err as Error).stack ?? String(err)}`);
      reply = { status: 500, body: { message: `fake server bug: ${(err as Error).message}` }, skipResponseValidation: true };
    }
    if (failure) {
      const { status, message } = failure;
      reply = {
        status,
        body: {
          message: message ?? STATUS_CODES[status] ?? 'Error',
          documentation_url: failure.documentationUrl ?? DOCS_ROOT,
          status: String(status),
        },
        ...(failure.headers ? { headers: failure.headers } : {}),
        skipResponseValidation: true,
      };
    }
    let wire = reply.body === undefined ? undefined : (JSON.parse(JSON.stringify(reply.body)) as unknown);
    let problem: string | undefined;
    try {
      problem = reply.skipResponseValidation ? undefined : checkResponse(op, reply.status, wire);
    } catch (err) {
      problem = `could not check the response: ${(err as Error).message}`;
    }
    if (problem) {
      this.rejections.push(`fake server bug: ${label}${op ? ` (${op.operationId})` : ''} answered ${reply.status}: ${problem}`);
      reply = { status: 500, headers: {} };
      wire = { message: `fake server bug: ${problem}`, documentation_url: DOCS_ROOT, status: '500' };
    }
    recorded.status = reply.status;
    await this.holds.wait(op?.operationId, label);
    this.send(res, reply.status, wire, reply.headers);
  }

  /** Checks the request (GitHub's rules, then the description's); returns the reply to send and the operation. */
  private dispatch(
    incoming: Incoming,
    recorded: RecordedRequest,
    reject: (why: string) => void,
  ): { reply: Reply; op?: Operation; fault?: Fault } {
    const { method, path, headers } = incoming;
    if (!headers['user-agent']) {
      reject('missing User-Agent header (GitHub answers 403 to requests without one)');
      return {
        reply: basicError(
          403,
          'Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.',
        ),
      };
    }
    const found = findOperation(method, path);
    if ('problem' in found) {
      reject(found.problem);
      return { reply: basicError(404, 'Not Found') };
    }
    const { op, pathParams } = found;
    recorded.operationId = op.operationId;

    const auth = headers.authorization;
    if (!auth) {
      reject('missing Authorization header');
      return { reply: basicError(401, 'Requires authentication', op.docsUrl), op };
    }
    const am = /^(token|bearer)\s+(\S+)\s*$/i.exec(auth);
    if (!am || am[2] !== this.token) {
      reject(`bad credentials (expected "token ${this.token}" or "Bearer ${this.token}")`);
      return { reply: basicError(401, 'Bad credentials', op.docsUrl), op };
    }

    const refused = checkRequest(op, pathParams, incoming, reject);
    if (refused) return { reply: refused, op };

    // Fault injection: the request was validated (rejections recorded) but must have no effect.
    const fault = this.faults.take(op.operationId);
    if (fault && !fault.applied) return { reply: { status: 0 }, op, fault };

    const m = method.toLowerCase();
    if (this.readOnly && m !== 'get' && m !== 'head') {
      const reply = basicError(403, 'Resource not accessible by integration', op.docsUrl);
      reply.headers = { 'x-accepted-github-permissions': 'issues=write; pull_requests=write' };
      return { reply, op, ...(fault ? { fault } : {}) };
    }
    return {
      reply: this.state.handle(op, pathParams, incoming.query, incoming.body as Record<string, unknown>),
      op,
      ...(fault ? { fault } : {}),
    };
  }

  private send(res: ServerResponse, status: number, wire: unknown, extra: Record<string, string> = {}): void {
    this.rateRemaining = Math.max(0, this.rateRemaining - 1);
    const headers: Record<string, string> = {
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': requestId(),
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(this.rateRemaining),
      'x-ratelimit-reset': String(this.rateReset),
      'x-ratelimit-used': String(5000 - this.rateRemaining),
      'x-ratelimit-resource': 'core',
      server: 'github.com',
      ...extra,
    };
    if (wire === undefined) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(wire);
    res.writeHead(status, {
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  }
}

/** The faults queued by failNext and the like, taken in the order they were added. */
class Faults {
  private readonly queue: Array<Fault & { remaining: number }> = [];

  add(count: number, fault: Fault): void {
    if (count > 0) this.queue.push({ ...fault, remaining: count });
  }

  /** The fault the next request of this operation takes, if any. */
  take(operationId: string | undefined): Fault | undefined {
    const i = this.queue.findIndex((f) => f.operationId === undefined || f.operationId === operationId);
    if (i < 0) return undefined;
    const fault = this.queue[i]!;
    if (--fault.remaining <= 0) this.queue.splice(i, 1);
    return fault;
  }
}

/** The barriers of holdUntil: answers held back until `count` requests of the operation have arrived. */
class Holds {
  private readonly holds: Array<{
    operationId: string;
    count: number;
    timeoutMs: number;
    waiting: Array<() => void>;
    timer?: NodeJS.Timeout;
  }> = [];

  constructor(private readonly rejections: string[]) {}

  add(operationId: string, count: number, timeoutMs: number): void {
    this.holds.push({ operationId, count, timeoutMs, waiting: [] });
  }

  /** Resolves when the barrier for this operation (if any) opens. */
  wait(operationId: string | undefined, label: string): Promise<void> | undefined {
    const hold = this.holds.find((h) => h.operationId === operationId && h.waiting.length < h.count);
    if (!hold) return undefined;
    return new Promise<void>((resolve) => {
      hold.waiting.push(resolve);
      const open = () => {
        clearTimeout(hold.timer);
        this.holds.splice(this.holds.indexOf(hold), 1);
        for (const release of hold.waiting) release();
      };
      if (hold.waiting.length === hold.count) open();
      else if (hold.waiting.length === 1) {
        hold.timer = setTimeout(() => {
          this.rejections.push(
            `holdUntil(${hold.operationId}, ${hold.count}) timed out with ${hold.waiting.length} request(s) held, the last ${label}`,
          );
          open();
        }, hold.timeoutMs);
      }
    });
  }
}

function requestId(): string {
  const hex = (n: number) => randomBytes(n).toString('hex').toUpperCase();
  return `${hex(2)}:${hex(2)}:${hex(3)}:${hex(3)}:${hex(4)}`;
}
