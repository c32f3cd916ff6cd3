// A Docker engine of the test's own, to break on purpose: kill it mid-build, freeze it, or give it a tiny disk.
// Its data root is a tmpfs of a given size (so "the disk" can fill up without touching the machine's disk), it has
// its own bridge, exec root and socket, and stop() removes every trace: processes, mounts, bridge, folders.
// It is of the same kind as the engine under test (engine-facts.ts): the same Docker release and image store.
// Needs root and that dockerd (scripts/engines.sh installs it); base images are copied in from the test engine.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engineUnderTest } from './engine-facts.js';

export interface PrivateEngine {
  /** DOCKER_HOST for this engine (its unix socket). */
  readonly host: string;
  /** With the `tcp` option: the TLS listener, `tcp://127.0.0.1:PORT`. */
  readonly tcpHost?: string;
  /** PID of its dockerd. */
  readonly pid: number;
  readonly dataRoot: string;
  /** The docker CLI against this engine; returns standard output. */
  docker(...args: string[]): string;
  /** Processes (pid and command line) that belong to this engine and whose command line contains `text`. */
  processes(text: string): { pid: number; cmd: string }[];
  /** Bytes free on the data root. */
  freeBytes(): number;
  /** A crash: SIGKILL dockerd (its containerd and build processes are left as a crash leaves them). */
  kill(): void;
  /** Stop everything of this engine and remove its mounts, bridge and folders. Safe to call twice. */
  stop(): Promise<void>;
}

interface Proc {
  pid: number;
  ppid: number;
  start: string;
  cmd: string;
}

function listProcesses(): Proc[] {
  const result: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ... field 22 starttime; comm may contain spaces and parentheses
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
      result.push({ pid: Number(entry), ppid: Number(fields[1]), start: fields[19], cmd });
    } catch {
      // gone meanwhile
    }
  }
  return result;
}

/**
 * Processes anywhere on the machine whose command line contains `text`: with a text no one else uses (a `sleep`
 * with a random argument), the processes of a build's RUN step on whichever engine runs it.
 */
export function processesMatching(text: string): { pid: number; cmd: string }[] {
  return listProcesses()
    .filter((p) => p.cmd.includes(text))
    .map(({ pid, cmd }) => ({ pid, cmd }));
}

function descendants(all: Proc[], roots: Set<number>): Proc[] {
  const found = new Map<number, Proc>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (!found.has(p.pid) && (roots.has(p.pid) || found.has(p.ppid))) {
        found.set(p.pid, p);
        grew = true;
      }
    }
  }
  return [...found.values()];
}

function alive(p: Proc): boolean {
  try {
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] === p.start;
  } catch {
    return false;
  }
}

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[], options: { input?: Buffer; env?: NodeJS.ProcessEnv } = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 30, ...options });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const VERSION = ['info', '--format', 'Docker {{.ServerVersion}} with {{.Driver}}'];

/** Where scripts/engines.sh unpacked a Docker release other than the system's, as a PATH prefix ('' for the system's). */
function dockerPathFor(release: string): string {
  if (release === '20.10') return '';
  const root = path.join(process.env.ISR_ENGINES_HOME ?? '/var/lib/image-size-report-engines', `docker-${release}`);
  if (!existsSync(path.join(root, 'usr/sbin/dockerd')))
    throw new Error(`Docker ${release} is not unpacked in ${root}: run bash scripts/engines.sh install`);
  return `${root}/usr/bin:${root}/usr/sbin:`;
}

/**
 * A TCP listener on loopback with TLS, as `dockerd -H tcp://127.0.0.1:PORT --tlsverify --tlscacert … --tlscert …
 * --tlskey …` adds it: clients must present a certificate signed by `ca`.
 */
export interface TlsListener {
  port: number;
  /** Files: the CA that signs client certificates, and the server's certificate and key. */
  ca: string;
  cert: string;
  key: string;
}

/**
 * Start a private engine. `size`: the data root's size (tmpfs `size=`, e.g. `300m`). `images`: copied in from the
 * engine DOCKER_HOST points at (default busybox:latest). `tcp`: also listen on a loopback TCP port with TLS.
 */
export async function startPrivateEngine(options: { size?: string; images?: string[]; tcp?: TlsListener } = {}): Promise<PrivateEngine> {
  if (process.getuid?.() !== 0) throw new Error('private Docker engines for fault tests need root');
  const id = randomBytes(3).toString('hex');
  const name = `isr${id}`; // also the bridge's name: at most 15 characters
  const dataRoot = path.join(os.tmpdir(), `isr-engine-${id}`);
  const execRoot = `/run/${name}`; // short: containerd's socket path lives under it
  const socket = `/run/${name}.sock`;
  const pidFile = `/run/${name}.pid`;
  const host = `unix://${socket}`;
  const tcp = options.tcp;
  const tcpHost = tcp ? `tcp://127.0.0.1:${tcp.port}` : undefined;
  const tcpArgs = tcp ? ['--host', tcpHost!, '--tlsverify', '--tlscacert', tcp.ca, '--tlscert', tcp.cert, '--tlskey', tcp.key] : [];
  const subnet = 30 + (parseInt(id, 16) % 200);
  mkdirSync(dataRoot, { recursive: true });
  run('mount', ['-t', 'tmpfs', '-o', `size=${options.size ?? '1g'}`, `isr-engine-${id}`, dataRoot]);
  run('ip', ['link', 'add', name, 'type', 'bridge']);
  run('ip', ['addr', 'add', `10.124.${subnet}.1/24`, 'dev', name]);
  run('ip', ['link', 'set', name, 'up']);

  const logFile = path.join(os.tmpdir(), `isr-engine-${id}.log`);
  const configFile = path.join(os.tmpdir(), `isr-engine-${id}.json`);
  const kind = engineUnderTest();
  writeFileSync(configFile, JSON.stringify({ features: { 'containerd-snapshotter': kind.store === 'containerd' } }));
  const daemon = spawn(
    'sh',
    [
      '-c',
      `exec dockerd "$@" >"${logFile}" 2>&1`,
      'dockerd',
      '--config-file',
      configFile,
      '--data-root',
      path.join(dataRoot, 'docker'),
      '--exec-root',
      execRoot,
      '--pidfile',
      pidFile,
      '--host',
      host,
      `--bridge=${name}`,
      '--iptables=false',
      '--ip-masq=false',
      ...tcpArgs,
    ],
    { detached: true, stdio: 'ignore', env: { ...process.env, PATH: `${dockerPathFor(kind.docker)}${process.env.PATH}` } },
  );
  daemon.unref();
  const pid = daemon.pid!;
  const dockerEnv = { ...process.env, DOCKER_HOST: host };
  const docker = (...args: string[]) => run('docker', args, { env: dockerEnv });

  let crashed: Proc[] = [];
  let stopped = false;
  const engineProcesses = (): Proc[] => {
    const all = listProcesses();
    const roots = new Set([pid, ...all.filter((p) => p.cmd.includes(execRoot) || p.cmd.includes(dataRoot)).map((p) => p.pid)]);
    const now = descendants(all, roots);
    const known = new Set(now.map((p) => p.pid));
    return [...now, ...crashed.filter((p) => !known.has(p.pid) && alive(p))];
  };

  const engine: PrivateEngine = {
    host,
    ...(tcpHost ? { tcpHost } : {}),
    pid,
    dataRoot,
    docker,
    processes: (text) =>
      engineProcesses()
        .filter((p) => p.cmd.includes(text))
        .map(({ pid: p, cmd }) => ({ pid: p, cmd })),
    freeBytes: () => {
      const out = run('df', ['--output=avail', '-B1', dataRoot]);
      return Number(out.trim().split('\n').pop());
    },
    kill: () => {
      crashed = engineProcesses().filter((p) => p.pid !== pid);
      process.kill(pid, 'SIGKILL');
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (running(pid)) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
        for (let i = 0; i < 60 && running(pid); i++) await sleep(250);
      }
      for (const p of engineProcesses()) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await sleep(200);
      // Mounts a crashed engine leaves (overlay, shm, netns) under its roots, deepest first, then the tmpfs.
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((line) => line.split(' ')[4])
        .filter((m): m is string => !!m && (m.startsWith(dataRoot) || m.startsWith(execRoot)))
        .sort((a, b) => b.length - a.length);
      for (const m of mounts) {
        try {
          run('umount', [m]);
        } catch {
          run('umount', ['-l', m]);
        }
      }
      try {
        run('ip', ['link', 'del', name]);
      } catch {
        // already gone
      }
      for (const p of [dataRoot, execRoot, socket, pidFile, logFile, configFile]) rmSync(p, { recursive: true, force: true });
    },
  };

  try {
    for (let i = 0; ; i++) {
      try {
        docker('version');
        break;
      } catch (error) {
        if (i >= 80) throw new Error(`the private engine did not start: ${readFileSync(logFile, 'utf8').slice(-2000)}`, { cause: error });
        await sleep(250);
      }
    }
    // of the kind of the engine under test, or the test would prove nothing about that kind
    const [mine, theirs] = [docker(...VERSION), run('docker', VERSION)].map((out) => out.trim());
    if (mine !== theirs) throw new Error(`the private engine is ${mine}, the engine under test ${theirs}`);
    for (const image of options.images ?? ['busybox:latest']) {
      const saved = execFileSync('docker', ['save', image], { maxBuffer: 1 << 30 });
      run('docker', ['load', '-q'], { input: saved, env: dockerEnv });
    }
  } catch (error) {
    await engine.stop();
    throw error;
  }
  return engine;
}
