import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { familiar, isLoopback, parseReference } from '../../src/registry/reference.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseReference: as the docker CLI (distribution/reference ParseNormalizedNamed)', () => {
  it.each([
    ['python', { registry: 'docker.io', repository: 'library/python', tag: 'latest' }],
    ['python:3.12-slim', { registry: 'docker.io', repository: 'library/python', tag: '3.12-slim' }],
    ['acme/app', { registry: 'docker.io', repository: 'acme/app', tag: 'latest' }],
    ['docker.io/python', { registry: 'docker.io', repository: 'library/python', tag: 'latest' }],
    ['index.docker.io/acme/app:1', { registry: 'docker.io', repository: 'acme/app', tag: '1' }],
    ['ghcr.io/acme/app:main', { registry: 'ghcr.io', repository: 'acme/app', tag: 'main' }],
    ['ghcr.io/app', { registry: 'ghcr.io', repository: 'app', tag: 'latest' }],
    ['localhost/app', { registry: 'localhost', repository: 'app', tag: 'latest' }],
    ['localhost:5000/a/b/c:v1', { registry: 'localhost:5000', repository: 'a/b/c', tag: 'v1' }],
    ['127.0.0.1:5000/app', { registry: '127.0.0.1:5000', repository: 'app', tag: 'latest' }],
    ['[::1]:5000/app:x', { registry: '[::1]:5000', repository: 'app', tag: 'x' }],
    [`app@${DIGEST}`, { registry: 'docker.io', repository: 'library/app', digest: DIGEST }],
    [`ghcr.io/a/b:1.0@${DIGEST}`, { registry: 'ghcr.io', repository: 'a/b', tag: '1.0', digest: DIGEST }],
    ['Registry/app', { registry: 'Registry', repository: 'app', tag: 'latest' }],
    ['a__b/c-d.e_f', { registry: 'docker.io', repository: 'a__b/c-d.e_f', tag: 'latest' }],
  ])('%s', (text, expected) => {
    const ref = parseReference(text);
    expect(ref).toEqual({ text, ...expected });
    if (!('digest' in expected)) expect(ref.digest).toBeUndefined();
  });

  it.each([
    ['', 'empty'],
    [' python', 'spaces'],
    ['Python', 'lower case'],
    ['acme/App', 'lower case'],
    ['python:', 'not a tag'],
    ['python:-x', 'not a tag'],
    [`python:${'x'.repeat(129)}`, 'not a tag'],
    ['python@sha256:abc', 'not a digest'],
    [`python@sha256:${'AB'.repeat(32)}`, '64 lower-case'],
    ['a//b', 'not a repository name'],
    ['ghcr.io/', 'not a repository name'],
    ['-bad.io:x/app', 'not a registry'],
    [`${'a'.repeat(256)}`, 'longer than 255'],
  ])('%j is refused, naming it (%s)', (text, why) => {
    let error: unknown;
    try {
      parseReference(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain('image reference "');
    expect((error as Error).message).toContain(why);
  });

  it('familiar names drop docker.io and library/ as the docker CLI prints them', () => {
    expect(familiar(parseReference('docker.io/library/python'))).toBe('python:latest');
    expect(familiar(parseReference('acme/app:1'))).toBe('acme/app:1');
    expect(familiar(parseReference(`ghcr.io/a/b@${DIGEST}`))).toBe(`ghcr.io/a/b@${DIGEST}`);
  });

  it('loopback registries: localhost, 127.0.0.0/8, ::1, with or without a port', () => {
    for (const r of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000', '::1'])
      expect(isLoopback(r), r).toBe(true);
    for (const r of ['ghcr.io', 'docker.io', '10.0.0.1:5000', '128.0.0.1', 'localhost.example.com', '127.0.0.1.nip.io'])
      expect(isLoopback(r), r).toBe(false);
  });
});
