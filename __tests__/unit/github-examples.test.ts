// The example workflows of the two-workflow setup are documentation people copy: check they fit together,
// ask for exactly the permissions the README lists, and only use inputs action.yml declares.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');
const load = (file: string) => parse(readFileSync(path.join(ROOT, file), 'utf8')) as any;
const measure = load('examples/workflows/image-size.yml');
const comment = load('examples/workflows/image-size-comment.yml');
const action = load('action.yml');
const steps = (workflow: any): any[] => Object.values(workflow.jobs).flatMap((job: any) => job.steps);
const ours = (workflow: any) => steps(workflow).filter((s) => String(s.uses).startsWith('image-size-report/image-size-report@'));
const using = (workflow: any, name: string) => steps(workflow).filter((s) => String(s.uses).startsWith(`${name}@`));

describe('examples/workflows', () => {
  it('the measuring workflow runs on pull_request with a read-only token, does not comment, and uploads the report', () => {
    expect(Object.keys(measure.on)).toEqual(['pull_request']);
    expect(measure.permissions).toEqual({ contents: 'read' });
    expect(ours(measure).map((s) => s.with.comment)).toEqual([false]);
    expect(using(measure, 'actions/checkout')[0].with['persist-credentials']).toBe(false);
    const [upload] = using(measure, 'actions/upload-artifact');
    expect(upload.if).toContain('always()');
    expect(upload.with.path).toBe('${{ steps.size.outputs.report }}');
  });

  it('the posting workflow runs on workflow_run of the measuring one, checks nothing out, and posts the downloaded report', () => {
    expect(comment.on.workflow_run).toEqual({ workflows: [measure.name], types: ['completed'] });
    expect(comment.permissions).toEqual({ actions: 'read', 'pull-requests': 'write' });
    expect(using(comment, 'actions/checkout')).toEqual([]);
    const [download] = using(comment, 'actions/download-artifact');
    expect(download.with).toMatchObject({
      name: using(measure, 'actions/upload-artifact')[0].with.name,
      'run-id': '${{ github.event.workflow_run.id }}',
    });
    const [post] = ours(comment);
    expect(post.with['report-from']).toBe(`${download.with.path}/image-size-report-default.json`);
  });

  it('uses only inputs action.yml declares, and action.yml declares the trust inputs', () => {
    for (const step of [...ours(measure), ...ours(comment)]) {
      for (const input of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs)).toContain(input);
    }
    for (const input of ['report-from', 'comment-failure', 'allow-pull-request-target']) {
      expect(action.inputs[input]).toMatchObject({ required: false });
      expect(action.inputs[input].default).toBeUndefined();
    }
  });
});

describe('examples/workflows/image-size-matrix.yml (one comment for a matrix)', () => {
  const matrix = load('examples/workflows/image-size-matrix.yml');
  const jobs = matrix.jobs as Record<string, any>;
  const [measuring] = ours({ jobs: { measure: jobs.measure } });
  const [upload] = using({ jobs: { measure: jobs.measure } }, 'actions/upload-artifact');
  const [download] = using({ jobs: { post: jobs.post } }, 'actions/download-artifact');
  const [post] = ours({ jobs: { post: jobs.post } });

  it('each job of the matrix measures, names its report, saves it under a name of its own and uploads it', () => {
    expect(Object.keys(matrix.on)).toEqual(['pull_request']);
    expect(matrix.permissions).toEqual({ contents: 'read' });
    expect(jobs.measure.strategy['fail-fast']).toBe(false);
    expect(measuring.with.comment).toBe(false);
    expect(measuring.with['report-name']).toContain('${{ matrix.');
    expect(measuring.with['report-file']).toContain('${{ matrix.');
    expect(upload.if).toContain('always()');
    expect(upload.with.path).toBe('${{ steps.size.outputs.report }}');
    expect(upload.with.name).toContain('${{ matrix.');
  });

  it('one job needs them all, downloads every report into one folder and posts it, the only job that may write', () => {
    expect(jobs.post.needs).toBe('measure');
    expect(jobs.post.if).toBe('${{ !cancelled() }}');
    expect(jobs.post.permissions).toEqual({ 'pull-requests': 'write' });
    expect(using({ jobs: { post: jobs.post } }, 'actions/checkout')).toEqual([]);
    // The download pattern takes every job's artifact name.
    const prefix = String(download.with.pattern).replace(/\*$/, '');
    expect(String(upload.with.name).startsWith(prefix)).toBe(true);
    expect(download.with['merge-multiple']).toBe(true);
    expect(post.with['report-from']).toBe(download.with.path);
    for (const step of [measuring, post]) {
      for (const input of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs)).toContain(input);
    }
  });
});

/** The first majors of GitHub's own actions that run on node24 (their release notes; README, "Development"). */
const NODE24_MAJORS: Record<string, number> = {
  'actions/checkout': 5,
  'actions/setup-node': 5,
  'actions/upload-artifact': 6,
  'actions/download-artifact': 7,
  'actions/cache': 5,
};

describe('the actions every workflow calls', () => {
  const files = [
    ...['.github/workflows', 'examples/workflows'].flatMap((dir) =>
      readdirSync(path.join(ROOT, dir))
        .filter((f) => f.endsWith('.yml'))
        .map((f) => `${dir}/${f}`),
    ),
    'README.md',
  ];

  it.each(files)('%s uses the node24 majors of the actions it calls', (file) => {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const calls = [...text.matchAll(/uses:\s*(actions\/[\w.-]+)@v(\d+)/g)].map(([, name, major]) => ({ name, major: Number(major) }));
    if (file !== 'README.md') expect(calls.length).toBeGreaterThan(0);
    for (const { name, major } of calls) {
      expect(Object.keys(NODE24_MAJORS), `${file}: ${name}`).toContain(name);
      expect(major, `${file}: ${name}@v${major}`).toBeGreaterThanOrEqual(NODE24_MAJORS[name]);
    }
  });
});
