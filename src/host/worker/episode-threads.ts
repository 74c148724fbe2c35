/**
 * Orchestrator episodes in worker threads, so the host uses more than one core. The Functions host spreads
 * invocations over worker processes (FUNCTIONS_WORKER_PROCESS_COUNT); here the engine, storage, HTTP, timers and
 * activities stay in the host's thread and each episode (replay through durable-functions, the app's orchestrator,
 * the invocation path) runs in one of N threads that loaded the same app. An episode is pure (its answer depends on
 * its history only), so any thread may run any instance's; it crosses as text, as on the worker protocol.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { WorkerUnavailableError } from '../../durable/index.js';
import { HostError } from '../host-error.js';
import type { EpisodeRunner } from './app-invoker.js';
import type { EpisodeReply, EpisodeRequest, ThreadData, ThreadNotice } from './episode-protocol.js';

/** The setting: how many threads run orchestrator episodes; 0 runs them in the host's thread. */
export const ORCHESTRATOR_THREADS_SETTING = 'EMBEDDED_HOST_ORCHESTRATOR_THREADS';
export const MAX_ORCHESTRATOR_THREADS = 16;

/**
 * Unset: 0. Not more by default: a thread loads the app once more and has a heap of its own (60-95 MB more in the
 * bench), which takes the 10,000-schedule peak past its goal of 400 MB (docs/performance.md).
 */
export function orchestratorThreadsSetting(env: NodeJS.ProcessEnv): number {
  const raw = env[ORCHESTRATOR_THREADS_SETTING]?.trim() ?? '';
  if (raw === '') return 0;
  const count = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(count) || count > MAX_ORCHESTRATOR_THREADS) {
    throw new HostError('BAD_SETTING', `${ORCHESTRATOR_THREADS_SETTING} must be a whole number from 0 to ${MAX_ORCHESTRATOR_THREADS}, not ${JSON.stringify(raw)}`);
  }
  return count;
}

interface Pending {
  resolve(text: string): void;
  reject(err: Error): void;
}

/** One thread and the episodes it has in hand. */
class EpisodeThread {
  readonly pending = new Map<number, Pending>();
  readonly ready: Promise<void>;
  private outgoing: EpisodeRequest[] = [];
  private closing = false;

  constructor(
    private readonly worker: Worker,
    private readonly logger: Logger,
    onLost: (thread: EpisodeThread, reason: string) => void,
  ) {
    let loaded = false;
    // Once loaded, a thread that dies is lost (replaced); before, its `ready` says why it never was.
    const gone = (reason: string): void => {
      if (this.closing) return;
      if (loaded) onLost(this, reason);
      else rejectReady(new HostError('EPISODE_THREAD_FAILED', `an orchestrator thread ${reason} while loading the app`));
    };
    let rejectReady: (err: Error) => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      rejectReady = reject;
      worker.on('message', (message: ThreadNotice | EpisodeReply) => {
        if (message.kind === 'episode') this.settle(message);
        else if (message.kind === 'ready') {
          loaded = true;
          resolve();
        } else if (message.kind === 'failed') reject(new HostError('EPISODE_THREAD_FAILED', `an orchestrator thread could not load the app: ${message.error}`));
        else this.forwardLog(message.line);
      });
    });
    worker.on('error', (err) => gone(`failed: ${err.message}`));
    worker.on('exit', (code) => gone(`exited with code ${code}`));
    this.ready.catch(() => undefined);
  }

  run(request: EpisodeRequest): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      this.outgoing.push(request);
      // An idle thread gets its episode at once; a busy one, those of this turn together once the turn is over.
      if (this.pending.size === 1) this.flush();
      else if (this.outgoing.length === 1) queueMicrotask(() => this.flush());
    });
  }

  /** Posts the episodes asked for since the last post, as one message. */
  private flush(): void {
    if (this.closing || this.outgoing.length === 0) return;
    this.worker.postMessage(this.outgoing);
    this.outgoing = [];
  }

  /** Rejects what the thread had in hand with WorkerUnavailableError: their steps are tried again, their instances do not fail. */
  failPending(reason: string): void {
    for (const pending of this.pending.values()) pending.reject(new WorkerUnavailableError(`orchestrator thread lost: ${reason}`));
    this.pending.clear();
    this.outgoing = [];
  }

  async close(): Promise<void> {
    this.closing = true;
    this.failPending('the host is stopping');
    await this.worker.terminate();
  }

  private settle(reply: EpisodeReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if ('text' in reply) pending.resolve(reply.text);
    else pending.reject(new HostError(reply.code ?? 'EPISODE_FAILED', reply.error));
  }

  /** A line of the thread's app logger, written again through the host's (level and fields kept). */
  private forwardLog(line: string): void {
    const { level, msg, ...fields } = JSON.parse(line) as { level: number; msg?: string } & Record<string, unknown>;
    const method = this.logger.levels.labels[level] as 'info' | undefined;
    if (method) this.logger[method](fields, msg ?? '');
  }
}

export interface EpisodeThreadsOptions {
  count: number;
  appDir: string;
  /** The thread's process.env (the app reads its settings there). */
  env: NodeJS.ProcessEnv;
  ignoreUnsupported: boolean;
  /** The host's app logger: lines the app writes in a thread come out here. */
  logger: Logger;
  /** Runs episodes in the host's thread once no thread is left. */
  fallback: EpisodeRunner;
}

/** The pool: each episode goes to the thread with the fewest in hand; a lost thread is replaced. */
export class EpisodeThreads implements EpisodeRunner {
  private threads: EpisodeThread[] = [];
  private nextId = 0;
  private closed = false;

  private constructor(private readonly options: EpisodeThreadsOptions) {}

  /**
   * Starts the threads. Episodes may be handed over at once (a thread takes them once it has loaded the app);
   * `ready` says when every thread has, and rejects if one could not.
   */
  static open(options: EpisodeThreadsOptions): EpisodeThreads {
    const pool = new EpisodeThreads(options);
    pool.threads = Array.from({ length: options.count }, () => pool.spawn());
    return pool;
  }

  async ready(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.ready));
  }

  run(name: string, text: string, instanceId: string): Promise<string> {
    if (this.threads.length === 0 && !this.closed) return this.options.fallback.run(name, text, instanceId);
    if (this.closed) return Promise.reject(new WorkerUnavailableError('the orchestrator threads are stopped'));
    let thread = this.threads[0] as EpisodeThread;
    for (const t of this.threads) if (t.pending.size < thread.pending.size) thread = t;
    return thread.run({ id: ++this.nextId, name, text, instanceId });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((t) => t.close()));
  }

  private spawn(): EpisodeThread {
    const { appDir, env, ignoreUnsupported, logger } = this.options;
    const data: ThreadData = { appDir, logLevel: logger.level, ignoreUnsupported };
    const worker = new Worker(path.join(__dirname, 'episode-thread.js'), { workerData: data, env, stdout: false, stderr: false });
    return new EpisodeThread(worker, logger, (thread, reason) => this.replace(thread, reason));
  }

  /**
   * A thread that died (an uncaught error, out of memory) gives its episodes back as failures and is replaced. A
   * replacement that cannot load the app leaves the pool; with none left, episodes run in the host's thread.
   */
  private replace(lost: EpisodeThread, reason: string): void {
    const at = this.threads.indexOf(lost);
    if (at < 0 || this.closed) return;
    this.options.logger.error(`orchestrator thread lost (${reason}); starting another`);
    lost.failPending(reason);
    const fresh = this.spawn();
    this.threads[at] = fresh;
    fresh.ready.catch((err: unknown) => {
      this.threads = this.threads.filter((t) => t !== fresh);
      fresh.failPending('it could not load the app');
      void fresh.close();
      const where = this.threads.length > 0 ? `${this.threads.length} thread(s) left` : 'episodes now run in the host thread';
      this.options.logger.error({ err }, `orchestrator thread not replaced; ${where}`);
    });
  }
}
