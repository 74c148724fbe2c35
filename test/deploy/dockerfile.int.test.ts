import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { K8S_DIR, REPO_ROOT, asArray, asRecord, at, buildKustomization } from './manifests.js';
import { args, envOf, localSourceOf, parseDockerfile, stage, type Stage } from './dockerfile.js';

/** The `npm ci` / `npm prune` lines that produced the node_modules a stage copies from `from`. */
function npmLinesOf(stages: readonly Stage[], from: string): string {
  return args(stage(stages, from), 'RUN').join(' && ');
}

/** A tiny glob (only `*`, never crossing `/`) as a RegExp, like the Functions host applies to "main". */
function globToRegExp(glob: string): RegExp {
  const escaped = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('[^/]*')}$`);
}

const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);

describe('Dockerfile', () => {
  test('has a node:22-slim build stage and the three targets on their named bases', () => {
    assert.equal(stage(stages, 'build').base, 'node:22-slim');
    assert.equal(stage(stages, 'functions').base, 'mcr.microsoft.com/azure-functions/node:4-node22');
    assert.equal(stage(stages, 'embedded').base, 'node:22-slim');
    assert.equal(stage(stages, 'hello-events').base, 'node:22-slim');
    // Without --target the last stage is built: that stays the functions image.
    assert.equal(stages.at(-1)?.name, 'functions');
    const build = npmLinesOf(stages, 'build');
    assert.match(build, /npm ci\b/);
    assert.match(args(stage(stages, 'build'), 'RUN').join('\n'), /npm run build/);
  });

  test('no local.settings.json, .data or test output is copied into any stage', () => {
    for (const s of stages) {
      for (const copy of [...args(s, 'COPY'), ...args(s, 'ADD')]) {
        assert.doesNotMatch(copy, /local\.settings\.json|\.data\b|dist\/test|(^|\s)\.\s+\.?\/?$/, `${s.name}: COPY ${copy}`);
      }
    }
  });

  test('images get production node_modules only: no devDependencies, no optional core tools', () => {
    for (const name of ['functions', 'embedded', 'hello-events']) {
      const copies = args(stage(stages, name), 'COPY').filter((c) => /node_modules/.test(c));
      assert.equal(copies.length, 1, `${name} copies node_modules once`);
      const from = /--from=(\S+)/.exec(copies[0] ?? '')?.[1];
      assert.ok(from, `${name} copies node_modules from a stage`);
      const npm = npmLinesOf(stages, from);
      const pruned = /npm prune[^&]*--omit=dev/.test(npm);
      const prodOnly = /npm (ci|install)[^&]*--omit=dev/.test(npm) && /npm (ci|install)[^&]*--omit=optional/.test(npm);
      assert.ok(prodOnly || (pruned && /--omit=optional/.test(npm)), `${from}: ${npm}`);
    }
  });

  test('the functions target: script root, console logging, host.json, package.json, dist/src', () => {
    const functions = stage(stages, 'functions');
    const env = envOf(functions);
    assert.equal(env.get('AzureWebJobsScriptRoot'), '/home/site/wwwroot');
    assert.equal(env.get('AzureFunctionsJobHost__Logging__Console__IsEnabled'), 'true');
    assert.equal(args(functions, 'WORKDIR').at(-1), '/home/site/wwwroot');
    const copies = args(functions, 'COPY');
    assert.ok(copies.some((c) => /(^|\s)host\.json\s/.test(c) && /package\.json/.test(c)), 'copies host.json and package.json');
    const dist = copies.find((c) => c.includes('--from=build'));
    assert.ok(dist, 'copies the compiled output from the build stage');
    assert.match(dist, /\/app\/dist\/src\s+(\.\/dist\/src|\/home\/site\/wwwroot\/dist\/src)\/?$/);
    assert.doesNotMatch(dockerfile, /\/dist\/test/);
    assert.match(dockerfile, /No job functions found/, 'the comment naming the failure a wrong "main" causes');
  });

  test('the CLI comes with the functions and embedded images (bin/ beside the compiled dist/src/cli)', () => {
    const bin = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { bin?: Record<string, string> }).bin ?? {};
    assert.equal(bin['durable-event-source'], 'bin/durable-event-source.js');
    const shim = readFileSync(path.join(REPO_ROOT, 'bin', 'durable-event-source.js'), 'utf8');
    assert.match(shim, /'dist', 'src', 'cli', 'main\.js'/);
    for (const name of ['functions', 'embedded']) {
      const copies = args(stage(stages, name), 'COPY');
      assert.ok(copies.some((c) => /^bin\s+\.\/bin\/?$/.test(c)), `${name}: COPY bin ./bin`);
    }
  });

  test('the hello-events target runs main.js as a non-root user on 8080', () => {
    const hello = stage(stages, 'hello-events');
    const users = args(hello, 'USER');
    assert.ok(users.length > 0, 'sets USER');
    assert.doesNotMatch(users.at(-1) ?? '', /^(root|0)(:|$)/);
    const order = hello.instructions.map((i) => i.keyword);
    assert.ok(order.lastIndexOf('USER') < order.lastIndexOf('CMD'), 'USER comes before CMD');
    assert.equal(envOf(hello).get('PORT'), '8080');
    assert.deepEqual(args(hello, 'EXPOSE'), ['8080']);
    assert.deepEqual(JSON.parse(args(hello, 'CMD').at(-1) ?? '[]'), ['node', 'dist/src/hello-events/main.js']);
  });
});

/**
 * A require call as compiled: TypeScript's own (double quotes) and a lazy one written in the source (single quotes);
 * not one quoted in a comment (`require('...')`) or a method of that name.
 */
const REQUIRE_CALL = /(?<![`\w.])require\((["'])([^"']+)\1\)/g;

/** Compiled modules reachable by require from the entry files, and the bare package names they require. */
function requireClosure(entries: readonly string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    files.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(REQUIRE_CALL)) {
      const id = String(match[2]);
      if (id.startsWith('.')) {
        const base = path.resolve(path.dirname(file), id);
        const resolved = [base, `${base}.js`, path.join(base, 'index.js')].find((candidate) => existsSync(candidate) && candidate.endsWith('.js'));
        assert.ok(resolved, `${path.relative(REPO_ROOT, file)} requires ${id}, which was not built`);
        pending.push(resolved);
      } else if (!id.startsWith('node:') && !builtinModules.includes(id)) {
        const parts = id.split('/');
        packages.add(id.startsWith('@') ? parts.slice(0, 2).join('/') : String(parts[0]));
      }
    }
  }
  return { files, packages };
}

describe('the embedded target', () => {
  const embedded = stage(stages, 'embedded');
  const workdir = args(embedded, 'WORKDIR').at(-1) ?? '';
  const cmd = JSON.parse(args(embedded, 'CMD').at(-1) ?? '[]') as string[];

  test('runs the embedded host as a non-root user, on the PORT it exposes', () => {
    const users = args(embedded, 'USER');
    assert.ok(users.length > 0, 'sets USER');
    assert.doesNotMatch(users.at(-1) ?? '', /^(root|0)(:|$)/);
    const order = embedded.instructions.map((i) => i.keyword);
    assert.ok(order.lastIndexOf('USER') < order.lastIndexOf('CMD'), 'USER comes before CMD');
    const port = envOf(embedded).get('PORT');
    assert.deepEqual(args(embedded, 'EXPOSE'), [port]);
    assert.equal(envOf(embedded).get('FUNCTIONS_PORT'), undefined, 'FUNCTIONS_PORT would win over PORT');
    assert.equal(envOf(embedded).get('NODE_ENV'), 'production');
    assert.deepEqual(cmd, ['node', 'dist/src/host/main.js']);
  });

  test('every COPY source exists (after the build) and is not hidden by .dockerignore', () => {
    const ignored = new Set(readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()));
    for (const copy of args(embedded, 'COPY')) {
      const parts = copy.split(/\s+/);
      const fromContext = !parts[0]?.startsWith('--from=');
      for (const source of parts.filter((p) => !p.startsWith('--')).slice(0, -1)) {
        if (fromContext) {
          assert.ok(existsSync(path.join(REPO_ROOT, source)), `COPY ${source}: not in the build context`);
          assert.ok(!ignored.has(source), `COPY ${source}: hidden by .dockerignore`);
        }
      }
      const destination = path.posix.resolve(workdir, parts.at(-1) ?? '');
      if (fromContext || /node_modules/.test(copy)) continue;
      const local = localSourceOf(stages, embedded, destination);
      assert.ok(local && existsSync(local), `COPY ${copy}: ${String(local)} was not built`);
    }
  });

  test('the CMD script, host.json and package.json land in the app folder the host reads (its working directory)', () => {
    for (const file of [cmd[1] ?? '', 'host.json', 'package.json']) {
      const local = localSourceOf(stages, embedded, path.posix.resolve(workdir, file));
      assert.ok(local, `nothing is copied to ${file}`);
      assert.ok(existsSync(local), `${path.relative(REPO_ROOT, local)} does not exist after the build`);
    }
    // The mapping itself: a file the build does not produce is missing, a path nothing copies has no source.
    assert.ok(!existsSync(localSourceOf(stages, embedded, path.posix.resolve(workdir, 'dist/src/host/no-such-file.js')) ?? ''));
    assert.equal(localSourceOf(stages, embedded, path.posix.resolve(workdir, 'dist/test/deploy/k8s.test.js')), undefined);
    // package.json "main" (the functions glob) resolves inside the copied dist/src, as in the functions image.
    const main = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { main: string }).main;
    const functionsDir = localSourceOf(stages, embedded, path.posix.resolve(workdir, path.posix.dirname(main)));
    assert.ok(functionsDir && readdirSync(functionsDir).some((f) => globToRegExp(path.posix.basename(main)).test(f)));
  });

  test('everything the host and the app require is a production dependency (the image has no others)', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; main: string };
    const functionsDir = path.join(REPO_ROOT, path.dirname(pkg.main));
    const entries = [
      path.join(REPO_ROOT, cmd[1] ?? ''),
      ...readdirSync(functionsDir).filter((f) => globToRegExp(path.basename(pkg.main)).test(f)).map((f) => path.join(functionsDir, f)),
    ];
    const { files, packages } = requireClosure(entries);
    assert.ok(files.size > 20, `the closure holds ${files.size} modules`);
    assert.ok(packages.has('durable-functions') && packages.has('@azure/data-tables'), [...packages].join(' '));
    const missing = [...packages].filter((name) => !(name in pkg.dependencies));
    assert.deepEqual(missing, [], 'required but not in dependencies');
  });

  test('k8s/embedded listens where the image does: container port and probes on PORT', () => {
    const port = Number(envOf(embedded).get('PORT'));
    const deployment = buildKustomization(path.join(K8S_DIR, 'embedded')).find(({ doc }) => doc['kind'] === 'Deployment');
    assert.ok(deployment);
    const [container] = asArray(at(deployment.doc, 'spec.template.spec.containers')).map(asRecord);
    assert.deepEqual(asArray(container?.['ports']).map((p) => asRecord(p)['containerPort']), [port]);
    assert.equal(at(container, 'readinessProbe.httpGet.port'), port);
    assert.match(String(container?.['image']), /(^|\/)durable-event-source-embedded:/);
  });
});

describe('ignore files', () => {
  const required = ['.git', 'node_modules', '.data', 'local.settings.json', 'test', 'dist/test', 'bench', '.work', '*.log', '__azurite*', '.ci'];
  for (const file of ['.dockerignore', '.funcignore']) {
    test(`${file} leaves out secrets, local state and tests`, () => {
      const entries = new Set(
        readFileSync(path.join(REPO_ROOT, file), 'utf8')
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '' && !l.startsWith('#')),
      );
      for (const entry of required) assert.ok(entries.has(entry), `${file} lacks ${entry}`);
    });
  }
  test('.dockerignore does not hide what the build needs', () => {
    const entries = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const needed of ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'host.json']) {
      assert.ok(!entries.includes(needed), `.dockerignore hides ${needed}`);
    }
  });
});

describe('host.json', () => {
  const host = JSON.parse(readFileSync(path.join(REPO_ROOT, 'host.json'), 'utf8')) as {
    version?: string;
    extensionBundle?: { id?: string; version?: string };
    extensions?: { durableTask?: Record<string, unknown> };
  };

  test('is a version 2.0 host file with the v4 extension bundle', () => {
    assert.equal(host.version, '2.0');
    assert.deepEqual(host.extensionBundle, { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' });
  });

  test('durableTask: task hub from TaskHubName, no restart of a running instance, Azure Storage', () => {
    const durable = host.extensions?.durableTask;
    assert.ok(durable);
    assert.equal(durable['hubName'], '%TaskHubName%');
    assert.equal(durable['overridableExistingInstanceStates'], 'NonRunningStates');
    const provider = durable['storageProvider'] as Record<string, unknown> | undefined;
    assert.equal(provider?.['connectionStringName'], 'AzureWebJobsStorage');
    const type = provider?.['type'];
    assert.ok(type === undefined || (typeof type === 'string' && type.toLowerCase() === 'azurestorage'));
  });

  test('holds no secret', () => {
    const text = readFileSync(path.join(REPO_ROOT, 'host.json'), 'utf8');
    assert.doesNotMatch(text, /AccountKey|SharedAccessSignature|DefaultEndpointsProtocol/i);
  });
});

describe('local.settings.json', () => {
  test('targets Azurite with the project settings', () => {
    const settings = JSON.parse(readFileSync(path.join(REPO_ROOT, 'local.settings.json'), 'utf8')) as {
      IsEncrypted?: boolean;
      Values?: Record<string, string>;
    };
    assert.equal(settings.IsEncrypted, false);
    assert.deepEqual(settings.Values, {
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      FUNCTIONS_WORKER_RUNTIME: 'node',
      TaskHubName: 'DurableEventSource',
      K_SINK: 'http://127.0.0.1:8080',
      SCHEDULE_NAME: 'default',
    });
  });
});

describe('package.json main', () => {
  const main = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { main?: string }).main ?? '';
  const pattern = globToRegExp(main);

  test('is a glob over the compiled functions folder, not over tests', () => {
    assert.equal(main, 'dist/src/functions/*.js');
    assert.ok(pattern.test('dist/src/functions/schedule-orchestrator.js'));
    assert.ok(!pattern.test('dist/test/functions/schedule-orchestrator.test.js'));
    assert.ok(!pattern.test('dist/src/functions/schedule-orchestrator.js.map'));
  });

  test('matches the compiled file of every function module in src/functions', () => {
    const sources = path.join(REPO_ROOT, 'src/functions');
    const modules = existsSync(sources) ? readdirSync(sources).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')) : [];
    for (const module of modules) {
      const compiled = `dist/src/functions/${module.replace(/\.ts$/, '.js')}`;
      assert.ok(pattern.test(compiled), `${main} misses ${compiled}`);
      assert.ok(existsSync(path.join(REPO_ROOT, compiled)), `${compiled} was not built`);
    }
  });

  test('resolves inside the functions image: dist/src lands under the script root', () => {
    const functions = stage(stages, 'functions');
    const root = envOf(functions).get('AzureWebJobsScriptRoot') ?? '';
    const workdir = args(functions, 'WORKDIR').at(-1) ?? '';
    const dist = args(functions, 'COPY').find((c) => c.includes('--from=build')) ?? '';
    const destination = dist.split(/\s+/).at(-1) ?? '';
    const absolute = path.posix.resolve(workdir, destination);
    assert.equal(absolute, path.posix.join(root, 'dist/src'));
    assert.ok(path.posix.join(root, main).startsWith(`${absolute}/`));
  });
});

/** Bare package names a compiled folder requires (relative paths and Node built-ins left out). */
function packagesRequiredBy(dir: string): Set<string> {
  const packages = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
    for (const match of readFileSync(path.join(dir, file), 'utf8').matchAll(REQUIRE_CALL)) {
      const id = String(match[2]);
      if (id.startsWith('.') || id.startsWith('node:') || builtinModules.includes(id)) continue;
      const parts = id.split('/');
      packages.add(id.startsWith('@') ? parts.slice(0, 2).join('/') : String(parts[0]));
    }
  }
  return packages;
}

describe('hello-events dependencies', () => {
  const hello = stage(stages, 'hello-events');
  const depsStage = /--from=(\S+)/.exec(args(hello, 'COPY').find((c) => /node_modules/.test(c)) ?? '')?.[1] ?? '';
  const deps = stage(stages, depsStage);
  const declared = /^HELLO_EVENTS_DEPS="([^"]*)"$/.exec(args(deps, 'ARG').find((a) => a.startsWith('HELLO_EVENTS_DEPS=')) ?? '');
  const keep = (declared?.[1] ?? '').split(' ').filter(Boolean);
  const run = args(deps, 'RUN').join(' && ');
  /** The step of the RUN line that cuts package.json down, exactly as the image's shell runs it. */
  const cutStep = /^node -e "[^"]*"/.exec(run)?.[0] ?? '';

  function cutPackageJson(names: string): { status: number | null; stderr: string; pkg: Record<string, unknown> } {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hello-deps-'));
    try {
      writeFileSync(path.join(dir, 'package.json'), readFileSync(path.join(REPO_ROOT, 'package.json')));
      const result = spawnSync('/bin/sh', ['-c', cutStep], { cwd: dir, env: { ...process.env, HELLO_EVENTS_DEPS: names }, encoding: 'utf8' });
      return {
        status: result.status,
        stderr: result.stderr,
        pkg: JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test('the hello-events target does not copy the full production node_modules', () => {
    const functionsFrom = /--from=(\S+)/.exec(args(stage(stages, 'functions'), 'COPY').find((c) => /node_modules/.test(c)) ?? '')?.[1];
    assert.ok(depsStage !== '' && depsStage !== functionsFrom, `hello-events copies node_modules from ${depsStage}, like functions`);
    for (const copy of args(hello, 'COPY')) assert.doesNotMatch(copy, new RegExp(`--from=${functionsFrom}\\b`), copy);
    // `npm ci` installs everything the lock holds; the cut-down install must be an `npm install` after the cut.
    assert.doesNotMatch(run, /npm ci\b/);
    assert.ok(cutStep !== '' && run.indexOf(cutStep) < run.search(/npm install\b/), 'package.json is cut before npm install');
    assert.match(run, /npm install\b[^&]*--omit=dev[^&]*--omit=optional/);
    assert.ok(args(deps, 'COPY').some((c) => /package-lock\.json/.test(c)), 'the install runs against the lock file');
  });

  test('it keeps exactly the packages the compiled hello-events requires', () => {
    const required = packagesRequiredBy(path.join(REPO_ROOT, 'dist/src/hello-events'));
    assert.ok(required.size > 0, 'dist/src/hello-events was built');
    assert.deepEqual([...keep].sort(), [...required].sort());
    const prod = Object.keys((JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    assert.ok(prod.length > keep.length, 'fewer packages than the functions image');
  });

  test('the cut step, run as the image runs it, leaves package.json with just those dependencies', () => {
    const original = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const { status, stderr, pkg } = cutPackageJson(keep.join(' '));
    assert.equal(status, 0, stderr);
    assert.deepEqual(pkg['dependencies'], Object.fromEntries(keep.map((name) => [name, original.dependencies[name]])));
    assert.ok(!('devDependencies' in pkg) && !('optionalDependencies' in pkg));
  });

  test('the cut step fails the build on a name that is not a dependency', () => {
    const { status, stderr } = cutPackageJson(`${keep.join(' ')} no-such-package`);
    assert.notEqual(status, 0);
    assert.match(stderr, /not a dependency in package\.json: no-such-package/);
  });
});
