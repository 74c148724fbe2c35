/**
 * The ports `npm start` needs, checked before anything starts: a port taken by another program stops the launch with
 * one line naming its variable, instead of a host that crashes on EADDRINUSE after "ready" was printed.
 */
import { createServer } from 'node:net';

export interface PortSetting {
  /** The variable that sets the port, named in every message about it. */
  readonly variable: string;
  readonly port: number;
}

/** The port named by `variable` in `env`, else `fallback`; throws a one-line error naming the variable when it is not a port. */
export function portOf(env: NodeJS.ProcessEnv, variable: string, fallback: number): PortSetting {
  const raw = env[variable]?.trim();
  if (raw === undefined || raw === '') return { variable, port: fallback };
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) throw new Error(`${variable} must be a port number (1-65535), not "${raw}"`);
  return { variable, port };
}

/** Whether nothing listens on `port` of 127.0.0.1 (a listen succeeds and is closed again at once). */
export function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Throws one line naming the first setting whose port is taken. */
export async function requireFreePorts(settings: readonly PortSetting[]): Promise<void> {
  for (const { variable, port } of settings) {
    if (!(await portIsFree(port))) {
      throw new Error(`${variable}=${port}: port ${port} is already in use by another program; stop it or set ${variable} to a free port`);
    }
  }
}
