// A unix socket in front of the Docker engine DOCKER_HOST points at, passing every byte through both ways, except
// the requests a test picks: those it holds back for a while (a slow engine) or for ever (an engine that stopped
// answering them). The engine behind it is real; only the timing of the chosen requests changes.
import { connect, createServer, type Socket } from 'node:net';
import path from 'node:path';
import { tempDir } from './workspace.js';

export interface EngineProxy {
  /** DOCKER_HOST for the proxy. */
  readonly host: string;
  /** Request lines (`DELETE /images/... HTTP/1.1`) held back so far. */
  readonly held: string[];
  close(): Promise<void>;
}

/**
 * `hold`: which requests to hold back, by their request line. `delayMs`: how long (Infinity: never sent, never
 * answered). Everything after a held request on the same connection waits behind it, as it would on the wire.
 */
export async function startEngineProxy(options: { hold: RegExp; delayMs: number }): Promise<EngineProxy> {
  const upstreamPath = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
  const socketPath = path.join(tempDir('engine-proxy'), 'docker.sock');
  const sockets = new Set<Socket>();
  const held: string[] = [];
  const server = createServer((client) => {
    const upstream = connect(upstreamPath);
    sockets.add(client).add(upstream);
    let queue = Promise.resolve();
    let swallowed = false;
    client.on('data', (chunk: Buffer) => {
      if (swallowed) return;
      const line = /^[A-Z]+ \S+ HTTP\/1\.[01]/.exec(chunk.toString('latin1', 0, Math.min(chunk.length, 2048)))?.[0];
      if (line && options.hold.test(line)) {
        held.push(line);
        if (options.delayMs === Infinity) {
          swallowed = true;
          return;
        }
        queue = queue.then(() => new Promise((resolve) => setTimeout(resolve, options.delayMs)));
      }
      queue = queue.then(() => {
        if (!upstream.destroyed) upstream.write(chunk);
      });
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!client.destroyed) client.write(chunk);
    });
    // One side closing ends the other once what was written to it is flushed (a save's last bytes, ...).
    client.on('close', () => void queue.then(() => upstream.end()));
    upstream.on('close', () => client.end());
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    host: `unix://${socketPath}`,
    held,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
