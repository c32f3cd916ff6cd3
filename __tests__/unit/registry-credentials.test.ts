// Reading the docker CLI's config.json from temp dirs (credential helpers are run in __tests__/registry/).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { authKey, CredentialStore } from '../../src/registry/credentials.js';
import { tempDir } from '../support/workspace.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function configDir(config: unknown): string {
  const dir = tempDir('docker-config');
  writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

describe('CredentialStore (config.json)', () => {
  it("DOCKER_CONFIG's config.json: an auth entry gives user and password; secrets() lists them and the base64", async () => {
    const dir = configDir({ auths: { 'ghcr.io': { auth: b64('me:s3cret:with:colons') } } });
    const store = await CredentialStore.open({ env: { DOCKER_CONFIG: dir } });
    expect(await store.get('ghcr.io')).toEqual({
      source: `auths entry for ghcr.io in ${path.join(dir, 'config.json')}`,
      username: 'me',
      password: 's3cret:with:colons',
    });
    expect(store.secrets()).toEqual(expect.arrayContaining([b64('me:s3cret:with:colons'), 's3cret:with:colons']));
  });

  it("HOME's .docker/config.json when DOCKER_CONFIG is unset; Docker Hub under https://index.docker.io/v1/", async () => {
    const home = tempDir('home');
    mkdirSync(path.join(home, '.docker'));
    writeFileSync(
      path.join(home, '.docker/config.json'),
      JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: b64('hub:pw') } } }),
    );
    const store = await CredentialStore.open({ env: { HOME: home } });
    expect(await store.get('docker.io')).toMatchObject({ username: 'hub', password: 'pw' });
    expect(authKey('docker.io')).toBe('https://index.docker.io/v1/');
  });

  it('keys written as URLs match by host name, as the docker CLI matches them', async () => {
    const store = await CredentialStore.open({
      env: { DOCKER_CONFIG: configDir({ auths: { 'https://registry.example.com/v1/': { auth: b64('u:p') } } }) },
    });
    expect(await store.get('registry.example.com')).toMatchObject({ username: 'u' });
    expect(await store.get('other.example.com')).not.toHaveProperty('username');
  });

  it('identitytoken and registrytoken entries', async () => {
    const store = await CredentialStore.open({
      env: { DOCKER_CONFIG: configDir({ auths: { 'a.io': { identitytoken: 'refresh-me' }, 'b.io': { registrytoken: 'bearer-me' } } }) },
    });
    expect(await store.get('a.io')).toMatchObject({ identityToken: 'refresh-me' });
    expect(await store.get('b.io')).toMatchObject({ registryToken: 'bearer-me' });
    expect(store.secrets()).toEqual(expect.arrayContaining(['refresh-me', 'bearer-me']));
  });

  it('no file, an empty entry (a credsStore placeholder): anonymous, saying where it looked', async () => {
    const none = await CredentialStore.open({ env: { DOCKER_CONFIG: tempDir('empty') } });
    expect(await none.get('ghcr.io')).toEqual({ source: expect.stringMatching(/^no credentials \(none for ghcr.io in .*config.json\)$/) });
    const empty = await CredentialStore.open({ env: { DOCKER_CONFIG: configDir({ auths: { 'ghcr.io': {} } }) } });
    expect(await empty.get('ghcr.io')).not.toHaveProperty('username');
  });

  it('a config.json that is not JSON, or an auth that is not user:password: user errors naming the file', async () => {
    const dir = configDir('{ not json');
    await expect(CredentialStore.open({ env: { DOCKER_CONFIG: dir } })).rejects.toThrow(InputError);
    await expect(CredentialStore.open({ env: { DOCKER_CONFIG: dir } })).rejects.toThrow(path.join(dir, 'config.json'));
    const bad = await CredentialStore.open({ env: { DOCKER_CONFIG: configDir({ auths: { 'x.io': { auth: b64('nocolon') } } }) } });
    await expect(bad.get('x.io')).rejects.toThrow(/not base64 of user:password/);
  });
});
