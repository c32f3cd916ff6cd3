/**
 * Writing the Dockerfile annotations (src/render/annotations.ts picks them): each variant's Dockerfile is read from
 * the working directory, its path made relative to the repository root (GITHUB_WORKSPACE, else git's top level), as
 * GitHub needs to show it in the pull request's "Files changed". @actions/core's `warning` escapes the message and
 * the properties (`%`, `\r`, `\n`, and `:` and `,` in properties) as the workflow-command rules say.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as core from '@actions/core';
import { stageInstructions } from '../docker/dockerfile.js';
import { dockerfileAnnotations, type Annotation, type LocatedDockerfile } from '../render/annotations.js';
import type { Report, VariantReport } from '../report/types.js';

/** The annotations of the report, as `::warning file=…,line=…,title=…::message`; `text` scrubs secrets from each. */
export function writeAnnotations(report: Report, workingDirectory: string, text: (s: string) => string): Annotation[] {
  const root = repositoryRoot(workingDirectory);
  if (!root) return [];
  const cache = new Map<string, LocatedDockerfile | undefined>();
  const dockerfileOf = (variant: VariantReport) => {
    const key = `${variant.dockerfile}\u0000${variant.target ?? ''}`;
    if (!cache.has(key)) cache.set(key, locateDockerfile(root, workingDirectory, variant));
    return cache.get(key);
  };
  const annotations = dockerfileAnnotations(report, dockerfileOf);
  for (const a of annotations) core.warning(text(a.message), { file: a.file, startLine: a.line, title: text(a.title) });
  return annotations;
}

function locateDockerfile(root: string, workingDirectory: string, variant: VariantReport): LocatedDockerfile | undefined {
  const absolute = path.resolve(workingDirectory, variant.dockerfile);
  const file = path.relative(root, absolute);
  if (!file || file.startsWith('..') || path.isAbsolute(file)) return undefined; // outside the repository: GitHub cannot show it
  try {
    return { file: file.split(path.sep).join('/'), instructions: stageInstructions(readFileSync(absolute, 'utf8'), variant.target) };
  } catch {
    return undefined;
  }
}

/** GITHUB_WORKSPACE, where the runner checked the repository out; else the top level of the git repository. */
function repositoryRoot(workingDirectory: string): string | undefined {
  if (process.env.GITHUB_WORKSPACE) return path.resolve(process.env.GITHUB_WORKSPACE);
  try {
    return (
      execFileSync('git', ['rev-parse', '--show-toplevel'], {
        cwd: workingDirectory,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}
