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
  /**
   * Skip (with a warning each) functions whose trigger, and bindings whose type, the host does not run, instead of
   * refusing the app. Off by default: an app that seems to work while its blob output writes nothing is worse than
   * one that does not start.
   */
  ignoreUnsupported?: boolean;
}

/** The setting that turns `ignoreUnsupported` on (app setting or environment). */
export const IGNORE_UNSUPPORTED_SETTING = 'EMBEDDED_HOST_IGNORE_UNSUPPORTED';

/** Reads IGNORE_UNSUPPORTED_SETTING: `true`/`false` (any case) or unset; anything else stops the host naming it. */
export function ignoreUnsupportedSetting(env: NodeJS.ProcessEnv): boolean {
  const raw = env[IGNORE_UNSUPPORTED_SETTING]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new HostError('BAD_SETTING', `${IGNORE_UNSUPPORTED_SETTING} must be true or false, got ${JSON.stringify(env[IGNORE_UNSUPPORTED_SETTING])}`);
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
 * `@azure/functions-core`. An app with a trigger or binding the host cannot run is refused with one line naming each
 * (function and type), unless `ignoreUnsupported` says to skip them with a warning.
 */
export function loadApp(appDir: string, options: LoadAppOptions): Promise<WorkerApp> {
  const run = loadQueue.then(() => loadAppNow(path.resolve(appDir), options));
  loadQueue = run.catch(() => undefined);
  return run;
}

async function loadAppNow(appDir: string, { logger, ignoreUnsupported = false }: LoadAppOptions): Promise<WorkerApp> {
  installCoreModule(logger);
  const { packageJson, main, files } = readEntryPoints(appDir);
  const app = new WorkerApp(appDir, logger);
  await loadEntryPointFiles(app, files, packageJson, logger);
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
  dropUnsupported(app, ignoreUnsupported, logger);
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

/** package.json and the entry files its `main` names; each missing piece refused with the file to fix. */
function readEntryPoints(appDir: string): { packageJson: PackageJson; main: string; files: string[] } {
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
  return { packageJson, main, files };
}

/** Runs each entry file inside the app (what it registers lands in `app`); a failing file names itself. */
async function loadEntryPointFiles(app: WorkerApp, files: string[], packageJson: PackageJson, logger: Logger): Promise<void> {
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
            `Worker was unable to load entry point "${path.relative(app.appDir, file)}": ${(err as Error)?.message ?? String(err)}`,
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
}

/** Functions and bindings the host cannot run: refused, or (with ignoreUnsupported) skipped with a warning each. */
function dropUnsupported(app: WorkerApp, ignoreUnsupported: boolean, logger: Logger): void {
  const unsupported = [...app.functions.values()].flatMap(unsupportedParts);
  if (unsupported.length > 0 && !ignoreUnsupported) {
    throw new HostError(
      'UNSUPPORTED_BINDING',
      `the embedded host does not run ${unsupported.map((u) => u.what).join(', ')}; ` +
        `run the app under func, or set ${IGNORE_UNSUPPORTED_SETTING}=true to skip them`,
    );
  }
  for (const part of unsupported) {
    logger.warn({ function: part.fn.name, binding: part.binding, bindingType: part.type }, `${part.what} ${part.binding === undefined ? 'skipped' : 'ignored: its input stays undefined, its output is dropped'} (${IGNORE_UNSUPPORTED_SETTING}=true)`);
    if (part.binding === undefined) app.functions.delete(part.fn.name.toLowerCase());
  }
  for (const fn of app.functions.values()) {
    if (fn.metadata.retryOptions) logger.warn({ function: fn.name }, `function "${fn.name}": retry policies are not applied by the embedded host`);
  }
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
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS app's entry file, loaded as the Functions host does
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
    // Native addons cannot be loaded twice in one process; shared packages are one copy by design.
    if (!key.endsWith('.node') && !isSharedModule(key)) delete cache[key];
  }
  try {
    await load();
  } finally {
    // What this load evaluated, by identity: with another app of the same files still loaded (a standby host, a
    // host that did not stop in time) the keys are the same, the modules not.
    const loaded = new Set<NodeJS.Module>();
    for (const [key, mod] of Object.entries(cache)) {
      if (!mod || isSharedModule(key) || saved.get(key) === mod) continue;
      loaded.add(mod);
      if (!saved.has(key)) app.ownedModules.push(key);
    }
    for (const [key, mod] of saved) cache[key] = mod;
    forgetChildren(loaded);
  }
}

/**
 * A module of the process (this file, which requires the app's entry files; a shared package) lists the app's modules
 * it loaded among its `children`: they would keep every app ever loaded, and all it holds, in memory after
 * releaseApp (a host that stops and the next one in one process: tests, the simulation).
 */
function forgetChildren(loaded: Set<NodeJS.Module>): void {
  for (const mod of Object.values(require.cache)) {
    if (mod && !loaded.has(mod) && mod.children.some((child) => loaded.has(child))) mod.children = mod.children.filter((child) => !loaded.has(child));
  }
}

/**
 * Packages the host and the app use as one copy: prom-client's default registry is where the engine's `durable_*`
 * metrics and the app's own meet, so an app's metrics endpoint serves both (under the real host the app runs in its
 * own worker process and serves only its own). Only the copy at the same path is shared: an app with its own
 * node_modules keeps its own registry.
 */
const SHARED_PACKAGES = ['prom-client'];

/** More packages every app of this process shares (shareAppPackages); none by default. */
let alsoShared: (packageName: string) => boolean = () => false;

/**
 * For a process that loads one app many times (the seeded simulation starts two or three hosts per history): these
 * packages are loaded once and shared by every app, as prom-client is, instead of once per app. Only for packages
 * with no state an app's run leaves behind for the next one; the app's own files are always its own.
 */
export function shareAppPackages(isShared: (packageName: string) => boolean): void {
  alsoShared = isShared;
  sharedVerdicts.clear();
}

/** App files (outside node_modules) every app of this process shares (shareAppFiles); none by default. */
let alsoSharedFiles: (file: string) => boolean = () => false;

/**
 * Like shareAppPackages, for the app's own files: only for files that hold no state a host's run leaves behind (pure
 * code, at most memo caches of pure functions), which then need not be evaluated again by every host.
 */
export function shareAppFiles(isShared: (file: string) => boolean): void {
  alsoSharedFiles = isShared;
  sharedVerdicts.clear();
}

/**
 * isSharedModule's answer per file: a load looks at every file of the require cache twice, and a process that loads
 * the app many times holds thousands (the shared packages' files), each answered by string searches otherwise.
 */
const sharedVerdicts = new Map<string, boolean>();

/** The package a file belongs to (its innermost node_modules folder), e.g. `zod` or `@azure/functions`. */
function packageOf(file: string): string | undefined {
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = file.lastIndexOf(marker);
  if (at < 0) return undefined;
  const parts = file.slice(at + marker.length).split(path.sep);
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

function isSharedModule(file: string): boolean {
  let shared = sharedVerdicts.get(file);
  if (shared === undefined) {
    const name = packageOf(file);
    shared = SHARED_PACKAGES.some((p) => file.includes(`${path.sep}node_modules${path.sep}${p}${path.sep}`)) || (name === undefined ? alsoSharedFiles(file) : alsoShared(name));
    sharedVerdicts.set(file, shared);
  }
  return shared;
}

/** Drops the app's own modules from the require cache (called when its host stops). */
export function releaseApp(app: WorkerApp): void {
  for (const key of app.ownedModules) delete require.cache[key];
  app.ownedModules.length = 0;
}

interface UnsupportedPart {
  fn: RegisteredFunction;
  /** The binding's name; undefined for the trigger (the whole function is unsupported). */
  binding?: string;
  type: string;
  what: string;
}

/** The function's trigger if the host cannot drive it, else its bindings the host does not run. */
function unsupportedParts(fn: RegisteredFunction): UnsupportedPart[] {
  const triggerType = fn.trigger.type.toLowerCase();
  if (!(SUPPORTED_TRIGGERS as readonly string[]).includes(triggerType)) {
    return [{ fn, type: fn.trigger.type, what: `function "${fn.name}" (trigger type "${fn.trigger.type}")` }];
  }
  return Object.entries(fn.metadata.bindings)
    .filter(([name, binding]) => name !== fn.triggerName && !SUPPORTED_BINDINGS.has(String(binding.type ?? '').toLowerCase()))
    .map(([name, binding]) => ({
      fn,
      binding: name,
      type: String(binding.type),
      what: `function "${fn.name}" binding "${name}" (type "${String(binding.type)}")`,
    }));
}
