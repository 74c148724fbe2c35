import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values are secrets wherever they appear (top level, or one object deep such as `headers.authorization`). */
const SECRET_KEYS = [
  'connectionString', 'AzureWebJobsStorage', 'authorization', 'Authorization', 'accountKey', 'key', 'token',
  'password', 'secret', 'sig',
] as const;

/** pino's redaction of those keys (exported for the test that holds the fast path to pino's own output). */
export const REDACT = { paths: SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]), censor: '[redacted]' };

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
  return withPlainPrimitives(pino(
    {
      level: options.level ?? 'info',
      ...(options.name !== undefined ? { name: options.name } : {}),
      redact: REDACT,
    },
    // Asynchronous like the host's (src/host/main.ts): pino flushes it on exit.
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  ));
}

type Stringifier = (value: unknown, safe?: unknown) => string;

/**
 * pino runs the wildcard paths' redactor (`*.key`, `*.*.key`) on every field of every line, also on a string or a
 * number, where it finds nothing to hide and gives back JSON.stringify of the value: about 30 µs per line of 'event
 * delivered' (one a tick). Primitives go straight to JSON.stringify here, the very text the redactor returns;
 * objects, arrays and anything else still go through it. The top-level secret keys keep their own censor.
 */
function withPlainPrimitives(logger: Logger): Logger {
  const stringifiers = (logger as unknown as Record<symbol, Record<symbol, Stringifier | undefined>>)[pino.symbols.stringifiersSym];
  const redactor = stringifiers?.[pino.symbols.wildcardFirstSym];
  if (!stringifiers || !redactor) throw new Error('pino: no wildcard redactor to speed up (redact paths or pino changed)');
  stringifiers[pino.symbols.wildcardFirstSym] = (value, safe) =>
    typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? JSON.stringify(value) : redactor(value, safe);
  return logger;
}
