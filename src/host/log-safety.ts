/**
 * The host's loggers keep secrets out of their lines. Errors from the stock DurableClient (axios) carry the request
 * URL and headers, which hold the host key (`code=`), the RPC token path segment, or storage signatures; pino's
 * standard error serializer would print them all. Here an error becomes its type, code, status, message and stack,
 * with secrets masked, and every message string is masked the same way.
 */
import pino, { type Logger, type LoggerOptions } from 'pino';

const MASK = '***';
const PATTERNS: Array<[RegExp, string]> = [
  [/([?&](?:code|sig|token|key)=)[^&#\s"']+/gi, `$1${MASK}`],
  [/(\/rpc\/)[^/\s"'?]+/g, `$1${MASK}`],
  [/(AccountKey=)[^;\s"']+/gi, `$1${MASK}`],
  [/(SharedAccessSignature=)[^;\s"']+/gi, `$1${MASK}`],
  [/(x-functions-key["']?\s*[:=]\s*["']?)[^"',\s}]+/gi, `$1${MASK}`],
];

export function maskSecrets(text: string): string {
  return PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/** Serializes an error (or an error description string) without its request, response or config. */
export function safeError(value: unknown): unknown {
  if (typeof value === 'string') return maskSecrets(value);
  if (!(value instanceof Error)) return value;
  const e = value as Error & { code?: unknown; status?: unknown; statusCode?: unknown };
  const out: Record<string, unknown> = { type: e.name, message: maskSecrets(e.message) };
  if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
  const status = e.statusCode ?? e.status;
  if (typeof status === 'number') out.status = status;
  if (e.stack) out.stack = maskSecrets(e.stack);
  if (e.cause !== undefined) out.cause = safeError(e.cause);
  return out;
}

/** pino options shared by every logger of the host. */
export function safeLoggerOptions(options: LoggerOptions = {}): LoggerOptions {
  return {
    ...options,
    serializers: { ...options.serializers, err: safeError, error: safeError },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((arg: unknown) => (typeof arg === 'string' ? maskSecrets(arg) : arg));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
  };
}

export function createHostLogger(options: LoggerOptions = {}, destination?: pino.DestinationStream): Logger {
  return destination ? pino(safeLoggerOptions(options), destination) : pino(safeLoggerOptions(options));
}
