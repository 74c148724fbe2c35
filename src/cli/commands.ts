/**
 * What each CLI command asks of the management API, and what it prints. A command gives its text and exit code;
 * failures are thrown as CliError (one line each) and printed by main.
 */
import { isJsonContentType } from '../eventsource/core/definition-fields.js';
import { call, CliError, schedulePath } from './api-client.js';
import type { Command, CreateFlags, Globals } from './command-line.js';
import { cell, render } from './render.js';
import { readDefinitions } from './schedule-file.js';

export interface Outcome {
  text: string;
  exitCode: number;
}

type Json = Record<string, unknown>;

const done = (text: string, exitCode = 0): Outcome => ({ text, exitCode });

function asObject(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** The definition `schedules create` PUTs; --data is JSON, or the text itself for a --content-type that is not JSON. */
export function definitionOf(name: string, flags: CreateFlags): Json {
  let data: unknown;
  if (flags.data !== undefined && flags.contentType !== undefined && !isJsonContentType(flags.contentType)) {
    data = flags.data;
  } else if (flags.data !== undefined) {
    try {
      data = JSON.parse(flags.data) as unknown;
    } catch {
      throw new CliError(`--data: is not JSON (quote it: --data '{"k":"v"}')`);
    }
  }
  const event = {
    ...(flags.type !== undefined ? { type: flags.type } : {}),
    ...(flags.source !== undefined ? { source: flags.source } : {}),
    ...(flags.contentType !== undefined ? { contentType: flags.contentType } : {}),
    ...(data !== undefined ? { data } : {}),
    ...(flags.dataBase64 !== undefined ? { dataBase64: flags.dataBase64 } : {}),
  };
  const { type: _t, source: _s, data: _d, contentType: _c, dataBase64: _b, ...rest } = flags;
  return { name, ...rest, ...(Object.keys(event).length > 0 ? { event } : {}) };
}

async function list(globals: Globals, status: string | undefined): Promise<Outcome> {
  const schedules: unknown[] = [];
  let token: string | undefined;
  do {
    const query = new URLSearchParams({ top: '1000', ...(status !== undefined ? { status } : {}), ...(token !== undefined ? { continuationToken: token } : {}) });
    const page = asObject((await call(globals, 'GET', `/api/schedules?${query.toString()}`)).body);
    schedules.push(...(Array.isArray(page.schedules) ? (page.schedules as unknown[]) : []));
    token = typeof page.continuationToken === 'string' ? page.continuationToken : undefined;
  } while (token !== undefined);
  return done(render(schedules, globals.output, 'list'));
}

const PUT_OUTCOME: Record<number, string> = { 200: 'replaced', 201: 'created', 202: 'accepted (not shown by the schedule yet)' };

async function put(globals: Globals, name: string, definition: Json): Promise<string> {
  const answer = await call(globals, 'PUT', schedulePath(name), definition);
  return `schedule ${name} ${PUT_OUTCOME[answer.status] ?? `answered ${answer.status}`}`;
}

async function apply(globals: Globals, file: string): Promise<Outcome> {
  const lines: string[] = [];
  let failed = 0;
  for (const { name, definition } of await readDefinitions(file)) {
    try {
      lines.push(await put(globals, name, { ...definition, name }));
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      failed += 1;
      lines.push(`schedule ${name} not applied: ${error.message}`);
    }
  }
  return done(lines.join('\n'), failed > 0 ? 1 : 0);
}

async function health(globals: Globals): Promise<Outcome> {
  const body = asObject((await call(globals, 'GET', '/api/healthz')).body);
  const ok = body.status === 'ok';
  if (globals.output !== 'table') return done(render(body, globals.output, 'object'), ok ? 0 : 1);
  const reasons = Array.isArray(body.reasons) ? body.reasons.map((reason) => `  ${String(reason)}`) : [];
  return done([cell(body.status ?? 'unknown'), ...reasons].join('\n'), ok ? 0 : 1);
}

/** For the commands whose answer is a short confirmation: the line for a person, or the body for a program. */
function confirmed(globals: Globals, line: string, body: unknown): Outcome {
  return done(globals.output === 'table' ? line : render(body ?? {}, globals.output, 'object'));
}

export async function runCommand(command: Exclude<Command, { kind: 'help' }>, globals: Globals): Promise<Outcome> {
  switch (command.kind) {
    case 'list':
      return list(globals, command.status);
    case 'describe':
      return done(render((await call(globals, 'GET', schedulePath(command.name))).body, globals.output, 'object'));
    case 'create': {
      const line = await put(globals, command.name, definitionOf(command.name, command.flags));
      return done(line);
    }
    case 'apply':
      return apply(globals, command.file);
    case 'delete':
      await call(globals, 'DELETE', schedulePath(command.name));
      return done(`schedule ${command.name} deleted`);
    case 'pause':
    case 'resume': {
      const body = command.note !== undefined ? { note: command.note } : undefined;
      const answer = await call(globals, 'POST', schedulePath(command.name, command.kind), body);
      return confirmed(globals, `schedule ${command.name}: ${command.kind} accepted`, answer.body);
    }
    case 'trigger': {
      const answer = await call(globals, 'POST', schedulePath(command.name, 'trigger'));
      return confirmed(globals, `schedule ${command.name} triggered: event id ${cell(asObject(answer.body).id ?? '?')}`, answer.body);
    }
    case 'backfill': {
      const answer = await call(globals, 'POST', schedulePath(command.name, 'backfill'), { from: command.from, to: command.to });
      return confirmed(globals, `schedule ${command.name}: backfill of ${cell(asObject(answer.body).ticks ?? '?')} tick(s) accepted`, answer.body);
    }
    case 'health':
      return health(globals);
  }
}
