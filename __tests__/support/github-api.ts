/**
 * Test support only (never shipped): a loopback HTTP server that answers like
 * the GitHub REST API for the few endpoints the action uses, and rejects every
 * request that does not match GitHub's official OpenAPI description
 * (`@octokit/openapi`, generated/api.github.com.json — OpenAPI 3.0.3).
 *
 * Point the action at it with `GITHUB_API_URL=<fake.url>`.
 */
import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { Ajv } from 'ajv';
import { afterEach, beforeEach, expect } from 'vitest';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

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
  seedComment(
    owner: string,
    repo: string,
    issueNumber: number,
    body: string,
    author?: { login: string; id?: number; type?: 'Bot' | 'User' },
  ): FakeComment;
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

// ---------------------------------------------------------------------------
// OpenAPI description: loaded once per process, schemas compiled lazily.
// ---------------------------------------------------------------------------

/* eslint-disable @typescript-eslint/no-explicit-any */
type JsonObject = Record<string, any>;

const DESCRIPTION_ID = 'https://api.github.com/__openapi__/api.github.com.json';
const DOCS_ROOT = 'https://docs.github.com/rest';

interface RouteSegmentParam {
  param: string;
}
type RouteSegment = string | RouteSegmentParam;

interface Route {
  template: string;
  segments: RouteSegment[];
  pathItem: JsonObject;
}

interface ResolvedParam {
  name: string;
  in: string;
  required: boolean;
  /** JSON pointer (inside the description) to the parameter's schema. */
  schemaPointer: string;
  schema: JsonObject;
}

interface Operation {
  method: string;
  template: string;
  operationId: string;
  pointer: string;
  op: JsonObject;
  params: ResolvedParam[];
  docsUrl: string;
}

interface Description {
  file: string;
  openapi: string;
  doc: JsonObject;
  ajv: Ajv;
  routesBySegmentCount: Map<number, Route[]>;
  validators: Map<string, ValidateFunction>;
  operations: Map<string, Operation>;
  /** Pointers of subtrees already converted from OpenAPI 3.0 to JSON Schema. */
  converted: Set<string>;
  /** The schema document Ajv knows as DESCRIPTION_ID (see loadDescription). */
  mirror: JsonObject;
  timings: { readAndParseMs: number; indexMs: number; totalMs: number };
}

let descriptionCache: Description | undefined;

const requireFromHere = createRequire(import.meta.url);
const addFormats = ((addFormatsImport as any).default ?? addFormatsImport) as (ajv: Ajv) => Ajv;

/** Absolute path of the OpenAPI description file the fake validates against. */
export function openApiDescriptionFile(): string {
  return requireFromHere.resolve('@octokit/openapi/generated/api.github.com.json');
}

/** Load timings of the (process-wide cached) description; loads it if needed. */
export function openApiLoadTimings(): Description['timings'] & { file: string; openapi: string } {
  const d = loadDescription();
  return { ...d.timings, file: d.file, openapi: d.openapi };
}

function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function pointerOf(...tokens: Array<string | number>): string {
  return tokens.map((t) => '/' + escapePointerToken(String(t))).join('');
}

function getByPointer(doc: JsonObject, pointer: string): any {
  if (pointer === '') return doc;
  let cur: any = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !(token in cur)) return undefined;
    cur = cur[token];
  }
  return cur;
}

/** Follows `$ref`s (local `#/...` only) and returns the target and its pointer. */
function deref(doc: JsonObject, node: any, pointer: string): { node: any; pointer: string } {
  let cur = node;
  let ptr = pointer;
  for (let guard = 0; cur && typeof cur === 'object' && typeof cur.$ref === 'string' && guard < 32; guard++) {
    const ref: string = cur.$ref;
    if (!ref.startsWith('#')) throw new Error(`non-local $ref ${ref}`);
    ptr = ref.slice(1);
    cur = getByPointer(doc, ptr);
  }
  return { node: cur, pointer: ptr };
}

/**
 * OpenAPI 3.0 -> JSON Schema (draft-07, what Ajv's default build speaks):
 *  - `nullable: true` becomes `type: [T, "null"]` (+ `null` in `enum`) for plain typed schemas,
 *    or `anyOf: [{type: "null"}, <schema>]` when it sits next to `$ref`/`allOf`/`oneOf`/`anyOf`
 *    or has no `type` (Ajv's own `nullable` support throws on those).
 *  - `oneOf` + `discriminator.mapping` (unsupported by Ajv) becomes `anyOf` of the candidates plus
 *    `if discriminator == k then <mapping[k]>` for every mapping entry — OpenAPI's discriminator
 *    semantics (plain `oneOf` would ignore what the discriminator property says).
 *  - collects the `format`s used (to register the non-JSON-Schema ones) and the `$ref`s (to convert
 *    those too before Ajv compiles anything that reaches them).
 * `example`/`examples`/`enum`/`default`/`const` values are data, not schemas, and are left alone.
 * Idempotent, and applied lazily (see convertSubtree) to the schemas about to be compiled.
 */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs']);
const DATA_KEYWORDS = new Set(['example', 'examples', 'enum', 'default', 'const', 'required', 'xml', 'externalDocs']);

function toJsonSchema(node: any, formats: Set<string>, refs: Set<string>): any {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = toJsonSchema(node[i], formats, refs);
    return node;
  }
  if (node === null || typeof node !== 'object') return node;
  for (const key of Object.keys(node)) {
    const value = node[key];
    if (SCHEMA_MAPS.has(key) && value && typeof value === 'object' && !Array.isArray(value)) {
      // name -> schema: every name is a schema, even "default" or "example" (e.g. label.properties.default)
      for (const name of Object.keys(value)) value[name] = toJsonSchema(value[name], formats, refs);
    } else if (DATA_KEYWORDS.has(key)) {
      continue;
    } else if (key === '$ref' && typeof value === 'string') {
      refs.add(value);
    } else if (key === 'discriminator' && value && typeof value === 'object') {
      for (const ref of Object.values((value as JsonObject).mapping ?? {})) if (typeof ref === 'string') refs.add(ref);
    } else {
      node[key] = toJsonSchema(value, formats, refs);
    }
  }
  if (typeof node.format === 'string') formats.add(node.format);
  let out: JsonObject = node;
  if (
    out.discriminator &&
    typeof out.discriminator === 'object' &&
    typeof out.discriminator.propertyName === 'string' &&
    Array.isArray(out.oneOf)
  ) {
    const { propertyName, mapping } = out.discriminator as { propertyName: string; mapping?: Record<string, string> };
    const { oneOf, discriminator: _discriminator, ...rest } = out;
    const conditions = Object.entries(mapping ?? {}).map(([value, ref]) => ({
      if: { type: 'object', required: [propertyName], properties: { [propertyName]: { const: value } } },
      then: { $ref: ref },
    }));
    out = { ...rest, anyOf: oneOf, ...(conditions.length ? { allOf: [...(rest.allOf ?? []), ...conditions] } : {}) };
  }
  if ('nullable' in out) {
    const { nullable, ...rest } = out;
    if (nullable !== true) {
      out = rest;
    } else if (typeof rest.type === 'string' && !rest.$ref && !rest.allOf && !rest.anyOf && !rest.oneOf) {
      rest.type = [rest.type, 'null'];
      if (Array.isArray(rest.enum) && !rest.enum.includes(null)) rest.enum = [...rest.enum, null];
      out = rest;
    } else {
      out = { anyOf: [{ type: 'null' }, rest] };
    }
  }
  return out;
}

function loadDescription(): Description {
  if (descriptionCache) return descriptionCache;
  const t0 = performance.now();
  const file = openApiDescriptionFile();
  const doc = JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
  const t1 = performance.now();
  if (typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.0')) {
    // The nullable handling below is OpenAPI 3.0 specific; 3.1 is plain JSON Schema 2020-12.
    throw new Error(`github-api fake: expected an OpenAPI 3.0.x description in ${file}, got ${String(doc.openapi)}`);
  }

  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateSchema: false, // the description is not itself a JSON Schema; don't meta-validate 13 MB
    unicodeRegExp: false,
    messages: true,
  });
  addFormats(ajv);
  // The description, as one schema document with an $id, so `#/components/...` refs resolve inside it.
  // Ajv walks every key of an added document (~200-400 ms for this one), so what Ajv gets is a
  // mirror that convertSubtree() fills with the (same, converted) objects just before they are
  // compiled; Ajv resolves JSON pointers against it at compile time.
  const mirror: JsonObject = { $id: DESCRIPTION_ID, openapi: doc.openapi };
  ajv.addSchema(mirror);

  const routesBySegmentCount = new Map<number, Route[]>();
  for (const [template, pathItem] of Object.entries(doc.paths as Record<string, JsonObject>)) {
    const segments: RouteSegment[] = template
      .split('/')
      .slice(1)
      .map((s) => {
        const m = /^\{([^}]+)\}$/.exec(s);
        return m ? { param: m[1]! } : s;
      });
    const list = routesBySegmentCount.get(segments.length) ?? [];
    list.push({ template, segments, pathItem });
    routesBySegmentCount.set(segments.length, list);
  }
  const t2 = performance.now();
  descriptionCache = {
    file,
    openapi: doc.openapi,
    doc,
    ajv,
    routesBySegmentCount,
    validators: new Map(),
    operations: new Map(),
    converted: new Set(),
    mirror,
    timings: { readAndParseMs: t1 - t0, indexMs: t2 - t1, totalMs: t2 - t0 },
  };
  return descriptionCache;
}

/**
 * Converts (once) the schema at `pointer` and, transitively, every schema it `$ref`s, in place —
 * only what is about to be compiled, so startup does not pay for walking all 13 MB.
 * The conversion is idempotent, so overlapping subtrees are harmless.
 */
function convertSubtree(d: Description, pointer: string): void {
  const pending = [pointer];
  while (pending.length) {
    const ptr = pending.pop()!;
    if (d.converted.has(ptr)) continue;
    d.converted.add(ptr);
    const cut = ptr.lastIndexOf('/');
    const parent = getByPointer(d.doc, ptr.slice(0, cut));
    const token = ptr.slice(cut + 1).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!parent || typeof parent !== 'object' || !(token in parent)) continue;
    const formats = new Set<string>();
    const refs = new Set<string>();
    parent[token] = toJsonSchema(parent[token], formats, refs);
    // Expose the converted subtree to Ajv at the same pointer.
    let target = d.mirror;
    const tokens = ptr.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    for (const t of tokens.slice(0, -1)) {
      if (target[t] === null || typeof target[t] !== 'object') target[t] = {};
      target = target[t];
    }
    target[token] = parent[token];
    // OpenAPI/GitHub formats with no JSON Schema meaning (e.g. "repo.nwo", "int32"): accept anything.
    for (const format of formats) if (!d.ajv.formats[format]) d.ajv.addFormat(format, true);
    for (const ref of refs) if (ref.startsWith('#/')) pending.push(ref.slice(1));
  }
}

/** Compiles (once) the schema found at `pointer` inside the description. */
function validatorAt(d: Description, pointer: string): ValidateFunction {
  let v = d.validators.get(pointer);
  if (!v) {
    convertSubtree(d, pointer);
    const fragment = pointer
      .split('/')
      .map((t) => encodeURIComponent(t))
      .join('/');
    v = d.ajv.compile({ $ref: `${DESCRIPTION_ID}#${fragment}` });
    d.validators.set(pointer, v);
  }
  return v;
}

function operationFor(d: Description, route: Route, method: string): Operation | undefined {
  const key = `${method} ${route.template}`;
  const cached = d.operations.get(key);
  if (cached) return cached;
  const op = route.pathItem[method] as JsonObject | undefined;
  if (!op || typeof op !== 'object') return undefined;
  const pointer = pointerOf('paths', route.template, method);
  const params: ResolvedParam[] = [];
  const lists: Array<[any[], string]> = [];
  if (Array.isArray(route.pathItem.parameters)) lists.push([route.pathItem.parameters, pointerOf('paths', route.template, 'parameters')]);
  if (Array.isArray(op.parameters)) lists.push([op.parameters, `${pointer}/parameters`]);
  for (const [list, listPointer] of lists) {
    list.forEach((p, i) => {
      const { node, pointer: pPtr } = deref(d.doc, p, `${listPointer}/${i}`);
      if (!node || typeof node !== 'object') return;
      const existing = params.findIndex((x) => x.name === node.name && x.in === node.in);
      const resolved: ResolvedParam = {
        name: node.name,
        in: node.in,
        required: node.required === true || node.in === 'path',
        schemaPointer: `${pPtr}/schema`,
        schema: deref(d.doc, node.schema ?? {}, `${pPtr}/schema`).node ?? {},
      };
      if (existing >= 0) params[existing] = resolved;
      else params.push(resolved);
    });
  }
  const operation: Operation = {
    method,
    template: route.template,
    operationId: String(op.operationId ?? key),
    pointer,
    op,
    params,
    docsUrl: typeof op.externalDocs?.url === 'string' ? op.externalDocs.url : DOCS_ROOT,
  };
  d.operations.set(key, operation);
  return operation;
}

interface RouteMatch {
  route: Route;
  pathParams: Record<string, string>;
}

/** Literal segments win over `{param}` segments at the first position where two templates differ. */
function compareRoutes(a: Route, b: Route): number {
  for (let i = 0; i < a.segments.length; i++) {
    const la = typeof a.segments[i] === 'string';
    const lb = typeof b.segments[i] === 'string';
    if (la !== lb) return la ? -1 : 1;
  }
  return 0;
}

function matchRoutes(d: Description, rawSegments: string[]): RouteMatch[] {
  const candidates = d.routesBySegmentCount.get(rawSegments.length) ?? [];
  const matches: RouteMatch[] = [];
  for (const route of candidates) {
    const pathParams: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < route.segments.length; i++) {
      const seg = route.segments[i]!;
      const raw = rawSegments[i]!;
      if (typeof seg === 'string') {
        if (seg !== raw) {
          ok = false;
          break;
        }
      } else {
        if (raw === '') {
          ok = false;
          break;
        }
        let decoded: string;
        try {
          decoded = decodeURIComponent(raw);
        } catch {
          ok = false;
          break;
        }
        pathParams[seg.param] = decoded;
      }
    }
    if (ok) matches.push({ route, pathParams });
  }
  return matches.sort((a, b) => compareRoutes(a.route, b.route));
}

function schemaType(schema: JsonObject): string | undefined {
  const t = schema.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.find((x) => x !== 'null');
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    if (Array.isArray(schema[key])) {
      for (const sub of schema[key]) {
        const st = sub && typeof sub === 'object' ? schemaType(sub) : undefined;
        if (st && st !== 'null') return st;
      }
    }
  }
  return undefined;
}

/** Turns a path/query string into the value its schema asks for (so Ajv can check it). */
function coerce(raw: string, schema: JsonObject): unknown {
  switch (schemaType(schema)) {
    case 'integer':
      return /^-?\d+$/.test(raw) ? Number(raw) : raw;
    case 'number':
      return /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw) ? Number(raw) : raw;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'array': {
      const items = schema.items && typeof schema.items === 'object' ? (schema.items as JsonObject) : {};
      return raw === '' ? [] : raw.split(',').map((x) => coerce(x, items));
    }
    default:
      return raw;
  }
}

function errorsText(errors: ErrorObject[] | null | undefined, dataVar: string): string {
  if (!errors || errors.length === 0) return 'invalid';
  // Collapse the noise of anyOf/if branches a little: keep unique messages.
  const lines = new Set<string>();
  for (const e of errors) lines.add(`${dataVar}${e.instancePath} ${e.message ?? e.keyword}`);
  return [...lines].slice(0, 8).join('; ') + (lines.size > 8 ? `; … (${lines.size - 8} more)` : '');
}

/** GitHub-style 422 message ("Invalid request.\n\n..."), from Ajv errors. */
function githubValidationMessage(errors: ErrorObject[] | null | undefined, data: unknown): string {
  const parts: string[] = [];
  for (const e of errors ?? []) {
    if (e.keyword === 'required') {
      parts.push(`"${String((e.params as { missingProperty?: string }).missingProperty)}" wasn't supplied.`);
    } else if (e.keyword === 'type') {
      const value = e.instancePath
        .split('/')
        .slice(1)
        .reduce<any>((cur, t) => (cur && typeof cur === 'object' ? cur[t.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), data);
      const where = e.instancePath
        .split('/')
        .slice(1)
        .map((t) => `properties/${t}`)
        .join('/');
      parts.push(`For '${where || 'links/0/schema'}', ${JSON.stringify(value) ?? 'nil'} is not ${article(String((e.params as { type?: unknown }).type))}.`);
    } else {
      parts.push(`For '${e.instancePath || '/'}', ${e.message ?? e.keyword}.`);
    }
  }
  return `Invalid request.\n\n${[...new Set(parts)].join('\n')}`;
}

function article(type: string): string {
  const t = type === 'integer' ? 'integer' : type;
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

/**
 * Checks a response (status + parsed JSON body, undefined for none) against what the description
 * documents for the operation; returns a human-readable problem, or undefined if it conforms.
 * Undocumented error statuses (>= 400) must still look like GitHub's `basic-error`.
 */
function responseProblem(d: Description, op: Operation | undefined, status: number, wire: unknown): string | undefined {
  const responses: JsonObject = op?.op.responses ?? {};
  const key = String(status);
  let schemaPointer: string | undefined;
  let documented = false;
  if (op && (responses[key] || responses.default)) {
    documented = true;
    const k = responses[key] ? key : 'default';
    const r = deref(d.doc, responses[k], `${op.pointer}/responses/${escapePointerToken(k)}`);
    const content = r.node?.content as JsonObject | undefined;
    if (content?.['application/json']?.schema) schemaPointer = `${r.pointer}/content/application~1json/schema`;
    else if (content && Object.keys(content).length) return `status ${status} is documented with ${Object.keys(content).join(', ')} only`;
    else if (wire !== undefined) return `status ${status} is documented without a body, but a body was sent`;
  }
  if (!documented) {
    if (status < 400) return `status ${status} is not documented for ${op ? op.operationId : 'this request'}`;
    schemaPointer = pointerOf('components', 'schemas', 'basic-error'); // what GitHub sends for any error
  }
  if (!schemaPointer) return undefined;
  if (wire === undefined) return `status ${status} needs a JSON body`;
  const v = validatorAt(d, schemaPointer);
  return v(wire) ? undefined : `response body does not match ${schemaPointer}: ${errorsText(v.errors, 'response')}`;
}

/**
 * The check the fake applies to its own responses, exposed for tests: `pathTemplate` is a key of
 * the description's `paths` (e.g. '/repos/{owner}/{repo}/issues/comments/{comment_id}').
 */
export function responseSchemaProblem(method: string, pathTemplate: string, status: number, body: unknown): string | undefined {
  const d = loadDescription();
  const segments = pathTemplate.split('/').slice(1);
  const route = (d.routesBySegmentCount.get(segments.length) ?? []).find((r) => r.template === pathTemplate);
  if (!route) throw new Error(`no path ${pathTemplate} in the OpenAPI description`);
  const op = operationFor(d, route, method.toLowerCase());
  if (!op) throw new Error(`no ${method} operation for ${pathTemplate}`);
  return responseProblem(d, op, status, body);
}

// ---------------------------------------------------------------------------
// Realistic objects
// ---------------------------------------------------------------------------

const ACTIONS_BOT = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' as const };
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
    avatar_url: login === ACTIONS_BOT.login ? 'https://avatars.githubusercontent.com/in/15368?v=4' : `https://avatars.githubusercontent.com/u/${id}?v=4`,
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
function restPullRequest(d: Description, webhook: Record<string, unknown>): Record<string, any> {
  const schema = d.doc.components.schemas['pull-request-simple'] as JsonObject;
  const source = structuredClone(webhook) as Record<string, any>;
  const out: Record<string, any> = {};
  for (const name of Object.keys(schema.properties)) if (name in source) out[name] = source[name];
  out.auto_merge ??= null;
  out.labels ??= [];
  out.draft ??= false;
  return out;
}

function repoKey(owner: string, repo: string): string {
  return `${owner.toLowerCase()}/${repo.toLowerCase()}`;
}

function requestId(): string {
  const hex = (n: number) => randomBytes(n).toString('hex').toUpperCase();
  return `${hex(2)}:${hex(2)}:${hex(3)}:${hex(3)}:${hex(4)}`;
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

interface StoredComment {
  key: string;
  owner: string;
  repo: string;
  issueNumber: number;
  comment: FakeComment;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Skip checking this reply against the description (failNext, undocumented gateway errors). */
  skipResponseValidation?: boolean;
}

export async function startFakeGitHub(opts: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const d = loadDescription();
  const token = opts.token ?? 'ghs_testtoken';
  const tokenKind = opts.tokenKind ?? 'installation';
  const userLogin = opts.userLogin ?? 'octocat';
  const readOnly = opts.readOnly ?? false;

  const requests: RecordedRequest[] = [];
  const rejections: string[] = [];
  const byId = new Map<number, StoredComment>();
  let nextCommentId = 2_100_000_001;
  const faults: Array<Fault & { remaining: number }> = [];
  const holds: Array<{ operationId: string; count: number; timeoutMs: number; waiting: Array<() => void>; timer?: NodeJS.Timeout }> = [];
  const pulls = new Map<string, Record<string, any>[]>();
  const appSlug = opts.appSlug ?? 'github-actions';
  let rateRemaining = 5000;
  const rateReset = Math.floor(Date.now() / 1000) + 3600;
  let baseUrl = '';

  const tokenIdentity = (): { login: string; id: number; type: 'Bot' | 'User' } =>
    tokenKind === 'user'
      ? { login: userLogin, id: idForLogin(userLogin), type: 'User' }
      : appSlug === 'github-actions'
        ? ACTIONS_BOT
        : { login: `${appSlug}[bot]`, id: idForLogin(`${appSlug}[bot]`), type: 'Bot' };

  function takeFault(operationId: string | undefined): Fault | undefined {
    const i = faults.findIndex((f) => f.operationId === undefined || f.operationId === operationId);
    if (i < 0) return undefined;
    const fault = faults[i]!;
    if (--fault.remaining <= 0) faults.splice(i, 1);
    return fault;
  }

  function addFault(count: number, fault: Fault): void {
    if (count > 0) faults.push({ ...fault, remaining: count });
  }

  /** Resolves when the barrier for this operation (if any) opens. */
  function barrier(operationId: string | undefined, label: string): Promise<void> | undefined {
    const hold = holds.find((h) => h.operationId === operationId && h.waiting.length < h.count);
    if (!hold) return undefined;
    return new Promise<void>((resolve) => {
      hold.waiting.push(resolve);
      const open = () => {
        clearTimeout(hold.timer);
        holds.splice(holds.indexOf(hold), 1);
        for (const release of hold.waiting) release();
      };
      if (hold.waiting.length === hold.count) open();
      else if (hold.waiting.length === 1) {
        hold.timer = setTimeout(() => {
          rejections.push(`holdUntil(${hold.operationId}, ${hold.count}) timed out with ${hold.waiting.length} request(s) held, the last ${label}`);
          open();
        }, hold.timeoutMs);
      }
    });
  }

  function createComment(owner: string, repo: string, issueNumber: number, body: string, author: { login: string; id: number; type: 'Bot' | 'User' }): FakeComment {
    const id = nextCommentId++;
    const ts = nowIso();
    const api = `${baseUrl}/repos/${owner}/${repo}`;
    const association: FakeComment['author_association'] =
      author.type === 'Bot' ? 'NONE' : author.login.toLowerCase() === owner.toLowerCase() ? 'OWNER' : 'CONTRIBUTOR';
    const comment: FakeComment = {
      id,
      node_id: `IC_kwDO${Buffer.from(`${owner}/${repo}#${issueNumber}:${id}`).toString('base64url').slice(0, 14)}`,
      url: `${api}/issues/comments/${id}`,
      html_url: `https://github.com/${owner}/${repo}/issues/${issueNumber}#issuecomment-${id}`,
      issue_url: `${api}/issues/${issueNumber}`,
      body,
      user: makeUser(baseUrl, author.login, author.id, author.type),
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
    byId.set(id, { key: repoKey(owner, repo), owner, repo, issueNumber, comment });
    return comment;
  }

  function listComments(owner: string, repo: string, issueNumber: number): FakeComment[] {
    const key = repoKey(owner, repo);
    return [...byId.values()]
      .filter((s) => s.key === key && s.issueNumber === issueNumber)
      .map((s) => s.comment)
      .sort((a, b) => a.id - b.id);
  }

  function findComment(owner: string, repo: string, id: number): StoredComment | undefined {
    const s = byId.get(id);
    return s && s.key === repoKey(owner, repo) ? s : undefined;
  }

  function basicError(status: number, message: string, docsUrl = DOCS_ROOT): Reply {
    return { status, body: { message, documentation_url: docsUrl, status: String(status) } };
  }

  /** Real behaviour for the endpoints the action uses; 501 for every other documented operation. */
  function handle(op: Operation, p: Record<string, string>, query: Record<string, string>, body: any): Reply {
    const identity = tokenIdentity();
    const notFound = () => basicError(404, 'Not Found', op.docsUrl);
    switch (op.operationId) {
      case 'issues/list-comments': {
        const issueNumber = Number(p.issue_number);
        let all = listComments(p.owner!, p.repo!, issueNumber);
        if (query.since) {
          const since = Date.parse(query.since);
          all = all.filter((c) => Date.parse(c.updated_at) >= since);
        }
        const perPage = Math.min(100, Math.max(1, query.per_page !== undefined ? Number(query.per_page) : 30));
        const page = Math.max(1, query.page !== undefined ? Number(query.page) : 1);
        const last = Math.max(1, Math.ceil(all.length / perPage));
        const items = all.slice((page - 1) * perPage, page * perPage);
        const headers: Record<string, string> = {};
        const link = linkHeader(`${baseUrl}/repos/${p.owner}/${p.repo}/issues/${issueNumber}/comments`, query, page, last);
        if (link) headers.link = link;
        return { status: 200, body: items, headers };
      }
      case 'issues/create-comment': {
        const c = createComment(p.owner!, p.repo!, Number(p.issue_number), body.body, identity);
        return { status: 201, body: c, headers: { location: c.url } };
      }
      case 'issues/get-comment': {
        const s = findComment(p.owner!, p.repo!, Number(p.comment_id));
        return s ? { status: 200, body: s.comment } : notFound();
      }
      case 'issues/update-comment': {
        const s = findComment(p.owner!, p.repo!, Number(p.comment_id));
        if (!s) return notFound();
        s.comment.body = body.body;
        s.comment.updated_at = nowIso();
        return { status: 200, body: s.comment };
      }
      case 'issues/delete-comment': {
        const s = findComment(p.owner!, p.repo!, Number(p.comment_id));
        if (!s) return notFound();
        byId.delete(s.comment.id);
        return { status: 204 };
      }
      case 'pulls/list': {
        let all = (pulls.get(repoKey(p.owner!, p.repo!)) ?? []).slice().sort((a, b) => b.number - a.number);
        const state = query.state ?? 'open';
        if (state !== 'all') all = all.filter((pr) => pr.state === state);
        if (query.head) all = all.filter((pr) => String(pr.head?.label).toLowerCase() === query.head!.toLowerCase());
        if (query.base) all = all.filter((pr) => pr.base?.ref === query.base);
        const perPage = Math.min(100, Math.max(1, query.per_page !== undefined ? Number(query.per_page) : 30));
        const page = Math.max(1, query.page !== undefined ? Number(query.page) : 1);
        const last = Math.max(1, Math.ceil(all.length / perPage));
        const headers: Record<string, string> = {};
        const link = linkHeader(`${baseUrl}/repos/${p.owner}/${p.repo}/pulls`, query, page, last);
        if (link) headers.link = link;
        return { status: 200, body: all.slice((page - 1) * perPage, page * perPage), headers };
      }
      case 'users/get-authenticated': {
        if (tokenKind === 'installation') return basicError(403, 'Resource not accessible by integration', op.docsUrl);
        const example = structuredClone(d.doc.components.examples['private-user'].value) as JsonObject;
        const user = makeUser(baseUrl, userLogin, identity.id, 'User');
        return {
          status: 200,
          body: { ...example, ...user, user_view_type: 'private', name: userLogin, email: null, notification_email: null },
          headers: { 'x-oauth-scopes': 'repo, read:org', 'x-accepted-oauth-scopes': '' },
        };
      }
      default:
        return basicError(501, `fake GitHub: ${op.method.toUpperCase()} ${op.template} (${op.operationId}) is documented but not implemented by this fake`, op.docsUrl);
    }
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

  /** Validates the request against the description; returns the reply to send and the operation. */
  function dispatch(
    method: string,
    path: string,
    query: Record<string, string>,
    queryKeys: string[],
    headers: IncomingMessage['headers'],
    rawBody: string,
    body: unknown,
    bodyParseError: boolean,
    recorded: RecordedRequest,
    reject: (why: string) => void,
  ): { reply: Reply; op?: Operation; fault?: Fault } {
    if (!headers['user-agent']) {
      reject('missing User-Agent header (GitHub answers 403 to requests without one)');
      return {
        reply: basicError(
          403,
          'Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.',
        ),
      };
    }
    const m = method.toLowerCase();
    const matches = matchRoutes(d, path.split('/').slice(1));
    const match = matches.find((x) => x.route.pathItem[m]);
    if (!match) {
      reject(
        matches.length
          ? `no ${method} operation for ${matches[0]!.route.template} in the OpenAPI description`
          : 'path matches no template in the OpenAPI description',
      );
      return { reply: basicError(404, 'Not Found') };
    }
    const op = operationFor(d, match.route, m)!;
    recorded.operationId = op.operationId;

    const auth = headers.authorization;
    if (!auth) {
      reject('missing Authorization header');
      return { reply: basicError(401, 'Requires authentication', op.docsUrl), op };
    }
    const am = /^(token|bearer)\s+(\S+)\s*$/i.exec(auth);
    if (!am || am[2] !== token) {
      reject(`bad credentials (expected "token ${token}" or "Bearer ${token}")`);
      return { reply: basicError(401, 'Bad credentials', op.docsUrl), op };
    }

    // Path parameters: bad ones are a 404 on GitHub.
    for (const param of op.params.filter((x) => x.in === 'path')) {
      const raw = match.pathParams[param.name];
      const value = raw === undefined ? undefined : coerce(raw, param.schema);
      const v = validatorAt(d, param.schemaPointer);
      if (value === undefined || !v(value)) {
        reject(`path parameter ${param.name}=${JSON.stringify(raw)}: ${errorsText(v.errors, param.name)}`);
        return { reply: basicError(404, 'Not Found', op.docsUrl), op };
      }
    }
    // Query parameters.
    const queryParams = op.params.filter((x) => x.in === 'query');
    let badQuery: string | undefined;
    for (const key of queryKeys) {
      if (!queryParams.some((x) => x.name === key)) {
        reject(`unknown query parameter ${key} (documented: ${queryParams.map((x) => x.name).join(', ') || 'none'})`);
      }
    }
    for (const param of queryParams) {
      const raw = query[param.name];
      if (raw === undefined) {
        if (param.required) {
          reject(`missing required query parameter ${param.name}`);
          badQuery ??= `"${param.name}" wasn't supplied.`;
        }
        continue;
      }
      const v = validatorAt(d, param.schemaPointer);
      if (!v(coerce(raw, param.schema))) {
        reject(`query parameter ${param.name}=${JSON.stringify(raw)}: ${errorsText(v.errors, param.name)}`);
        badQuery ??= `For '${param.name}', ${JSON.stringify(raw)} is not ${article(schemaType(param.schema) ?? 'valid value')}.`;
      }
    }
    if (badQuery) return { reply: basicError(422, `Invalid request.\n\n${badQuery}`, op.docsUrl), op };

    // Request body.
    const rb = op.op.requestBody ? deref(d.doc, op.op.requestBody, `${op.pointer}/requestBody`) : undefined;
    if (rb?.node) {
      const jsonContent = rb.node.content?.['application/json'];
      if (bodyParseError) {
        reject(`request body is not valid JSON: ${JSON.stringify(rawBody.slice(0, 200))}`);
        return { reply: basicError(400, 'Problems parsing JSON', op.docsUrl), op };
      }
      if (body === undefined) {
        if (rb.node.required) {
          reject('missing required request body');
          return { reply: basicError(422, 'Invalid request.\n\nFor \'links/0/schema\', nil is not an object.', op.docsUrl), op };
        }
      } else if (!jsonContent) {
        reject(`request body sent, but the operation takes ${Object.keys(rb.node.content ?? {}).join(', ')}`);
        return { reply: basicError(415, 'Unsupported Media Type', op.docsUrl), op };
      } else if (jsonContent.schema) {
        const v = validatorAt(d, `${rb.pointer}/content/application~1json/schema`);
        if (!v(body)) {
          reject(`request body does not match the requestBody schema: ${errorsText(v.errors, 'body')}`);
          return { reply: basicError(422, githubValidationMessage(v.errors, body), op.docsUrl), op };
        }
      }
    } else if (rawBody.trim() !== '') {
      reject(`unexpected request body (the operation takes none): ${JSON.stringify(rawBody.slice(0, 200))}`);
    }

    // Fault injection: the request was validated (rejections recorded) but must have no effect.
    const fault = takeFault(op.operationId);
    if (fault && !fault.applied) return { reply: { status: 0 }, op, fault };

    if (readOnly && m !== 'get' && m !== 'head') {
      const reply = basicError(403, 'Resource not accessible by integration', op.docsUrl);
      reply.headers = { 'x-accepted-github-permissions': 'issues=write; pull_requests=write' };
      return { reply, op, ...(fault ? { fault } : {}) };
    }
    return { reply: handle(op, match.pathParams, query, body), op, ...(fault ? { fault } : {}) };
  }

  function send(res: ServerResponse, status: number, wire: unknown, extra: Record<string, string> = {}): void {
    rateRemaining = Math.max(0, rateRemaining - 1);
    const headers: Record<string, string> = {
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': requestId(),
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(rateRemaining),
      'x-ratelimit-reset': String(rateReset),
      'x-ratelimit-used': String(5000 - rateRemaining),
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

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    requests.push(recorded);
    const label = `${method} ${url.pathname}${url.search}`;
    const reject = (why: string) => rejections.push(`${label}${recorded.operationId ? ` (${recorded.operationId})` : ''}: ${why}`);

    let reply: Reply;
    let op: Operation | undefined;
    let failure: Fault | undefined;
    try {
      ({ reply, op, fault: failure } = dispatch(method, url.pathname, query, queryKeys, req.headers, rawBody, body, bodyParseError, recorded, (why) => {
        reject(why);
      }));
      if (op) recorded.operationId = op.operationId;
    } catch (err) {
      rejections.push(`fake server bug: ${label}: ${(err as Error).stack ?? String(err)}`);
      reply = { status: 500, body: { message: `fake server bug: ${(err as Error).message}` }, skipResponseValidation: true };
    }
    if (failure) {
      const { status, message } = failure;
      reply = {
        status,
        body: { message: message ?? STATUS_CODES[status] ?? 'Error', documentation_url: failure.documentationUrl ?? DOCS_ROOT, status: String(status) },
        ...(failure.headers ? { headers: failure.headers } : {}),
        skipResponseValidation: true,
      };
    }
    let wire = reply.body === undefined ? undefined : (JSON.parse(JSON.stringify(reply.body)) as unknown);
    let problem: string | undefined;
    try {
      problem = reply.skipResponseValidation ? undefined : responseProblem(d, op, reply.status, wire);
    } catch (err) {
      problem = `could not check the response: ${(err as Error).message}`;
    }
    if (problem) {
      rejections.push(`fake server bug: ${label}${op ? ` (${op.operationId})` : ''} answered ${reply.status}: ${problem}`);
      reply = { status: 500, headers: {} };
      wire = { message: `fake server bug: ${problem}`, documentation_url: DOCS_ROOT, status: '500' };
    }
    recorded.status = reply.status;
    await barrier(op?.operationId, label);
    send(res, reply.status, wire, reply.headers);
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      rejections.push(`fake server bug: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ message: 'fake server bug' }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${address.port}`;

  return {
    url: baseUrl,
    token,
    requests,
    rejections,
    comments(owner, repo, issueNumber) {
      return structuredClone(listComments(owner, repo, issueNumber));
    },
    seedComment(owner, repo, issueNumber, body, author) {
      const who = author
        ? {
            login: author.login,
            id: author.id ?? idForLogin(author.login),
            type: author.type ?? (author.login.endsWith('[bot]') ? ('Bot' as const) : ('User' as const)),
          }
        : tokenIdentity();
      return structuredClone(createComment(owner, repo, issueNumber, body, who));
    },
    failNext(count, status, message, fault) {
      addFault(count, { ...fault, status, ...(message !== undefined ? { message } : {}) });
    },
    serverErrorNext(count, options = {}) {
      addFault(count, { status: options.status ?? 502, ...(options.operationId ? { operationId: options.operationId } : {}), ...(options.applied ? { applied: true } : {}) });
    },
    secondaryRateLimitNext(count, options = {}) {
      const retryAfter = options.retryAfter === undefined ? 1 : options.retryAfter;
      addFault(count, {
        status: options.status ?? 403,
        message: `${SECONDARY_RATE_LIMIT_MESSAGE}${requestId()}.`,
        documentationUrl: `${RATE_LIMIT_DOCS}#about-secondary-rate-limits`,
        ...(retryAfter === null ? {} : { headers: { 'retry-after': String(retryAfter) } }),
        ...(options.operationId ? { operationId: options.operationId } : {}),
      });
    },
    primaryRateLimitNext(count, options = {}) {
      const reset = Math.floor(Date.now() / 1000) + (options.resetInSeconds ?? 3600);
      addFault(count, {
        status: 403,
        message: 'API rate limit exceeded for installation ID 12345678.',
        documentationUrl: `${RATE_LIMIT_DOCS}#about-the-primary-rate-limit`,
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(reset) },
        ...(options.operationId ? { operationId: options.operationId } : {}),
      });
    },
    holdUntil(operationId, count, timeoutMs = 20_000) {
      holds.push({ operationId, count, timeoutMs, waiting: [] });
    },
    seedPullRequest(owner, repo, pullRequest) {
      const key = repoKey(owner, repo);
      const list = (pulls.get(key) ?? []).filter((pr) => pr.number !== pullRequest.number);
      list.push(restPullRequest(d, pullRequest));
      pulls.set(key, list);
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/** The fake GitHub of the current test, from `fakeGitHubPerTest`. */
export interface FakeGitHubPerTest {
  readonly server: FakeGitHub;
  /** Stop the current server and start one with other options (a read-only token, an app's token...). */
  restart(opts: FakeGitHubOptions): Promise<void>;
}

/**
 * One fake GitHub per test of the calling file: started before each test; after it, every request must have
 * matched GitHub's OpenAPI description (none rejected), and the server is stopped.
 */
export function fakeGitHubPerTest(): FakeGitHubPerTest {
  let server: FakeGitHub | undefined;
  const current = (): FakeGitHub => {
    if (!server) throw new Error('the fake GitHub runs only inside a test');
    return server;
  };
  beforeEach(async () => {
    server = await startFakeGitHub();
  });
  afterEach(async () => {
    expect(current().rejections).toEqual([]);
    await current().close();
    server = undefined;
  });
  return {
    get server() {
      return current();
    },
    async restart(opts) {
      await current().close();
      server = await startFakeGitHub(opts);
    },
  };
}
