/**
 * The HTTP under the registry client: one request with a timeout, retried with back-off (p-retry) on network
 * errors, 429 and 5xx; redirects followed (Authorization dropped when the host changes, as registries send blob
 * downloads to object stores); TLS trusting the system's CAs, NODE_EXTRA_CA_CERTS and Docker's
 * `/etc/docker/certs.d/<host:port>/*.crt`. Bodies are streams: nothing here buffers a blob.
 */
import { readdirSync, readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import pRetry, { AbortError } from 'p-retry';
import { EnvironmentError, messageOf } from '../errors.js';

export interface HttpOptions {
  /** Where retries are told (a log line, scrubbed by the caller). */
  note?: (message: string) => void;
  /** How long one request may wait for an answer (and a body may stall), in ms. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  retries: number;
  /** The first back-off, in ms (doubling each retry). */
  retryMinMs: number;
  /** Docker's certs.d root. */
  certsDir: string;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL that answered (after redirects). */
  url: URL;
  body: IncomingMessage;
}

/** No answer in time, or the connection failed: retried, then reported with how long and how often. */
export class NoAnswerError extends EnvironmentError {
  override name = 'NoAnswerError';
}

/** The certificate was refused: not retried. */
export class TlsError extends EnvironmentError {
  override name = 'TlsError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** The server speaks plain HTTP where TLS was tried (a loopback registry). */
export class NotTlsError extends EnvironmentError {
  override name = 'NotTlsError';
}

const CERT_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'INVALID_CA',
]);
const RETRIED_STATUS = (status: number) => status === 429 || status >= 500;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;

/** Reads a body whole (manifests, configs, errors), at most `limit` bytes. */
export async function readBody(body: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new EnvironmentError(`${what} is larger than ${limit.toLocaleString('en-US')} bytes: not read`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export class Http {
  private readonly agents = new Map<string, https.Agent | undefined>();

  constructor(private readonly options: HttpOptions) {}

  /** The certs.d folder Docker reads for `hostPort`, and the CAs it holds (none: the default agent). */
  private agentFor(url: URL): https.Agent | undefined {
    const hostPort = url.port ? `${url.hostname}:${url.port}` : url.hostname;
    if (this.agents.has(hostPort)) return this.agents.get(hostPort);
    const dir = path.join(this.options.certsDir, hostPort.replace(/^\[(.*)\]/, '$1'));
    let files: string[] = [];
    try {
      files = readdirSync(dir);
    } catch {
      // No folder: the default CAs.
    }
    const cas = files.filter((f) => f.endsWith('.crt')).map((f) => readFileSync(path.join(dir, f), 'utf8'));
    const cert = files.find((f) => f.endsWith('.cert'));
    const key = cert && files.includes(cert.replace(/\.cert$/, '.key')) ? cert.replace(/\.cert$/, '.key') : undefined;
    let agent: https.Agent | undefined;
    if (cas.length || (cert && key)) {
      agent = new https.Agent({
        keepAlive: true,
        // `ca` replaces the default list: keep the system's and NODE_EXTRA_CA_CERTS's beside certs.d's.
        ca: [...defaultCAs(), ...cas],
        ...(cert && key ? { cert: readFileSync(path.join(dir, cert)), key: readFileSync(path.join(dir, key)) } : {}),
      });
    }
    this.agents.set(hostPort, agent);
    return agent;
  }

  /** One request, without retries or redirects. */
  private once(request: HttpRequest, url: URL): Promise<HttpResponse> {
    const { timeoutMs } = this.options;
    return new Promise((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const headers: Record<string, string> = { 'User-Agent': 'image-size-report', ...request.headers };
      if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
      const options = { method: request.method, headers, signal: request.signal, timeout: timeoutMs };
      const req = secure ? https.request(url, { ...options, agent: this.agentFor(url) }) : http.request(url, options);
      req.on('timeout', () => req.destroy(new NoAnswerError(`no answer within ${seconds(timeoutMs)}`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof NoAnswerError || error.name === 'AbortError') return reject(error);
        const code = error.code ?? '';
        if (secure && CERT_ERRORS.has(code)) return reject(new TlsError(error.message, code));
        if (secure && (code === 'EPROTO' || /wrong version number|packet length too long|http request/i.test(error.message))) {
          return reject(new NotTlsError(error.message));
        }
        reject(new NoAnswerError(code ? `${code}: ${error.message}` : error.message));
      });
      req.on('response', (res) => {
        // The socket's idle timeout stays on for the body: a stalled download errors rather than hangs.
        res.on('error', () => undefined);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, url, body: res });
      });
      req.end(request.body);
    });
  }

  /** One request with redirects followed. */
  private async follow(request: HttpRequest): Promise<HttpResponse> {
    let url = request.url;
    let headers = { ...request.headers };
    let method = request.method;
    let body = request.body;
    for (let hop = 0; ; hop++) {
      const response = await this.once({ ...request, method, headers, body }, url);
      const location = response.headers.location;
      if (!REDIRECTS.has(response.status) || !location) return response;
      response.body.resume();
      if (hop >= MAX_REDIRECTS)
        throw new EnvironmentError(`more than ${MAX_REDIRECTS} redirects from ${request.url.host}${request.url.pathname}`);
      const next = new URL(location, url);
      if (next.host !== url.host || next.protocol !== url.protocol) {
        // The object store a registry redirects to must not see the registry's credentials.
        headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
      }
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      url = next;
    }
  }

  /**
   * The request with redirects followed, retried on network errors, 429 and 5xx. `what` names it in messages
   * ("registry 127.0.0.1:5000, GET /v2/app/manifests/latest"). A 429 or 5xx still there after the retries is
   * returned as it is (its body unread), for the caller to word.
   */
  async send(request: HttpRequest, what: string): Promise<HttpResponse> {
    const { retries, retryMinMs, timeoutMs, note } = this.options;
    const attempts = retries + 1;
    let attempt = 0;
    let last: HttpResponse | undefined;
    try {
      return await pRetry(
        async () => {
          attempt++;
          let response: HttpResponse;
          try {
            response = await this.follow(request);
          } catch (error) {
            if (error instanceof NoAnswerError) throw error;
            throw new AbortError(error as Error);
          }
          if (RETRIED_STATUS(response.status) && attempt < attempts) {
            response.body.resume();
            throw new RetriedStatus(response.status);
          }
          last = response;
          return response;
        },
        {
          retries,
          minTimeout: retryMinMs,
          factor: 2,
          randomize: false,
          signal: request.signal,
          onFailedAttempt: (error) => {
            if (error.retriesLeft > 0 && !(error instanceof AbortError)) {
              note?.(`${what}: ${messageOf(error)} (attempt ${error.attemptNumber} of ${attempts}): retrying`);
            }
          },
        },
      );
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason ?? error;
      if (error instanceof NoAnswerError) {
        throw new NoAnswerError(
          `${what} does not answer: tried ${attempts} time${attempts === 1 ? '' : 's'}, each waiting up to ${seconds(timeoutMs)} (last: ${error.message})`,
        );
      }
      if (last) return last;
      throw error;
    }
  }
}

class RetriedStatus extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** The CAs Node trusts by default: its bundle (or the system's) and NODE_EXTRA_CA_CERTS's file. */
function defaultCAs(): string[] {
  const get = (tls as unknown as { getCACertificates?: (kind: string) => string[] }).getCACertificates;
  if (get) return get('default');
  const cas = [...tls.rootCertificates];
  // What Node read at start (process-wide), not a variable set since.
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra) {
    try {
      cas.push(readFileSync(extra, 'utf8'));
    } catch {
      // Node warned about it at start; it adds nothing.
    }
  }
  return cas;
}
