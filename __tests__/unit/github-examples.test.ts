// The example workflows of the two-workflow setup are documentation people copy: check they fit together,
// ask for exactly the permissions the README lists, and only use inputs action.yml declares.
import { readFileSync } from 'node:fs';
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
