// A small loopback token server speaking distribution's token auth (docs/spec/auth/token.md, registry/auth/token
// in distribution 2.8): GET /token?service=&scope= with Basic credentials (or none: an anonymous token without
// access), or POST /token with the OAuth2 refresh-token grant and an identity token. Its JWTs are RS256, with the
// signing certificate in `x5c`; the registry trusts them through `rootcertbundle` (that same certificate).
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { makeCertificates } from './tls-certs.js';

export interface TokenServer {
  realm: string;
  /** The PEM file the registry's rootcertbundle names. */
  certificate: string;
  /** The identity token (refresh token) it accepts. */
  identityToken: string;
  /** Every request, for assertions: how it asked and whether it was granted access. */
  requests: { method: string; grant?: string; basic: boolean; granted: boolean }[];
  /** Every token it issued. */
  issued: string[];
  stop(): Promise<void>;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export async function startTokenServer(
  port: number,
  options: { user: string; password: string; service: string; issuer: string },
): Promise<TokenServer> {
  const certs = makeCertificates('token-signer');
  const key = createPrivateKey(readFileSync(certs.caKey));
  const der = new X509Certificate(readFileSync(certs.ca)).raw;
  const identityToken = `idtok-${randomUUID()}`;
  const requests: TokenServer['requests'] = [];
  const issued: string[] = [];

  const jwt = (scope: string | null, granted: boolean, subject: string): string => {
    const header = { typ: 'JWT', alg: 'RS256', x5c: [der.toString('base64')] };
    const now = Math.floor(Date.now() / 1000);
    const access = [];
    const match = scope ? /^repository:([^:]+):(.+)$/.exec(scope) : null;
    if (granted && match) access.push({ type: 'repository', name: match[1], actions: match[2].split(',').filter((a) => a === 'pull') });
    const claims = {
      iss: options.issuer,
      sub: subject,
      aud: options.service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const token = `${signingInput}.${b64url(sign('sha256', Buffer.from(signingInput), key))}`;
    issued.push(token);
    return token;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      const answer = (status: number, body: object) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname !== '/token') return answer(404, { error: 'not found' });
      if (req.method === 'POST') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const grant = form.get('grant_type') ?? '';
        const ok = grant === 'refresh_token' && form.get('refresh_token') === identityToken && form.get('service') === options.service;
        requests.push({ method: 'POST', grant, basic: false, granted: ok });
        if (!ok) return answer(401, { error: 'invalid_grant' });
        return answer(200, { access_token: jwt(form.get('scope'), true, options.user), expires_in: 300, scope: form.get('scope') });
      }
      const authorization = req.headers.authorization ?? '';
      const basic = authorization.startsWith('Basic ');
      if (basic) {
        const [user, ...rest] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':');
        const ok = user === options.user && rest.join(':') === options.password;
        requests.push({ method: 'GET', basic, granted: ok });
        if (!ok) return answer(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
        return answer(200, { token: jwt(url.searchParams.get('scope'), true, user), expires_in: 300 });
      }
      // Anonymous: a token, but without access (as Docker Hub gives for a private repository).
      requests.push({ method: 'GET', basic, granted: false });
      return answer(200, { token: jwt(url.searchParams.get('scope'), false, ''), expires_in: 300 });
    });
  });
  await new Promise<void>((resolve, reject) => server.listen(port, '127.0.0.1', resolve).on('error', reject));
  return {
    realm: `http://127.0.0.1:${port}/token`,
    certificate: certs.ca,
    identityToken,
    requests,
    issued,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(certs.dir, { recursive: true, force: true });
    },
  };
}
