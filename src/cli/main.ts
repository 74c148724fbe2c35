/**
 * `durable-event-source`: the management API from a terminal (like `temporal schedule` or `kn source ping`).
 * Exit codes: 0 done, 1 the request failed (one line says why), 2 the command line is wrong.
 */
import { CliError } from './api-client.js';
import { parseCommandLine, UsageError } from './command-line.js';
import { runCommand } from './commands.js';

const NAME = 'durable-event-source';

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv, process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${NAME}: ${error.message}\n`);
    return 2;
  }
  const { command, globals } = parsed;
  if (command.kind === 'help') {
    process.stdout.write(`${command.text}\n`);
    return 0;
  }
  try {
    const outcome = await runCommand(command, globals);
    if (outcome.text !== '') process.stdout.write(`${outcome.text}\n`);
    return outcome.exitCode;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`${error.message.split('\n').map((line) => `${NAME}: ${line}`).join('\n')}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${NAME}: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
