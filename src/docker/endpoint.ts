/**
 * Which Docker engine to talk to, found as the docker CLI finds it (docker/cli `cli/command/cli.go`
 * `resolveContextName` and `resolveDockerEndpoint`, `cli/flags/options.go`, `opts/hosts.go`, `cli/context/store`):
 *
 * 1. `DOCKER_HOST`, when set and not empty, with TLS from `DOCKER_TLS_VERIFY` (any value turns verification on),
 *    `DOCKER_TLS` (TLS without verification) and `DOCKER_CERT_PATH` (default: the config folder). It wins over
 *    any context, silently in the docker CLI; here the log says which context it overrides.
 * 2. Else the context named by `DOCKER_CONTEXT`, else `currentContext` of `$DOCKER_CONFIG/config.json`
 *    (`DOCKER_CONFIG` defaults to `~/.docker`). A context is `contexts/meta/<sha256 of its name>/meta.json`
 *    (`Endpoints.docker.Host`, `SkipTLSVerify`), with its TLS files in `contexts/tls/<sha256>/docker/`
 *    (`ca.pem`, `cert.pem`, `key.pem`). The context named `default` is the environment's endpoint without
 *    `DOCKER_HOST`: `unix:///var/run/docker.sock`, or `tcp://localhost:2376` when TLS is asked for.
 *
 * Hosts: `unix://PATH`, `tcp://HOST:PORT` (plain HTTP, or TLS as above), `ssh://[USER@]HOST[:PORT][/SOCKET]`
 * (through the machine's `ssh` client and `docker system dial-stdio` on the remote, as the docker CLI does, so
 * `~/.ssh/config`, keys, the agent and known_hosts apply). `npipe://` (Windows) and `fd://` are refused.
 *
 * This module is the only code that reads the environment and the docker CLI's files for the engine; what it
 * resolves goes to the DockerEngine as it is. Every problem is an EnvironmentError that names what to fix.
 */
import { spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { createSecureContext } from 'node:tls';
import Docker from 'dockerode';
import { EnvironmentError, messageOf, printable, quote } from '../errors.js';

/** Where the engine is, as the report and the log name it. Never holds credentials. */
export interface EndpointInfo {
  /** `unix:///var/run/docker.sock`, `tcp://127.0.0.1:2376`, `ssh://user@host:22` (no password). */
  host: string;
  /** What chose it: the DOCKER_HOST variable, a docker context, or neither (the default socket). */
  from: 'DOCKER_HOST' | 'context' | 'default';
  /** The context's name, when `from` is `context`. */
  context?: string;
}

export interface TlsSettings {
  /** Verify the engine's certificate (against `ca`, or the system's CAs without it). */
  verify: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** The files they were read from (for messages), and the folder they were looked for in. */
  files: { ca?: string; cert?: string; key?: string; folder: string };
  /** A context's TLS files are the copies `docker context create` made of its ca=, cert= and key= files. */
  fromContext?: boolean;
}

export type Transport =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; hostname: string; port: number; tls?: TlsSettings }
  | { kind: 'ssh'; user?: string; hostname: string; port?: string; socketPath?: string };

export interface ResolvedEndpoint {
  info: EndpointInfo;
  transport: Transport;
  /** Where the choice was made, for messages: `DOCKER_HOST`, `the context "remote" (DOCKER_CONTEXT)`, ... */
  origin: string;
  /** What to change to point at another engine, for messages. */
  fix: string;
  /** Said once in the log: a context that DOCKER_HOST overrides, a config.json that could not be read. */
  warnings: string[];
}

export const DEFAULT_SOCKET = '/var/run/docker.sock';
const DEFAULT_TLS_HOST = 'tcp://localhost:2376';
const CONTEXT_LIST = 'docker context ls lists the contexts';

type Env = Record<string, string | undefined>;

/** The docker CLI's configuration folder: DOCKER_CONFIG, else ~/.docker. */
export function configDir(env: Env = process.env): string {
  return env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
}

/** The folder name of a context in the store: the sha256 of its name, in hex. */
export function contextDirName(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/** Resolve the engine from the environment and the docker CLI's files, as the docker CLI does. */
export function resolveEndpoint(env: Env = process.env): ResolvedEndpoint {
  const dir = configDir(env);
  const warnings: string[] = [];
  const current = currentContext(dir, warnings);
  if (env.DOCKER_HOST) {
    // The context "default" is the environment's endpoint anyway: nothing is overridden.
    const ignored =
      env.DOCKER_CONTEXT && env.DOCKER_CONTEXT !== 'default'
        ? `DOCKER_CONTEXT=${quote(env.DOCKER_CONTEXT)}`
        : current.name && current.name !== 'default'
          ? `the current context ${quote(current.name)} (${current.file})`
          : undefined;
    if (ignored) {
      warnings.push(
        `DOCKER_HOST is set, so it is used and ${ignored} is not, as the docker CLI does. ` + 'To use the context, unset DOCKER_HOST.',
      );
    }
    return fromEnvironment(env, dir, { from: 'DOCKER_HOST', origin: 'DOCKER_HOST', fix: 'fix or unset DOCKER_HOST' }, warnings);
  }
  const name = env.DOCKER_CONTEXT || current.name || 'default';
  const chosenBy = env.DOCKER_CONTEXT ? 'set by DOCKER_CONTEXT' : current.name ? `the current context in ${current.file}` : undefined;
  if (name === 'default') {
    const how = chosenBy ? `context "default", ${chosenBy}` : 'the default: neither DOCKER_HOST nor a docker context is set';
    return fromEnvironment(
      env,
      dir,
      { from: 'default', origin: how, fix: 'set DOCKER_HOST or a docker context (docker context use NAME) to the engine to use' },
      warnings,
    );
  }
  return fromContext(name, chosenBy!, dir, env, warnings);
}

/** The log line's words for where the endpoint came from: `DOCKER_HOST`, `context "remote"`, `default`. */
export function originWords(info: EndpointInfo): string {
  return info.from === 'context' ? `context ${quote(info.context ?? '')}` : info.from;
}

/** The log's line about the engine: `Docker engine: tcp://127.0.0.1:2376 (context "remote"), Docker 28.5.2, API 1.51`. */
export function engineLine(info: { serverVersion: string; apiVersion: string; endpoint?: EndpointInfo }): string {
  const where = info.endpoint ? `${info.endpoint.host} (${originWords(info.endpoint)}), ` : '';
  return `Docker engine: ${where}Docker ${info.serverVersion}, API ${info.apiVersion}`;
}

function currentContext(dir: string, warnings: string[]): { name?: string; file: string } {
  const file = path.join(dir, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { file };
    // As the docker CLI: a config file it cannot load is a warning, and the default context is used.
    warnings.push(`The docker CLI's config file ${file} could not be read (${messageOf(error)}), so no current context is taken from it.`);
    return { file };
  }
  try {
    const config = JSON.parse(text) as { currentContext?: unknown };
    return { name: typeof config?.currentContext === 'string' && config.currentContext ? config.currentContext : undefined, file };
  } catch (error) {
    warnings.push(
      `The docker CLI's config file ${file} is not valid JSON (${printable(messageOf(error), 200)}), so no current context is taken from it.`,
    );
    return { file };
  }
}

interface Choice {
  from: EndpointInfo['from'];
  origin: string;
  fix: string;
}

/** DOCKER_HOST (or the default host), with TLS from DOCKER_TLS_VERIFY, DOCKER_TLS and DOCKER_CERT_PATH. */
function fromEnvironment(env: Env, dir: string, choice: Choice, warnings: string[]): ResolvedEndpoint {
  const verify = Boolean(env.DOCKER_TLS_VERIFY);
  const useTls = verify || Boolean(env.DOCKER_TLS);
  const given = (env.DOCKER_HOST ?? '').trim();
  const raw = given || (useTls ? DEFAULT_TLS_HOST : `unix://${DEFAULT_SOCKET}`);
  const what = given ? `DOCKER_HOST=${shownHost(env.DOCKER_HOST!)}` : 'the default host';
  const parsed = parseHost(raw, useTls, what);
  let transport: Transport = parsed;
  if (parsed.kind === 'tcp' && useTls) {
    transport = { ...parsed, tls: tlsFromCertPath(env.DOCKER_CERT_PATH || dir, Boolean(env.DOCKER_CERT_PATH), verify) };
  }
  return { info: { host: display(transport), from: choice.from }, transport, origin: choice.origin, fix: choice.fix, warnings };
}

/**
 * TLS files as the docker CLI reads them for DOCKER_TLS_VERIFY: `ca.pem` must be there; `cert.pem` and `key.pem`
 * are sent when both are there (one without the other is an error).
 */
function tlsFromCertPath(folder: string, fromVariable: boolean, verify: boolean): TlsSettings {
  const where = fromVariable ? `DOCKER_CERT_PATH=${quote(folder, 300)}` : `${folder} (DOCKER_CERT_PATH is not set)`;
  const why = verify ? 'DOCKER_TLS_VERIFY is set' : 'DOCKER_TLS is set';
  const read = (name: string, required: boolean): { data?: Buffer; file?: string } => {
    const file = path.join(folder, name);
    try {
      return { data: readFileSync(file), file };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !required) return {};
      if (code === 'ENOENT') {
        throw new EnvironmentError(
          `${why}, so the Docker engine is reached over TLS, but there is no CA certificate at ${file} (the folder is ${where}). ` +
            'Put the CA certificate, the client certificate and its key there as ca.pem, cert.pem and key.pem, or point DOCKER_CERT_PATH at the folder that has them.',
        );
      }
      throw new EnvironmentError(`The TLS file ${file} (${where}) could not be read: ${describeFileError(error)}.`);
    }
  };
  const ca = read('ca.pem', true);
  const cert = read('cert.pem', false);
  const key = read('key.pem', false);
  return checkedTls(
    { verify, ca: ca.data, cert: cert.data, key: key.data, files: { ca: ca.file, cert: cert.file, key: key.file, folder } },
    where,
  );
}

/** The context's meta.json and TLS files, as the docker CLI's context store reads them. */
function fromContext(name: string, chosenBy: string, dir: string, env: Env, warnings: string[]): ResolvedEndpoint {
  const id = contextDirName(name);
  const metaFile = path.join(dir, 'contexts', 'meta', id, 'meta.json');
  const shown = quote(name);
  const fix = `fix the context ${shown} (docker context inspect ${printable(name)}), or choose another: docker context use NAME, DOCKER_CONTEXT or DOCKER_HOST`;
  let text: string;
  try {
    text = readFileSync(metaFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new EnvironmentError(
        `The Docker context ${shown} (${chosenBy}) does not exist: there is no ${metaFile} (contexts are looked for under ${path.join(dir, 'contexts')}, ` +
          `as DOCKER_CONFIG${env.DOCKER_CONFIG ? `=${quote(env.DOCKER_CONFIG, 300)}` : ' (unset, so ~/.docker)'} says). ` +
          `${CONTEXT_LIST}; choose one with docker context use NAME or DOCKER_CONTEXT, or set DOCKER_HOST.`,
      );
    }
    throw new EnvironmentError(`The Docker context ${shown} (${chosenBy}) could not be read: ${metaFile}: ${describeFileError(error)}.`);
  }
  let meta: { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } };
  try {
    meta = JSON.parse(text);
  } catch (error) {
    throw new EnvironmentError(
      `The Docker context ${shown} (${chosenBy}) could not be read: ${metaFile} is not valid JSON (${printable(messageOf(error), 200)}). ` +
        `Recreate the context (docker context rm ${printable(name)}, then docker context create), or choose another.`,
    );
  }
  const endpoint = meta?.Endpoints?.docker;
  if (typeof endpoint !== 'object' || endpoint === null) {
    throw new EnvironmentError(
      `The Docker context ${shown} (${chosenBy}) has no Docker endpoint (Endpoints.docker in ${metaFile}). Recreate it with docker context create ${printable(name)} --docker host=…, or choose another.`,
    );
  }
  if (endpoint.Host !== undefined && typeof endpoint.Host !== 'string') {
    throw new EnvironmentError(`The Docker context ${shown} (${chosenBy}): Endpoints.docker.Host in ${metaFile} is not a string.`);
  }
  const skipVerify = endpoint.SkipTLSVerify === true;
  // An empty Host is the Docker client's default socket.
  const host = endpoint.Host || `unix://${DEFAULT_SOCKET}`;
  const tlsFolder = path.join(dir, 'contexts', 'tls', id, 'docker');
  const files = contextTlsFiles(tlsFolder, shown);
  const useTls = skipVerify || files !== undefined;
  const parsed = parseHost(host, useTls, `the context ${shown}'s host ${shownHost(host)} (${metaFile})`);
  let transport: Transport = parsed;
  if (parsed.kind === 'tcp' && useTls) {
    transport = {
      ...parsed,
      tls: checkedTls(
        { verify: !skipVerify, ...files?.data, files: { ...files?.paths, folder: tlsFolder }, fromContext: true },
        `the context ${shown}`,
      ),
    };
  }
  return {
    info: { host: display(transport), from: 'context', context: name },
    transport,
    origin: `context ${shown}, ${chosenBy}`,
    fix,
    warnings,
  };
}

/** The files in a context's TLS folder for the docker endpoint; undefined when it has none (no TLS). */
function contextTlsFiles(
  folder: string,
  shown: string,
): { data: { ca?: Buffer; cert?: Buffer; key?: Buffer }; paths: { ca?: string; cert?: string; key?: string } } | undefined {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EnvironmentError(`The TLS files of the Docker context ${shown} could not be listed: ${folder}: ${describeFileError(error)}.`);
  }
  const data: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  const paths: { ca?: string; cert?: string; key?: string } = {};
  for (const [file, key] of [
    ['ca.pem', 'ca'],
    ['cert.pem', 'cert'],
    ['key.pem', 'key'],
  ] as const) {
    if (!names.includes(file)) continue;
    const full = path.join(folder, file);
    try {
      data[key] = readFileSync(full);
      paths[key] = full;
    } catch (error) {
      throw new EnvironmentError(`The TLS file ${full} of the Docker context ${shown} could not be read: ${describeFileError(error)}.`);
    }
  }
  return { data, paths };
}

/** Certificates and key that Node's TLS accepts, checked now so that a bad file is named before connecting. */
function checkedTls(tls: TlsSettings, where: string): TlsSettings {
  const { files } = tls;
  if (Boolean(tls.cert) !== Boolean(tls.key)) {
    const [has, lacks] = tls.cert ? [files.cert, 'key.pem'] : [files.key, 'cert.pem'];
    throw new EnvironmentError(
      `TLS for the Docker engine (${where}): ${has} is there but ${path.join(files.folder, lacks)} is not; a client certificate needs both (cert.pem and key.pem).`,
    );
  }
  const unusable = (what: string, why: string) =>
    new EnvironmentError(`TLS for the Docker engine (${where}): ${what} cannot be used: ${why}.`);
  if (tls.ca) {
    // Node takes a CA file without a certificate in it silently (and then trusts nothing): check it as Go does.
    const blocks = tls.ca.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0)
      throw unusable(`the CA certificate ${files.ca}`, 'it holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" block)');
    for (const block of blocks) {
      try {
        new X509Certificate(block);
      } catch (error) {
        throw unusable(`the CA certificate ${files.ca}`, tlsReason(error));
      }
    }
  }
  if (tls.cert && tls.key) {
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(tls.key.toString('latin1'))) {
      throw unusable(
        `the client key ${files.key}`,
        'it is encrypted, and the docker CLI no longer supports encrypted keys (decrypt it: openssl pkey -in key.pem -out key.pem)',
      );
    }
    const check = (what: string, options: Parameters<typeof createSecureContext>[0]) => {
      try {
        createSecureContext(options);
      } catch (error) {
        throw unusable(what, tlsReason(error));
      }
    };
    check(`the client certificate ${files.cert}`, { cert: tls.cert });
    check(`the client key ${files.key}`, { key: tls.key });
    check(`the client certificate ${files.cert} with the key ${files.key}`, { cert: tls.cert, key: tls.key });
  }
  return tls;
}

function tlsReason(error: unknown): string {
  const e = error as { code?: string; reason?: string; message?: string };
  if (e.code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH') return 'the key does not belong to the certificate';
  if (e.code === 'ERR_OSSL_PEM_NO_START_LINE') return 'it is not in PEM format (no "-----BEGIN" line)';
  if (e.code === 'ERR_OSSL_UNSUPPORTED') return 'it is not a PEM key that can be read (unsupported)';
  if (e.reason) return e.reason;
  return messageOf(error);
}

function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder, not a file';
  return messageOf(error);
}

/**
 * A host as `opts.ParseHost` of the docker CLI parses it: `unix://PATH` (default /var/run/docker.sock),
 * `tcp://HOST:PORT` (default localhost, port 2375, or 2376 with TLS; a bare `HOST:PORT` is tcp), `ssh://…`.
 */
export function parseHost(raw: string, tls: boolean, what: string): Transport {
  const accepted = 'Accepted: unix:///path/to/docker.sock, tcp://HOST:PORT, ssh://[USER@]HOST[:PORT]';
  const bad = (why: string) => new EnvironmentError(`${what} is not a Docker host: ${why}. ${accepted}.`);
  const value = raw.trim();
  const cut = value.indexOf('://');
  const [scheme, rest] = cut >= 0 ? [value.slice(0, cut), value.slice(cut + 3)] : ['tcp', value];
  switch (scheme) {
    case 'unix': {
      if (rest.includes('://')) throw bad('a unix socket path cannot hold "://"');
      return { kind: 'unix', socketPath: rest || DEFAULT_SOCKET };
    }
    case 'tcp':
      return parseTcp(rest, tls, bad);
    case 'ssh':
      return parseSsh(value, bad);
    case 'npipe':
      throw new EnvironmentError(
        `${what} is a Windows named pipe (npipe://), which only exists on Windows; on this machine, use unix://, tcp:// or ssh://.`,
      );
    case 'fd':
      throw new EnvironmentError(
        `${what} is fd://, a socket that systemd hands to the Docker daemon itself; a client cannot connect to it. ${accepted}.`,
      );
    default:
      throw bad(`the scheme "${printable(scheme, 20)}://" is not one the docker CLI knows`);
  }
}

/** `[USER[:PASSWORD]@]HOST[:PORT][/]`: a missing host is localhost, a missing port the default (as ParseTCPAddr). */
const TCP_ADDRESS = /^(?:[^@/]*@)?(\[[0-9A-Fa-f:.%a-zA-Z]*\]|[^:/[\]@?#]*)(?::(\d*))?(\/[^?#]*)?$/;

function parseTcp(rest: string, tls: boolean, bad: (why: string) => EnvironmentError): Transport {
  const defaultPort = tls ? 2376 : 2375;
  if (rest.includes('://')) throw bad('expected tcp://HOST:PORT');
  const match = TCP_ADDRESS.exec(rest);
  if (!match) throw bad('expected tcp://HOST:PORT');
  const [, host, portText, pathText] = match;
  if (pathText && pathText !== '/') throw bad(`a path after HOST:PORT ("${printable(pathText, 40)}") is not supported here`);
  const port = portText ? Number(portText) : defaultPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('the port must be 1 to 65535');
  const hostname = host.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  return { kind: 'tcp', hostname, port };
}

/** A host value for a message: a password in it (which no Docker host may hold) is not repeated. */
function shownHost(value: string): string {
  return quote(value.replace(/^([a-z]+:\/\/[^/@:]*):[^@/]*@/i, '$1:***@'), 200);
}

function parseSsh(value: string, bad: (why: string) => EnvironmentError): Transport {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad('expected ssh://[USER@]HOST[:PORT]');
  }
  if (url.password) throw bad('a password in an ssh:// URL is not supported (the docker CLI refuses it too); use a key or the ssh agent');
  if (!url.hostname) throw bad('the host name is empty');
  if (url.search || url.hash) throw bad('a query or fragment is not allowed');
  const user = url.username ? decodeURIComponent(url.username) : undefined;
  const socketPath = url.pathname && url.pathname.replace(/\/+$/, '') !== '' ? decodeURIComponent(url.pathname) : undefined;
  return {
    kind: 'ssh',
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    ...(user ? { user } : {}),
    ...(url.port ? { port: url.port } : {}),
    ...(socketPath ? { socketPath } : {}),
  };
}

/** The endpoint as a URL for people: never a password (an ssh URL cannot have one, a tcp URL keeps none). */
function display(transport: Transport): string {
  const host = (name: string) => (name.includes(':') ? `[${name}]` : name);
  switch (transport.kind) {
    case 'unix':
      return `unix://${transport.socketPath}`;
    case 'tcp':
      return `tcp://${host(transport.hostname)}:${transport.port}`;
    case 'ssh':
      return `ssh://${transport.user ? `${transport.user}@` : ''}${host(transport.hostname)}${transport.port ? `:${transport.port}` : ''}${transport.socketPath ?? ''}`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Connecting

/** Variables docker-modem reads when it is constructed: the endpoint decides everything instead. */
const MODEM_VARIABLES = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_CLIENT_TIMEOUT', 'DOCKER_PATH_PREFIX'];

/**
 * A dockerode client for the endpoint. docker-modem reads DOCKER_HOST and friends itself when it is constructed
 * (with its own rules: port 2376 means TLS, a missing DOCKER_CERT_PATH file throws): those variables are hidden
 * from it for that moment, so that what the endpoint says is all it uses.
 */
export function dockerClient(endpoint: ResolvedEndpoint): Docker {
  const options = modemOptions(endpoint.transport);
  const saved = MODEM_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const [name] of saved) delete process.env[name];
  try {
    return new Docker(options);
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}

/** docker-modem's options (its typings lack `agent`, which it passes to every request). */
type ModemOptions = Docker.DockerOptions & { agent: http.Agent };

function modemOptions(transport: Transport): ModemOptions {
  switch (transport.kind) {
    case 'unix':
      return { socketPath: transport.socketPath, protocol: 'http', agent: new http.Agent() };
    case 'tcp': {
      if (!transport.tls) return { host: transport.hostname, port: transport.port, protocol: 'http', agent: new http.Agent() };
      const { tls } = transport;
      // The agent's options go into every connection it opens (Node merges them over the request's).
      const agent = new https.Agent({
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
        rejectUnauthorized: tls.verify,
      });
      return { host: transport.hostname, port: transport.port, protocol: 'https', agent };
    }
    case 'ssh':
      // http over `ssh … docker system dial-stdio`; the host name in the request URL is never looked up.
      return { host: 'docker', port: 80, protocol: 'http', agent: sshAgent(transport) };
  }
}

/** The arguments of `ssh` for an ssh:// endpoint, as the docker CLI's connhelper builds them. */
export function sshArguments(transport: Extract<Transport, { kind: 'ssh' }>): string[] {
  const remote = transport.socketPath
    ? ['docker', `--host=unix://${transport.socketPath}`, 'system', 'dial-stdio']
    : ['docker', 'system', 'dial-stdio'];
  return [
    ...(transport.user ? ['-l', transport.user] : []),
    ...(transport.port ? ['-p', transport.port] : []),
    '-o',
    'ConnectTimeout=30',
    '-T',
    '--',
    transport.hostname,
    remote.map(shellQuote).join(' '),
  ];
}

/** POSIX shell quoting for the remote command (ssh hands it to the remote user's shell). */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** An error from the ssh client: its exit code and the last lines it wrote. */
export class SshError extends Error {
  override name = 'SshError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/**
 * An http agent whose every connection is a `ssh … docker system dial-stdio` process: the request goes to its
 * standard input and the answer comes from its standard output. Destroying the connection ends the process.
 * Connections are kept alive between requests, as the docker CLI's are (an ssh handshake per API call would cost
 * a round trip or more each); an idle one does not keep the process alive, and ends with it.
 */
function sshAgent(transport: Extract<Transport, { kind: 'ssh' }>): http.Agent {
  const agent = new http.Agent({ keepAlive: true });
  const args = sshArguments(transport);
  agent.createConnection = () => {
    const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let received = false;
    const connection = new Duplex({
      read() {
        child.stdout.resume();
      },
      // A write that fails means ssh is gone: its exit (below) says why, not the broken pipe.
      write(chunk, _encoding, done) {
        if (child.stdin.destroyed || child.stdin.write(chunk)) done();
        else child.stdin.once('drain', () => done());
      },
      final(done) {
        child.stdin.end();
        done();
      },
      destroy(error, done) {
        if (child.exitCode === null && child.signalCode === null) child.kill();
        done(error);
      },
    });
    // What the http agent asks of a socket it keeps for later: an idle ssh must not hold the event loop.
    const handles = [child, child.stdin, child.stdout, child.stderr] as { ref(): void; unref(): void }[];
    Object.assign(connection, {
      setKeepAlive: () => connection,
      setNoDelay: () => connection,
      setTimeout: () => connection,
      ref: () => (handles.forEach((h) => h.ref()), connection),
      unref: () => (handles.forEach((h) => h.unref()), connection),
    });
    child.stdin.on('error', () => {}); // a process that exits early: its exit says why
    child.stdout.on('data', (chunk: Buffer) => {
      received = true;
      if (!connection.push(chunk)) child.stdout.pause();
    });
    // Without a byte from the remote, the end of its output is a failure that the exit (below) explains.
    child.stdout.on('end', () => {
      if (received) connection.push(null);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') connection.destroy(new SshError('the ssh client (ssh) is not installed', 'ENOSSH'));
      else connection.destroy(new SshError(`ssh could not be started: ${error.message}`, 'ESSH'));
    });
    child.on('close', (code, signal) => {
      if (received && code === 0) return;
      if (connection.destroyed) return;
      const said = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' ');
      const how = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
      connection.destroy(
        new SshError(`ssh ${printable(args.slice(0, -1).join(' '), 200)} ${how}${said ? `: ${printable(said, 600)}` : ''}`, 'ESSH'),
      );
    });
    return connection as unknown as ReturnType<http.Agent['createConnection']>;
  };
  return agent;
}

// ---------------------------------------------------------------------------------------------------------------
// What a failed connection means

const UNTRUSTED_SERVER = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/**
 * Why the engine could not be reached, with what to fix: the endpoint, where it was chosen, and for TLS which
 * file and what TLS said. `reason` is used instead of the error when given (a probe that timed out).
 */
export function connectionFailure(endpoint: ResolvedEndpoint, error: unknown, reason?: string): string {
  const { transport } = endpoint;
  const at = `The Docker engine is not reachable at ${endpoint.info.host} (${endpoint.origin})`;
  const restart = `Start the engine there, or ${endpoint.fix}.`;
  if (reason) return `${at}: ${reason}. ${restart}`;
  const e = error as { code?: string; statusCode?: number; message?: string; reason?: string; json?: unknown };
  const code = e.code ?? '';
  if (error instanceof SshError && error.code === 'ENOSSH') {
    return `${at}: ${error.message}; an ssh:// host is reached through it, as the docker CLI does. Install OpenSSH's client, or ${endpoint.fix}.`;
  }
  if (error instanceof SshError)
    return `${at}: ${error.message}. Check that ssh to that host works (ssh ${printable(
      sshArguments(transport as Extract<Transport, { kind: 'ssh' }>)
        .slice(0, -1)
        .join(' '),
      200,
    )} docker version) and that Docker runs there, or ${endpoint.fix}.`;
  if (transport.kind === 'unix') {
    if (code === 'ENOENT')
      return `${at}: there is no socket at ${transport.socketPath}. ${endpoint.info.from === 'default' ? `Start Docker (on this project's machines: bash scripts/setup-docker.sh), or ${endpoint.fix}.` : restart}`;
    if (code === 'EACCES')
      return `${at}: permission denied on the socket ${transport.socketPath}. Run as a user who may use it (the docker group), or ${endpoint.fix}.`;
    if (code === 'ECONNREFUSED')
      return `${at}: connection refused on the socket ${transport.socketPath} (no engine listens there). ${restart}`;
  }
  if (transport.kind === 'tcp') {
    const hostPort = `${transport.hostname.includes(':') ? `[${transport.hostname}]` : transport.hostname}:${transport.port}`;
    const tls = transport.tls;
    if (code === 'ECONNREFUSED') return `${at}: connection refused at ${hostPort} (nothing listens on that port). ${restart}`;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return `${at}: the host name ${printable(transport.hostname)} could not be resolved (${code}). ${restart}`;
    if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
      return `${at}: ${hostPort} cannot be reached (${code}). ${restart}`;
    if (tls && UNTRUSTED_SERVER.has(code)) {
      const by = tls.files.ca
        ? `the CA in ${tls.files.ca}${tls.fromContext ? ' (the copy docker context create made of its ca= file)' : ''}`
        : 'any CA this machine trusts (no ca.pem was given)';
      return `${at}: the engine's TLS certificate is not signed by ${by} (TLS said: ${code}, ${printable(e.message ?? '', 200)}). Use the CA that signed the engine's certificate (dockerd --tlscert), or ${endpoint.fix}.`;
    }
    if (tls && (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')) {
      return `${at}: the engine's TLS certificate is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not valid yet'} (TLS said: ${code}). Renew the engine's certificate (dockerd --tlscert).`;
    }
    if (tls && code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return `${at}: the engine's TLS certificate is not made for ${printable(transport.hostname)} (TLS said: ${printable(e.reason ?? e.message ?? '', 200)}). Connect with a name or address the certificate lists (its subjectAltName), or give the engine a certificate for this one.`;
    }
    if (
      tls &&
      /ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|ACCESS_DENIED|UNSUPPORTED_CERTIFICATE|HANDSHAKE_FAILURE|DECRYPT_ERROR)/.test(
        code,
      )
    ) {
      const sent = tls.files.cert
        ? `the client certificate ${tls.files.cert}${tls.fromContext ? ' (the copy docker context create made of its cert= file)' : ''}`
        : `the connection, which had no client certificate (there is no cert.pem and key.pem in ${tls.files.folder})`;
      return `${at}: the engine refused ${sent} (TLS said: ${printable(e.reason ?? code, 100)}). The engine (dockerd --tlsverify) accepts client certificates signed by the CA of its --tlscacert and made for client authentication (extendedKeyUsage=clientAuth); use one, or ${endpoint.fix}.`;
    }
    if (tls && (code.startsWith('ERR_SSL_') || code === 'EPROTO' || code === 'ECONNRESET')) {
      return `${at}: the TLS handshake with ${hostPort} failed (${printable(e.reason ?? e.message ?? code, 200)}); does the engine listen with TLS on that port? ${restart}`;
    }
    if (!tls && e.statusCode === 400 && /HTTPS server/i.test(e.message ?? '')) {
      return (
        `${at}: the engine at ${hostPort} speaks TLS, and this connection does not. Turn TLS on as for the docker CLI: ` +
        `DOCKER_TLS_VERIFY=1 with DOCKER_CERT_PATH set to the folder of ca.pem, cert.pem and key.pem, or a context made with docker context create NAME --docker host=${endpoint.info.host},ca=…,cert=…,key=….`
      );
    }
  }
  if (e.statusCode)
    return `${at}: it answered HTTP ${e.statusCode} (${printable(e.message ?? '', 200)}); is this a Docker engine? ${restart}`;
  return `${at}: ${code ? `${code}: ` : ''}${printable(e.message ?? String(error), 300)}. ${restart}`;
}
