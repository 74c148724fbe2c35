/** What the host and an episode thread (episode-thread.ts) say to each other. */

/** The thread's workerData: which app to load and how. */
export interface ThreadData {
  appDir: string;
  logLevel: string;
  ignoreUnsupported: boolean;
}

/**
 * One episode: the orchestration trigger's JSON text. The host posts them in batches (an array: those asked for in one
 * turn of its event loop), and the thread answers in batches: a message costs a wake-up of the other thread, more
 * than copying an episode's text.
 */
export interface EpisodeRequest {
  id: number;
  name: string;
  text: string;
  instanceId: string;
}

/** The answer to request `id`: the orchestrator state's JSON text, or the host's error (no such function). */
export type EpisodeReply = { id: number; text: string } | { id: number; error: string; code: string | undefined };

/** Answers to episodes; the app loaded (or could not be); a log line (pino JSON) for the host's app logger. */
export type ThreadNotice =
  | { kind: 'episodes'; replies: EpisodeReply[] }
  | { kind: 'ready' }
  | { kind: 'failed'; error: string }
  | { kind: 'log'; line: string };
