// Finding a remote engine as the docker CLI does, for real: a second Docker engine of the test's own, of the kind
// under test (private-engine.ts), listens on a loopback TCP port with TLS, with certificates this file makes with
// openssl. The bundled CLI and action reach it through DOCKER_HOST with
// DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, and through contexts the real docker CLI creates (`docker context create`,
// `docker context use`) in a DOCKER_CONFIG of the test's own; every way it can go wrong is said plainly.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextDirName } from '../../src/docker/endpoint.js';
import { engineUnderTest } from '../support/engine-facts.js';
import type { Report } from '../../src/report/types.js';
import { fakeGitHubPerTest } from '../support/github/index.js';
import { startPrivateEngine, type PrivateEngine } from '../support/private-engine.js';
import { runAction } from '../support/run-action.js';
import { makeCertificates, type Certificates } from '../support/tls-certs.js';
import { pullRequestPayload } from '../support/webhook-payloads.js';
import { commitAll, repoFromFixture, tempDir } from '../support/workspace.js';

const CLI = path.resolve(import.meta.dirname, '../../dist/cli.js');
const VARIANTS = '{single-stage: Dockerfile.single, multi-stage: {dockerfile: Dockerfile, target: runtime}}';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The environment of a run: the test process's without any Docker variable, plus `env`. */
function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^DOCKER_/.test(name)));
  return { ...clean, ...env };
}

function cli(cwd: string, env: Record<string, string>, ...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, env: environment(env), encoding: 'utf8', timeout: 600_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The real docker CLI with a config folder of the test's own (the user's ~/.docker is never touched). */
function dockerCli(config: string, ...args: string[]): string {
  const result = spawnSync('docker', args, { env: environment({ DOCKER_CONFIG: config }), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** What a run measured, to compare runs over two connections to one engine. */
function measured(report: Report) {
  return report.variants.map((v) => {
    const h = v.head.status === 'built' ? v.head : undefined;
    return {
      name: v.name,
      size: h?.sizeBytes,
      compressed: h?.compressedBytes,
      engineSize: h?.engineSizeBytes,
      layers: h?.layers,
      details: h?.layerDetails,
    };
  });
}

describe(`a remote engine over TCP with TLS (a second ${engineUnderTest().name} of the test's own, on a loopback port)`, () => {
  let certs: Certificates;
  let stranger: Certificates; // a CA that signed nothing of the engine's
  let engine: PrivateEngine;
  let tcpHost: string;
  let port: number;
  let closedPort: number;
  let dir: string;
  /** What the engine says of itself, as the log line and the comment give it: `Docker 28.5.2+dfsg4, API 1.51`, and its driver. */
  let versions: string;
  let driver: string;

  beforeAll(async () => {
    certs = makeCertificates('engine');
    stranger = makeCertificates('stranger');
    port = await freePort();
    closedPort = await freePort();
    engine = await startPrivateEngine({ tcp: { port, ca: certs.ca, cert: certs.serverCert, key: certs.serverKey } });
    tcpHost = engine.tcpHost!;
    const [version, api] = engine.docker('version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}').trim().split(' ');
    versions = `Docker ${version}, API ${api}`;
    driver = engine.docker('info', '--format', '{{.Driver}}').trim();
    dir = repoFromFixture('tiny-app').dir;
  });
  afterAll(async () => {
    await engine?.stop();
  });

  const tlsEnv = () => ({ DOCKER_HOST: tcpHost, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs.certPath });

  it("DOCKER_HOST=tcp:// with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH measures what the engine's socket measures, and names the engine", () => {
    const json = path.join(tempDir('tls-json'), 'report.json');
    const overTls = cli(dir, tlsEnv(), '--variants', VARIANTS, '--cache-dir', 'none', '--json', json);
    expect(overTls.stderr.split('\n')[0]).toBe(`Docker engine: tcp://127.0.0.1:${port} (DOCKER_HOST), ${versions}`);
    expect(overTls.code).toBe(0);
    const remote = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(remote.engine.endpoint).toEqual({ host: `tcp://127.0.0.1:${port}`, from: 'DOCKER_HOST' });

    const overSocket = cli(dir, { DOCKER_HOST: engine.host }, '--variants', VARIANTS, '--cache-dir', 'none', '--json', json);
    expect(overSocket.stderr.split('\n')[0]).toBe(`Docker engine: ${engine.host} (DOCKER_HOST), ${versions}`);
    expect(overSocket.code).toBe(0);
    const local = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(local.engine.endpoint).toEqual({ host: engine.host, from: 'DOCKER_HOST' });
    expect(measured(remote)).toEqual(measured(local));
    expect(measured(remote).map((v) => [v.name, typeof v.size, typeof v.compressed])).toEqual([
      ['single-stage', 'number', 'number'],
      ['multi-stage', 'number', 'number'],
    ]);
    expect(
      engine
        .docker('images', '--format', '{{.Repository}}')
        .split('\n')
        .filter((r) => r.startsWith('image-size-report/')),
    ).toEqual([]);
  });

  it('uses the context that docker context create and docker context use made, and names it in the log, the report and the Markdown', () => {
    const config = tempDir('docker-config');
    dockerCli(
      config,
      'context',
      'create',
      'remote',
      '--docker',
      `host=${tcpHost},ca=${certs.ca},cert=${certs.clientCert},key=${certs.clientKey}`,
    );
    dockerCli(config, 'context', 'use', 'remote');
    // The store is laid out as src/docker/endpoint.ts reads it.
    expect(
      JSON.parse(readFileSync(path.join(config, 'contexts', 'meta', contextDirName('remote'), 'meta.json'), 'utf8')).Endpoints.docker.Host,
    ).toBe(tcpHost);

    const json = path.join(tempDir('context-json'), 'report.json');
    const run = cli(dir, { DOCKER_CONFIG: config }, '--variants', '{single-stage: Dockerfile.single}', '--json', json, '--markdown');
    expect(run.stderr.split('\n')[0]).toBe(`Docker engine: tcp://127.0.0.1:${port} (context "remote"), ${versions}`);
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(report.engine.endpoint).toEqual({ host: `tcp://127.0.0.1:${port}`, from: 'context', context: 'remote' });
    expect(report.variants[0].head.status).toBe('built');
    expect(run.stdout).toContain(`${versions.split(',')[0]} at \`tcp://127.0.0.1:${port}\` (context \`remote\`), ${driver}; `);
  });

  it('lets DOCKER_CONTEXT override the current context; the current one, on a closed port, says so', () => {
    const config = tempDir('docker-config');
    dockerCli(
      config,
      'context',
      'create',
      'remote',
      '--docker',
      `host=${tcpHost},ca=${certs.ca},cert=${certs.clientCert},key=${certs.clientKey}`,
    );
    dockerCli(config, 'context', 'create', 'closed', '--docker', `host=tcp://127.0.0.1:${closedPort}`);
    dockerCli(config, 'context', 'use', 'closed');

    const chosen = cli(
      dir,
      { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'remote' },
      '--variants',
      '{single-stage: Dockerfile.single}',
      '--no-compressed-size',
    );
    expect(chosen.stderr).toMatch(new RegExp(`^Docker engine: tcp://127\\.0\\.0\\.1:${port} \\(context "remote"\\), `));
    expect(chosen.code).toBe(0);

    const current = cli(dir, { DOCKER_CONFIG: config }, '--variants', '{single-stage: Dockerfile.single}');
    expect(current.code).toBe(2);
    expect(current.stderr).toBe(
      `image-size-report: The Docker engine is not reachable at tcp://127.0.0.1:${closedPort} (context "closed", the current context in ${config}/config.json): ` +
        `connection refused at 127.0.0.1:${closedPort} (nothing listens on that port). Start the engine there, or fix the context "closed" (docker context inspect closed), ` +
        'or choose another: docker context use NAME, DOCKER_CONTEXT or DOCKER_HOST.\n',
    );
  });

  it('says which context does not exist, where it looked, and how to list them', () => {
    const config = tempDir('docker-config');
    const run = cli(dir, { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'staging' }, '--variants', '{single-stage: Dockerfile.single}');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `image-size-report: The Docker context "staging" (set by DOCKER_CONTEXT) does not exist: there is no ${config}/contexts/meta/${contextDirName('staging')}/meta.json ` +
        `(contexts are looked for under ${config}/contexts, as DOCKER_CONFIG="${config}" says). docker context ls lists the contexts; choose one with docker context use NAME or DOCKER_CONTEXT, or set DOCKER_HOST.\n`,
    );
  });

  it('names the closed port of DOCKER_HOST', () => {
    const run = cli(dir, { ...tlsEnv(), DOCKER_HOST: `tcp://127.0.0.1:${closedPort}` }, '--variants', '{single-stage: Dockerfile.single}');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `image-size-report: The Docker engine is not reachable at tcp://127.0.0.1:${closedPort} (DOCKER_HOST): connection refused at 127.0.0.1:${closedPort} (nothing listens on that port). Start the engine there, or fix or unset DOCKER_HOST.\n`,
    );
  });

  it("names the CA that did not sign the engine's certificate, in DOCKER_CERT_PATH and in a context", () => {
    const wrongCa = tempDir('wrong-ca');
    for (const [from, to] of [
      [stranger.ca, 'ca.pem'],
      [certs.clientCert, 'cert.pem'],
      [certs.clientKey, 'key.pem'],
    ])
      writeFileSync(path.join(wrongCa, to), readFileSync(from));
    const env = cli(dir, { ...tlsEnv(), DOCKER_CERT_PATH: wrongCa }, '--variants', '{single-stage: Dockerfile.single}');
    expect(env.code).toBe(2);
    expect(env.stderr).toBe(
      `image-size-report: The Docker engine is not reachable at tcp://127.0.0.1:${port} (DOCKER_HOST): the engine's TLS certificate is not signed by the CA in ${wrongCa}/ca.pem ` +
        "(TLS said: UNABLE_TO_VERIFY_LEAF_SIGNATURE, unable to verify the first certificate). Use the CA that signed the engine's certificate (dockerd --tlscert), or fix or unset DOCKER_HOST.\n",
    );

    const config = tempDir('docker-config');
    dockerCli(
      config,
      'context',
      'create',
      'mistrust',
      '--docker',
      `host=${tcpHost},ca=${stranger.ca},cert=${certs.clientCert},key=${certs.clientKey}`,
    );
    const context = cli(dir, { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'mistrust' }, '--variants', '{single-stage: Dockerfile.single}');
    expect(context.code).toBe(2);
    const stored = `${config}/contexts/tls/${contextDirName('mistrust')}/docker/ca.pem`;
    expect(context.stderr).toContain(
      `the engine's TLS certificate is not signed by the CA in ${stored} (the copy docker context create made of its ca= file) (TLS said: UNABLE_TO_VERIFY_LEAF_SIGNATURE`,
    );
    expect(context.stderr).toMatch(
      /or fix the context "mistrust" \(docker context inspect mistrust\), or choose another: docker context use NAME, DOCKER_CONTEXT or DOCKER_HOST\.\n$/,
    );
  });

  it('says the engine refused a client certificate another CA signed, or a connection without one', () => {
    const foreign = tempDir('foreign-client');
    for (const [from, to] of [
      [certs.ca, 'ca.pem'],
      [stranger.clientCert, 'cert.pem'],
      [stranger.clientKey, 'key.pem'],
    ])
      writeFileSync(path.join(foreign, to), readFileSync(from));
    const refused = cli(dir, { ...tlsEnv(), DOCKER_CERT_PATH: foreign }, '--variants', '{single-stage: Dockerfile.single}');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^image-size-report: The Docker engine is not reachable at tcp://127\\.0\\.0\\.1:${port} \\(DOCKER_HOST\\): the engine refused the client certificate ${foreign}/cert\\.pem \\(TLS said: [^)]+\\)\\. ` +
          'The engine \\(dockerd --tlsverify\\) accepts client certificates signed by the CA of its --tlscacert and made for client authentication \\(extendedKeyUsage=clientAuth\\)',
      ),
    );

    const caOnly = tempDir('ca-only');
    writeFileSync(path.join(caOnly, 'ca.pem'), readFileSync(certs.ca));
    const none = cli(dir, { ...tlsEnv(), DOCKER_CERT_PATH: caOnly }, '--variants', '{single-stage: Dockerfile.single}');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      `the engine refused the connection, which had no client certificate (there is no cert.pem and key.pem in ${caOnly})`,
    );
  });

  it('says the engine speaks TLS when DOCKER_HOST reaches its TLS port without it', () => {
    const run = cli(dir, { DOCKER_HOST: tcpHost }, '--variants', '{single-stage: Dockerfile.single}');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `image-size-report: The Docker engine is not reachable at ${tcpHost} (DOCKER_HOST): the engine at 127.0.0.1:${port} speaks TLS, and this connection does not. ` +
        'Turn TLS on as for the docker CLI: DOCKER_TLS_VERIFY=1 with DOCKER_CERT_PATH set to the folder of ca.pem, cert.pem and key.pem, ' +
        `or a context made with docker context create NAME --docker host=${tcpHost},ca=…,cert=…,key=….\n`,
    );
  });

  describe('the action', () => {
    const github = fakeGitHubPerTest();

    it('uses the current context of DOCKER_CONFIG, names it in its log and its comment, and fails the step plainly when the context is gone', async () => {
      const config = tempDir('docker-config');
      dockerCli(
        config,
        'context',
        'create',
        'remote',
        '--docker',
        `host=${tcpHost},ca=${certs.ca},cert=${certs.clientCert},key=${certs.clientKey}`,
      );
      dockerCli(config, 'context', 'use', 'remote');
      const { dir: repo, sha: baseSha } = repoFromFixture('tiny-app');
      writeFileSync(path.join(repo, 'app.sh'), '#!/bin/sh\necho "grown"\n');
      const headSha = commitAll(repo, 'change');
      const options = (env: Record<string, string>) => ({
        workspace: repo,
        inputs: { variants: 'single-stage: Dockerfile.single\n' },
        eventName: 'pull_request',
        payload: pullRequestPayload({
          action: 'opened',
          owner: 'octo-org',
          repo: 'shop',
          number: 7,
          baseSha,
          headSha,
          baseRef: 'main',
          headRef: 'grow',
        }),
        repository: 'octo-org/shop',
        apiUrl: github.server.url,
        token: github.server.token,
        sha: headSha,
        // DOCKER_HOST empty is DOCKER_HOST unset, for the docker CLI and for the action alike.
        env: { DOCKER_HOST: '', ...env },
      });

      const run = await runAction(options({ DOCKER_CONFIG: config }));
      expect(run.code).toBe(0);
      expect(run.stdout.split('\n')).toContain(`Docker engine: tcp://127.0.0.1:${port} (context "remote"), ${versions}`);
      const [comment] = github.server.comments('octo-org', 'shop', 7);
      expect(comment.body).toContain(`${versions.split(',')[0]} at \`tcp://127.0.0.1:${port}\` (context \`remote\`), ${driver}; `);
      expect(run.summary).toContain(`at \`tcp://127.0.0.1:${port}\` (context \`remote\`)`);
      const report = JSON.parse(readFileSync(run.outputs.report, 'utf8')) as Report;
      expect(report.engine.endpoint).toEqual({ host: `tcp://127.0.0.1:${port}`, from: 'context', context: 'remote' });

      const gone = await runAction(options({ DOCKER_CONFIG: config, DOCKER_CONTEXT: 'gone' }));
      expect(gone.code).toBe(1);
      expect(gone.stdout).toContain(
        `::error::The Docker context "gone" (set by DOCKER_CONTEXT) does not exist: there is no ${config}/contexts/meta/${contextDirName('gone')}/meta.json`,
      );
      expect(gone.stdout).not.toMatch(/\n\s+at /); // no stack trace
    });
  });
});
