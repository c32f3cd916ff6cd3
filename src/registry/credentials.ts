/**
 * Registry credentials where the docker CLI keeps them, so that `docker login` (or docker/login-action) before
 * this tool is all a user needs: `$DOCKER_CONFIG/config.json` (else `~/.docker/config.json`), its `credHelpers`
 * (per registry), `credsStore` (for all) and `auths` entries (`auth`: base64 of user:password; `identitytoken`).
 * A registry with none of them is tried anonymously.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EnvironmentError, InputError, messageOf, printable } from '../errors.js';
import { DOCKER_HUB, DOCKER_HUB_AUTH_KEY } from './reference.js';

export interface Credentials {
  /** Where they came from, for messages: "auths entry for ghcr.io in /root/.docker/config.json". */
  source: string;
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken`, or a helper's Secret with Username `<token>`). */
  identityToken?: string;
  /** A bearer token to send as it is (`registrytoken`). */
  registryToken?: string;
}

/** No credentials: the source says so, for messages. */
export interface Anonymous {
  source: string;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

interface ConfigFile {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export interface CredentialStoreOptions {
  env: NodeJS.ProcessEnv;
  /** Longest a credential helper may take. */
  helperTimeoutMs?: number;
}

/** The key the docker CLI files a registry's credentials under. */
export function authKey(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_AUTH_KEY : registry;
}

/** `https://ghcr.io/v1/` → `ghcr.io` (the docker CLI's ConvertToHostname). */
function hostnameOf(key: string): string {
  const bare = key.replace(/^https?:\/\//, '');
  return bare.split('/')[0];
}

export class CredentialStore {
  private readonly env: NodeJS.ProcessEnv;
  private readonly helperTimeoutMs: number;
  readonly configPath: string;
  private config?: ConfigFile;
  private readonly found = new Map<string, Promise<Credentials | Anonymous>>();
  private readonly used = new Set<string>();

  private constructor(options: CredentialStoreOptions, configPath: string) {
    this.env = options.env;
    this.helperTimeoutMs = options.helperTimeoutMs ?? 60_000;
    this.configPath = configPath;
  }

  /** Reads the config file (none is fine; a malformed one is a user error naming it). */
  static async open(options: CredentialStoreOptions): Promise<CredentialStore> {
    const dir = options.env.DOCKER_CONFIG || path.join(options.env.HOME || os.homedir(), '.docker');
    const store = new CredentialStore(options, path.join(dir, 'config.json'));
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.configPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new EnvironmentError(`cannot read the docker CLI's ${this.configPath}: ${messageOf(error)}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new InputError(`the docker CLI's ${this.configPath} is not JSON (${messageOf(error)}): fix it or log in again (docker login)`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InputError(`the docker CLI's ${this.configPath} is not a JSON object: fix it or log in again (docker login)`);
    }
    this.config = parsed as ConfigFile;
  }

  /** Every secret value handed out so far (passwords, tokens, base64 auths). */
  secrets(): string[] {
    return [...this.used];
  }

  /** The credentials for `registry` (`docker.io`, `ghcr.io`, `127.0.0.1:5000`), or where none were found. */
  get(registry: string): Promise<Credentials | Anonymous> {
    let found = this.found.get(registry);
    if (!found) {
      found = this.lookup(registry);
      this.found.set(registry, found);
    }
    return found;
  }

  private async lookup(registry: string): Promise<Credentials | Anonymous> {
    const key = authKey(registry);
    const config = this.config ?? {};
    const helper = config.credHelpers?.[key] ?? config.credHelpers?.[registry] ?? config.credsStore;
    if (helper) {
      const fromHelper = await this.fromHelper(helper, key);
      if (fromHelper) return fromHelper;
    }
    const auths = config.auths ?? {};
    const entryKey =
      key in auths
        ? key
        : Object.keys(auths).find(
            (k) => hostnameOf(k) === hostnameOf(key) || (registry === DOCKER_HUB && hostnameOf(k) === 'index.docker.io'),
          );
    const entry = entryKey === undefined ? undefined : auths[entryKey];
    const source = `auths entry for ${entryKey} in ${this.configPath}`;
    if (entry && typeof entry === 'object') {
      const credentials = this.fromEntry(entry, source);
      if (credentials) return credentials;
    }
    const tried = helper
      ? `credential helper docker-credential-${helper} had none for ${key}, nor ${this.configPath}`
      : `none for ${key} in ${this.configPath}`;
    return { source: `no credentials (${tried})` };
  }

  private fromEntry(entry: AuthEntry, source: string): Credentials | undefined {
    const credentials: Credentials = { source };
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      this.used.add(entry.auth);
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new InputError(`the ${source} has an "auth" that is not base64 of user:password: log in again (docker login)`);
      credentials.username = decoded.slice(0, colon);
      credentials.password = decoded.slice(colon + 1);
    } else if (typeof entry.username === 'string' && typeof entry.password === 'string' && entry.username !== '') {
      credentials.username = entry.username;
      credentials.password = entry.password;
    }
    if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') credentials.identityToken = entry.identitytoken;
    if (typeof entry.registrytoken === 'string' && entry.registrytoken !== '') credentials.registryToken = entry.registrytoken;
    if (!credentials.username && !credentials.identityToken && !credentials.registryToken) return undefined;
    this.remember(credentials);
    return credentials;
  }

  private remember(credentials: Credentials): void {
    for (const value of [credentials.password, credentials.identityToken, credentials.registryToken]) if (value) this.used.add(value);
    if (credentials.username && credentials.password)
      this.used.add(Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64'));
  }

  /** `docker-credential-NAME get` with the server on stdin, as the docker CLI runs it; undefined when it has none. */
  private async fromHelper(name: string, server: string): Promise<Credentials | undefined> {
    const program = `docker-credential-${name}`;
    const source = `credential helper ${program}`;
    if (!/^[A-Za-z0-9._-]+$/.test(name))
      throw new InputError(`${this.configPath} names a credential helper "${printable(name)}" that is not a program name`);
    const { stdout, failure } = await new Promise<{ stdout: string; failure?: Error & { code?: unknown } }>((resolve) => {
      const child = execFile(program, ['get'], { env: this.env, timeout: this.helperTimeoutMs, maxBuffer: 1024 * 1024 }, (error, out) =>
        resolve({ stdout: String(out), failure: error ?? undefined }),
      );
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(server);
    });
    if (failure) {
      if (failure.code === 'ENOENT') {
        throw new InputError(
          `${this.configPath} names the ${source} for ${server}, and ${program} is not on PATH: install it or remove it from the config`,
        );
      }
      // The helper's protocol: "credentials not found in native keychain" on stdout when it has none.
      if (/credentials not found/i.test(stdout)) return undefined;
      if ((failure as { killed?: boolean }).killed)
        throw new EnvironmentError(`the ${source} did not answer within ${this.helperTimeoutMs / 1000} s for ${server}`);
      // Its output may hold a secret: say only how it ended.
      throw new EnvironmentError(
        `the ${source} failed for ${server} (exit code ${String(failure.code)}): run "${program} get" by hand to see why`,
      );
    }
    let answer: { Username?: unknown; Secret?: unknown };
    try {
      answer = JSON.parse(stdout) as typeof answer;
    } catch {
      throw new EnvironmentError(`the ${source} answered something other than JSON for ${server}`);
    }
    if (typeof answer.Secret !== 'string' || answer.Secret === '') return undefined;
    const credentials: Credentials =
      answer.Username === '<token>'
        ? { source, identityToken: answer.Secret }
        : { source, username: typeof answer.Username === 'string' ? answer.Username : '', password: answer.Secret };
    this.remember(credentials);
    return credentials;
  }
}

export function hasCredentials(found: Credentials | Anonymous): found is Credentials {
  const c = found as Credentials;
  return Boolean(c.username || c.password || c.identityToken || c.registryToken);
}
