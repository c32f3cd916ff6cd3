// An ssh:// Docker host, for real: OpenSSH's sshd on a loopback port (in a mount namespace of the test's own, see
// support/sshd.ts) in front of the engine under test, and the machine's ssh client, which the tool runs as the
// docker CLI does (`ssh … docker system dial-stdio`), so ~/.ssh (key, known_hosts) applies.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/types.js';
import { sshServer, type SshServer } from '../support/sshd.js';
import { repoFromFixture, tempDir } from '../support/workspace.js';

const CLI = path.resolve(import.meta.dirname, '../../dist/cli.js');
const VARIANTS = '{single-stage: Dockerfile.single, multi-stage: {dockerfile: Dockerfile, target: runtime}}';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The test process's environment without any Docker variable, plus `env`. */
function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^DOCKER_/.test(name))), ...env };
}

function sizes(report: Report) {
  return report.variants.map((v) =>
    v.head.status === 'built' ? [v.name, v.head.sizeBytes, v.head.compressedBytes, v.head.layers] : [v.name, v.head.status],
  );
}

describe(`an engine over ssh:// (OpenSSH's sshd on a loopback port in front of ${process.env.ISR_ENGINE ?? 'the engine'})`, () => {
  let server: SshServer;
  let dir: string;
  beforeAll(async () => {
    server = sshServer(await freePort(), process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock');
    dir = repoFromFixture('tiny-app').dir;
  });

  it('builds and measures through ssh what the socket measures, and names the ssh host (user@host, no secret)', () => {
    const json = path.join(tempDir('ssh-json'), 'report.json');
    const host = `ssh://root@127.0.0.1:${server.port}`;
    const before = server.connections();
    const run = server.run(
      [process.execPath, CLI, '-C', dir, '--variants', VARIANTS, '--cache-dir', 'none', '--json', json],
      environment({ DOCKER_HOST: host }),
    );
    // Connections are kept alive and reused, as the docker CLI's are: a handful for the run, not one per API call.
    const opened = server.connections() - before;
    expect(opened).toBeGreaterThan(0);
    expect(opened).toBeLessThanOrEqual(6);
    expect(spawnSync('pgrep', ['-f', '--', `-p ${server.port} -o ConnectTimeout=30`]).status).toBe(1); // no ssh client left running
    expect(run.stderr).toMatch(
      new RegExp(`^Docker engine: ssh://root@127\\.0\\.0\\.1:${server.port} \\(DOCKER_HOST\\), Docker \\S+, API [\\d.]+\\n`),
    );
    expect(run.code).toBe(0);
    const overSsh = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(overSsh.engine.endpoint).toEqual({ host, from: 'DOCKER_HOST' });

    // Over the engine's socket, outside the namespace (where /run is the real one).
    const local = spawnSync(process.execPath, [CLI, '-C', dir, '--variants', VARIANTS, '--cache-dir', 'none', '--json', json], {
      env: process.env,
      encoding: 'utf8',
    });
    expect(local.status).toBe(0);
    const overSocket = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(sizes(overSsh)).toEqual(sizes(overSocket));
    expect(sizes(overSsh).map((s) => s.length)).toEqual([4, 4]); // both built
  });

  it('checks the host key as ssh does: a known_hosts entry with another key stops the run, saying what ssh said', () => {
    server.distrust();
    const run = server.run(
      [process.execPath, CLI, '-C', dir, '--variants', '{single-stage: Dockerfile.single}'],
      environment({ DOCKER_HOST: `ssh://root@127.0.0.1:${server.port}` }),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      new RegExp(
        `^image-size-report: The Docker engine is not reachable at ssh://root@127\\.0\\.0\\.1:${server.port} \\(DOCKER_HOST\\): ` +
          `ssh -l root -p ${server.port} -o ConnectTimeout=30 -T -- 127\\.0\\.0\\.1 exited with code 255: .*Host key verification failed\\.. ` +
          `Check that ssh to that host works \\(ssh -l root -p ${server.port} -o ConnectTimeout=30 -T -- 127\\.0\\.0\\.1 docker version\\) and that Docker runs there, or fix or unset DOCKER_HOST\\.\\n$`,
      ),
    );
  });
});
