// OpenSSH's sshd on a loopback port, for tests of ssh:// Docker hosts, without changing the machine: it runs in a
// mount namespace of its own (unshare -m) where /etc/passwd has the `sshd` user OpenSSH needs for privilege
// separation and gives root a home of the test's own (so ~/.ssh is the test's: its key, its known_hosts), and /run
// is a fresh tmpfs (for /run/sshd) with the real /run still reachable under another path (for the engine's socket).
// The command under test runs in the same namespace, as the client. When the machine has no sshd, Debian's
// openssh-server package is unpacked into a folder of its own (as scripts/engines.sh unpacks Docker 28.5).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './workspace.js';

const HOME_DIR = process.env.ISR_ENGINES_HOME || '/var/lib/image-size-report-engines';
const UNPACKED = path.join(HOME_DIR, 'openssh-server');

/** sshd and the library folder it needs: the system's, or Debian's package unpacked beside it. */
function sshd(): { binary: string; libraries?: string } {
  if (existsSync('/usr/sbin/sshd')) return { binary: '/usr/sbin/sshd' };
  const binary = path.join(UNPACKED, 'usr/sbin/sshd');
  const libraries = path.join(UNPACKED, 'usr/lib/x86_64-linux-gnu');
  if (existsSync(path.join(UNPACKED, '.complete'))) return { binary, libraries };
  const work = tempDir('openssh-debs');
  const download = (extra: string[]) =>
    spawnSync('apt-get', ['-q', ...extra, '-o', 'APT::Sandbox::User=root', 'download', 'openssh-server', 'libwrap0'], {
      cwd: work,
      encoding: 'utf8',
    });
  let got = download([]);
  if (got.status !== 0) {
    // No package lists on this machine: fetch the release's own, privately (nothing of the system changes).
    const codename = /^VERSION_CODENAME=(\S+)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'bookworm';
    const mirror =
      /^URIs:\s*(\S+)/m.exec(
        existsSync('/etc/apt/sources.list.d/debian.sources') ? readFileSync('/etc/apt/sources.list.d/debian.sources', 'utf8') : '',
      )?.[1] ?? 'http://deb.debian.org/debian';
    mkdirSync(path.join(work, 'lists/partial'), { recursive: true });
    writeFileSync(path.join(work, 'sources.list'), `deb ${mirror} ${codename} main\n`);
    const apt = [
      '-o',
      `Dir::Etc::sourcelist=${work}/sources.list`,
      '-o',
      'Dir::Etc::sourceparts=-',
      '-o',
      `Dir::State::Lists=${work}/lists`,
    ];
    const update = spawnSync('apt-get', ['-q', ...apt, '-o', 'APT::Sandbox::User=root', 'update'], { encoding: 'utf8' });
    if (update.status !== 0) throw new Error(`apt-get update for openssh-server failed: ${update.stderr}`);
    got = download(apt);
  }
  if (got.status !== 0) throw new Error(`apt-get download openssh-server libwrap0 failed: ${got.stderr}`);
  rmSync(UNPACKED, { recursive: true, force: true });
  mkdirSync(UNPACKED, { recursive: true });
  for (const deb of readdirSync(work).filter((f) => f.endsWith('.deb'))) execFileSync('dpkg-deb', ['-x', path.join(work, deb), UNPACKED]);
  writeFileSync(path.join(UNPACKED, '.complete'), '');
  rmSync(work, { recursive: true, force: true });
  return { binary, libraries };
}

export interface SshServer {
  port: number;
  /** Run a command as the ssh client, with `env`, in the server's namespace (HOME and ~/.ssh are the test's). */
  run(command: string[], env: NodeJS.ProcessEnv): { code: number | null; stdout: string; stderr: string };
  /** Make the client's known_hosts hold another key for the server (a man in the middle, as ssh sees it). */
  distrust(): void;
  /** How many ssh connections the server has let in so far. */
  connections(): number;
}

/**
 * An sshd on 127.0.0.1:`port` that lets root in with the test's key and gives every session DOCKER_HOST=`dockerHost`
 * (a unix socket), so `docker system dial-stdio` there reaches that engine.
 */
export function sshServer(port: number, dockerHost: string): SshServer {
  if (process.getuid?.() !== 0) throw new Error('the sshd of the ssh tests needs root (a mount namespace)');
  const { binary, libraries } = sshd();
  const dir = tempDir('sshd');
  const oldRun = path.join(dir, 'run');
  const home = path.join(dir, 'home');
  mkdirSync(oldRun);
  mkdirSync(path.join(home, '.ssh'), { recursive: true });
  for (const key of ['host', 'user', 'stranger'])
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', key, '-f', path.join(dir, key)]);
  copyFileSync(path.join(dir, 'user'), path.join(home, '.ssh', 'id_ed25519'));
  chmodSync(path.join(home, '.ssh', 'id_ed25519'), 0o600);
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'user.pub')));
  const knownHosts = path.join(home, '.ssh', 'known_hosts');
  const pin = (key: string) => writeFileSync(knownHosts, `[127.0.0.1]:${port} ${readFileSync(path.join(dir, `${key}.pub`), 'utf8')}`);
  pin('host');
  const passwd = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('root:') && !line.startsWith('sshd:'));
  writeFileSync(
    path.join(dir, 'passwd'),
    [...passwd, `root:x:0:0:root:${home}:/bin/bash`, 'sshd:x:100:65534::/run/sshd:/usr/sbin/nologin', ''].join('\n'),
  );
  // The socket as seen from inside, where /run is another tmpfs and the real one is under oldRun.
  const socket = realpathSync(dockerHost.replace(/^unix:\/\//, ''));
  if (!socket.startsWith('/run/')) throw new Error(`the ssh tests expect the engine's socket under /run, not ${socket}`);
  const inside = path.join(oldRun, path.relative('/run', socket));
  writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${dir}/host`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      `PidFile ${dir}/sshd.pid`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      `SetEnv DOCKER_HOST=unix://${inside}`,
      '',
    ].join('\n'),
  );
  const script = [
    'set -e',
    `mount --bind /run ${oldRun}`,
    'mount -t tmpfs -o mode=755 isr-sshd /run',
    'mkdir -m 755 /run/sshd',
    `mount --bind ${dir}/passwd /etc/passwd`,
    `${libraries ? `LD_LIBRARY_PATH=${libraries} ` : ''}${binary} -f ${dir}/sshd_config -E ${dir}/sshd.log`,
    `for i in $(seq 100); do [ -s ${dir}/sshd.pid ] && break; sleep 0.05; done`,
    'set +e',
    'HOME=' + home + ' "$@"',
    'code=$?',
    `kill "$(cat ${dir}/sshd.pid)" 2>/dev/null`,
    'exit $code',
  ].join('\n');
  writeFileSync(path.join(dir, 'run.sh'), script);
  return {
    port,
    run(command, env) {
      const result = spawnSync('unshare', ['-m', '--propagation', 'private', 'bash', path.join(dir, 'run.sh'), ...command], {
        env,
        encoding: 'utf8',
        timeout: 600_000,
      });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr };
    },
    distrust: () => pin('stranger'),
    connections: () =>
      existsSync(path.join(dir, 'sshd.log'))
        ? (readFileSync(path.join(dir, 'sshd.log'), 'utf8').match(/^Accepted publickey /gm)?.length ?? 0)
        : 0,
  };
}
