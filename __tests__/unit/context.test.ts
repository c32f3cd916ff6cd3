import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tarStream from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { packContext } from '../../src/docker/context.js';
import { parseStages, stageCountFor, targetStageIndex } from '../../src/docker/dockerfile.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'isr-context-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), content);
  }
  return root;
}

async function entries(stream: NodeJS.ReadableStream): Promise<Map<string, { type: string; uid: number; body: string }>> {
  const extract = tarStream.extract();
  const found = new Map<string, { type: string; uid: number; body: string }>();
  extract.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => chunks.push(c as Buffer));
    body.on('end', () => {
      found.set(header.name.replace(/\/$/, ''), {
        type: header.type ?? 'file',
        uid: header.uid ?? -1,
        body: Buffer.concat(chunks).toString(),
      });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    extract.on('finish', () => resolve());
    extract.on('error', reject);
  });
  stream.pipe(extract);
  await done;
  return found;
}

describe('packContext', () => {
  it('honours .dockerignore with Docker’s rules, "!" exceptions included, and always sends the Dockerfile', async () => {
    const root = tree({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': 'node_modules\n!node_modules/keep.txt\n*.log\nDockerfile\nsecret/**\n',
      'app.py': 'print(1)\n',
      'a.log': 'x',
      'sub/b.log': 'nested logs are not matched by *.log',
      'node_modules/big.js': 'x',
      'node_modules/keep.txt': 'kept',
      'secret/key': 'k',
    });
    const packed = await packContext(root, path.join(root, 'Dockerfile'));
    const files = await entries(packed.stream);
    expect(packed.dockerfile).toBe('Dockerfile');
    expect([...files.keys()].filter((n) => files.get(n)!.type === 'file').sort()).toEqual(
      ['.dockerignore', 'Dockerfile', 'app.py', 'node_modules/keep.txt', 'sub/b.log'].sort(),
    );
    expect(files.get('node_modules')?.type).toBe('directory');
    expect([...files.values()].every((e) => e.uid === 0)).toBe(true);
  });

  it('adds a Dockerfile from outside the context under a private name', async () => {
    const root = tree({ 'ctx/app.txt': 'a', 'docker/Dockerfile.web': 'FROM busybox:latest\n' });
    const packed = await packContext(path.join(root, 'ctx'), path.join(root, 'docker/Dockerfile.web'));
    const files = await entries(packed.stream);
    expect(packed.dockerfile).toBe('.image-size-report.Dockerfile');
    expect(files.get('.image-size-report.Dockerfile')?.body).toBe('FROM busybox:latest\n');
    expect(files.has('app.txt')).toBe(true);
  });

  it('prefers <Dockerfile>.dockerignore over the context’s .dockerignore, and keeps symlinks as links', async () => {
    const root = tree({
      'Dockerfile.web': 'FROM scratch\n',
      'Dockerfile.web.dockerignore': 'b.txt\n',
      '.dockerignore': 'a.txt\n',
      'a.txt': 'a',
      'b.txt': 'b',
    });
    symlinkSync('a.txt', path.join(root, 'link'));
    const files = await entries((await packContext(root, path.join(root, 'Dockerfile.web'))).stream);
    expect(files.has('a.txt')).toBe(true);
    expect(files.has('b.txt')).toBe(false);
    expect(files.get('link')?.type).toBe('symlink');
  });

  it('records what each entry sent holds, not when it was written, once the stream is read', async () => {
    const files = { Dockerfile: 'FROM scratch\n', '.dockerignore': 'skip.txt\n', 'app/a.txt': 'a', 'app/b.sh': 'b', 'skip.txt': 's' };
    const pack = async (root: string) => {
      const packed = await packContext(root, path.join(root, 'Dockerfile'), { contents: true });
      expect(packed.contents!.size).toBe(0); // filled as the context is sent
      await entries(packed.stream);
      return packed.contents!;
    };
    const one = tree(files);
    const two = tree(files);
    chmodSync(path.join(one, 'app/b.sh'), 0o755);
    chmodSync(path.join(two, 'app/b.sh'), 0o755);
    symlinkSync('a.txt', path.join(one, 'app/link'));
    symlinkSync('a.txt', path.join(two, 'app/link'));
    utimesSync(path.join(two, 'app/a.txt'), new Date(2001, 0, 1), new Date(2001, 0, 1));
    const first = await pack(one);
    // The Dockerfile and .dockerignore are always sent, whatever .dockerignore says: left out, as is what it ignores.
    expect([...first.keys()].sort()).toEqual(['app', 'app/a.txt', 'app/b.sh', 'app/link']);
    expect(first.get('app/a.txt')).toMatch(/^f644:[A-Za-z0-9_-]{43}$/);
    expect(first.get('app/b.sh')).toMatch(/^f755:/);
    expect(first.get('app/link')).toMatch(/^l\d+:a\.txt$/);
    expect(first.get('app')).toMatch(/^d\d+$/);
    expect(await pack(two)).toEqual(first); // another checkout, other times: the same
    writeFileSync(path.join(two, 'app/a.txt'), 'A');
    chmodSync(path.join(two, 'app/b.sh'), 0o644);
    const changed = await pack(two);
    expect(changed.get('app/a.txt')).not.toBe(first.get('app/a.txt'));
    expect(changed.get('app/b.sh')).not.toBe(first.get('app/b.sh'));
    expect(changed.get('app/link')).toBe(first.get('app/link'));
    expect((await packContext(one, path.join(one, 'Dockerfile'))).contents).toBeUndefined(); // only when asked
  });
});

describe('Dockerfile stages', () => {
  const dockerfile =
    '# syntax=docker/dockerfile:1\nARG BASE=debian\nFROM debian:bookworm-slim AS Builder\nRUN make \\\n  all\nFROM debian:bookworm-slim AS runtime\nCOPY --from=builder /a /a\nFROM runtime AS debug\n';

  it('lists stages with Docker’s case-insensitive names', () => {
    expect(parseStages(dockerfile).stages).toEqual([
      { name: 'builder', image: 'debian:bookworm-slim' },
      { name: 'runtime', image: 'debian:bookworm-slim' },
      { name: 'debug', image: 'runtime' },
    ]);
  });

  it('counts the stages built for a target, and finds no unknown target', () => {
    const parsed = parseStages(dockerfile);
    expect(stageCountFor(parsed, 'runtime')).toBe(2);
    expect(stageCountFor(parsed, 'BUILDER')).toBe(1);
    expect(stageCountFor(parsed)).toBe(3);
    expect(targetStageIndex(parsed, 'runtme')).toBe(-1);
    expect(stageCountFor(parseStages('FROM busybox\nRUN true\n'))).toBe(1);
  });
});
