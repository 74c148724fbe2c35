/**
 * The host process as `npm start` runs it. It loads the host's own modules at once, while Azurite and hello-events
 * are still starting, then waits for the launcher's go message with the settings only known once they run (the
 * storage connection and the sink) and runs the host's entry point exactly as `node dist/src/host/main.js` would.
 * Start-up is dominated by loading modules, so this overlap shortens the time to ready.
 */
import '../host/host.js';

interface Go {
  go: NodeJS.ProcessEnv;
}

// The launcher went away before the go: nothing was started, nothing to stop.
const orphaned = (): void => process.exit(0);
process.once('disconnect', orphaned);

process.once('message', (message: Go) => {
  process.off('disconnect', orphaned);
  // eslint-disable-next-line no-restricted-syntax -- the settings this process would have been started with, known only now
  Object.assign(process.env, message.go);
  // From here on main.js owns the process (its signals, and the IPC channel as the launcher's lifeline).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only now, after the environment is in place
  require('../host/main.js');
});
