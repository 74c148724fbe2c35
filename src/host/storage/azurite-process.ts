/**
 * Runs Azurite's table service in this process (arguments as for `azurite-table`), tied to the parent that
 * started it over IPC: when the parent disconnects, or dies even by kill -9, Azurite closes gracefully (SIGINT
 * is the signal on which Azurite flushes its data to disk; SIGTERM would drop recent writes).
 */
let closing = false;
process.once('disconnect', () => {
  if (closing) return;
  closing = true;
  process.kill(process.pid, 'SIGINT');
});

require('azurite/dist/src/table/main.js');
