/**
 * Packing a build context into a tar stream the way the Docker CLI does: `.dockerignore` honoured with Docker's
 * own matching rules (including `!` exceptions), the Dockerfile and .dockerignore always sent, owners reset
 * to root, and a Dockerfile outside the context added under a private name.
 */
import { createHash } from 'node:crypto';
import { promises as fs, readFileSync, readlinkSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import dockerignoreModule, { type Ignore } from '@balena/dockerignore';
import tarFs from 'tar-fs';
import tarStream from 'tar-stream';

export interface PackedContext {
  stream: Readable;
  /** Path of the Dockerfile inside the tar, to pass as the build's `dockerfile` option. */
  dockerfile: string;
  /** Number of files and directories sent. */
  entries: number;
  /**
   * With `contents`: what each entry sent holds, by its path in the context (POSIX, relative), filled in as the
   * stream is read: its type, mode and, for a file, a digest of its bytes; for a link, its target. Nothing else
   * (not its time, which BuildKit's cache ignores). Left out: the Dockerfile and .dockerignore, which are sent
   * whatever .dockerignore says, and the context folder itself. What is recorded must be a part of what BuildKit's
   * cache key of a COPY covers, never more (docker/build-output.ts says why). For BuildKit, whose build output
   * names a step's context only by a digest that is new in every build.
   */
  contents?: ReadonlyMap<string, string>;
}

export interface PackOptions {
  /** Record `contents` (a SHA-256 of every byte sent). */
  contents?: boolean;
}

// The package is CommonJS: its default export is the factory at run time, whatever its typings say.
const dockerignore = dockerignoreModule as unknown as (options: { ignorecase: boolean }) => Ignore;

const OUTSIDE_DOCKERFILE = '.image-size-report.Dockerfile';

export async function packContext(contextDir: string, dockerfilePath: string, options: PackOptions = {}): Promise<PackedContext> {
  const root = path.resolve(contextDir);
  const dockerfileAbs = path.resolve(dockerfilePath);
  const relDockerfile = path.relative(root, dockerfileAbs);
  const inside = relDockerfile !== '' && !relDockerfile.startsWith('..') && !path.isAbsolute(relDockerfile);

  const patterns = readIgnoreFile(root, dockerfileAbs);
  const ignore = dockerignore({ ignorecase: false }).add(patterns);
  const alwaysSent = new Set(['.dockerignore', ...(inside ? [toPosix(relDockerfile)] : [])]);
  const hasExceptions = patterns.some((line) => line.trim().startsWith('!'));
  const included = await includedEntries(root, ignore, alwaysSent, hasExceptions);

  let pack: tarStream.Pack | undefined;
  if (!inside) {
    pack = tarStream.pack();
    pack.entry({ name: OUTSIDE_DOCKERFILE, mode: 0o644, uid: 0, gid: 0 }, readFileSync(dockerfileAbs));
  }
  const contents = options.contents ? new Map<string, string>() : undefined;
  // Not the context's own folder: whether its mode reaches BuildKit's cache key is not certain (see contents).
  const recorded = (name: string) => contents !== undefined && name !== '.' && !alwaysSent.has(name);
  const stream = tarFs.pack(root, {
    pack,
    ignore: (name: string) => !included.has(toPosix(path.relative(root, name))),
    map: (header) => {
      const mode = (header.mode ?? 0) & 0o7777;
      if (recorded(header.name) && header.type === 'directory') contents!.set(header.name, `d${mode.toString(8)}`);
      if (recorded(header.name) && header.type === 'symlink') {
        try {
          contents!.set(header.name, `l${mode.toString(8)}:${readlinkSync(path.join(root, header.name))}`);
        } catch {
          // gone meanwhile: tar-fs reads the link next, and fails the stream with the reason
        }
      }
      return { ...header, uid: 0, gid: 0, uname: '', gname: '' };
    },
    mapStream: (file, header) => {
      if (!recorded(header.name)) return file;
      const hash = createHash('sha256');
      const digest = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done(null, chunk);
        },
        flush(done) {
          contents!.set(header.name, `f${((header.mode ?? 0) & 0o7777).toString(8)}:${hash.digest('base64url')}`);
          done();
        },
      });
      file.on('error', (error) => digest.destroy(error));
      return file.pipe(digest) as unknown as typeof file; // tar-fs reads any readable stream (its typings say ReadStream)
    },
  });
  return {
    stream: stream as unknown as Readable,
    dockerfile: inside ? toPosix(relDockerfile) : OUTSIDE_DOCKERFILE,
    entries: included.size,
    ...(contents ? { contents } : {}),
  };
}

/** BuildKit reads `<Dockerfile>.dockerignore` before the context's `.dockerignore`; so do we. */
function readIgnoreFile(root: string, dockerfileAbs: string): string[] {
  for (const file of [`${dockerfileAbs}.dockerignore`, path.join(root, '.dockerignore')]) {
    if (existsSync(file)) return readFileSync(file, 'utf8').split(/\r?\n/);
  }
  return [];
}

/** Relative POSIX paths of every file and directory to send, with the ancestors of each. */
async function includedEntries(root: string, ignore: Ignore, alwaysSent: Set<string>, hasExceptions: boolean): Promise<Set<string>> {
  const included = new Set<string>();
  const add = (rel: string) => {
    for (let p = rel; p !== '.' && !included.has(p); p = path.posix.dirname(p)) included.add(p);
  };
  const walk = async (dirRel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(root, dirRel), { withFileTypes: true });
    for (const entry of entries) {
      const rel = dirRel ? `${dirRel}/${entry.name}` : entry.name;
      const excluded = ignore.ignores(rel) && !alwaysSent.has(rel);
      if (!excluded) add(rel);
      // An excluded directory may still hold files re-included by a `!` pattern; Docker descends then too.
      if (entry.isDirectory() && (!excluded || hasExceptions)) await walk(rel);
    }
  };
  await walk('');
  return included;
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
