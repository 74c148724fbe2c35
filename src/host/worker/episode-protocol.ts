/** What the host and an episode thread (episode-thread.ts) say to each other. */

/** The thread's workerData: which app to load and how. */
export interface ThreadData {
  appDir: string;
  logLevel: string;
  ignoreUnsupported: boolean;
}

/**
 * One episode: the orchestration trigger's JSON text. The host posts an array of them: one when the thread is idle,
 * those asked for meanwhile together when it is busy (a message costs a wake-up of the other thread, more than
 * copying an episode's text).
 */
export interface EpisodeRequest {
  id: number;
  name: string;
  text: string;
  instanceId: string;
}

/**
 * The answer to request `id`, sent as soon as it is known (the host's step waits for it): the orchestrator state's
 * JSON text, or the host's error (no such function).
 */
export type EpisodeReply =
  | { kind: 'episode'; id: number; text: string }
  | { kind: 'episode'; id: number; error: string; code: string | undefined };

/** The app loaded (or could not be); a log line (pino JSON) for the host's app logger. */
export type ThreadNotice = { kind: 'ready' } | { kind: 'failed'; error: string } | { kind: 'log'; line: string };
