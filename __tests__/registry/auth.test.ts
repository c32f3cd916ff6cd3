// The registry client's credentials and auth handshake against real registries: htpasswd basic auth and token
// auth (distribution's, against the loopback token server of __tests__/support/token-server.ts), credentials
// from a docker CLI config.json (auth, identitytoken) and from credential helpers. No secret in any message.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUserError } from '../../src/errors.js';
import { createRegistry, type RegistryOptions } from '../../src/registry/client.js';
import type { RegistryLookup } from '../../src/registry/types.js';
import {
  basicAuth,
  credentialHelper,
  dockerConfig,
  recordingLog,
  seedImages,
  type Seeded,
  removeScratch,
} from '../support/registry-client.js';
import { PASSWORD, startRegistries, USER, type Registries } from '../support/registries.js';

let servers: Registries;
let seeded: Seeded;
const log = recordingLog();
const WRONG = 'pw-wrong-but-long-enough';
/** Every message the tests saw: none may hold a secret. */
const messages: string[] = [];
const amd64 = { os: 'linux', architecture: 'amd64' };

beforeAll(async () => {
  servers = await startRegistries();
  seeded = await seedImages(servers.plain.addr);
});

afterAll(async () => {
  const secrets = [
    PASSWORD,
    WRONG,
    basicAuth(USER, PASSWORD),
    basicAuth(USER, WRONG),
    servers.tokenServer.identityToken,
    ...servers.tokenServer.issued,
  ];
  for (const text of [...messages, ...log.lines]) for (const secret of secrets) expect(text).not.toContain(secret);
  await servers?.stop();
  removeScratch();
});

async function client(config: object | undefined, extra: Partial<RegistryOptions> & { path?: string } = {}) {
  const env: NodeJS.ProcessEnv = { HOME: '/nonexistent', PATH: extra.path ? `${extra.path}:${process.env.PATH}` : process.env.PATH };
  if (config) env.DOCKER_CONFIG = dockerConfig(config);
  return { registry: await createRegistry({ env, log, timeoutMs: 5000, retries: 1, retryMinMs: 50, ...extra }), env };
}

async function refusal(promise: Promise<RegistryLookup>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isUserError(error), String(error)).toBe(true);
  const message = (error as Error).message;
  messages.push(message);
  return message;
}

describe('basic auth (htpasswd)', () => {
  it('with the auths entry of config.json: found, and secrets() has the password and the base64 auth', async () => {
    const { registry } = await client({ auths: { [servers.basic.addr]: { auth: basicAuth(USER, PASSWORD) } } });
    const found = await registry.image(`${servers.basic.addr}/tests/app:single`, amd64);
    expect(found.found && found.image.manifestDigest).toBe(seeded.amd64.manifest.digest);
    expect(registry.secrets()).toEqual(expect.arrayContaining([PASSWORD, basicAuth(USER, PASSWORD)]));
  });

  it('an auths entry keyed by URL (https://host/v1/) is found as the docker CLI finds it', async () => {
    const { registry } = await client({ auths: { [`https://${servers.basic.addr}/v1/`]: { auth: basicAuth(USER, PASSWORD) } } });
    expect((await registry.image(`${servers.basic.addr}/tests/app:single`, amd64)).found).toBe(true);
  });

  it('a wrong password: a user error naming the auths entry and config.json, never the password', async () => {
    const { registry, env } = await client({ auths: { [servers.basic.addr]: { auth: basicAuth(USER, WRONG) } } });
    const message = await refusal(registry.image(`${servers.basic.addr}/tests/app:single`, amd64));
    expect(message).toContain(`${servers.basic.addr}/tests/app:single`);
    expect(message).toContain(`auths entry for ${servers.basic.addr} in ${path.join(env.DOCKER_CONFIG!, 'config.json')}`);
    expect(message).toContain('401');
    expect(message).toContain('docker login');
  });

  it('no credentials: a user error that says so', async () => {
    const { registry } = await client(undefined);
    const message = await refusal(registry.image(`${servers.basic.addr}/tests/app:single`, amd64));
    expect(message).toContain('no credentials');
    expect(message).toContain('/nonexistent/.docker/config.json');
  });

  it('a credential helper (credHelpers): run with the server on stdin', async () => {
    const helper = credentialHelper('isrtest', { [servers.basic.addr]: { Username: USER, Secret: PASSWORD } });
    const { registry } = await client({ credHelpers: { [servers.basic.addr]: 'isrtest' } }, { path: helper.dir });
    const found = await registry.image(`${servers.basic.addr}/tests/app:multi`, { os: 'linux', architecture: 'arm64' });
    expect(found.found && found.image.manifestDigest).toBe(seeded.arm64.manifest.digest);
    expect(readFileSync(helper.calls, 'utf8')).toBe(`${servers.basic.addr}\n`);
    expect(registry.secrets()).toContain(PASSWORD);
  });

  it('a credential helper whose secret is refused: the error names the helper', async () => {
    const helper = credentialHelper('isrwrong', { [servers.basic.addr]: { Username: USER, Secret: WRONG } });
    const { registry } = await client({ credsStore: 'isrwrong' }, { path: helper.dir });
    const message = await refusal(registry.image(`${servers.basic.addr}/tests/app:single`, amd64));
    expect(message).toContain('credential helper docker-credential-isrwrong');
  });

  it('a credential helper not on PATH: a user error naming it', async () => {
    const { registry } = await client({ credHelpers: { [servers.basic.addr]: 'isrmissing' } });
    const message = await refusal(registry.image(`${servers.basic.addr}/tests/app:single`, amd64));
    expect(message).toContain('docker-credential-isrmissing is not on PATH');
  });
});

describe('token auth (Bearer, distribution 2.8 against a loopback token server)', () => {
  it('Basic credentials to the token server: a token for repository:NAME:pull, cached for the next requests', async () => {
    const before = servers.tokenServer.requests.length;
    const { registry } = await client({ auths: { [servers.token.addr]: { auth: basicAuth(USER, PASSWORD) } } });
    const found = await registry.image(`${servers.token.addr}/tests/app:single`, amd64);
    if (!found.found) throw new Error(found.reason);
    expect(found.image.configDigest).toBe(seeded.amd64.config.digest);
    const blob = await registry.openBlob(found.image, found.image.layers[0]);
    const chunks: Buffer[] = [];
    for await (const c of blob) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(seeded.amd64.layers[0].bytes);
    const asked = servers.tokenServer.requests.slice(before);
    expect(asked).toEqual([{ method: 'GET', basic: true, granted: true }]);
    const token = servers.tokenServer.issued.at(-1)!;
    expect(registry.secrets()).toEqual(expect.arrayContaining([PASSWORD, token]));
  });

  it('an identity token (config.json identitytoken): the OAuth2 refresh-token grant, answered with access_token', async () => {
    const before = servers.tokenServer.requests.length;
    const { registry } = await client({ auths: { [servers.token.addr]: { identitytoken: servers.tokenServer.identityToken } } });
    expect((await registry.image(`${servers.token.addr}/tests/app:single`, amd64)).found).toBe(true);
    expect(servers.tokenServer.requests.slice(before)).toEqual([{ method: 'POST', grant: 'refresh_token', basic: false, granted: true }]);
    expect(registry.secrets()).toEqual(expect.arrayContaining([servers.tokenServer.identityToken, servers.tokenServer.issued.at(-1)]));
  });

  it('a credential helper answering Username <token>: its secret is an identity token', async () => {
    const helper = credentialHelper('isrtoken', {
      [servers.token.addr]: { Username: '<token>', Secret: servers.tokenServer.identityToken },
    });
    const before = servers.tokenServer.requests.length;
    const { registry } = await client({ credsStore: 'isrtoken' }, { path: helper.dir });
    expect((await registry.image(`${servers.token.addr}/tests/app:single`, amd64)).found).toBe(true);
    expect(servers.tokenServer.requests.slice(before).map((r) => r.method)).toEqual(['POST']);
  });

  it('anonymous: the token server gives a token without access, and the refusal says no credentials were found', async () => {
    const { registry } = await client({});
    const message = await refusal(registry.image(`${servers.token.addr}/tests/app:single`, amd64));
    expect(message).toContain('no credentials');
    expect(message).toContain('401');
  });

  it('a wrong password: the token server refuses, and the error names the source, never the password', async () => {
    const { registry } = await client({ auths: { [servers.token.addr]: { auth: basicAuth(USER, WRONG) } } });
    const message = await refusal(registry.image(`${servers.token.addr}/tests/app:single`, amd64));
    expect(message).toContain(`auths entry for ${servers.token.addr}`);
    expect(message).toContain('token server');
  });

  it('a repository that does not exist, with access: found false', async () => {
    const { registry } = await client({ auths: { [servers.token.addr]: { auth: basicAuth(USER, PASSWORD) } } });
    expect(await registry.image(`${servers.token.addr}/tests/absent:1`, amd64)).toEqual({
      found: false,
      reason: expect.stringContaining('404'),
    });
  });
});
