/**
 * The registry auth handshake (distribution's token auth, as the docker CLI and containerd speak it): a request
 * goes out anonymous; a 401 names the scheme in `WWW-Authenticate`. Basic: the credentials on each request.
 * Bearer: a token from the realm for the service and scope (`repository:NAME:pull`), asked for with Basic
 * credentials when known, or by the OAuth2 refresh-token grant (a POST) with an identity token; anonymous
 * otherwise. Tokens are cached per registry and scope until they expire.
 */

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * The challenges of a `WWW-Authenticate` header (RFC 7235: `Bearer realm="…",service="…",scope="…"`; several
 * challenges may be separated by commas; quoted strings may hold commas and escaped quotes). Pure.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i])) i++;
    return header.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < n) {
    skipSpace();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const word = token();
    if (!word) {
      i++;
      continue;
    }
    skipSpace();
    if (header[i] === '=') {
      // A parameter of the current challenge (or token68 padding, which registries do not send).
      i++;
      skipSpace();
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        const vstart = i;
        while (i < n && header[i] !== ',' && header[i] !== ' ') i++;
        value = header.slice(vstart, i);
      }
      if (current) current.params[word.toLowerCase()] = value;
    } else {
      current = { scheme: word.toLowerCase(), params: {} };
      challenges.push(current);
    }
  }
  return challenges;
}

/** The scope a pull of `repository` needs. */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

/** A token endpoint's answer: `token` (distribution) or `access_token` (OAuth2); either is the bearer token. */
export function tokenOf(answer: unknown): { token: string; expiresInSeconds?: number } | undefined {
  if (typeof answer !== 'object' || answer === null) return undefined;
  const a = answer as { token?: unknown; access_token?: unknown; expires_in?: unknown };
  const token =
    typeof a.token === 'string' && a.token !== ''
      ? a.token
      : typeof a.access_token === 'string' && a.access_token !== ''
        ? a.access_token
        : undefined;
  if (!token) return undefined;
  return { token, ...(typeof a.expires_in === 'number' && a.expires_in > 0 ? { expiresInSeconds: a.expires_in } : {}) };
}
