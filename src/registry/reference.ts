/**
 * Image references parsed as the docker CLI parses them (distribution/reference's ParseNormalizedNamed): a name
 * without a registry is Docker Hub's (`docker.io`), a one-part Docker Hub name is under `library/`, and a
 * reference without tag or digest means `:latest`. Pure.
 */
import { InputError, quote } from '../errors.js';
import type { ImageReference } from './types.js';

export const DOCKER_HUB = 'docker.io';
/** Where the docker CLI keeps Docker Hub's credentials (config.json `auths` key, credential helper server). */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';
/** The host Docker Hub's API answers on. */
export const DOCKER_HUB_API = 'registry-1.docker.io';

// The grammar of distribution/reference (regexp.go).
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|${IPV6})(?::[0-9]+)?`;
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const SHA256_RE = /^sha256:[0-9a-f]{64}$/;
const NAME_MAX = 255;

const ACCEPTED =
  'accepted: [REGISTRY/]REPOSITORY[:TAG][@DIGEST], e.g. python:3.12-slim, ghcr.io/acme/app:main, 127.0.0.1:5000/app@sha256:…';

function refused(text: string, why: string): InputError {
  return new InputError(`image reference ${quote(text)}: ${why} (${ACCEPTED})`);
}

/** `text` as the docker CLI reads it; an InputError naming the reference and what is wrong otherwise. */
export function parseReference(text: string): ImageReference {
  if (text.trim() === '') throw refused(text, 'it is empty');
  if (text !== text.trim()) throw refused(text, 'it has spaces around it');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest))
      throw refused(text, `${quote(digest)} is not a digest (ALGORITHM:HEX, e.g. sha256:` + '0'.repeat(8) + '…)');
    if (digest.startsWith('sha256:') && !SHA256_RE.test(digest)) throw refused(text, `a sha256 digest is 64 lower-case hex digits`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag))
      throw refused(text, `${quote(tag)} is not a tag (letters, digits, _ . -, at most 128, not starting with . or -)`);
  }
  if (rest === '') throw refused(text, 'it names no repository');
  if (rest.length > NAME_MAX) throw refused(text, `the name is longer than ${NAME_MAX} characters`);

  // splitDockerDomain: the first part is a registry when it has a dot or a port, or is localhost, or has upper case.
  let registry = DOCKER_HUB;
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first) {
      registry = first;
      repository = rest.slice(slash + 1);
    }
  }
  if (!DOMAIN_RE.test(registry)) throw refused(text, `${quote(registry)} is not a registry host[:port]`);
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (repository.toLowerCase() !== repository) throw refused(text, 'a repository name must be lower case');
  if (!PATH_RE.test(repository)) {
    throw refused(
      text,
      `${quote(repository)} is not a repository name (lower-case letters, digits and . _ - separators, parts joined by /)`,
    );
  }
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { text, registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** What the registry API is asked for: the digest when there is one (as docker pulls), else the tag. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** `host` or `host:port` is a loopback address: Docker lets those registries speak plain HTTP. */
export function isLoopback(registry: string): boolean {
  const host = hostOf(registry).toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** `registry` without its port (and without the brackets of an IPv6 address). */
export function hostOf(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(1, registry.indexOf(']'));
  const colon = registry.lastIndexOf(':');
  // A bare IPv6 address (no brackets, several colons) has no port.
  if (registry.indexOf(':') !== colon) return registry;
  return colon >= 0 ? registry.slice(0, colon) : registry;
}

/** The host the API of `registry` answers on (Docker Hub's differs from its name). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/** `name:tag@digest` as the docker CLI prints it (familiar: without docker.io/ and library/). */
export function familiar(ref: ImageReference): string {
  let name = ref.registry === DOCKER_HUB ? ref.repository.replace(/^library\/(?=[^/]+$)/, '') : `${ref.registry}/${ref.repository}`;
  if (ref.tag) name += `:${ref.tag}`;
  if (ref.digest) name += `@${ref.digest}`;
  return name;
}
