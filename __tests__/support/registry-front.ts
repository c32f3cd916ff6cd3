// A loopback front for a real registry, for the faults a registry shows in the wild: it passes each request on to
// the registry (Authorization included) unless told to answer the next ones with an HTTP error (503, 429), or to
// redirect blob downloads to an "object store" on another host (127.0.0.2), which records the Authorization it
// receives (it must receive none) and serves the blob from the registry without auth.
import http from 'node:http';
import { Readable } from 'node:stream';

export interface Front {
  addr: string;
  /** Answer the next `count` requests with `status`. */
  fail(count: number, status: number): void;
  redirectBlobs: boolean;
  /** Every request the front saw: method and path. */
  seen: string[];
  /** The Authorization header of each request the object store saw ('' when none). */
  storeAuthorizations: string[];
  stop(): Promise<void>;
}

async function listen(server: http.Server, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => server.listen(port, host, resolve).on('error', reject));
}

export async function startFront(port: number, storePort: number, upstream: string, plain: string): Promise<Front> {
  let failing = { count: 0, status: 503 };
  const seen: string[] = [];
  const storeAuthorizations: string[] = [];
  const state = { redirectBlobs: false };

  const front = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (failing.count > 0) {
      failing.count--;
      res.writeHead(failing.status, { 'Content-Type': 'application/json', ...(failing.status === 429 ? { 'Retry-After': '0' } : {}) });
      return res.end(
        JSON.stringify({ errors: [{ code: failing.status === 429 ? 'TOOMANYREQUESTS' : 'UNAVAILABLE', message: 'injected by the test' }] }),
      );
    }
    const blob = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '');
    if (state.redirectBlobs && blob && req.headers.authorization) {
      res.writeHead(307, { Location: `http://127.0.0.2:${storePort}/store/${blob[1]}/${blob[2]}?signature=test` });
      return res.end();
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'host'),
    );
    fetch(`http://${upstream}${req.url}`, { method: req.method, headers, redirect: 'manual' })
      .then((answer) => {
        res.writeHead(answer.status, Object.fromEntries(answer.headers));
        if (answer.body) Readable.fromWeb(answer.body as never).pipe(res);
        else res.end();
      })
      .catch((error: Error) => res.destroy(error));
  });

  const store = http.createServer((req, res) => {
    storeAuthorizations.push(req.headers.authorization ?? '');
    const match = /^\/store\/(.+)\/(sha256:[0-9a-f]{64})\?signature=test$/.exec(req.url ?? '');
    if (!match) {
      res.writeHead(403);
      return res.end('unsigned');
    }
    fetch(`http://${plain}/v2/${match[1]}/blobs/${match[2]}`)
      .then((answer) => {
        res.writeHead(answer.status, { 'Content-Type': 'application/octet-stream' });
        if (answer.body) Readable.fromWeb(answer.body as never).pipe(res);
        else res.end();
      })
      .catch((error: Error) => res.destroy(error));
  });

  await listen(front, '127.0.0.1', port);
  await listen(store, '127.0.0.2', storePort);
  return {
    addr: `127.0.0.1:${port}`,
    fail: (count, status) => (failing = { count, status }),
    get redirectBlobs() {
      return state.redirectBlobs;
    },
    set redirectBlobs(on: boolean) {
      state.redirectBlobs = on;
    },
    seen,
    storeAuthorizations,
    stop: async () => {
      front.closeAllConnections();
      store.closeAllConnections();
      await Promise.all([new Promise((r) => front.close(r)), new Promise((r) => store.close(r))]);
    },
  };
}
