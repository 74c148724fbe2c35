// Lint for the whole project (`npm run lint`): typescript-eslint's type-checked rules, the layering of src/ as
// import rules (docs/architecture.md), deterministic orchestrator code, and the few formatting rules the code already
// follows everywhere (there is no formatter: these rules describe the code as it is, they do not restyle it).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import ts from 'typescript';

const CORE = 'src/eventsource/core';
const ORCHESTRATOR = 'src/functions/schedule-orchestrator.ts';
// Modules that do I/O (files, network, DNS, TLS, HTTP, processes, logging, metrics, tracing, Azure): never in core.
const IO_MODULES =
  '^(node:)?(fs|fs/promises|net|dns|dns/promises|tls|http|https|http2|child_process|worker_threads|perf_hooks)$|' +
  '^(undici|pino|prom-client|yaml|durable-functions)$|^@opentelemetry/|^@azure/';

/** `../` n times, as a regular expression. */
const up = (n) => '\\.\\./'.repeat(n);

/**
 * One config block per folder depth under `dir` (flat config matches `*` within one folder), since a relative import
 * leaves `dir` with as many `../` as the importing file is deep. `patternsAt(depth)` gives the forbidden patterns
 * for files `depth` folders below `dir`; `up(depth + 1)` leads from such a file to the parent of `dir`.
 */
function layer(dir, patternsAt) {
  return [0, 1, 2, 3, 4].map((depth) => ({
    files: [`${dir}/${'*/'.repeat(depth)}*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: patternsAt(depth) }] },
  }));
}

/** Forbids relative imports of the given folders of src/ from files `depth` folders below a folder of src/. */
function srcFolders(depth, folders, message) {
  return { regex: `^${up(depth + 1)}(${folders.join('|')})(/|$)`, message };
}

const layers = [
  // (e) The event source sits below the Functions app: nothing of src/functions (the composition root included). Before
  // (a), whose stricter rule replaces this one for the files of core (a later block's options win).
  ...layer('src/eventsource', (depth) => [
    srcFolders(depth, ['functions'], 'src/eventsource sits below the Functions app: it imports nothing of src/functions (take what it needs as arguments).'),
  ]),
  // (f) One composition root: only the registration files (src/functions/*.ts) take services from app-root; what is
  // below them (shared/, the dashboard) imports neither app-root nor a registration file and takes what it uses as arguments.
  ...['src/functions/shared', 'src/functions/dashboard'].flatMap((dir) =>
    layer(dir, (depth) => [
      { regex: `^${up(depth + 1)}[^./][^/]*$`, message: `${dir} is below the registration files: it imports neither app-root nor a registration file (the registration file passes the services it needs as arguments).` },
    ]),
  ),
  // (a) The event source's core is pure: no I/O module, nothing outside core.
  ...layer(CORE, (depth) => [
    { regex: IO_MODULES, message: 'src/eventsource/core is pure: it imports no I/O module (do the I/O beside core and pass the result in).' },
    // Except hello-events' media-type parser: pure, and kept in hello-events, whose image holds only its own folder
    // (test/eventsource/core-purity.test.ts allows the same one).
    { regex: `^${up(depth + 1)}(?!${up(1)}hello-events/media-type\\.js$)`, message: 'src/eventsource/core imports nothing outside core.' },
  ]),
  // (b) The durable engine is its own package: nothing of the host or the apps on it.
  ...layer('src/durable', (depth) => [
    srcFolders(depth, ['host', 'eventsource', 'functions', 'launcher', 'cli', 'hello-events'], 'src/durable is the engine package: it imports nothing of the host or the apps.'),
  ]),
  // (c) The host runs any Functions app: nothing of this app; the engine only through its index.
  ...layer('src/host', (depth) => [
    srcFolders(depth, ['eventsource', 'functions'], 'src/host runs any Functions app: it imports nothing of src/eventsource or src/functions.'),
    { regex: `^${up(depth + 1)}durable/(?!index\\.js$)`, message: 'src/host uses the engine through src/durable/index.js only.' },
  ]),
  // (d) hello-events is a separate service: nothing else of src.
  ...layer('src/hello-events', (depth) => [
    { regex: `^${up(depth + 1)}`, message: 'src/hello-events is a service of its own: it imports nothing else of src.' },
  ]),
];

/** The orchestrator and the core files it imports, directly or through other core files: replayed code. */
function orchestratorFiles() {
  const files = new Set();
  const visit = (file) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = path.posix.join(path.posix.dirname(file), fileName).replace(/\.js$/, '.ts');
      if (target.startsWith(`${CORE}/`)) visit(target);
    }
  };
  visit(ORCHESTRATOR);
  return [...files];
}

// Writes to process.env (issue #17: configuration is read once, never passed through globals). The embedded host is the
// one exception, at the places marked: it runs the app in its own process, so it hands the app its settings there.
const ENV_WRITE = 'no writes to process.env: pass the value on as an argument';
const envWrites = [
  { selector: "AssignmentExpression > MemberExpression.left[object.object.name='process'][object.property.name='env']", message: `${ENV_WRITE}.` },
  { selector: "AssignmentExpression > MemberExpression.left[object.name='process'][property.name='env']", message: `${ENV_WRITE}.` },
  { selector: "UnaryExpression[operator='delete'] > MemberExpression[object.object.name='process'][object.property.name='env']", message: `${ENV_WRITE}.` },
  { selector: "CallExpression[callee.object.name='Object'][callee.property.name='assign'][arguments.0.object.name='process'][arguments.0.property.name='env']", message: `${ENV_WRITE}.` },
];
const configuration = [
  { files: ['src/**/*.ts', 'src/**/*.mjs'], rules: { 'no-restricted-syntax': ['error', ...envWrites] } },
  {
    // The app reads its settings in one place, the composition root, and passes them down.
    files: ['src/functions/**/*.ts', 'src/eventsource/**/*.ts'],
    ignores: ['src/functions/app-root.ts'],
    rules: { 'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'only src/functions/app-root.ts reads process.env: take the setting from the services it passes down.' }] },
  },
];

const NOT_REPLAY_SAFE = 'orchestrator code is replayed: use context.df.currentUtcDateTime (time) or take the value as input (randomness)';
const determinism = {
  files: orchestratorFiles(),
  rules: {
    'no-restricted-syntax': [
      'error',
      { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: `Date.now(): ${NOT_REPLAY_SAFE}.` },
      { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: `new Date(): ${NOT_REPLAY_SAFE}.` },
      { selector: "CallExpression[callee.name='Date']", message: `Date(): ${NOT_REPLAY_SAFE}.` },
      { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: `Math.random(): ${NOT_REPLAY_SAFE}.` },
      { selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']", message: `performance.now(): ${NOT_REPLAY_SAFE}.` },
      { selector: "CallExpression[callee.property.name='randomUUID']", message: `randomUUID(): ${NOT_REPLAY_SAFE}.` },
      // This block's options replace the ones above for these files: the rule against writing process.env goes on.
      ...envWrites,
    ],
    'no-restricted-globals': ['error', { name: 'setTimeout', message: `setTimeout: ${NOT_REPLAY_SAFE} (durable timers: context.df.createTimer).` }],
  },
};

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'src/functions/dashboard/**/*.js', 'test/**/fixtures/**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // node:test's test() and describe() return promises the runner awaits itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-explicit-any': 'error',
      // An async function may await nothing: it implements a Promise-returning interface (stores, handlers).
      '@typescript-eslint/require-await': 'off',
      // Orchestrators are generator functions by the durable-functions API, even those that yield nothing.
      'require-yield': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Matching control characters is how this project refuses them (ids, headers, log lines, CloudEvents).
      'no-control-regex': 'off',
      // Formatting the code already follows everywhere (no formatter restyles it).
      quotes: ['error', 'single', { avoidEscape: true, allowTemplateLiterals: true }],
      semi: ['error', 'always'],
      'eol-last': 'error',
      'no-trailing-spaces': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'prefer-const': 'error',
    },
  },
  {
    // Functions about a screen at most (issue #17); tests are exempt: a scenario reads best as one block.
    files: ['src/**/*.ts', 'src/**/*.mjs'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }] },
  },
  {
    // Plain JavaScript (the build, the test runner, the CLI's bin, this file): no type information.
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
  },
  {
    // CommonJS scripts (the package's bin): require is how they load.
    files: ['bin/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', __dirname: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...layers,
  ...configuration,
  determinism,
);
