/**
 * The registry client (the OCI distribution API, read only): an image's manifest (through an index for a
 * platform), its config (digest checked) and its layer blobs (streamed, digest checked at the end), with the
 * docker CLI's credentials and the registry auth handshake. `createRegistry` makes one; measure/ sees only
 * `Registry` (types.ts).
 */
import { createHash } from 'node:crypto';
import { Transform, pipeline, type Readable } from 'node:stream';
import { EnvironmentError, InputError, isUserError, listOf, messageOf, printable } from '../errors.js';
import type { Logger } from '../log.js';
import { redact } from '../secrets/redact.js';
import { parseWwwAuthenticate, pullScope, tokenOf, type Challenge } from './auth.js';
import { CredentialStore, hasCredentials, type Anonymous, type Credentials } from './credentials.js';
import { Http, NotTlsError, readBody, TlsError, type HttpResponse } from './http.js';
import { choosePlatform, formatPlatform } from './platform.js';
import { apiHost, familiar, isLoopback, manifestReference, parseReference } from './reference.js';
import type { ImageReference, Platform, Registry, RegistryImage, RegistryLayer, RegistryLookup } from './types.js';

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;
const ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest].join(', ');
const INDEXES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]);
const MANIFEST_LIMIT = 4 * 1024 * 1024;
const CONFIG_LIMIT = 32 * 1024 * 1024;
const ERROR_BODY_LIMIT = 64 * 1024;
const DEFAULT_CERTS_DIR = '/etc/docker/certs.d';

export interface RegistryOptions {
  /** For DOCKER_CONFIG, HOME, PATH (credential helpers) and ISR_DOCKER_CERTS_D. */
  env: NodeJS.ProcessEnv;
  log?: Logger;
  /** How long one request may wait for an answer, in ms (default 30 s). */
  timeoutMs?: number;
  /** Retries after the first attempt for network errors, 429 and 5xx (default 3). */
  retries?: number;
  /** The first back-off, in ms, doubling (default 1 s). */
  retryMinMs?: number;
  /** Docker's certs.d root (default: $ISR_DOCKER_CERTS_D, else /etc/docker/certs.d). */
  certsDir?: string;
}

export async function createRegistry(options: RegistryOptions): Promise<Registry> {
  const credentials = await CredentialStore.open({ env: options.env });
  return new RegistryClient(options, credentials);
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

interface ManifestJson {
  schemaVersion?: number;
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

interface RegistryErrorBody {
  errors?: { code?: string; message?: string }[];
}

const DIGEST = /^(sha256|sha512):([0-9a-f]+)$/;

function digestOf(bytes: Buffer, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

class RegistryClient implements Registry {
  private readonly http: Http;
  private readonly log?: Logger;
  /** Per registry: the scheme it speaks (loopback ones may speak plain HTTP). */
  private readonly schemes = new Map<string, 'https' | 'http'>();
  /** Per registry and scope: the Authorization header to send, and until when. */
  private readonly authorizations = new Map<string, { header: string; until: number }>();
  /** Per registry: its last challenge, so that a new scope gets its token before the first request. */
  private readonly challenges = new Map<string, Challenge>();
  private readonly tokens = new Set<string>();

  constructor(
    options: RegistryOptions,
    private readonly credentials: CredentialStore,
  ) {
    this.log = options.log;
    this.http = new Http({
      note: (message) => this.log?.info(this.scrub(message)),
      timeoutMs: options.timeoutMs ?? 30_000,
      retries: options.retries ?? 3,
      retryMinMs: options.retryMinMs ?? 1000,
      certsDir: options.certsDir ?? (options.env.ISR_DOCKER_CERTS_D || DEFAULT_CERTS_DIR),
    });
  }

  secrets(): string[] {
    return [...new Set([...this.credentials.secrets(), ...this.tokens])];
  }

  private scrub(text: string): string {
    const secrets = this.secrets();
    return secrets.length ? redact(text, secrets) : text;
  }

  async image(text: string, platform: Platform, signal?: AbortSignal): Promise<RegistryLookup> {
    const ref = parseReference(text);
    try {
      return await this.lookup(ref, platform, signal);
    } catch (error) {
      throw this.userError(ref, error, signal);
    }
  }

  async openBlob(image: RegistryImage, layer: RegistryLayer, signal?: AbortSignal): Promise<Readable> {
    const ref = image.reference;
    try {
      const response = await this.get(ref, `blobs/${layer.digest}`, '*/*', signal);
      if (response.status !== 200) {
        const why = await this.failure(response);
        throw new EnvironmentError(`registry ${ref.registry} did not give layer ${layer.digest} of ${familiar(ref)}: ${why}`);
      }
      return verified(response.body, layer.digest, layer.size, `layer ${layer.digest} of ${familiar(ref)} from registry ${ref.registry}`);
    } catch (error) {
      throw this.userError(ref, error, signal);
    }
  }

  /** Every failure as a user error naming the reference; never a secret in it. */
  private userError(ref: ImageReference, error: unknown, signal?: AbortSignal): unknown {
    if (signal?.aborted) return error;
    const name = familiar(ref);
    if (error instanceof TlsError) {
      return new EnvironmentError(
        this.scrub(
          `registry ${ref.registry} (for ${name}): its TLS certificate is not trusted (${error.code}). Trust its CA: put it in ` +
            `${DEFAULT_CERTS_DIR}/${ref.registry}/ca.crt (Docker's certs.d) or name its PEM file in NODE_EXTRA_CA_CERTS`,
        ),
      );
    }
    if (isUserError(error)) {
      const message = this.scrub(error.message);
      const text = message.includes(name) ? message : `${name}: ${message}`;
      return error instanceof InputError ? new InputError(text) : new EnvironmentError(text);
    }
    return error;
  }

  private async lookup(ref: ImageReference, wanted: Platform, signal?: AbortSignal): Promise<RegistryLookup> {
    const name = familiar(ref);
    const top = await this.manifest(ref, manifestReference(ref), signal);
    if (!top.found) return top;
    let manifest = top.manifest;
    let manifestDigest = top.digest;
    let indexDigest: string | undefined;
    let platform: Platform | undefined;
    if (INDEXES.has(top.mediaType) || (Array.isArray(manifest.manifests) && !manifest.layers)) {
      indexDigest = top.digest;
      const entries = (manifest.manifests ?? []).filter(
        (m) =>
          m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest' &&
          !(m.platform?.os === 'unknown' && m.platform.architecture === 'unknown'),
      );
      const platforms = entries.map((m) =>
        m.platform && typeof m.platform.os === 'string' && typeof m.platform.architecture === 'string'
          ? { os: m.platform.os, architecture: m.platform.architecture, ...(m.platform.variant ? { variant: m.platform.variant } : {}) }
          : undefined,
      );
      const i = choosePlatform(platforms, wanted);
      if (i === undefined) {
        const has = platforms.filter((p): p is Platform => p !== undefined).map(formatPlatform);
        throw new InputError(
          `${name} in registry ${ref.registry} is an index without a ${formatPlatform(wanted)} image; it has ${has.length ? listOf(has) : 'no platform-tagged image'}: choose one of those platforms`,
        );
      }
      platform = platforms[i];
      const digest = entries[i].digest;
      if (typeof digest !== 'string' || !DIGEST.test(digest))
        throw new EnvironmentError(`the index of ${name} in registry ${ref.registry} has an entry without a valid digest`);
      const entry = await this.manifest(ref, digest, signal);
      if (!entry.found)
        return { found: false, reason: `the ${formatPlatform(wanted)} manifest ${digest} of ${name}'s index: ${entry.reason}` };
      if (INDEXES.has(entry.mediaType) || !entry.manifest.config)
        throw new EnvironmentError(
          `the ${formatPlatform(wanted)} entry of ${name}'s index is not an image manifest (${printable(entry.mediaType)})`,
        );
      manifest = entry.manifest;
      manifestDigest = entry.digest;
    }
    if (manifest.schemaVersion !== 2 || !manifest.config || !Array.isArray(manifest.layers)) {
      throw new EnvironmentError(
        `registry ${ref.registry} sent a manifest for ${name} that is not an OCI or Docker v2 image manifest (schema 1 is not supported)`,
      );
    }
    const config = manifest.config;
    if (typeof config.digest !== 'string' || !DIGEST.test(config.digest))
      throw new EnvironmentError(`the manifest of ${name} has a config without a valid digest`);
    const layers: RegistryLayer[] = manifest.layers.map((layer, index) => {
      if (
        typeof layer.digest !== 'string' ||
        !DIGEST.test(layer.digest) ||
        typeof layer.size !== 'number' ||
        typeof layer.mediaType !== 'string'
      ) {
        throw new EnvironmentError(`the manifest of ${name} has layer ${index + 1} without digest, size or media type`);
      }
      return { digest: layer.digest, mediaType: layer.mediaType, size: layer.size };
    });
    const configBytes = await this.configBlob(ref, config.digest, config.size, signal);
    if (!platform) platform = platformOfConfig(configBytes);
    return {
      found: true,
      image: {
        reference: ref,
        manifestDigest,
        ...(indexDigest && indexDigest !== manifestDigest ? { indexDigest } : {}),
        ...(platform ? { platform } : {}),
        configDigest: config.digest,
        config: configBytes,
        layers,
      },
    };
  }

  private async manifest(
    ref: ImageReference,
    reference: string,
    signal?: AbortSignal,
  ): Promise<{ found: true; manifest: ManifestJson; mediaType: string; digest: string } | { found: false; reason: string }> {
    const name = familiar(ref);
    const response = await this.get(ref, `manifests/${reference}`, ACCEPT, signal);
    if (response.status === 404)
      return { found: false, reason: `${name} is not in registry ${ref.registry}: ${await this.failure(response)}` };
    if (response.status !== 200)
      throw new EnvironmentError(`registry ${ref.registry} did not give the manifest of ${name}: ${await this.failure(response)}`);
    const bytes = await readBody(response.body, MANIFEST_LIMIT, `the manifest of ${name}`);
    const algorithm = DIGEST.exec(reference)?.[1] ?? 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (DIGEST.test(reference) && digest !== reference) {
      throw new EnvironmentError(
        `registry ${ref.registry} sent a manifest for ${reference} (${name}) whose digest is ${digest}: it is not the manifest asked for`,
      );
    }
    let manifest: ManifestJson;
    try {
      manifest = JSON.parse(bytes.toString('utf8')) as ManifestJson;
    } catch {
      throw new EnvironmentError(`registry ${ref.registry} sent a manifest for ${name} that is not JSON`);
    }
    if (typeof manifest !== 'object' || manifest === null)
      throw new EnvironmentError(`registry ${ref.registry} sent a manifest for ${name} that is not a JSON object`);
    const contentType = String(response.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    return { found: true, manifest, mediaType: manifest.mediaType ?? contentType, digest };
  }

  private async configBlob(ref: ImageReference, digest: string, size: number | undefined, signal?: AbortSignal): Promise<Buffer> {
    const name = familiar(ref);
    const response = await this.get(ref, `blobs/${digest}`, '*/*', signal);
    if (response.status !== 200)
      throw new EnvironmentError(`registry ${ref.registry} did not give the config ${digest} of ${name}: ${await this.failure(response)}`);
    const bytes = await readBody(response.body, CONFIG_LIMIT, `the config of ${name}`);
    const algorithm = DIGEST.exec(digest)?.[1] ?? 'sha256';
    const got = digestOf(bytes, algorithm);
    if (got !== digest)
      throw new EnvironmentError(`registry ${ref.registry} sent a config for ${name} whose digest is ${got}, not ${digest}`);
    if (typeof size === 'number' && size !== bytes.length)
      throw new EnvironmentError(`registry ${ref.registry} sent a config for ${name} of ${bytes.length} bytes, not ${size}`);
    return bytes;
  }

  /** What an error answer says, for a message: the status and the registry's error codes (printable, cut). */
  private async failure(response: HttpResponse): Promise<string> {
    let detail = '';
    try {
      const body = await readBody(response.body, ERROR_BODY_LIMIT, 'an error answer');
      const parsed = JSON.parse(body.toString('utf8')) as RegistryErrorBody;
      const errors = (parsed.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(' ')).filter(Boolean);
      if (errors.length) detail = `: ${printable(errors.join('; '), 200)}`;
    } catch {
      // Not the registry's JSON error: the status says enough.
    }
    const status = response.status;
    const what = status === 404 ? 'not found' : status === 429 ? 'too many requests' : status >= 500 ? 'server error' : 'refused';
    const repeat = status === 429 || status >= 500 ? ', on every attempt' : '';
    return this.scrub(`HTTP ${status} (${what}${repeat})${detail}`);
  }

  /** `GET /v2/<repository>/<path>` with the handshake done; a 401 or 403 after it is a user error. */
  private async get(ref: ImageReference, path: string, accept: string, signal?: AbortSignal): Promise<HttpResponse> {
    const scope = pullScope(ref.repository);
    const send = async (): Promise<HttpResponse> => {
      const headers: Record<string, string> = { Accept: accept };
      const authorization = await this.authorization(ref, scope, signal);
      if (authorization) headers.Authorization = authorization;
      return this.send(ref.registry, `/v2/${ref.repository}/${path}`, headers, signal);
    };
    let response = await send();
    if (response.status === 401) {
      const challenges = parseWwwAuthenticate(String(response.headers['www-authenticate'] ?? ''));
      response.body.resume();
      const challenge = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
      const credentials = await this.credentials.get(ref.registry);
      if (!challenge) throw this.refused(ref, 401, credentials, 'it asked for an authentication scheme this tool does not speak');
      // What was sent (if anything) was refused: forget it, ask again once (an expired token), then give up.
      this.authorizations.delete(`${ref.registry} ${scope}`);
      this.challenges.set(ref.registry, challenge);
      response = await send();
      if (response.status === 401) {
        response.body.resume();
        throw this.refused(ref, 401, credentials);
      }
    }
    if (response.status === 403) {
      response.body.resume();
      throw this.refused(ref, 403, await this.credentials.get(ref.registry));
    }
    return response;
  }

  private refused(ref: ImageReference, status: 401 | 403, credentials: Credentials | Anonymous, why?: string): InputError {
    const name = familiar(ref);
    const tried = hasCredentials(credentials) ? `with the ${credentials.source}` : `with ${credentials.source}`;
    const fix =
      status === 401
        ? hasCredentials(credentials)
          ? `log in again (docker login ${ref.registry}): the credentials were refused`
          : `log in first (docker login ${ref.registry}, or docker/login-action), or check that ${ref.repository} exists`
        : `the credentials were accepted but may not pull ${ref.repository}: grant them read access`;
    return new InputError(
      this.scrub(
        `registry ${ref.registry} refused ${name} (HTTP ${status} ${status === 401 ? 'unauthorized' : 'forbidden'}) ${tried}${why ? `: ${why}` : ''}: ${fix}`,
      ),
    );
  }

  /** The Authorization header for `scope` on `ref`'s registry, getting a token when its challenge asks for one. */
  private async authorization(ref: ImageReference, scope: string, signal?: AbortSignal): Promise<string | undefined> {
    const key = `${ref.registry} ${scope}`;
    const cached = this.authorizations.get(key);
    if (cached && cached.until > Date.now()) return cached.header;
    const challenge = this.challenges.get(ref.registry);
    if (!challenge) return undefined;
    const credentials = await this.credentials.get(ref.registry);
    if (challenge.scheme === 'basic') {
      const c = credentials as Credentials;
      if (!hasCredentials(credentials) || c.username === undefined || c.password === undefined)
        throw this.refused(ref, 401, credentials, 'it asks for a user name and password');
      const header = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
      this.authorizations.set(key, { header, until: Infinity });
      return header;
    }
    const { token, expiresInSeconds } = await this.fetchToken(ref, challenge, scope, credentials, signal);
    this.tokens.add(token);
    const header = `Bearer ${token}`;
    // distribution's tokens last 60 s unless told; renew a little early.
    this.authorizations.set(key, { header, until: Date.now() + Math.max((expiresInSeconds ?? 60) - 10, 5) * 1000 });
    return header;
  }

  private async fetchToken(
    ref: ImageReference,
    challenge: Challenge,
    scope: string,
    credentials: Credentials | Anonymous,
    signal?: AbortSignal,
  ): Promise<{ token: string; expiresInSeconds?: number }> {
    const c = credentials as Credentials;
    if (c.registryToken) return { token: c.registryToken };
    const realmText = challenge.params.realm;
    let realm: URL;
    try {
      realm = new URL(realmText ?? '');
      if (realm.protocol !== 'https:' && realm.protocol !== 'http:') throw new Error('not http');
    } catch {
      throw new EnvironmentError(
        `registry ${ref.registry} asked for a bearer token without a usable realm URL (${printable(realmText ?? 'none')})`,
      );
    }
    if (realm.protocol === 'http:' && !isLoopback(realm.host) && hasCredentials(credentials)) {
      throw new EnvironmentError(
        `registry ${ref.registry} sends its token requests to ${realm.origin} over plain HTTP: credentials are not sent there`,
      );
    }
    const service = challenge.params.service;
    const what = `the token server ${realm.host} of registry ${ref.registry}`;
    const headers: Record<string, string> = { Accept: 'application/json' };
    let response: HttpResponse;
    if (c.identityToken) {
      // The docker CLI's OAuth2 refresh-token grant with an identity token.
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: c.identityToken,
        client_id: 'image-size-report',
        scope,
      });
      if (service) form.set('service', service);
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      response = await this.http.send({ method: 'POST', url: realm, headers, body: form.toString(), signal }, what);
    } else {
      const url = new URL(realm);
      if (service) url.searchParams.set('service', service);
      url.searchParams.set('scope', scope);
      if (c.username !== undefined && c.password !== undefined) {
        headers.Authorization = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
      }
      response = await this.http.send({ method: 'GET', url, headers, signal }, what);
    }
    if (response.status === 401 || response.status === 403) {
      response.body.resume();
      throw this.refused(ref, 401, credentials, `${what} refused to give a token (HTTP ${response.status})`);
    }
    if (response.status !== 200) {
      response.body.resume();
      throw new EnvironmentError(`${what} answered HTTP ${response.status} to a token request for ${familiar(ref)}`);
    }
    let answer: unknown;
    try {
      answer = JSON.parse((await readBody(response.body, MANIFEST_LIMIT, `${what}'s answer`)).toString('utf8'));
    } catch (error) {
      if (isUserError(error)) throw error;
      throw new EnvironmentError(`${what} answered a token request with something other than JSON`);
    }
    const token = tokenOf(answer);
    if (!token) throw new EnvironmentError(`${what} answered a token request without a token`);
    return token;
  }

  /** A request to the registry's API, over HTTPS (plain HTTP when a loopback registry does not speak TLS). */
  private async send(registry: string, path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<HttpResponse> {
    const host = apiHost(registry);
    const what = `registry ${registry} (GET ${path})`;
    const known = this.schemes.get(registry);
    const scheme = known ?? 'https';
    try {
      const response = await this.http.send({ method: 'GET', url: new URL(`${scheme}://${host}${path}`), headers, signal }, what);
      this.schemes.set(registry, scheme);
      return response;
    } catch (error) {
      if (error instanceof NotTlsError && !known && isLoopback(registry)) {
        // Docker lets loopback registries speak plain HTTP.
        this.schemes.set(registry, 'http');
        return this.http.send({ method: 'GET', url: new URL(`http://${host}${path}`), headers, signal }, what);
      }
      if (error instanceof NotTlsError)
        throw new EnvironmentError(`${what} does not speak TLS (${messageOf(error)}): only loopback registries may use plain HTTP`);
      throw error;
    }
  }
}

function platformOfConfig(config: Buffer): Platform | undefined {
  try {
    const c = JSON.parse(config.toString('utf8')) as { os?: unknown; architecture?: unknown; variant?: unknown };
    if (typeof c.os !== 'string' || typeof c.architecture !== 'string') return undefined;
    return { os: c.os, architecture: c.architecture, ...(typeof c.variant === 'string' && c.variant ? { variant: c.variant } : {}) };
  } catch {
    return undefined;
  }
}

/** `body` passed through, erroring at the end when its digest or size is not the descriptor's. */
function verified(body: Readable, digest: string, size: number, what: string): Readable {
  const [, algorithm] = DIGEST.exec(digest) ?? [];
  const hash = createHash(algorithm ?? 'sha256');
  let bytes = 0;
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      const got = `${algorithm}:${hash.digest('hex')}`;
      if (got !== digest)
        return callback(
          new EnvironmentError(`${what}: the registry sent ${bytes.toLocaleString('en-US')} bytes whose digest is ${got}, not ${digest}`),
        );
      if (bytes !== size)
        return callback(
          new EnvironmentError(
            `${what}: the registry sent ${bytes.toLocaleString('en-US')} bytes, the manifest says ${size.toLocaleString('en-US')}`,
          ),
        );
      callback();
    },
  });
  pipeline(body, check, (error) => {
    // A stalled or cut download: say which blob.
    if (!error) return;
    const e = error as Error;
    if (e.name === 'AbortError' || e.message.startsWith(what)) {
      if (!check.destroyed) check.destroy(e);
    } else check.destroy(new EnvironmentError(`${what}: the download failed: ${messageOf(e)}`));
  });
  return check;
}
