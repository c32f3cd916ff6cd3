/**
 * Test support only (never shipped): GitHub's REST API as its official OpenAPI description says it is
 * (`@octokit/openapi`, generated/api.github.com.json — OpenAPI 3.0.3), for the fake GitHub (server.ts) to check
 * every request it gets and every answer it gives: which operation a method and path are, whether the
 * parameters and body are what that operation takes, and whether an answer is what it documents.
 * The description is read once per process; its schemas are converted and compiled lazily.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';

export type JsonObject = Record<string, any>;

const DESCRIPTION_ID = 'https://api.github.com/__openapi__/api.github.com.json';
export const DOCS_ROOT = 'https://docs.github.com/rest';

export interface Operation {
  method: string;
  template: string;
  operationId: string;
  pointer: string;
  op: JsonObject;
  params: ResolvedParam[];
  docsUrl: string;
}

/** An answer of the fake: status, JSON body (none when undefined) and headers. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Skip checking this reply against the description (failNext, undocumented gateway errors). */
  skipResponseValidation?: boolean;
}

/** GitHub's `basic-error` answer: {"message", "documentation_url", "status"}. */
export function basicError(status: number, message: string, docsUrl = DOCS_ROOT): Reply {
  return { status, body: { message, documentation_url: docsUrl, status: String(status) } };
}

/** A request as the fake received it, for `checkRequest`. */
export interface RequestParts {
  query: Record<string, string>;
  /** The query's keys, once each, in the order they came. */
  queryKeys: string[];
  rawBody: string;
  /** Parsed JSON body (the raw string if it was not JSON; undefined if empty). */
  body: unknown;
  bodyParseError: boolean;
}

/** The description itself (its `components` give the fake its examples and object shapes). */
export function openApiDocument(): JsonObject {
  return loadDescription().doc;
}

/**
 * The documented operation a method and path are, with the path's parameters (percent-decoded), or why there is
 * none (the fake answers 404).
 */
export function findOperation(method: string, path: string): { op: Operation; pathParams: Record<string, string> } | { problem: string } {
  const d = loadDescription();
  const m = method.toLowerCase();
  const matches = matchRoutes(d, path.split('/').slice(1));
  const match = matches.find((x) => x.route.pathItem[m]);
  if (!match) {
    return {
      problem: matches.length
        ? `no ${method} operation for ${matches[0]!.route.template} in the OpenAPI description`
        : 'path matches no template in the OpenAPI description',
    };
  }
  return { op: operationFor(d, match.route, m)!, pathParams: match.pathParams };
}

/**
 * Checks a request's path and query parameters and its body against what `op` takes. Every mismatch is passed to
 * `reject`; returns GitHub's answer to a request it refuses (404, 422, 400, 415), or undefined when the request
 * goes on (an unknown query parameter or an unexpected body is rejected but not refused, as on GitHub).
 */
export function checkRequest(
  op: Operation,
  pathParams: Record<string, string>,
  { query, queryKeys, rawBody, body, bodyParseError }: RequestParts,
  reject: (why: string) => void,
): Reply | undefined {
  const d = loadDescription();
  // Path parameters: bad ones are a 404 on GitHub.
  for (const param of op.params.filter((x) => x.in === 'path')) {
    const raw = pathParams[param.name];
    const value = raw === undefined ? undefined : coerce(raw, param.schema);
    const v = validatorAt(d, param.schemaPointer);
    if (value === undefined || !v(value)) {
      reject(`path parameter ${param.name}=${JSON.stringify(raw)}: ${errorsText(v.errors, param.name)}`);
      return basicError(404, 'Not Found', op.docsUrl);
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
  if (badQuery) return basicError(422, `Invalid request.\n\n${badQuery}`, op.docsUrl);

  // Request body.
  const rb = op.op.requestBody ? deref(d.doc, op.op.requestBody, `${op.pointer}/requestBody`) : undefined;
  if (rb?.node) {
    const jsonContent = rb.node.content?.['application/json'];
    if (bodyParseError) {
      reject(`request body is not valid JSON: ${JSON.stringify(rawBody.slice(0, 200))}`);
      return basicError(400, 'Problems parsing JSON', op.docsUrl);
    }
    if (body === undefined) {
      if (rb.node.required) {
        reject('missing required request body');
        return basicError(422, "Invalid request.\n\nFor 'links/0/schema', nil is not an object.", op.docsUrl);
      }
    } else if (!jsonContent) {
      reject(`request body sent, but the operation takes ${Object.keys(rb.node.content ?? {}).join(', ')}`);
      return basicError(415, 'Unsupported Media Type', op.docsUrl);
    } else if (jsonContent.schema) {
      const v = validatorAt(d, `${rb.pointer}/content/application~1json/schema`);
      if (!v(body)) {
        reject(`request body does not match the requestBody schema: ${errorsText(v.errors, 'body')}`);
        return basicError(422, githubValidationMessage(v.errors, body), op.docsUrl);
      }
    }
  } else if (rawBody.trim() !== '') {
    reject(`unexpected request body (the operation takes none): ${JSON.stringify(rawBody.slice(0, 200))}`);
  }
  return undefined;
}

/** A problem with an answer of the fake to `op` (undefined: none), as `responseProblem` below finds it. */
export function checkResponse(op: Operation | undefined, status: number, wire: unknown): string | undefined {
  return responseProblem(loadDescription(), op, status, wire);
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

/** Absolute path of the OpenAPI description file the fake validates against. */
export function openApiDescriptionFile(): string {
  return requireFromHere.resolve('@octokit/openapi/generated/api.github.com.json');
}

/** Load timings of the (process-wide cached) description; loads it if needed. */
export function openApiLoadTimings(): Description['timings'] & { file: string; openapi: string } {
  const d = loadDescription();
  return { ...d.timings, file: d.file, openapi: d.openapi };
}

// ---------------------------------------------------------------------------
// The description: read, indexed, converted to JSON Schema and compiled.
// ---------------------------------------------------------------------------

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
    const token = ptr
      .slice(cut + 1)
      .replace(/~1/g, '/')
      .replace(/~0/g, '~');
    if (!parent || typeof parent !== 'object' || !(token in parent)) continue;
    const formats = new Set<string>();
    const refs = new Set<string>();
    parent[token] = toJsonSchema(parent[token], formats, refs);
    // Expose the converted subtree to Ajv at the same pointer.
    let target = d.mirror;
    const tokens = ptr
      .slice(1)
      .split('/')
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
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
      parts.push(
        `For '${where || 'links/0/schema'}', ${JSON.stringify(value) ?? 'nil'} is not ${article(String((e.params as { type?: unknown }).type))}.`,
      );
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
