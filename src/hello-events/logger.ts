import pino from 'pino';

export type Logger = pino.Logger;

/** JSON lines on stdout, or on the given destination (tests pass a stream to read the lines back). */
export function createLogger(destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = { base: { service: 'hello-events' } };
  return destination ? pino(options, destination) : pino(options);
}
