/**
 * Runs one Azurite service in this process: the blob service when the arguments name a `--blobPort` (as for
 * `azurite-blob`), else the table service (as for `azurite-table`); tied to the parent that
 * started it over IPC: when the parent disconnects, or dies even by kill -9, Azurite closes gracefully (SIGINT
 * is the signal on which Azurite flushes its data to disk; SIGTERM would drop recent writes).
 */
let closing = false;
process.once('disconnect', () => {
  if (closing) return;
  closing = true;
  process.kill(process.pid, 'SIGINT');
});

// Azurite's entry scripts start their server when loaded; which one, the arguments say.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
if (process.argv.includes('--blobPort')) require('azurite/dist/src/blob/main.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
else require('azurite/dist/src/table/main.js');
