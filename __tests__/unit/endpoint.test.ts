// Finding the engine as the docker CLI does, from real files in temporary folders laid out as the CLI lays them out
// (config.json, contexts/meta/<sha256>/meta.json, contexts/tls/<sha256>/docker/*.pem) and real certificates made
// with openssl. No engine is needed; the integration tests (remote-engine.test.ts) use contexts the real docker CLI
// created against a real engine on a TLS port.
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { contextDirName, engineLine, resolveEndpoint, sshArguments, type ResolvedEndpoint } from '../../src/docker/endpoint.js';
import { EnvironmentError } from '../../src/errors.js';
import { makeCertificates, type Certificates } from '../support/tls-certs.js';
import { tempDir } from '../support/workspace.js';

let certs: Certificates;
let other: Certificates;
beforeAll(() => {
  certs = makeCertificates('unit');
  other = makeCertificates('unit-other');
});

/** A docker config folder with the given config.json and contexts. */
function configFolder(
  options: { config?: unknown; contexts?: Record<string, { meta: unknown; tls?: Record<string, string> }> } = {},
): string {
  const dir = tempDir('docker-config');
  if (options.config !== undefined)
    writeFileSync(path.join(dir, 'config.json'), typeof options.config === 'string' ? options.config : JSON.stringify(options.config));
  for (const [name, context] of Object.entries(options.contexts ?? {})) {
    const meta = path.join(dir, 'contexts', 'meta', contextDirName(name));
    mkdirSync(meta, { recursive: true });
    writeFileSync(path.join(meta, 'meta.json'), typeof context.meta === 'string' ? context.meta : JSON.stringify(context.meta));
    if (context.tls) {
      const tls = path.join(dir, 'contexts', 'tls', contextDirName(name), 'docker');
      mkdirSync(tls, { recursive: true });
      for (const [file, from] of Object.entries(context.tls)) copyFileSync(from, path.join(tls, file));
    }
  }
  return dir;
}

const meta = (name: string, host: string, skip = false) => ({
  Name: name,
  Metadata: {},
  Endpoints: { docker: { Host: host, SkipTLSVerify: skip } },
});

/** Resolve with only the given variables (HOME is a fresh folder, so the user's ~/.docker is never read). */
function resolve(env: Record<string, string>): ResolvedEndpoint {
  return resolveEndpoint({ HOME: tempDir('home'), ...env });
}

function failure(env: Record<string, string>): string {
  try {
    resolve(env);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvironmentError);
    return (error as Error).message;
  }
  throw new Error('expected an EnvironmentError');
}

describe('the host (DOCKER_HOST, parsed as the docker CLI parses it)', () => {
  it('defaults to the default socket when nothing is set', () => {
    const endpoint = resolve({});
    expect(endpoint.info).toEqual({ host: 'unix:///var/run/docker.sock', from: 'default' });
    expect(endpoint.transport).toEqual({ kind: 'unix', socketPath: '/var/run/docker.sock' });
    expect(endpoint.warnings).toEqual([]);
  });

  it.each([
    ['unix:///run/x.sock', 'unix:///run/x.sock', { kind: 'unix', socketPath: '/run/x.sock' }],
    ['unix://', 'unix:///var/run/docker.sock', { kind: 'unix', socketPath: '/var/run/docker.sock' }],
    ['tcp://10.0.0.5:2375', 'tcp://10.0.0.5:2375', { kind: 'tcp', hostname: '10.0.0.5', port: 2375 }],
    ['  tcp://10.0.0.5:2375 ', 'tcp://10.0.0.5:2375', { kind: 'tcp', hostname: '10.0.0.5', port: 2375 }],
    ['10.0.0.5:2376', 'tcp://10.0.0.5:2376', { kind: 'tcp', hostname: '10.0.0.5', port: 2376 }],
    ['tcp://', 'tcp://localhost:2375', { kind: 'tcp', hostname: 'localhost', port: 2375 }],
    ['tcp://:8080', 'tcp://localhost:8080', { kind: 'tcp', hostname: 'localhost', port: 8080 }],
    ['tcp://docker.example', 'tcp://docker.example:2375', { kind: 'tcp', hostname: 'docker.example', port: 2375 }],
    ['tcp://[::1]:2375', 'tcp://[::1]:2375', { kind: 'tcp', hostname: '::1', port: 2375 }],
    ['tcp://build:2375/', 'tcp://build:2375', { kind: 'tcp', hostname: 'build', port: 2375 }],
    ['tcp://ci:secret@build:2375', 'tcp://build:2375', { kind: 'tcp', hostname: 'build', port: 2375 }],
    ['ssh://builder.example', 'ssh://builder.example', { kind: 'ssh', hostname: 'builder.example' }],
    [
      'ssh://ci@builder.example:2222',
      'ssh://ci@builder.example:2222',
      { kind: 'ssh', hostname: 'builder.example', user: 'ci', port: '2222' },
    ],
    [
      'ssh://ci@builder.example/run/user/1000/docker.sock',
      'ssh://ci@builder.example/run/user/1000/docker.sock',
      { kind: 'ssh', hostname: 'builder.example', user: 'ci', socketPath: '/run/user/1000/docker.sock' },
    ],
  ])('DOCKER_HOST=%s is %s', (value, shown, transport) => {
    const endpoint = resolve({ DOCKER_HOST: value });
    expect(endpoint.info).toEqual({ host: shown, from: 'DOCKER_HOST' });
    expect(endpoint.transport).toEqual(transport);
  });

  it.each([
    [
      'http://10.0.0.5:2375',
      /^DOCKER_HOST="http:\/\/10\.0\.0\.5:2375" is not a Docker host: the scheme "http:\/\/" is not one the docker CLI knows\. Accepted: unix:\/\/\/path\/to\/docker\.sock, tcp:\/\/HOST:PORT, ssh:\/\/\[USER@\]HOST\[:PORT\]\.$/,
    ],
    ['tcp://10.0.0.5:99999', /the port must be 1 to 65535/],
    ['tcp://10.0.0.5:2375/v1', /a path after HOST:PORT \("\/v1"\) is not supported here/],
    ['ssh://ci:hunter2@builder.example', /a password in an ssh:\/\/ URL is not supported/],
    [
      'tcp://ci:hunter2@10.0.0.5:99999',
      /^DOCKER_HOST="tcp:\/\/ci:\*\*\*@10\.0\.0\.5:99999" is not a Docker host: the port must be 1 to 65535/,
    ],
    [
      'npipe:////./pipe/docker_engine',
      /^DOCKER_HOST="npipe:\/\/\/\/\.\/pipe\/docker_engine" is a Windows named pipe \(npipe:\/\/\), which only exists on Windows; on this machine, use unix:\/\/, tcp:\/\/ or ssh:\/\/\.$/,
    ],
    ['fd://', /is fd:\/\/, a socket that systemd hands to the Docker daemon itself; a client cannot connect to it/],
  ])('refuses DOCKER_HOST=%s, saying what is accepted', (value, message) => {
    const said = failure({ DOCKER_HOST: value });
    expect(said).toMatch(message);
    expect(said).not.toContain('hunter2');
  });
});

describe('TLS from DOCKER_TLS_VERIFY, DOCKER_TLS and DOCKER_CERT_PATH', () => {
  it('reads ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH and verifies the engine', () => {
    const endpoint = resolve({ DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs.certPath });
    expect(endpoint.transport).toMatchObject({ kind: 'tcp', hostname: '127.0.0.1', port: 2376, tls: { verify: true } });
    const tls = endpoint.transport.kind === 'tcp' ? endpoint.transport.tls! : undefined;
    expect(tls?.ca).toEqual(readFileSync(certs.ca));
    expect(tls?.cert).toEqual(readFileSync(certs.clientCert));
    expect(tls?.key).toEqual(readFileSync(certs.clientKey));
    expect(tls?.files).toEqual({
      ca: path.join(certs.certPath, 'ca.pem'),
      cert: path.join(certs.certPath, 'cert.pem'),
      key: path.join(certs.certPath, 'key.pem'),
      folder: certs.certPath,
    });
  });

  it('verifies for any value of DOCKER_TLS_VERIFY, "0" included, as the docker CLI does; DOCKER_TLS alone does not verify', () => {
    const verify = (env: Record<string, string>) => {
      const t = resolve({ DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_CERT_PATH: certs.certPath, ...env }).transport;
      return t.kind === 'tcp' ? t.tls?.verify : 'not tcp';
    };
    expect(verify({ DOCKER_TLS_VERIFY: '0' })).toBe(true);
    expect(verify({ DOCKER_TLS: '1' })).toBe(false);
    expect(verify({})).toBeUndefined(); // DOCKER_CERT_PATH alone: plain HTTP, as in the docker CLI
  });

  it('takes the certificates from the config folder when DOCKER_CERT_PATH is not set, and defaults to tcp://localhost:2376', () => {
    const dir = configFolder();
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) copyFileSync(path.join(certs.certPath, f), path.join(dir, f));
    const endpoint = resolve({ DOCKER_TLS_VERIFY: '1', DOCKER_CONFIG: dir });
    expect(endpoint.info).toEqual({ host: 'tcp://localhost:2376', from: 'default' });
    expect(endpoint.transport).toMatchObject({ kind: 'tcp', tls: { verify: true, files: { ca: path.join(dir, 'ca.pem'), folder: dir } } });
  });

  it('sends no client certificate when the folder has neither cert.pem nor key.pem', () => {
    const dir = tempDir('ca-only');
    copyFileSync(certs.ca, path.join(dir, 'ca.pem'));
    const t = resolve({ DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir }).transport;
    expect(t.kind === 'tcp' && t.tls).toMatchObject({ verify: true, files: { ca: path.join(dir, 'ca.pem') } });
    expect(t.kind === 'tcp' && t.tls?.cert).toBeUndefined();
  });

  it('names the missing or unusable file', () => {
    const base = { DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1' };
    const empty = tempDir('no-certs');
    expect(failure({ ...base, DOCKER_CERT_PATH: empty })).toBe(
      `DOCKER_TLS_VERIFY is set, so the Docker engine is reached over TLS, but there is no CA certificate at ${empty}/ca.pem (the folder is DOCKER_CERT_PATH="${empty}"). ` +
        'Put the CA certificate, the client certificate and its key there as ca.pem, cert.pem and key.pem, or point DOCKER_CERT_PATH at the folder that has them.',
    );

    const lonely = tempDir('cert-no-key');
    copyFileSync(certs.ca, path.join(lonely, 'ca.pem'));
    copyFileSync(certs.clientCert, path.join(lonely, 'cert.pem'));
    expect(failure({ ...base, DOCKER_CERT_PATH: lonely })).toBe(
      `TLS for the Docker engine (DOCKER_CERT_PATH="${lonely}"): ${lonely}/cert.pem is there but ${lonely}/key.pem is not; a client certificate needs both (cert.pem and key.pem).`,
    );

    const mixed = tempDir('wrong-key');
    copyFileSync(certs.ca, path.join(mixed, 'ca.pem'));
    copyFileSync(certs.clientCert, path.join(mixed, 'cert.pem'));
    copyFileSync(other.clientKey, path.join(mixed, 'key.pem'));
    expect(failure({ ...base, DOCKER_CERT_PATH: mixed })).toBe(
      `TLS for the Docker engine (DOCKER_CERT_PATH="${mixed}"): the client certificate ${mixed}/cert.pem with the key ${mixed}/key.pem cannot be used: the key does not belong to the certificate.`,
    );

    const garbage = tempDir('garbage-ca');
    writeFileSync(path.join(garbage, 'ca.pem'), 'not a certificate\n');
    expect(failure({ ...base, DOCKER_CERT_PATH: garbage })).toBe(
      `TLS for the Docker engine (DOCKER_CERT_PATH="${garbage}"): the CA certificate ${garbage}/ca.pem cannot be used: it holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" block).`,
    );

    const folder = tempDir('ca-is-folder');
    mkdirSync(path.join(folder, 'ca.pem'));
    expect(failure({ ...base, DOCKER_CERT_PATH: folder })).toBe(
      `The TLS file ${folder}/ca.pem (DOCKER_CERT_PATH="${folder}") could not be read: it is a folder, not a file.`,
    );
  });

  it('refuses an encrypted client key, as the docker CLI does', () => {
    const dir = tempDir('encrypted');
    copyFileSync(certs.ca, path.join(dir, 'ca.pem'));
    copyFileSync(certs.clientCert, path.join(dir, 'cert.pem'));
    const key = readFileSync(certs.clientKey, 'utf8').replace('BEGIN PRIVATE KEY', 'BEGIN ENCRYPTED PRIVATE KEY');
    writeFileSync(path.join(dir, 'key.pem'), key);
    expect(failure({ DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir })).toMatch(
      /the client key .*key\.pem cannot be used: it is encrypted/,
    );
  });
});

describe('docker contexts', () => {
  it('uses the current context of config.json, with its TLS files from the context store', () => {
    const dir = configFolder({
      config: { auths: {}, currentContext: 'remote' },
      contexts: {
        remote: {
          meta: meta('remote', 'tcp://127.0.0.1:23760'),
          tls: { 'ca.pem': certs.ca, 'cert.pem': certs.clientCert, 'key.pem': certs.clientKey },
        },
      },
    });
    const endpoint = resolve({ DOCKER_CONFIG: dir });
    expect(endpoint.info).toEqual({ host: 'tcp://127.0.0.1:23760', from: 'context', context: 'remote' });
    expect(endpoint.origin).toBe(`context "remote", the current context in ${dir}/config.json`);
    const tlsDir = path.join(dir, 'contexts', 'tls', contextDirName('remote'), 'docker');
    expect(endpoint.transport).toMatchObject({
      kind: 'tcp',
      hostname: '127.0.0.1',
      port: 23760,
      tls: { verify: true, fromContext: true, files: { ca: `${tlsDir}/ca.pem`, cert: `${tlsDir}/cert.pem`, key: `${tlsDir}/key.pem` } },
    });
    expect(endpoint.warnings).toEqual([]);
  });

  it('finds the context in ~/.docker when DOCKER_CONFIG is not set', () => {
    const home = tempDir('home');
    const dir = configFolder({ config: { currentContext: 'lan' }, contexts: { lan: { meta: meta('lan', 'tcp://10.1.2.3:2375') } } });
    mkdirSync(path.join(home, '.docker'));
    for (const entry of ['config.json', 'contexts']) cpSync(path.join(dir, entry), path.join(home, '.docker', entry), { recursive: true });
    const endpoint = resolveEndpoint({ HOME: home });
    expect(endpoint.info).toEqual({ host: 'tcp://10.1.2.3:2375', from: 'context', context: 'lan' });
    expect(endpoint.transport).toEqual({ kind: 'tcp', hostname: '10.1.2.3', port: 2375 }); // no TLS folder: plain HTTP
  });

  it('lets DOCKER_CONTEXT override the current context, and DOCKER_HOST override both (with a warning)', () => {
    const dir = configFolder({
      config: { currentContext: 'remote' },
      contexts: { remote: { meta: meta('remote', 'tcp://127.0.0.1:23760') }, other: { meta: meta('other', 'unix:///run/other.sock') } },
    });
    const chosen = resolve({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'other' });
    expect(chosen.info).toEqual({ host: 'unix:///run/other.sock', from: 'context', context: 'other' });
    expect(chosen.origin).toBe('context "other", set by DOCKER_CONTEXT');

    const host = resolve({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'other', DOCKER_HOST: 'unix:///run/mine.sock' });
    expect(host.info).toEqual({ host: 'unix:///run/mine.sock', from: 'DOCKER_HOST' });
    expect(host.warnings).toEqual([
      'DOCKER_HOST is set, so it is used and DOCKER_CONTEXT="other" is not, as the docker CLI does. To use the context, unset DOCKER_HOST.',
    ]);
    expect(resolve({ DOCKER_CONFIG: configFolder(), DOCKER_CONTEXT: 'default', DOCKER_HOST: 'unix:///run/mine.sock' }).warnings).toEqual(
      [],
    );
    expect(resolve({ DOCKER_CONFIG: dir, DOCKER_HOST: 'unix:///run/mine.sock' }).warnings).toEqual([
      `DOCKER_HOST is set, so it is used and the current context "remote" (${dir}/config.json) is not, as the docker CLI does. To use the context, unset DOCKER_HOST.`,
    ]);
  });

  it('takes the context named "default" as the default endpoint, with no context file read', () => {
    const dir = configFolder({ config: { currentContext: 'remote' } });
    const endpoint = resolve({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'default' });
    expect(endpoint.info).toEqual({ host: 'unix:///var/run/docker.sock', from: 'default' });
    expect(endpoint.origin).toBe('context "default", set by DOCKER_CONTEXT');
  });

  it('turns TLS on with SkipTLSVerify, verifying nothing; an empty Host is the default socket; ssh hosts ignore TLS', () => {
    const dir = configFolder({
      contexts: {
        skip: { meta: meta('skip', 'tcp://127.0.0.1:23760', true) },
        empty: { meta: meta('empty', '') },
        viassh: { meta: meta('viassh', 'ssh://ci@builder.example'), tls: { 'ca.pem': certs.ca } },
      },
    });
    expect(resolve({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'skip' }).transport).toMatchObject({ kind: 'tcp', tls: { verify: false } });
    expect(resolve({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'empty' }).info).toEqual({
      host: 'unix:///var/run/docker.sock',
      from: 'context',
      context: 'empty',
    });
    expect(resolve({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'viassh' }).transport).toEqual({
      kind: 'ssh',
      user: 'ci',
      hostname: 'builder.example',
    });
  });

  it('says which context does not exist, where it was looked for, and how to list them', () => {
    const dir = configFolder({ config: { currentContext: 'gone' } });
    expect(failure({ DOCKER_CONFIG: dir })).toBe(
      `The Docker context "gone" (the current context in ${dir}/config.json) does not exist: there is no ${dir}/contexts/meta/${contextDirName('gone')}/meta.json ` +
        `(contexts are looked for under ${dir}/contexts, as DOCKER_CONFIG="${dir}" says). docker context ls lists the contexts; choose one with docker context use NAME or DOCKER_CONTEXT, or set DOCKER_HOST.`,
    );
    expect(failure({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'nope' })).toMatch(
      /^The Docker context "nope" \(set by DOCKER_CONTEXT\) does not exist: /,
    );
  });

  it('says which meta.json cannot be read or has no Docker endpoint', () => {
    const dir = configFolder({
      contexts: {
        broken: { meta: '{"Name": "broken", ' },
        bare: { meta: { Name: 'bare', Endpoints: {} } },
        odd: { meta: meta('odd', 'http://x') },
      },
    });
    const file = (name: string) => `${dir}/contexts/meta/${contextDirName(name)}/meta.json`;
    expect(failure({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'broken' })).toMatch(
      new RegExp(
        `^The Docker context "broken" \\(set by DOCKER_CONTEXT\\) could not be read: ${file('broken')} is not valid JSON \\(.+\\)\\. Recreate the context \\(docker context rm broken, then docker context create\\), or choose another\\.$`,
      ),
    );
    expect(failure({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'bare' })).toBe(
      `The Docker context "bare" (set by DOCKER_CONTEXT) has no Docker endpoint (Endpoints.docker in ${file('bare')}). Recreate it with docker context create bare --docker host=…, or choose another.`,
    );
    expect(failure({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'odd' })).toMatch(
      /^the context "odd"'s host "http:\/\/x" \(.*meta\.json\) is not a Docker host: the scheme "http:\/\/" is not one the docker CLI knows/,
    );

    const unreadable = configFolder();
    mkdirSync(path.join(unreadable, 'contexts', 'meta', contextDirName('dir'), 'meta.json'), { recursive: true });
    expect(failure({ DOCKER_CONFIG: unreadable, DOCKER_CONTEXT: 'dir' })).toMatch(
      /^The Docker context "dir" \(set by DOCKER_CONTEXT\) could not be read: .*meta\.json: it is a folder, not a file\.$/,
    );
  });

  it('names the context TLS file that cannot be used', () => {
    const dir = configFolder({
      contexts: { half: { meta: meta('half', 'tcp://127.0.0.1:23760'), tls: { 'ca.pem': certs.ca, 'key.pem': certs.clientKey } } },
    });
    const tlsDir = path.join(dir, 'contexts', 'tls', contextDirName('half'), 'docker');
    expect(failure({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'half' })).toBe(
      `TLS for the Docker engine (the context "half"): ${tlsDir}/key.pem is there but ${tlsDir}/cert.pem is not; a client certificate needs both (cert.pem and key.pem).`,
    );
  });

  it('warns about a config.json it cannot parse and uses the default endpoint, as the docker CLI does', () => {
    const dir = configFolder({ config: '{"currentContext": ' });
    const endpoint = resolve({ DOCKER_CONFIG: dir });
    expect(endpoint.info).toEqual({ host: 'unix:///var/run/docker.sock', from: 'default' });
    expect(endpoint.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^The docker CLI's config file ${dir}/config\\.json is not valid JSON \\(.+\\), so no current context is taken from it\\.$`,
        ),
      ),
    ]);
  });
});

describe('what the log and ssh are given', () => {
  it('writes one line naming the engine, what chose it and its versions', () => {
    const info = { serverVersion: '28.5.2', apiVersion: '1.51' };
    expect(engineLine({ ...info, endpoint: { host: 'tcp://127.0.0.1:23760', from: 'context', context: 'remote' } })).toBe(
      'Docker engine: tcp://127.0.0.1:23760 (context "remote"), Docker 28.5.2, API 1.51',
    );
    expect(engineLine({ ...info, endpoint: { host: 'unix:///var/run/docker.sock', from: 'default' } })).toBe(
      'Docker engine: unix:///var/run/docker.sock (default), Docker 28.5.2, API 1.51',
    );
    expect(engineLine({ ...info, endpoint: { host: 'tcp://10.0.0.5:2375', from: 'DOCKER_HOST' } })).toBe(
      'Docker engine: tcp://10.0.0.5:2375 (DOCKER_HOST), Docker 28.5.2, API 1.51',
    );
  });

  it('runs ssh as the docker CLI does: user, port, a connect timeout, no terminal, and docker system dial-stdio there', () => {
    expect(sshArguments({ kind: 'ssh', hostname: 'builder.example' })).toEqual([
      '-o',
      'ConnectTimeout=30',
      '-T',
      '--',
      'builder.example',
      'docker system dial-stdio',
    ]);
    expect(sshArguments({ kind: 'ssh', hostname: 'builder.example', user: 'ci', port: '2222', socketPath: "/run/it's.sock" })).toEqual([
      '-l',
      'ci',
      '-p',
      '2222',
      '-o',
      'ConnectTimeout=30',
      '-T',
      '--',
      'builder.example',
      `docker '--host=unix:///run/it'\\''s.sock' system dial-stdio`,
    ]);
  });
});
