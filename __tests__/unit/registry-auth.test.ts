import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate, tokenOf } from '../../src/registry/auth.js';

describe('parseWwwAuthenticate', () => {
  it("Docker Hub's Bearer challenge", () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull"',
      ),
    ).toEqual([
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/python:pull' },
      },
    ]);
  });

  it('Basic, unquoted values, spaces, and several challenges in one header', () => {
    expect(parseWwwAuthenticate('Basic realm="Registry Realm"')).toEqual([{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
    expect(parseWwwAuthenticate('Bearer realm=https://t.example/token , service = reg, Basic realm="x"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://t.example/token', service: 'reg' } },
      { scheme: 'basic', params: { realm: 'x' } },
    ]);
  });

  it('quoted strings keep commas and escaped quotes; parameter names are case-insensitive', () => {
    expect(parseWwwAuthenticate('BEARER Realm="https://t/token",Scope="repository:a:pull,push",error="say \\"hi\\""')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://t/token', scope: 'repository:a:pull,push', error: 'say "hi"' } },
    ]);
  });

  it('nothing usable: no challenge', () => {
    expect(parseWwwAuthenticate('')).toEqual([]);
    expect(parseWwwAuthenticate('realm="x"')).toEqual([]);
  });
});

describe('tokenOf', () => {
  it('token (distribution) or access_token (OAuth2), with expires_in', () => {
    expect(tokenOf({ token: 'a', expires_in: 300 })).toEqual({ token: 'a', expiresInSeconds: 300 });
    expect(tokenOf({ access_token: 'b' })).toEqual({ token: 'b' });
    expect(tokenOf({ token: '', access_token: 'c' })).toEqual({ token: 'c' });
    expect(tokenOf({})).toBeUndefined();
    expect(tokenOf('x')).toBeUndefined();
  });
});
