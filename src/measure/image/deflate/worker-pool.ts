/**
 * A pool of worker threads that run one deflate model's expensive half (the parse) on parts of a layer, for the
 * sizers beside it (go126-sizer.ts, go127-sizer.ts): one worker per core, started on first use, not keeping
 * the process alive while idle, jobs queued while every worker is busy. Each model has a pool of its own (its
 * workers hold that model), so a process that uses both models has both pools.
 *
 * A worker is source text run with `eval` (`workerSource`): the model's function and the function that
 * answers a job, passed as their text (`toString()`), so they must not refer to anything outside their own
 * bodies. That way the bundle (dist/) needs no worker file of its own, and tests run the TypeScript as it is.
 *
 * The libuv thread pool (UV_THREADPOOL_SIZE) is not involved: zlib's async calls would run there, but zlib
 * cannot give Go's sizes; worker threads are sized to the cores without an environment variable that must be
 * set before the pool starts.
 */
import { Worker } from 'node:worker_threads';

/**
 * The source of a worker: `model()` is called once, `prepare(model)` then (if given), and `answer(model, job)`
 * for each job, whose result is posted back with the buffers it lists moved (transferred), not copied.
 * A job that throws is answered with `{ error }`, which `WorkerPool.run` rejects with.
 */
export function workerSource<Model, Job, Result>(
  model: () => Model,
  answer: (model: Model, job: Job) => [Result, ArrayBuffer[]],
  prepare?: (model: Model) => void,
): string {
  return `
const { parentPort } = require('node:worker_threads');
const model = (${model.toString()})();
${prepare ? `(${prepare.toString()})(model);` : ''}
const answer = (${answer.toString()});
parentPort.on('message', (job) => {
  try {
    const [result, transfer] = answer(model, job);
    parentPort.postMessage(result, transfer);
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.stack) || error) });
  }
});
`;
}

export interface WorkerPoolOptions<Job> {
  /** Workers at most (one per core). */
  size: number;
  /** The workers' source (`workerSource`). */
  source: string;
  /** Starts the errors of this pool's jobs, e.g. `compressed size (go1.27)`. */
  label: string;
  /** The buffers of a job to move to the worker rather than copy (none: the job is copied, or shared). */
  transfer?: (job: Job) => ArrayBuffer[];
}

/** Runs jobs on worker threads; `run` resolves with the worker's answer, in whatever order they finish. */
export class WorkerPool<Job, Result> {
  private readonly idle: Worker[] = [];
  private readonly queue: Array<Queued<Job, Result>> = [];
  private started = 0;

  constructor(private readonly options: WorkerPoolOptions<Job>) {}

  run(job: Job): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let worker = this.idle.pop();
      if (worker === undefined) {
        if (this.started >= this.options.size) return;
        worker = this.spawn();
      }
      this.assign(worker, this.queue.shift() as Queued<Job, Result>);
    }
  }

  private spawn(): Worker {
    this.started++;
    const worker = new Worker(this.options.source, { eval: true });
    worker.unref();
    return worker;
  }

  private assign(worker: Worker, queued: Queued<Job, Result>): void {
    const { label } = this.options;
    const settle = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      worker.unref();
    };
    const onMessage = (message: Result | { error: string }): void => {
      settle();
      this.idle.push(worker);
      if (isFailure(message)) queued.reject(new Error(`${label}: ${message.error}`));
      else queued.resolve(message);
      this.pump();
    };
    const onError = (error: Error): void => {
      settle();
      this.started--;
      void worker.terminate();
      queued.reject(error);
      this.pump();
    };
    const onExit = (code: number): void => {
      settle();
      this.started--;
      queued.reject(new Error(`${label}: worker exited with code ${code}`));
      this.pump();
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    // Busy workers keep the process alive until they answer; idle ones do not.
    worker.ref();
    const { job } = queued;
    worker.postMessage(job, this.options.transfer?.(job));
  }
}

function isFailure(message: unknown): message is { error: string } {
  return typeof message === 'object' && message !== null && typeof (message as { error?: unknown }).error === 'string';
}

/** A job waiting for a worker, or at work, with its promise's ends. */
interface Queued<Job, Result> {
  job: Job;
  resolve(result: Result): void;
  reject(error: Error): void;
}
