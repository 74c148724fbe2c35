/** The doc test's reading of a page: which blocks run, which commands they hold, what each must answer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mustNotRun, shellBlocks } from './doc-blocks.js';

const PAGE = [
  '# A page', // 1
  '```sh', // 2
  '# a comment line is skipped',
  'curl -i -X POST http://127.0.0.1:7071/api/x   # → 202 Accepted',
  'npx durable-event-source schedules create a \\',
  '  --every 10s          # a plain comment stays',
  '```',
  '',
  '<!-- not run: needs a cluster -->', // 9
  '',
  '```sh', // 11
  'kubectl apply -k k8s/',
  '```',
  '- a list item:',
  '  ```sh', // 15
  "  cat > \"$TMPDIR/s.yaml\" <<'EOF'",
  '  schedules:',
  '    - {name: a, every: 5s}   # → not an expectation inside a heredoc',
  '  EOF',
  '  false   # → exit 1',
  '  ```',
  '```yaml',
  'a: 1',
  '```',
].join('\n');

test('blocks, markers, continuations, heredocs and expectations', () => {
  const { blocks, problems } = shellBlocks(PAGE, 'page.md');
  assert.deepEqual(problems, []);
  assert.deepEqual(
    blocks.map((b) => ({ line: b.line, notRun: b.notRun, commands: b.commands.map((c) => ({ ...c })) })),
    [
      {
        line: 2,
        notRun: undefined,
        commands: [
          { line: 4, text: 'curl -i -X POST http://127.0.0.1:7071/api/x', expect: { output: '202 Accepted' } },
          { line: 5, text: 'npx durable-event-source schedules create a  --every 10s          # a plain comment stays', expect: {} },
        ],
      },
      { line: 11, notRun: 'needs a cluster', commands: [{ line: 12, text: 'kubectl apply -k k8s/', expect: {} }] },
      {
        line: 15,
        notRun: undefined,
        commands: [
          { line: 16, text: "cat > \"$TMPDIR/s.yaml\" <<'EOF'\nschedules:\n  - {name: a, every: 5s}   # → not an expectation inside a heredoc\nEOF", expect: {} },
          { line: 20, text: 'false', expect: { exit: 1 } },
        ],
      },
    ],
  );
});

test('a shell block in another dialect, or a not-run marker without a reason, is a problem', () => {
  const { problems } = shellBlocks(['```bash', 'ls', '```', '<!-- not run: -->', '```sh', 'ls', '```'].join('\n'), 'p.md');
  assert.equal(problems.length, 2);
  assert.match(problems[0] ?? '', /^p\.md:1: a ```bash block/);
  assert.match(problems[1] ?? '', /^p\.md:5: .*needs a reason/);
});

test('commands that would install, start a second npm start, or need a cluster must be marked', () => {
  for (const command of ['npm install && npm start', 'npm ci', 'npm test', 'npm run test:unit', 'npm run lint', 'npm run func', 'npm run bench', 'BENCH_QUICK=1 npm run bench', 'OTEL_SERVICE_NAME=x npm start', 'kubectl apply -k k8s/', 'cd k8s/ && kustomize edit set image a=b', 'docker build .', 'KEY=$(kubectl -n x get secret y)', 'npx azurite --silent', 'func start', 'sleep 100 &', "BENCH_LEVELS='azurite:300;proxy10ms:100' npm run bench"]) {
    assert.ok(mustNotRun(command), command);
  }
  for (const command of ['npx durable-event-source schedules list', 'curl -s http://127.0.0.1:7071/api/healthz', 'npm run cli -- health', 'npm run cli -- schedules list', 'a && b', 'grep -c functional x']) {
    assert.ok(!mustNotRun(command), command);
  }
  const { problems } = shellBlocks(['```sh', 'npm ci', '```'].join('\n'), 'p.md');
  assert.match(problems[0] ?? '', /^p\.md:2: `npm ci` cannot run here/);
});
