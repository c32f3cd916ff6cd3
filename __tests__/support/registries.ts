// Registries for the registry client's tests, each a real Debian `docker-registry` (distribution 2.8) on a
// loopback port of its own, all serving one temporary storage folder: a plain one (no auth, plain HTTP: where the
// tests upload their images), one with htpasswd basic auth, one with token auth (against token-server.ts), one
// over TLS with a CA made by openssl. Images are uploaded with the distribution API's monolithic upload.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { makeCertificates, type Certificates } from './tls-certs.js';
import { startTokenServer, type TokenServer } from './token-server.js';
import type { Blob, Image } from './oci-image.js';
import { ensureRegistry } from './registry.js';
import { tempDir } from './workspace.js';

export interface RegistryServer {
  /** `127.0.0.1:PORT` */
  addr: string;
  stop(): Promise<void>;
  log: string;
}

export const USER = 'isr-user';
export const PASSWORD = 'pw-correct-horse-battery';

async function answers(addr: string, https: boolean): Promise<boolean> {
  // Any HTTP answer means it is up (401 too); TLS ones are checked with curl -k.
  try {
    execFileSync(
      'curl',
      ['-s', '-o', '/dev/null', '--max-time', '2', ...(https ? ['-k', `https://${addr}/v2/`] : [`http://${addr}/v2/`])],
      {
        stdio: 'ignore',
      },
    );
    return true;
  } catch {
    return false;
  }
}

async function startRegistry(name: string, root: string, storage: string, port: number, extra: string): Promise<RegistryServer> {
  const addr = `127.0.0.1:${port}`;
  const config = path.join(root, `${name}.yml`);
  writeFileSync(
    config,
    `version: 0.1
log:
  accesslog:
    disabled: true
  level: warn
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: true
http:
  addr: ${addr}
  secret: isr-registry-tests-${name}
${extra}`,
  );
  const log = path.join(root, `${name}.log`);
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const https = extra.includes('tls:');
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    if (await answers(addr, https)) {
      return {
        addr,
        log,
        stop: async () => {
          writeFileSync(log, output);
          if (child.exitCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`docker-registry ${name} did not answer on ${addr}: ${output.slice(-2000)}`);
}

export interface Registries {
  root: string;
  plain: RegistryServer;
  basic: RegistryServer;
  token: RegistryServer;
  tokenServer: TokenServer;
  tls: RegistryServer;
  certificates: Certificates;
  /** A port that accepts connections and never answers. */
  silent: { addr: string; stop(): Promise<void> };
  stop(): Promise<void>;
}

/** Ports 5100-5199 are the registry tests'. */
export const PORTS = {
  plain: 5101,
  basic: 5102,
  token: 5103,
  tokenServer: 5104,
  tls: 5105,
  silent: 5106,
  front: 5107,
  store: 5108,
} as const;

export async function startRegistries(): Promise<Registries> {
  ensureRegistry(); // installs docker-registry (and apache2-utils, openssl, zstd) when missing
  const root = tempDir('registries');
  const storage = path.join(root, 'storage');
  mkdirSync(storage);
  const started: { stop(): Promise<void> }[] = [];
  try {
    const plain = await startRegistry('plain', root, storage, PORTS.plain, '');
    started.push(plain);
    const htpasswd = path.join(root, 'htpasswd');
    execFileSync('htpasswd', ['-B', '-b', '-c', htpasswd, USER, PASSWORD], { stdio: 'ignore' });
    const basic = await startRegistry(
      'basic',
      root,
      storage,
      PORTS.basic,
      `auth:\n  htpasswd:\n    realm: isr-basic\n    path: ${htpasswd}\n`,
    );
    started.push(basic);
    const tokenServer = await startTokenServer(PORTS.tokenServer, {
      user: USER,
      password: PASSWORD,
      service: 'isr-token-registry',
      issuer: 'isr-token-issuer',
    });
    started.push(tokenServer);
    const token = await startRegistry(
      'token',
      root,
      storage,
      PORTS.token,
      `auth:\n  token:\n    realm: ${tokenServer.realm}\n    service: isr-token-registry\n    issuer: isr-token-issuer\n    rootcertbundle: ${tokenServer.certificate}\n`,
    );
    started.push(token);
    const certificates = makeCertificates('registry');
    const tls = await startRegistry(
      'tls',
      root,
      storage,
      PORTS.tls,
      `  tls:\n    certificate: ${certificates.serverCert}\n    key: ${certificates.serverKey}\n`,
    );
    started.push(tls);
    const silent = await startSilent(PORTS.silent);
    started.push(silent);
    return {
      root,
      plain,
      basic,
      token,
      tokenServer,
      tls,
      certificates,
      silent,
      stop: async () => {
        for (const s of started.reverse()) await s.stop();
        rmSync(root, { recursive: true, force: true });
        rmSync(certificates.dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const s of started.reverse()) await s.stop();
    throw error;
  }
}

/** A TCP server that accepts and never writes a byte. */
async function startSilent(port: number): Promise<{ addr: string; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => server.listen(port, '127.0.0.1', resolve).on('error', reject));
  return {
    addr: `127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Monolithic upload of a blob (POST, then PUT ?digest=) to a registry without auth. */
export async function uploadBlob(addr: string, repository: string, blob: Pick<Blob, 'bytes' | 'digest'>): Promise<void> {
  const start = await fetch(`http://${addr}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`POST upload ${repository}: HTTP ${start.status} ${await start.text()}`);
  const location = new URL(start.headers.get('location') ?? '', `http://${addr}`);
  location.searchParams.set('digest', blob.digest);
  const put = await fetch(location, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: blob.bytes });
  if (put.status !== 201) throw new Error(`PUT blob ${repository} ${blob.digest}: HTTP ${put.status} ${await put.text()}`);
}

export async function putManifest(addr: string, repository: string, reference: string, manifest: Blob): Promise<void> {
  const put = await fetch(`http://${addr}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'Content-Type': manifest.mediaType },
    body: manifest.bytes,
  });
  if (put.status !== 201) throw new Error(`PUT manifest ${repository}:${reference}: HTTP ${put.status} ${await put.text()}`);
}

/** The image's blobs and manifest, tagged `tag` (omit the tag to push by digest only, e.g. an index's entries). */
export async function pushImage(addr: string, repository: string, image: Image, tag?: string): Promise<void> {
  for (const layer of image.layers) await uploadBlob(addr, repository, layer);
  await uploadBlob(addr, repository, image.config);
  await putManifest(addr, repository, tag ?? image.manifest.digest, image.manifest);
}
