// baseline: registry — the base of each variant read from the image published to a real registry (Debian's
// docker-registry on loopback): the image of the base commit, built and pushed with the docker CLI, is the baseline.
// Its numbers must be those of a rebuilt base of the same commit, without a base build.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine } from '../../src/docker/engine.js';
import { createReport, type BaselinePlan, type BaselineStep } from '../../src/pipeline.js';
import { createRegistry } from '../../src/registry/client.js';
import type { Registry } from '../../src/registry/types.js';
import type { BuiltResult, Report, VariantReport } from '../../src/report/types.js';
import { LayerCache } from '../../src/measure/image/layer-cache.js';
import { pushSizingFor } from '../../src/measure/image/push-sizing.js';
import { readLayers } from '../../src/measure/layers.js';
import { measureRegistryImage } from '../../src/measure/registry-image.js';
import { resolveSettings, type RawSettings } from '../../src/settings/schema.js';
import { makeTar, sha256 } from '../support/save-tar.js';
import { zstdFrame } from '../support/zstd-frame.js';
import { fakeGitHubPerTest } from '../support/github/index.js';
import { deletePushed, ensureRegistry, pushImage, REGISTRY, type PushedImage } from '../support/registry.js';
import { runAction, type ActionRunOptions } from '../support/run-action.js';
import { pullRequestPayload } from '../support/webhook-payloads.js';
import { commitAll, memoryLogger, repoFromFixture, tempDir } from '../support/workspace.js';

const VARIANTS = { 'single-stage': 'Dockerfile.single', 'multi-stage': { dockerfile: 'Dockerfile', target: 'runtime' } };
/** A repository of this run's own, so that runs on other engines (or earlier runs) do not meet its tags. */
const REPOSITORY = `isr-regbase/${(process.env.ISR_ENGINE ?? 'engine').replace(/[^a-z0-9]+/g, '-')}-${Date.now().toString(36)}`;
const TEMPLATE = `${REGISTRY}/${REPOSITORY}:main-{variant}`;

let registry: Registry;
let enginePlatform: { os: string; architecture: string };
const ENGINE_PLATFORM = () => enginePlatform;

/** An image pushed by hand over the distribution API (a layer kind docker push does not make): its reference. */
async function pushManual(repository: string, tag: string, config: Buffer, layers: { blob: Buffer; mediaType: string }[]): Promise<string> {
  const digest = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
  for (const data of [config, ...layers.map((l) => l.blob)]) {
    // distribution 2.8: open an upload, then PUT the whole blob to it
    const started = await fetch(`http://${REGISTRY}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
    const location = started.headers.get('location');
    if (started.status !== 202 || !location) throw new Error(`blob upload: HTTP ${started.status} ${await started.text()}`);
    const url = new URL(location, `http://${REGISTRY}`);
    url.searchParams.set('digest', digest(data));
    const response = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: data });
    if (response.status !== 201) throw new Error(`blob upload: HTTP ${response.status} ${await response.text()}`);
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digest(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: digest(l.blob), size: l.blob.length })),
  };
  const response = await fetch(`http://${REGISTRY}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'Content-Type': manifest.mediaType },
    body: JSON.stringify(manifest),
  });
  if (response.status !== 201) throw new Error(`manifest upload: HTTP ${response.status} ${await response.text()}`);
  return `${REGISTRY}/${repository}:${tag}`;
}
const pushed: PushedImage[] = [];
let repo: { dir: string; baseSha: string; headSha: string };

function run(raw: RawSettings, baseline: BaselinePlan | BaselineStep[], runId: string, log = memoryLogger()): Promise<Report> {
  return createReport({
    settings: resolveSettings(raw),
    workingDirectory: repo.dir,
    engine: new DockerEngine(),
    baseline,
    head: {},
    runId,
    log,
  });
}

/** `registry, rebuild`: single-stage's published image, and `multiStage` for multi-stage. */
const registryThenRebuild = (multiStage: string): BaselineStep[] => [
  {
    source: 'registry',
    registry,
    image: { byVariant: { 'single-stage': `${REGISTRY}/${REPOSITORY}:main-single-stage`, 'multi-stage': multiStage } },
  },
  { source: 'rebuild', commit: repo.baseSha, ref: 'main' },
];

/** The bundled action on a pull request of `repo` (number `number`) with these inputs. */
function pullRequestRun(
  github: { url: string; token: string },
  number: number,
  inputs: Record<string, string>,
  env?: Record<string, string>,
): ActionRunOptions {
  return {
    workspace: repo.dir,
    inputs,
    eventName: 'pull_request',
    payload: pullRequestPayload({
      action: 'opened',
      owner: 'octo-org',
      repo: 'shop',
      number,
      baseSha: repo.baseSha,
      headSha: repo.headSha,
      baseRef: 'main',
      headRef: 'grow',
    }),
    repository: 'octo-org/shop',
    apiUrl: github.url,
    token: github.token,
    sha: repo.headSha,
    ...(env ? { env } : {}),
  };
}

const variant = (report: Report, name: string): VariantReport => report.variants.find((v) => v.name === name)!;
const built = (result: VariantReport['base']): BuiltResult => {
  expect(result?.status).toBe('built');
  return result as BuiltResult;
};

beforeAll(async () => {
  ensureRegistry();
  registry = await createRegistry({ env: { ...process.env, DOCKER_CONFIG: '/nonexistent' } });
  const info = await new DockerEngine().connect();
  enginePlatform = info.platform!;
  // The base commit, built and kept, then published as main-<variant>: what a push workflow on main does.
  const { dir, sha: baseSha } = repoFromFixture('tiny-app');
  repo = { dir, baseSha, headSha: '' };
  const published = await run({ variants: VARIANTS, 'keep-images': true }, { source: 'none' }, 'publish');
  for (const v of published.variants) {
    const slug = v.name.toLowerCase();
    pushed.push(await pushImage(`image-size-report/${slug}:head-publish`, REPOSITORY, `main-${v.name}`));
  }
  // The pull request: the single-stage image gains a layer of 500,000 bytes.
  const file = path.join(dir, 'Dockerfile.single');
  writeFileSync(file, readFileSync(file, 'utf8').replace('COPY app.sh', 'RUN head -c 500000 /dev/zero > /app/cache.bin\nCOPY app.sh'));
  repo.headSha = commitAll(dir, 'grow');
});

afterAll(async () => {
  for (const image of pushed) await deletePushed(image);
  // the images the publishing run kept
  execFileSync('docker', ['rmi', ...pushed.map((p) => `image-size-report/${p.tag.slice('main-'.length)}:head-publish`)], {
    stdio: 'ignore',
  });
});

describe('baseline: registry', () => {
  it('reads the published base without building it, with the numbers of a rebuilt base of the same commit', async () => {
    const fromRegistry = memoryLogger();
    const registryReport = await run(
      { variants: VARIANTS },
      [{ source: 'registry', registry, image: { template: TEMPLATE } }],
      'from-registry',
      fromRegistry,
    );
    const rebuiltReport = await run({ variants: VARIANTS }, { source: 'rebuild', commit: repo.baseSha, ref: 'main' }, 'rebuilt');

    // no base build ran: only this change's two builds
    expect(fromRegistry.lines.filter((l) => l.startsWith('[group] Building'))).toEqual([
      '[group] Building single-stage (this change)',
      '[group] Building multi-stage (this change)',
    ]);
    expect(fromRegistry.lines).toContain(`[group] Reading the base of single-stage from ${REGISTRY}/${REPOSITORY}:main-single-stage`);
    expect(fromRegistry.warnings).toEqual([]);
    expect(registryReport.base).toEqual({ source: 'registry' });

    for (const name of ['single-stage', 'multi-stage']) {
      const fromReg = variant(registryReport, name);
      const image = pushed.find((p) => p.tag === `main-${name}`)!;
      expect(fromReg.baseSource).toEqual({
        source: 'registry',
        reference: `${REGISTRY}/${REPOSITORY}:main-${name}`,
        digest: image.manifestDigest,
      });
      const reg = built(fromReg.base);
      const reb = built(variant(rebuiltReport, name).base);
      expect(reg.buildMs).toBeUndefined();
      expect(reg.steps).toBeUndefined();
      expect(fromReg.change?.buildMs).toBeUndefined();
      // the same numbers: unpacked size, layers, instructions, wasted space exactly; compressed within 1%
      expect(reg.sizeBytes).toBe(reb.sizeBytes);
      expect(reg.layers).toBe(reb.layers);
      expect(reg.contentLayers).toBe(reb.contentLayers);
      expect(reg.layerDetails!.map((l) => [l.instruction, l.sizeBytes])).toEqual(
        reb.layerDetails!.map((l) => [l.instruction, l.sizeBytes]),
      );
      expect(reg.efficiency).toEqual(reb.efficiency);
      // the FROM image (unchanged here) is the published image's first layers: the same split as the rebuilt base's
      expect(reb.baseImageLayers).toBeGreaterThan(0);
      expect(reg.baseImageLayers).toBe(reb.baseImageLayers);
      expect(reg.layerDetails!.map((l) => l.fromBaseImage)).toEqual(reb.layerDetails!.map((l) => l.fromBaseImage));
      // the own part exactly in unpacked bytes; in compressed bytes a layer only the base has is the registry's figure
      const [ownReg, ownReb] = [fromReg.change!.own!, variant(rebuiltReport, name).change!.own!];
      expect(ownReg.sizeBytes).toBe(ownReb.sizeBytes);
      expect(Math.abs(ownReg.compressedBytes! - ownReb.compressedBytes!)).toBeLessThanOrEqual(0.01 * reb.compressedBytes!);
      expect(Math.abs(reg.compressedBytes! - reb.compressedBytes!) / reb.compressedBytes!).toBeLessThan(0.01);
      expect(fromReg.change!.sizeBytes).toBe(variant(rebuiltReport, name).change!.sizeBytes);
      expect(fromReg.change!.layers).toBe(variant(rebuiltReport, name).change!.layers);
      // a layer both sides have counts the same compressed size on both: only changed layers make the change
      const headLayers = new Map(built(fromReg.head).layerDetails!.map((l) => [l.diffId, l.compressedBytes]));
      for (const layer of reg.layerDetails!) {
        if (headLayers.has(layer.diffId)) expect(layer.compressedBytes).toBe(headLayers.get(layer.diffId));
        else expect(layer.compressedBytes).toBe(image.layers[reg.layerDetails!.indexOf(layer)].size); // the registry's own figure
      }
    }
    expect(variant(registryReport, 'multi-stage').change).toMatchObject({ sizeBytes: 0, layers: 0, compressedBytes: 0 });
    const grown = variant(registryReport, 'single-stage');
    expect(grown.change!.sizeBytes).toBeGreaterThanOrEqual(500_000);
    expect(grown.layerChanges!.map((c) => c.kind)).toContain('added');
  });

  it('falls through to a rebuild of only the variants the registry does not have (registry, rebuild)', async () => {
    const log = memoryLogger();
    // single-stage is published; multi-stage's reference does not exist yet
    const report = await run({ variants: VARIANTS }, registryThenRebuild(`${REGISTRY}/${REPOSITORY}:nope`), 'fall-through', log);
    expect(log.lines.filter((l) => l.startsWith('[group] Building') && l.endsWith('(base)'))).toEqual([
      '[group] Building multi-stage (base)',
    ]);
    expect(report.base).toMatchObject({ source: 'mixed', sha: repo.baseSha, ref: 'main' });
    expect(variant(report, 'single-stage').baseSource).toMatchObject({ source: 'registry' });
    expect(variant(report, 'multi-stage').baseSource).toEqual({ source: 'rebuild' });
    const rebuilt = built(variant(report, 'multi-stage').base);
    expect(rebuilt.buildMs).toBeGreaterThan(0);
    expect(variant(report, 'multi-stage').change).toMatchObject({ sizeBytes: 0, layers: 0 });
  });

  it('shows a variant the registry does not have as new when the registry is the only source', async () => {
    const report = await run(
      { variants: VARIANTS },
      [{ source: 'registry', registry, image: { template: `${REGISTRY}/${REPOSITORY}:missing-{variant}` } }],
      'only-registry',
    );
    expect(report.status).toBe('pass');
    for (const v of report.variants) {
      expect(v.head.status).toBe('built');
      expect(v.base).toEqual({
        status: 'absent',
        reason: expect.stringContaining(`${REGISTRY}/${REPOSITORY}:missing-${v.name} is not in the registry`),
      });
      expect(v.baseSource).toEqual({});
    }
  });

  it('reports a registry that does not answer for that variant only, with the error and a warning', async () => {
    const log = memoryLogger();
    const report = await run({ variants: VARIANTS }, registryThenRebuild('127.0.0.1:9/nothing:here'), 'no-answer', log);
    const broken = variant(report, 'multi-stage');
    expect(broken.baseSource).toMatchObject({ source: 'registry', reference: '127.0.0.1:9/nothing:here', error: expect.any(String) });
    expect(broken.base).toEqual({ status: 'absent', reason: 'the registry base could not be read' });
    expect(log.warnings).toEqual([expect.stringMatching(/^The base of multi-stage could not be read from 127\.0\.0\.1:9\/nothing:here/)]);
    expect(log.lines.some((l) => l.endsWith('(base)'))).toBe(false); // an error does not fall through to the rebuild
    expect(built(variant(report, 'single-stage').base).sizeBytes).toBeGreaterThan(0);
  });
});

describe('measuring a registry image', () => {
  it('streams every blob the layer cache does not know, with the figures of the same image read from the engine', async () => {
    const image = pushed.find((p) => p.tag === 'main-single-stage')!;
    const cache = new LayerCache();
    try {
      const measured = await measureRegistryImage({
        registry,
        reference: image.reference,
        platform: ENGINE_PLATFORM(),
        cache,
        secrets: [],
      });
      if (!measured.found) throw new Error(measured.reason);
      expect(measured.work).toMatchObject({ measured: image.layers.length, cached: 0 });
      expect(measured.work.blobBytes).toBe(image.layers.reduce((total, l) => total + l.size, 0));
      expect(measured.result.compressedBytes).toBe(measured.work.blobBytes);
      const engine = new DockerEngine();
      const facts = await engine.inspect('image-size-report/single-stage:head-publish');
      expect(measured.result.imageId).toBe(image.configDigest);
      const local = await readLayers(engine, {
        facts,
        baseImage: undefined,
        compressed: false,
        push: pushSizingFor(await engine.connect()),
        cache: new LayerCache(),
        secrets: [],
      });
      expect(local.analysisError).toBeUndefined();
      expect(measured.result.sizeBytes).toBe(local.sizeBytes);
      expect(measured.result.layerDetails!.map((l) => [l.diffId, l.instruction, l.sizeBytes])).toEqual(
        local.layerDetails!.map((l) => [l.diffId, l.instruction, l.sizeBytes]),
      );
      expect(measured.result.efficiency).toEqual(local.efficiency);
      // a second look needs no blob: every layer is known now
      const again = await measureRegistryImage({ registry, reference: image.reference, platform: ENGINE_PLATFORM(), cache, secrets: [] });
      expect(again.found && again.work).toEqual({ measured: 0, cached: image.layers.length, blobBytes: 0 });
    } finally {
      cache.close();
    }
  });

  it('reads zstd and uncompressed layers as it reads gzip ones', async () => {
    const tar = await makeTar([
      { name: 'app', type: 'directory' },
      { name: 'app/data.bin', content: Buffer.concat([randomBytes(150_000), Buffer.alloc(150_000, 1)]) },
      { name: 'app/note.txt', content: 'zstd\n' },
    ]);
    const second = await makeTar([{ name: 'app/note.txt', content: 'again\n' }]);
    const diffIds = [tar, second].map((t) => `sha256:${sha256(t)}`);
    const config = Buffer.from(
      JSON.stringify({
        architecture: ENGINE_PLATFORM().architecture,
        os: ENGINE_PLATFORM().os,
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: [
          { created_by: 'COPY data /app # buildkit' },
          { created_by: 'ENV A=1', empty_layer: true },
          { created_by: 'RUN echo again > /app/note.txt' },
        ],
      }),
    );
    const zstdBlob = zstdFrame(tar);
    const repository = `${REPOSITORY}-zstd`;
    const reference = await pushManual(repository, 'zstd', config, [
      { blob: zstdBlob, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' },
      { blob: second, mediaType: 'application/vnd.oci.image.layer.v1.tar' },
    ]);
    const cache = new LayerCache();
    try {
      const measured = await measureRegistryImage({ registry, reference, platform: ENGINE_PLATFORM(), cache, secrets: [] });
      if (!measured.found) throw new Error(measured.reason);
      expect(measured.result).toMatchObject({
        status: 'built',
        sizeBytes: 300_000 + 5 + 6,
        compressedBytes: zstdBlob.length + second.length,
        layers: 2,
        contentLayers: 2,
      });
      expect(measured.result.layerDetails!.map((l) => [l.diffId, l.instruction, l.sizeBytes, l.compressedBytes])).toEqual([
        [diffIds[0], 'COPY data /app', 300_005, zstdBlob.length],
        [diffIds[1], 'RUN echo again > /app/note.txt', 6, second.length],
      ]);
      expect(measured.result.efficiency).toMatchObject({ wastedBytes: 11, topWasted: [{ path: 'app/note.txt', bytes: 11, copies: 2 }] });
    } finally {
      cache.close();
    }
  });
});

describe('baseline: registry in the bundled command line', () => {
  it('takes --baseline and --baseline-image, with --base for what falls through', () => {
    const cli = path.resolve(import.meta.dirname, '../../dist/cli.js');
    const run = spawnSync(
      process.execPath,
      [cli, '--variants', JSON.stringify(VARIANTS), '--baseline', 'registry,rebuild', '--base', repo.baseSha, '--baseline-image', TEMPLATE],
      { cwd: repo.dir, encoding: 'utf8', timeout: 600_000 },
    );
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(`Reading the base of multi-stage from ${REGISTRY}/${REPOSITORY}:main-multi-stage...`);
    expect(run.stderr).not.toContain('(base)');
    expect(run.stdout).toContain(`Base of single-stage: from the registry, ${REGISTRY}/${REPOSITORY}:main-single-stage (sha256:`);
    expect(run.stdout).toMatch(/^\| +\| Build time +\| +n\/a \(not built\) \|/m);
  });
});

describe('baseline: registry, rebuild in the bundled action', () => {
  const github = fakeGitHubPerTest();

  it('compares a pull request with the published images and says where each base came from', async () => {
    const result = await runAction(
      pullRequestRun(github.server, 7, {
        variants: 'single-stage: Dockerfile.single\nmulti-stage: {dockerfile: Dockerfile, target: runtime}\n',
        baseline: 'registry, rebuild',
        'baseline-image': TEMPLATE,
      }),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/Building \w+-stage \(base\)/);
    const report = JSON.parse(readFileSync(result.outputs.report, 'utf8')) as Report;
    expect(report.base.source).toBe('registry');
    expect(report.variants.map((v) => v.baseSource?.source)).toEqual(['registry', 'registry']);
    const [comment] = github.server.comments('octo-org', 'shop', 7);
    expect(comment.body).toContain(`single-stage: from the registry, \`${REGISTRY}/${REPOSITORY}:main-single-stage\``);
    expect(comment.body).toMatch(/\| +\| Build time +\| +n\/a \(not built\) \| +[\d.]+ m?s.*\| +n\/a \(not built\) \|/);
    expect(result.stdout).toContain(`Base of multi-stage: from the registry, ${REGISTRY}/${REPOSITORY}:main-multi-stage`);
  });
});

/** A registry with htpasswd basic auth of this file's own (port 5210, its own storage), stopped after the tests. */
async function startBasicAuthRegistry(user: string, password: string): Promise<{ addr: string; stop(): Promise<void> }> {
  const root = tempDir('basic-registry');
  const addr = '127.0.0.1:5210';
  execFileSync('htpasswd', ['-B', '-b', '-c', path.join(root, 'htpasswd'), user, password], { stdio: 'ignore' });
  writeFileSync(
    path.join(root, 'config.yml'),
    [
      'version: 0.1',
      'log: {level: warn, accesslog: {disabled: true}}',
      `storage: {filesystem: {rootdirectory: ${path.join(root, 'storage')}}}`,
      `http: {addr: "${addr}", secret: regbase-basic}`,
      `auth: {htpasswd: {realm: regbase, path: ${path.join(root, 'htpasswd')}}}`,
      '',
    ].join('\n'),
  );
  const child = spawn('docker-registry', ['serve', path.join(root, 'config.yml')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; i < 100 && child.exitCode === null; i += 1) {
    const status = await fetch(`http://${addr}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 401) return { addr, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`the basic-auth registry did not answer on ${addr}`);
}

describe('baseline: registry with credentials, as docker/login-action leaves them', () => {
  const github = fakeGitHubPerTest();
  const user = 'regbase-user';
  const password = 'pw-regbase-staple-horse';
  let server: Awaited<ReturnType<typeof startBasicAuthRegistry>>;
  let dockerConfig: string;

  beforeAll(async () => {
    server = await startBasicAuthRegistry(user, password);
    dockerConfig = tempDir('docker-config');
    // `docker login` writes config.json's auths entry, as docker/login-action does on a runner
    execFileSync('docker', ['--config', dockerConfig, 'login', '--username', user, '--password-stdin', server.addr], {
      input: password,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    for (const name of ['single-stage', 'multi-stage']) {
      const target = `${server.addr}/acme/app:main-${name}`;
      execFileSync('docker', ['tag', `image-size-report/${name}:head-publish`, target]);
      try {
        execFileSync('docker', ['--config', dockerConfig, 'push', '--quiet', target], {
          stdio: ['ignore', 'ignore', 'pipe'],
          timeout: 300_000,
        });
      } finally {
        execFileSync('docker', ['rmi', target], { stdio: 'ignore' });
      }
    }
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('reads the bases with the login, and no credential reaches the log, the comment, the summary or the report', async () => {
    const result = await runAction(
      pullRequestRun(
        github.server,
        8,
        {
          variants: 'single-stage: Dockerfile.single\nmulti-stage: {dockerfile: Dockerfile, target: runtime}\n',
          baseline: 'registry',
          'baseline-image': `${server.addr}/acme/app:main-{variant}`,
        },
        { DOCKER_CONFIG: dockerConfig },
      ),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const reportText = readFileSync(result.outputs.report, 'utf8');
    const report = JSON.parse(reportText) as Report;
    expect(report.variants.map((v) => [v.baseSource?.source, v.base?.status])).toEqual([
      ['registry', 'built'],
      ['registry', 'built'],
    ]);
    const [comment] = github.server.comments('octo-org', 'shop', 8);
    const basic = Buffer.from(`${user}:${password}`).toString('base64');
    for (const text of [result.stdout, result.summary, comment.body, reportText]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(basic);
    }

    // without the login: unauthorized, for each variant, with a warning and no comparison; the run still passes
    const anonymous = await runAction({
      workspace: repo.dir,
      inputs: {
        variants: 'single-stage: Dockerfile.single\n',
        baseline: 'registry',
        'baseline-image': `${server.addr}/acme/app:main-{variant}`,
        comment: 'false',
      },
      eventName: 'push',
      payload: {},
      repository: 'octo-org/shop',
      apiUrl: github.server.url,
      token: github.server.token,
      sha: repo.headSha,
      env: { DOCKER_CONFIG: tempDir('no-login') },
    });
    expect(anonymous.code).toBe(0);
    expect(anonymous.stdout).toMatch(
      /::warning::The base of single-stage could not be read from 127\.0\.0\.1:5210\/acme\/app:main-single-stage/,
    );
    const unread = JSON.parse(readFileSync(anonymous.outputs.report, 'utf8')) as Report;
    expect(unread.variants[0].baseSource).toMatchObject({
      source: 'registry',
      error: expect.stringMatching(/401|unauthori[sz]ed|credential/i),
    });
  });
});
