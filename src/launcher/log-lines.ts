/**
 * Turns the JSON log lines of the components into lines a person can follow in a terminal:
 * `12:00:01 [hello-events] event received id=… sequence=…`. Lines that are not JSON pass through.
 */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: '', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const LABELS: Record<string, string> = { trace: 'TRACE', debug: 'DEBUG', info: '', warn: 'WARN', error: 'ERROR', fatal: 'FATAL' };

/** pino writes a level as a number by default and as a label where its formatter says so (the event source's). */
function levelOf(level: unknown): string {
  if (typeof level === 'number') return LEVELS[level] ?? '';
  if (typeof level === 'string') return LABELS[level] ?? level.toUpperCase();
  return '';
}

function clock(time: unknown): string {
  const date = typeof time === 'number' || typeof time === 'string' ? new Date(time) : new Date();
  return (Number.isNaN(date.getTime()) ? new Date() : date).toISOString().slice(11, 19);
}

function show(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** A record's message as written: a string as it is, anything else as JSON. */
function messageOf(msg: unknown): string {
  if (msg === undefined || msg === null) return '';
  return typeof msg === 'string' ? msg : JSON.stringify(msg);
}

export function formatLine(component: string, line: string): string {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a record');
    record = parsed as Record<string, unknown>;
  } catch {
    return `${clock(undefined)} [${component}] ${line}`;
  }
  const level = levelOf(record.level);
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${show(value)}`)
    .join(' ');
  const head = `${clock(record.time)} [${component}]${level ? ` ${level}` : ''} ${messageOf(record.msg)}`;
  return fields ? `${head} ${fields}` : head;
}
