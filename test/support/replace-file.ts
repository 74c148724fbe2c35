/**
 * Replaces a file's content at once, as a Kubernetes ConfigMap update or an editor's save does: the new text goes
 * to a temporary file in the same directory, which is then renamed over the file. A watcher (SCHEDULES_FILE's) that
 * reads the file while a test edits it sees the old text or the new one, never a half-written file, as writeFileSync
 * (truncate, then write) would let it under load.
 */
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function replaceFile(file: string, text: string): void {
  // One dot, not two: the schedules-file watcher counts `..` entries (a ConfigMap's) as the file's own events.
  const next = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(next, text);
  renameSync(next, file);
}
