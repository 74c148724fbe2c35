/**
 * Watches the schedules file and calls back with its new content (or the problems with it) when it changes.
 *
 * Kubernetes mounts a ConfigMap as `<dir>/<key> -> ..data/<key>`, `..data -> ..<timestamp>/`, and updates it by
 * writing a new timestamped directory and renaming a new `..data` link over the old one: the file's own link never
 * changes, so a watch on the file itself would keep following the old, deleted directory. The watch is therefore on
 * the directory (it sees the rename of `..data`, and an edit, creation or removal of a plain file), but only events
 * that name the file itself or one of the ConfigMap's `..` entries count: a busy sibling file must not delay an edit.
 * The first event that counts schedules one read a short while later (a swap's several events make one read; later
 * events do not push the read back), and a slow poll backs it all, because some file systems (network mounts, some
 * overlays) do not report changes at all. The callback runs only when the text read (or the problem) differs from
 * the last one reported.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { readSchedulesFile, type FileEntry, type FileRead, type Validate } from './file.js';

interface WatchOptions<E extends FileEntry> {
  /**
   * What the caller read at start (readSchedulesFile): only a content different from it is reported. Without it the
   * watcher's first read is reported too.
   */
  readonly since?: FileRead<E>;
  /** How long after the first event that names the file it is read (further events do not delay it); default 200 ms. */
  readonly debounceMs?: number;
  /** The file is read this often even without events; default 60 s. */
  readonly pollMs?: number;
}

export interface SchedulesFileWatch {
  /** Stops watching; no callback runs after it. */
  close(): void;
}

/**
 * Starts watching `path`. `onChange` gets every change: the entries, or `{ok: false, problems}` for a file that is
 * invalid, unreadable or removed (the caller keeps its schedules running as they are then). The file is read once
 * at once, so a change between the caller's own read (`since`) and the start of the watch is not missed.
 */
export function watchSchedulesFile<E extends FileEntry>(
  path: string,
  validate: Validate<E>,
  onChange: (read: FileRead<E>) => void,
  options: WatchOptions<E> = {},
): SchedulesFileWatch {
  const debounceMs = options.debounceMs ?? 200;
  const directory = dirname(path);
  let closed = false;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> = Promise.resolve();
  const fingerprint = (read: FileRead<E>): string => (read.ok ? `ok\n${read.text ?? ''}` : `problems\n${read.problems.join('\n')}`);
  let last = options.since ? fingerprint(options.since) : undefined;

  const check = async (): Promise<void> => {
    const read = await readSchedulesFile(path, validate);
    const now = fingerprint(read);
    if (closed || now === last) return;
    last = now;
    onChange(read);
  };
  // Reads run one after another, so a slow read cannot report an older text after a newer one.
  const enqueue = (): void => {
    // A throwing onChange surfaces as an uncaught exception, as a throwing event listener would, not as a silent stop.
    reading = reading.then(check).catch((error: unknown) => process.nextTick(() => { throw error; }));
  };
  const schedule = (): void => {
    if (closed || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      enqueue();
    }, debounceMs);
  };
  const name = basename(path);
  // A platform that does not say which entry changed (filename null) makes every event count.
  const concernsFile = (filename: string | Buffer | null): boolean =>
    filename === null || String(filename) === name || String(filename).startsWith('..');
  const startWatching = (): void => {
    if (watcher || closed) return;
    try {
      watcher = watch(directory, { persistent: false }, (_event, filename) => {
        if (concernsFile(filename)) schedule();
      });
      watcher.on('error', () => {
        // The directory went away (or the watch broke): the poll reads on and watches again when it can.
        watcher?.close();
        watcher = undefined;
        schedule();
      });
    } catch {
      watcher = undefined; // no directory yet; the poll tries again
    }
  };

  startWatching();
  enqueue();
  const poll = setInterval(() => {
    startWatching();
    schedule();
  }, options.pollMs ?? 60_000);
  poll.unref();

  return {
    close(): void {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
      watcher = undefined;
    },
  };
}
