/**
 * The Octokit client the action uses: @actions/github's, with GitHub's recommended retry and throttling
 * plugins, and every wait bounded so a GitHub incident costs a run at most a few minutes, never hours.
 *
 * - 5xx answers and network errors: retried by @octokit/plugin-retry up to RETRY.serverErrors times, waiting
 *   1 s, 4 s, 9 s (its quadratic back-off).
 * - Rate limits (403/429 with "secondary rate limit" in the message, or x-ratelimit-remaining: 0): retried by
 *   @octokit/plugin-throttling up to RETRY.rateLimits times, each time after the retry-after GitHub asked for,
 *   but only when that is at most RETRY.maxWaitSeconds; a longer wait (an exhausted hourly quota) fails now.
 * - The throttling plugin also spaces writes (1 s apart, 3 s for those that notify, like creating a comment),
 *   as GitHub's best practices ask, so we do not trigger secondary limits ourselves.
 * - Everything else (400, 401, 403 without a rate limit, 404, 422, ...) fails at once: retrying cannot help.
 */
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck/light.js';

export type Octokit = ReturnType<typeof getOctokit>;

export const RETRY = {
  /** Extra attempts after a 5xx or a network error. */
  serverErrors: 3,
  /** Extra attempts after a rate-limit answer. */
  rateLimits: 2,
  /** Longest retry-after we wait for, in seconds. */
  maxWaitSeconds: 60,
} as const;

/**
 * The environment variable that sets `waitUnitMs` for the action (README, "API errors"): how many milliseconds
 * one second of waiting on GitHub lasts.
 */
export const WAIT_UNIT_ENV = 'IMAGE_SIZE_REPORT_GITHUB_WAIT_UNIT_MS';

export interface OctokitLog {
  info(message: string): void;
}

export interface OctokitOptions {
  log?: OctokitLog;
  /** Default: GITHUB_API_URL, as @actions/github reads it. */
  baseUrl?: string;
  /**
   * How many milliseconds one second of waiting lasts: the retry back-off, the retry-after GitHub asks for, and
   * the spacing of writes (1 s, 3 s for writes that notify). Clamped to 1..1000: it can shorten waits, never
   * lengthen them. Default: IMAGE_SIZE_REPORT_GITHUB_WAIT_UNIT_MS (WAIT_UNIT_ENV), else 1000, a real second.
   */
  waitUnitMs?: number;
}

export function createOctokit(token: string, options: OctokitOptions = {}): Octokit {
  const log = options.log ?? { info: () => {} };
  const second = options.waitUnitMs === undefined ? waitUnitMs(process.env[WAIT_UNIT_ENV]) : clampWaitUnit(options.waitUnitMs);
  const onLimit =
    (kind: string) => (retryAfter: number, request: { method?: string; url?: string }, _octokit: unknown, retryCount: number) => {
      const what = `${request.method ?? 'GET'} ${expand(request)}`;
      if (retryCount >= RETRY.rateLimits) {
        log.info(`GitHub's ${kind} for ${what} is still in force after ${retryCount} retries: giving up.`);
        return false;
      }
      if (retryAfter > RETRY.maxWaitSeconds) {
        log.info(
          `GitHub's ${kind} for ${what} asks to wait ${retryAfter} s, longer than the ${RETRY.maxWaitSeconds} s this action waits: giving up.`,
        );
        return false;
      }
      log.info(`GitHub's ${kind} for ${what}: retrying in ${retryAfter} s (retry ${retryCount + 1} of ${RETRY.rateLimits}).`);
      return true;
    };
  // Innermost (before the retry plugin), so it sees every attempt.
  const logAttempts = (octokit: { hook: Octokit['hook'] }) => {
    octokit.hook.error('request', (error, request) => {
      const status = (error as { status?: number }).status;
      if (status === undefined || status >= 500) {
        const attempt = Number((request.request as { retryCount?: number } | undefined)?.retryCount ?? 0) + 1;
        const url = (error as { request?: { url?: string } }).request?.url ?? request.url;
        log.info(
          `GitHub answered ${status ?? `no HTTP status (${(error as Error).message})`} to ${request.method} ${pathOfUrl(url)} (attempt ${attempt}): ${attempt <= RETRY.serverErrors ? 'retrying' : 'no retries left'}.`,
        );
      }
      throw error;
    });
  };
  const octokit = getOctokit(
    token,
    {
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      retry: {
        retries: RETRY.serverErrors,
        retryAfterBaseValue: second,
        // 429 is a rate limit: the throttling plugin handles it, with the wait GitHub asks for.
        doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
      },
      throttle: {
        retryAfterBaseValue: second,
        onRateLimit: onLimit('rate limit'),
        onSecondaryRateLimit: onLimit('secondary rate limit'),
        ...writeSpacing(second),
      },
    },
    logAttempts,
    retry,
    throttling,
  );
  return octokit;
}

/** The request's path with its parameters filled in, e.g. /repos/o/r/issues/1/comments. */
function expand(request: { url?: string } & Record<string, unknown>): string {
  return (request.url ?? '').replace(/\{(\w+)\}/g, (whole, name: string) => (request[name] === undefined ? whole : String(request[name])));
}

/** A URL's path and query: what follows its scheme and host (`https://api.github.com/repos/o/r` gives `/repos/o/r`). */
export function pathOfUrl(url: string): string {
  return url.replace(/^https?:\/\/[^/]+/, '');
}

/** The wait unit an environment variable's text asks for: a number of milliseconds, clamped; 1000 for anything else. */
export function waitUnitMs(value: string | undefined): number {
  const n = Number(value);
  return value && Number.isFinite(n) ? clampWaitUnit(n) : 1000;
}

function clampWaitUnit(ms: number): number {
  return Math.min(1000, Math.max(1, Math.round(ms)));
}

/**
 * The throttling plugin's spacing of writes (1 s, and 3 s for writes that notify, its own defaults) in the wait
 * unit. The limiters are this client's: the action writes through one client per run.
 */
function writeSpacing(second: number): { write: Bottleneck.Group; notifications: Bottleneck.Group } {
  return {
    write: new Bottleneck.Group({ id: 'image-size-report-write', maxConcurrent: 1, minTime: second }),
    notifications: new Bottleneck.Group({ id: 'image-size-report-notifications', maxConcurrent: 1, minTime: 3 * second }),
  };
}
