/**
 * The CLI's command line, parsed with node:util's parseArgs into one Command (pure: no I/O, so every input can be
 * checked by properties). A problem is a UsageError whose one-line message names the argument and why.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const OUTPUTS = ['table', 'json', 'yaml'] as const;
export type Output = (typeof OUTPUTS)[number];

export interface Globals {
  url: string;
  key?: string;
  output: Output;
}

/** How a schedule is created from flags: exactly one trigger, the rest optional (the server checks them all). */
export interface CreateFlags {
  every?: string;
  offset?: string;
  cron?: string;
  timezone?: string;
  at?: string;
  sink?: string;
  type?: string;
  source?: string;
  data?: string;
  contentType?: string;
  dataBase64?: string;
  paused?: boolean;
  note?: string;
}

export type Command =
  | { kind: 'help'; text: string }
  | { kind: 'list'; status?: string }
  | { kind: 'describe'; name: string }
  | { kind: 'create'; name: string; flags: CreateFlags }
  | { kind: 'apply'; file: string }
  | { kind: 'delete'; name: string }
  | { kind: 'pause'; name: string; note?: string }
  | { kind: 'resume'; name: string; note?: string }
  | { kind: 'trigger'; name: string }
  | { kind: 'backfill'; name: string; from: string; to: string }
  | { kind: 'health' };

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const DEFAULT_URL = 'http://127.0.0.1:7071';

export const USAGE = `usage: durable-event-source <command> [options]

commands:
  schedules list [--status running|paused|failed|completed]
  schedules describe NAME
  schedules create NAME (--every 10s [--offset 2s] | --cron EXPR [--timezone TZ] | --at ISO-TIME)
                        [--sink URL] [--type T] [--source S] [--paused [--note TEXT]]
                        [--content-type MEDIA-TYPE] [--data JSON, or text for a type that is not JSON | --data-base64 B64]
  schedules apply -f FILE        the SCHEDULES_FILE format (YAML or JSON), each schedule PUT through the API
  schedules delete NAME
  schedules pause NAME [--note TEXT]
  schedules resume NAME [--note TEXT]
  schedules trigger NAME
  schedules backfill NAME --from ISO-TIME --to ISO-TIME
  health

options:
  --url URL         the event source (default $EVENT_SOURCE_URL, else ${DEFAULT_URL})
  --key KEY         a Functions key, sent as x-functions-key (default $EVENT_SOURCE_KEY)
  -o, --output F    table (default), json or yaml
  -h, --help        this text`;

const OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
  status: { type: 'string' },
  every: { type: 'string' },
  offset: { type: 'string' },
  cron: { type: 'string' },
  timezone: { type: 'string' },
  at: { type: 'string' },
  sink: { type: 'string' },
  type: { type: 'string' },
  source: { type: 'string' },
  data: { type: 'string' },
  'content-type': { type: 'string' },
  'data-base64': { type: 'string' },
  paused: { type: 'boolean' },
  note: { type: 'string' },
  file: { type: 'string', short: 'f' },
  from: { type: 'string' },
  to: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** Which options each command takes besides the global ones. */
const ALLOWED: Record<Exclude<Command['kind'], 'help'>, readonly (keyof Values)[]> = {
  list: ['status'],
  describe: [],
  create: ['every', 'offset', 'cron', 'timezone', 'at', 'sink', 'type', 'source', 'data', 'content-type', 'data-base64', 'paused', 'note'],
  apply: ['file'],
  delete: [],
  pause: ['note'],
  resume: ['note'],
  trigger: [],
  backfill: ['from', 'to'],
  health: [],
};
const GLOBAL: readonly (keyof Values)[] = ['url', 'key', 'output', 'help'];

function globalsOf(values: Values, env: NodeJS.ProcessEnv): Globals {
  const output = values.output ?? 'table';
  if (!(OUTPUTS as readonly string[]).includes(output)) throw new UsageError(`--output: must be one of ${OUTPUTS.join(', ')}, not "${output}"`);
  const url = values.url ?? (env.EVENT_SOURCE_URL?.trim() || DEFAULT_URL);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url: "${url}" is not a URL (like ${DEFAULT_URL})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--url: must be http or https, not ${parsed.protocol}`);
  const key = values.key ?? (env.EVENT_SOURCE_KEY?.trim() || undefined);
  return { url: parsed.href.replace(/\/$/, ''), output: output as Output, ...(key !== undefined ? { key } : {}) };
}

function named(words: readonly string[], kind: string): string {
  if (words.length !== 1 || words[0] === undefined || words[0] === '') throw new UsageError(`schedules ${kind}: give exactly one schedule NAME`);
  return words[0];
}

function required(values: Values, option: 'file' | 'from' | 'to', kind: string): string {
  const value = values[option];
  if (value === undefined || value === '') throw new UsageError(`schedules ${kind}: --${option} is required`);
  return value;
}

function createFlags(values: Values): CreateFlags {
  const triggers = (['every', 'cron', 'at'] as const).filter((flag) => values[flag] !== undefined);
  if (triggers.length !== 1) throw new UsageError(`schedules create: give exactly one of --every, --cron or --at${triggers.length > 1 ? ` (not ${triggers.map((t) => `--${t}`).join(' and ')})` : ''}`);
  const flags: CreateFlags = {};
  for (const key of ALLOWED.create) {
    const value = values[key];
    // --content-type is flags.contentType, --data-base64 flags.dataBase64.
    const field = key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (value !== undefined) (flags as Record<string, string | boolean>)[field] = value;
  }
  return flags;
}

function scheduleCommand(verb: string | undefined, words: readonly string[], values: Values): Command {
  switch (verb) {
    case 'list':
      if (words.length > 0) throw new UsageError(`schedules list: takes no NAME (got "${words[0]}")`);
      return { kind: 'list', ...(values.status !== undefined ? { status: values.status } : {}) };
    case 'describe':
    case 'delete':
    case 'trigger':
      return { kind: verb, name: named(words, verb) };
    case 'pause':
    case 'resume':
      return { kind: verb, name: named(words, verb), ...(values.note !== undefined ? { note: values.note } : {}) };
    case 'create':
      return { kind: 'create', name: named(words, verb), flags: createFlags(values) };
    case 'apply':
      if (words.length > 0) throw new UsageError('schedules apply: name the file with -f FILE');
      return { kind: 'apply', file: required(values, 'file', verb) };
    case 'backfill':
      return { kind: 'backfill', name: named(words, verb), from: required(values, 'from', verb), to: required(values, 'to', verb) };
    default:
      throw new UsageError(verb === undefined ? 'schedules: give a command (list, describe, create, apply, delete, pause, resume, trigger, backfill)' : `schedules: unknown command "${verb}"`);
  }
}

function commandOf(positionals: readonly string[], values: Values): Command {
  const [group, verb, ...words] = positionals;
  if (group === 'health') {
    if (positionals.length > 1) throw new UsageError(`health: takes no arguments (got "${positionals[1]}")`);
    return { kind: 'health' };
  }
  if (group === 'schedules' || group === 'schedule') return scheduleCommand(verb, words, values);
  throw new UsageError(group === undefined ? 'give a command: schedules … or health (--help lists them)' : `unknown command "${group}" (--help lists the commands)`);
}

/** The command and the global options of `argv` (without node and the script); throws UsageError. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): { command: Command; globals: Globals } {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n', 1)[0] ?? 'invalid arguments');
  }
  const { values, positionals } = parsed;
  const globals = globalsOf(values, env);
  if (values.help === true || positionals.length === 0) return { command: { kind: 'help', text: USAGE }, globals };
  const command = commandOf(positionals, values);
  const allowed = new Set<keyof Values>([...GLOBAL, ...(command.kind === 'help' ? [] : ALLOWED[command.kind])]);
  const stray = (Object.keys(values) as (keyof Values)[]).find((key) => !allowed.has(key));
  if (stray !== undefined) throw new UsageError(`--${stray}: not an option of ${command.kind === 'health' ? 'health' : `schedules ${command.kind}`}`);
  return { command, globals };
}
