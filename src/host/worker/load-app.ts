import { existsSync, globSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { HostError } from '../host-error.js';
import { installCoreModule, lastSetProgrammingModel, runInApp, setLoadingApp } from './core-module.js';
import { WorkerApp, type RegisteredFunction } from './worker-app.js';

/** Trigger types the embedded host can drive. */
export const SUPPORTED_TRIGGERS = ['httptrigger', 'timertrigger', 'orchestrationtrigger', 'activitytrigger'] as const;
/** Non-trigger bindings the host fills in or consumes. */
const SUPPORTED_BINDINGS = new Set(['http', 'durableclient', 'orchestrationclient']);

export interface LoadAppOptions {
  logger: Logger;
}

interface PackageJson {
  main?: unknown;
  type?: unknown;
}

/** Loads are serialised: the require cache is swapped while an app loads (see isolateRequireCache). */
let loadQueue: Promise<unknown> = Promise.resolve();

/**
 * Loads a Node v4 programming-model app the way the Node worker does: reads package.json `main` (a file or a
 * glob), requires (CommonJS) or imports (ESM) each matching file, and collects what the app registered through
 * `@azure/functions-core`. Functions with trigger types the host cannot drive are logged and skipped.
 */
export function loadApp(appDir: string, options: LoadAppOptions): Promise<WorkerApp> {
  const run = loadQueue.then(() => loadAppNow(path.resolve(appDir), options));
  loadQueue = run.catch(() => undefined);
  return run;
}

async function loadAppNow(appDir: string, { logger }: LoadAppOptions): Promise<WorkerApp> {
  installCoreModule(logger);
  const packageJsonPath = path.join(appDir, 'package.json');
  if (!existsSync(packageJsonPath)) {
    throw new HostError('NO_PACKAGE_JSON', `No job functions found: ${packageJsonPath} does not exist`);
  }
  let packageJson: PackageJson;
  try {
    packageJson = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as PackageJson;
  } catch (err) {
    throw new HostError('BAD_PACKAGE_JSON', `${packageJsonPath} is not valid JSON: ${(err as Error).message}`);
  }
  const main = packageJson.main;
  if (typeof main !== 'string' || main.trim() === '') {
    throw new HostError(
      'NO_FUNCTIONS',
      `No job functions found: check package.json main (it must name the entry file(s) that register functions, e.g. "dist/src/functions/*.js"); ${packageJsonPath} has none`,
    );
  }
  const files = entryPointFiles(appDir, main);
  if (files.length === 0) {
    throw new HostError(
      'NO_FUNCTIONS',
      `No job functions found: check package.json main "${main}": no file in ${appDir} matches it (is the app built?)`,
    );
  }

  const app = new WorkerApp(appDir, logger);
  setLoadingApp(app);
  try {
    // One isolated require cache for the whole app: its files share one @azure/functions, as in one worker.
    await isolateRequireCache(app, async () => {
      for (const file of files) {
        logger.debug({ file }, 'loading entry point file');
        app.currentEntryPoint = file;
        try {
          await runInApp(app, () => loadScriptFile(file, packageJson));
        } catch (err) {
          throw new HostError(
            'ENTRY_POINT_FAILED',
            `Worker was unable to load entry point "${path.relative(appDir, file)}": ${(err as Error)?.message ?? String(err)}`,
            { cause: err },
          );
        } finally {
          app.currentEntryPoint = undefined;
        }
      }
    });
  } finally {
    setLoadingApp(undefined);
  }
  app.indexingLocked = true;
  if (app.functions.size > 0) app.programmingModel ??= lastSetProgrammingModel();

  // The worker asks the programming model for its capabilities once the app is loaded; this also locks app.setup().
  if (app.programmingModel?.getCapabilities) {
    app.capabilities = await runInApp(app, async () => (await app.programmingModel?.getCapabilities?.({})) ?? {});
  }
  if (app.capabilities.HttpUri) {
    throw new HostError(
      'HTTP_STREAM_UNSUPPORTED',
      'The app enables HTTP streaming (app.setup({ enableHttpStream: true })), which the embedded host does not support',
    );
  }

  for (const fn of [...app.functions.values()]) {
    if (!checkSupported(fn, logger)) app.functions.delete(fn.name.toLowerCase());
  }
  if (app.functions.size === 0) {
    throw new HostError(
      'NO_FUNCTIONS',
      `No job functions found: check package.json main "${main}": the ${files.length} file(s) it names registered no function the host supports`,
    );
  }
  if (!app.programmingModel) {
    throw new HostError('NO_PROGRAMMING_MODEL', 'The app registered functions but set no programming model (is @azure/functions v4 installed?)');
  }
  return app;
}

/** Resolves package.json `main` to absolute files: a plain path, or a glob (sorted for a stable load order). */
function entryPointFiles(appDir: string, main: string): string[] {
  const isGlob = /[*?[\]{}!]/.test(main);
  if (!isGlob) {
    const file = path.resolve(appDir, main);
    return existsSync(file) ? [file] : [];
  }
  return globSync(main, { cwd: appDir })
    .map((f) => path.resolve(appDir, f))
    .filter((f) => /\.(c|m)?js$/.test(f))
    .sort();
}

function isESModule(file: string, packageJson: PackageJson): boolean {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  return packageJson.type === 'module';
}

let importGeneration = 0;

async function loadScriptFile(file: string, packageJson: PackageJson): Promise<void> {
  if (isESModule(file, packageJson)) {
    // A query makes a second load in the same process evaluate the entry file again (imports it makes are shared).
    await import(`${pathToFileURL(file).href}?host-load=${++importGeneration}`);
  } else {
    require(file);
  }
}

/**
 * Loads the app with an empty require cache, so it gets its own instances of its files and of
 * `@azure/functions` / `durable-functions` (as in its own worker process) even when this process has already
 * loaded them, e.g. a test that imports the app's modules. Afterwards the process's own entries are put back;
 * modules only the app loaded stay cached (lazy requires keep working) and are dropped by releaseApp.
 */
async function isolateRequireCache(app: WorkerApp, load: () => Promise<void>): Promise<void> {
  const cache = require.cache;
  const saved = new Map(Object.entries(cache));
  for (const key of saved.keys()) {
    // Native addons cannot be loaded twice in one process.
    if (!key.endsWith('.node')) delete cache[key];
  }
  try {
    await load();
  } finally {
    for (const [key, mod] of Object.entries(cache)) {
      if (saved.has(key)) continue;
      if (mod) app.ownedModules.push(key);
    }
    for (const [key, mod] of saved) cache[key] = mod;
  }
}

/** Drops the app's own modules from the require cache (called when its host stops). */
export function releaseApp(app: WorkerApp): void {
  for (const key of app.ownedModules) delete require.cache[key];
  app.ownedModules.length = 0;
}

function checkSupported(fn: RegisteredFunction, logger: Logger): boolean {
  const triggerType = fn.trigger.type.toLowerCase();
  if (!(SUPPORTED_TRIGGERS as readonly string[]).includes(triggerType)) {
    logger.warn(
      { function: fn.name, triggerType: fn.trigger.type },
      `function "${fn.name}" has trigger type "${fn.trigger.type}", which the embedded host does not support; skipped`,
    );
    return false;
  }
  if (fn.metadata.retryOptions) {
    logger.warn({ function: fn.name }, `function "${fn.name}": retry policies are not applied by the embedded host`);
  }
  for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
    if (name === fn.triggerName) continue;
    const type = String(binding.type ?? '').toLowerCase();
    if (!SUPPORTED_BINDINGS.has(type)) {
      logger.warn(
        { function: fn.name, binding: name, bindingType: binding.type },
        `function "${fn.name}": binding "${name}" of type "${binding.type}" is not supported by the embedded host (inputs stay undefined, outputs are dropped)`,
      );
    }
  }
  return true;
}
