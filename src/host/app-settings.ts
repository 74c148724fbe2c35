import { HostError } from './host-error.js';

/**
 * Resolves `%NAME%` references to app settings (environment variables), as the Functions host does in
 * host.json values and binding properties. `%%` is a literal percent sign. A missing setting is an error that
 * names it (`where` says which value referred to it).
 */
export function resolveAppSettings(value: string, where: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([^%]*)%/g, (whole, name: string) => {
    if (name === '') return '%';
    const resolved = env[name];
    if (resolved === undefined) {
      throw new HostError('MISSING_APP_SETTING', `${where} refers to app setting "${name}", which is not set`);
    }
    return resolved;
  });
}
