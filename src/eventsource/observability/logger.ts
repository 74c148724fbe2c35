import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values are secrets wherever they appear (top level, or one object deep such as `headers.authorization`). */
const SECRET_KEYS = [
  'connectionString', 'AzureWebJobsStorage', 'authorization', 'Authorization', 'accountKey', 'key', 'token',
  'password', 'secret', 'sig',
] as const;

export interface LoggerOptions {
  /** pino level (fatal, error, warn, info, debug, trace, silent); default info. */
  level?: string;
  name?: string;
  /** Where the JSON lines go; default stdout (tests pass a stream to read them). */
  destination?: DestinationStream;
}

/**
 * The one logger of the core: JSON lines on stdout in the format of the host's and hello-events' (pino's own: the
 * level as a number, the time in epoch milliseconds), so one reader shows them all with their levels; secrets redacted.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const paths = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
  return pino(
    {
      level: options.level ?? 'info',
      ...(options.name !== undefined ? { name: options.name } : {}),
      redact: { paths, censor: '[redacted]' },
    },
    // Asynchronous like the host's (src/host/main.ts): pino flushes it on exit.
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
