/**
 * Errors whose message is written for the user: printed as is, never with a stack trace.
 * Anything else that escapes is a bug in this tool and is reported as one.
 */
export class InputError extends Error {
  override name = 'InputError';
}

/** Something around the tool is missing or broken: Docker not reachable, git not a repository, ... */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

export function isUserError(error: unknown): error is InputError | EnvironmentError {
  return error instanceof InputError || error instanceof EnvironmentError;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
