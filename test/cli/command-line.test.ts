/** The CLI's command line: every command parses to what it names; anything else is one UsageError naming the problem. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_URL, parseCommandLine, UsageError, type CreateFlags } from '../../src/cli/command-line.js';
import { definitionOf } from '../../src/cli/commands.js';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseCommandLine(argv, env);

test('each command and its options', () => {
  assert.deepEqual(parse(['schedules', 'list', '--status', 'paused']).command, { kind: 'list', status: 'paused' });
  assert.deepEqual(parse(['schedules', 'describe', 'a']).command, { kind: 'describe', name: 'a' });
  assert.deepEqual(parse(['schedules', 'create', 'n', '--cron', '0 30 2 * * *', '--timezone', 'Europe/Berlin']).command, {
    kind: 'create',
    name: 'n',
    flags: { cron: '0 30 2 * * *', timezone: 'Europe/Berlin' },
  });
  assert.deepEqual(parse(['schedules', 'create', 'n', '--every', '1m', '--content-type', 'text/plain', '--data-base64', 'AAE=']).command, {
    kind: 'create',
    name: 'n',
    flags: { every: '1m', contentType: 'text/plain', dataBase64: 'AAE=' },
  });
  assert.deepEqual(parse(['schedules', 'apply', '-f', 's.yaml']).command, { kind: 'apply', file: 's.yaml' });
  assert.deepEqual(parse(['schedules', 'pause', 'a', '--note', 'maintenance']).command, { kind: 'pause', name: 'a', note: 'maintenance' });
  assert.deepEqual(parse(['schedules', 'backfill', 'a', '--from', 'x', '--to', 'y']).command, { kind: 'backfill', name: 'a', from: 'x', to: 'y' });
  assert.deepEqual(parse(['health']).command, { kind: 'health' });
  assert.equal(parse([]).command.kind, 'help');
  assert.equal(parse(['schedules', 'list', '--help']).command.kind, 'help');
});

test('--url, --key and --output, else EVENT_SOURCE_URL and EVENT_SOURCE_KEY, else the local host', () => {
  assert.deepEqual(parse(['health']).globals, { url: DEFAULT_URL, output: 'table' });
  assert.deepEqual(parse(['health'], { EVENT_SOURCE_URL: 'http://h:1/', EVENT_SOURCE_KEY: 'k' }).globals, { url: 'http://h:1', key: 'k', output: 'table' });
  assert.deepEqual(parse(['health', '--url', 'https://x', '--key', 'k2', '-o', 'yaml'], { EVENT_SOURCE_URL: 'http://h:1', EVENT_SOURCE_KEY: 'k' }).globals, {
    url: 'https://x',
    key: 'k2',
    output: 'yaml',
  });
});

test('mistakes are one line naming the argument', () => {
  const refusals: Array<[string[], RegExp]> = [
    [['schedules', 'create', 'n'], /exactly one of --every, --cron or --at/],
    [['schedules', 'create', 'n', '--every', '1s', '--cron', '* * * * *'], /not --every and --cron/],
    [['schedules', 'describe'], /exactly one schedule NAME/],
    [['schedules', 'backfill', 'a', '--from', 'x'], /--to is required/],
    [['schedules', 'apply'], /--file is required/],
    [['schedules', 'frobnicate'], /unknown command "frobnicate"/],
    [['deploy'], /unknown command "deploy"/],
    [['schedules', 'list', '--note', 'x'], /--note: not an option of schedules list/],
    [['health', '-o', 'xml'], /--output: must be one of table, json, yaml/],
    [['health', '--url', 'ftp://x'], /--url: must be http or https/],
    [['health', '--bogus'], /bogus/],
  ];
  for (const [argv, pattern] of refusals) {
    assert.throws(() => parse(argv), (error: unknown) => error instanceof UsageError && pattern.test(error.message) && !error.message.includes('\n'), argv.join(' '));
  }
});

test('any command line parses or is refused with one UsageError line, never another failure', () => {
  const word = fc.oneof(fc.constantFrom('schedules', 'list', 'create', 'apply', 'pause', 'health', '--every', '--note', '-f', '-o', 'json', '--url', '--key', '--help'), fc.string());
  fc.assert(
    fc.property(fc.array(word, { maxLength: 8 }), fc.option(fc.string(), { nil: undefined }), (argv, url) => {
      try {
        const { command, globals } = parse(argv, url === undefined ? {} : { EVENT_SOURCE_URL: url });
        assert.ok(command.kind.length > 0);
        assert.match(globals.url, /^https?:\/\//);
      } catch (error) {
        assert.ok(error instanceof UsageError, String(error));
        assert.ok(!error.message.includes('\n'));
      }
    }),
    { numRuns: 500 },
  );
});

test('create: --data is JSON, or the text itself for a --content-type that is not JSON; --data-base64 as given', () => {
  const event = (flags: CreateFlags) => definitionOf('n', { every: '1m', ...flags })['event'];
  assert.deepEqual(event({ data: '{"a":1}' }), { data: { a: 1 } });
  assert.deepEqual(event({ contentType: 'application/vnd.x+json', data: '"text"' }), { contentType: 'application/vnd.x+json', data: 'text' });
  assert.deepEqual(event({ contentType: 'text/plain', data: 'hello {not json' }), { contentType: 'text/plain', data: 'hello {not json' });
  assert.deepEqual(event({ contentType: 'application/octet-stream', dataBase64: 'AAE=' }), { contentType: 'application/octet-stream', dataBase64: 'AAE=' });
  assert.throws(() => event({ data: 'hello' }), /^CliError: --data: is not JSON/);
});
