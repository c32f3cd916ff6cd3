// TLS certificates for a Docker engine on a loopback TCP port, made with openssl as the Docker docs make them: a CA,
// a server certificate for IP 127.0.0.1 and a client certificate for client authentication, each signed by the CA.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './workspace.js';

export interface Certificates {
  dir: string;
  /** The CA's certificate (what clients trust, and what the engine checks client certificates against). */
  ca: string;
  caKey: string;
  /** The engine's certificate (subjectAltName IP:127.0.0.1) and key. */
  serverCert: string;
  serverKey: string;
  /** A client certificate (extendedKeyUsage clientAuth) and key. */
  clientCert: string;
  clientKey: string;
  /** A folder as DOCKER_CERT_PATH wants it: ca.pem, cert.pem, key.pem. */
  certPath: string;
}

function openssl(cwd: string, ...args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT')
      throw new Error('openssl is not installed, and the TLS tests make their certificates with it: apt-get install openssl', {
        cause: error,
      });
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString() ?? e.message}`, { cause: error });
  }
}

/** A CA and the certificates it signs, in a new temporary folder. `name` goes into the CA's subject. */
export function makeCertificates(name: string): Certificates {
  const dir = tempDir(`tls-${name}`);
  const days = '2';
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    days,
    '-subj',
    `/CN=image-size-report test CA ${name}`,
  );
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [who, subject] of [
    ['server', '/CN=127.0.0.1'],
    ['client', '/CN=client'],
  ] as const) {
    openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}-key.pem`, '-out', `${who}.csr`, '-subj', subject);
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-out',
      `${who}-cert.pem`,
      '-days',
      days,
      '-extfile',
      `${who}.ext`,
    );
  }
  const certPath = path.join(dir, 'client');
  mkdirSync(certPath);
  copyFileSync(path.join(dir, 'ca.pem'), path.join(certPath, 'ca.pem'));
  copyFileSync(path.join(dir, 'client-cert.pem'), path.join(certPath, 'cert.pem'));
  copyFileSync(path.join(dir, 'client-key.pem'), path.join(certPath, 'key.pem'));
  const file = (f: string) => path.join(dir, f);
  return {
    dir,
    ca: file('ca.pem'),
    caKey: file('ca-key.pem'),
    serverCert: file('server-cert.pem'),
    serverKey: file('server-key.pem'),
    clientCert: file('client-cert.pem'),
    clientKey: file('client-key.pem'),
    certPath,
  };
}
