/**
 * The shell blocks of a Markdown page, as the doc test runs them (pure: text in, blocks out).
 *
 * Conventions (docs/README.md of the docs says them to writers too):
 * - a ```sh fence is a block of commands, run in document order against the test's `npm start`;
 * - `<!-- not run: REASON -->` as the last non-blank line before the fence marks the block as not run; the reason is
 *   required (a cluster, Docker, `func`, a second `npm start`, ...);
 * - a command line may end in `# → TEXT`: its output (stdout) must contain TEXT; `# → exit N`: it must exit with N
 *   (otherwise every command must exit 0);
 * - a line ending in `\` continues on the next; a heredoc (`<<'EOF'` … `EOF`) belongs to the command that opens it;
 *   a line that is only a comment is skipped;
 * - other shell-like fences (```bash, ```shell, ```console, ```zsh) are refused: write ```sh so that the test sees it;
 * - a block that would install, start a second `npm start`, run the whole suite, or reach a cluster, a registry or
 *   `func` (npm install/ci/start/test, npm run func/bench/lint/test:*, kubectl, kustomize, docker, func, az) must be
 *   marked not run: the test refuses to run it (it would change the checkout, or cannot run here).
 */

export interface Expectation {
  /** Text the command's stdout must contain. */
  output?: string;
  /** The exit status the command must have (default 0). */
  exit?: number;
}

export interface DocCommand {
  /** 1-based line of the page where the command starts. */
  line: number;
  /** The command as the shell runs it (continuations joined, heredoc body included, expectation comment removed). */
  text: string;
  expect: Expectation;
}

export interface ShellBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** Why the block is not run, when it is marked so. */
  notRun?: string;
  commands: DocCommand[];
}

export interface PageBlocks {
  blocks: ShellBlock[];
  /** Problems with the page's conventions (an unmarked shell-like fence, an empty reason): each fails the test. */
  problems: string[];
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)(.*)$/;
const NOT_RUN = /^\s*<!--\s*not run:(.*?)-->\s*$/;
const OTHER_SHELLS = new Set(['bash', 'shell', 'console', 'zsh', 'shell-session']);
const EXPECT = /\s+#\s*→\s*(.*)$/;
// Anywhere in a line (conservative: quoting cannot hide them), or as a command of their own.
const MUST_NOT_RUN_ANYWHERE = /\b(npm\s+(install|i|ci|start|test|run\s+(func|bench|lint|test:\w+))|npx\s+azurite|kubectl|kustomize|docker)\b|\baz\s|\$\(\s*az\b/;
const MUST_NOT_RUN_COMMAND = /^(\w+=\S*\s+)*(func|az)\b/;
const HEREDOC = /<<-?\s*(['"]?)([A-Za-z_][\w]*)\1/;

/** Splits a block's lines into commands (0-based `firstLine` is the page line of `lines[0]`). */
function commandsOf(lines: readonly string[], firstLine: number): DocCommand[] {
  const commands: DocCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i] ?? '';
    if (/^\s*(#.*)?$/.test(text)) continue;
    while (text.endsWith('\\') && i + 1 < lines.length) text = `${text.slice(0, -1)} ${(lines[++i] ?? '').trim()}`;
    const { command, expect } = splitExpectation(text);
    const heredoc = HEREDOC.exec(command);
    let body = '';
    if (heredoc) {
      const end = heredoc[2];
      while (i + 1 < lines.length && (lines[i + 1] ?? '').trim() !== end) body += `\n${lines[++i] ?? ''}`;
      i++;
      body += `\n${end}`;
    }
    commands.push({ line: firstLine + start + 1, text: `${command}${body}`, expect });
  }
  return commands;
}

function splitExpectation(text: string): { command: string; expect: Expectation } {
  const match = EXPECT.exec(text);
  if (!match) return { command: text.trim(), expect: {} };
  const command = text.slice(0, match.index).trim();
  const wanted = (match[1] ?? '').trim();
  const exit = /^exit (\d+)$/.exec(wanted);
  return { command, expect: exit ? { exit: Number(exit[1]) } : { output: wanted } };
}

/** Every shell block of a page, with its marker, and the page's convention problems. */
export function shellBlocks(markdown: string, page: string): PageBlocks {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  const problems: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const fence = open[2] ?? '```';
    const language = (open[3] ?? '').toLowerCase();
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !(lines[i] ?? '').trim().startsWith(fence)) body.push((lines[i] ?? '').slice((open[1] ?? '').length));
    if (OTHER_SHELLS.has(language)) problems.push(`${page}:${start + 1}: a \`\`\`${language} block: write \`\`\`sh (run by the doc test, or marked <!-- not run: why -->)`);
    if (language !== 'sh') continue;
    const marker = markerBefore(lines, start);
    if (marker !== undefined && marker === '') problems.push(`${page}:${start + 1}: <!-- not run: --> needs a reason`);
    const commands = commandsOf(body, start + 1);
    if (marker === undefined) {
      for (const command of commands.filter((c) => mustNotRun(c.text))) problems.push(`${page}:${command.line}: \`${command.text.split('\n')[0]}\` cannot run here: mark its block <!-- not run: why -->`);
    }
    blocks.push({ line: start + 1, ...(marker !== undefined ? { notRun: marker } : {}), commands });
  }
  return { blocks, problems };
}

/** A command the doc test must never run (see the conventions above), wherever it sits in a command line. */
export function mustNotRun(command: string): boolean {
  const line = command.split('\n')[0] ?? '';
  if (MUST_NOT_RUN_ANYWHERE.test(line) || /[^&]&\s*$/.test(line)) return true; // a cluster, an install, or left running in the background
  return line.split(/&&|\|\||[;|]/).some((part) => MUST_NOT_RUN_COMMAND.test(part.trim()));
}

function markerBefore(lines: readonly string[], fence: number): string | undefined {
  for (let j = fence - 1; j >= 0; j--) {
    const line = lines[j] ?? '';
    if (line.trim() === '') continue;
    const marker = NOT_RUN.exec(line);
    return marker ? (marker[1] ?? '').trim() : undefined;
  }
  return undefined;
}
