import { resolveAppSettings } from '../app-settings.js';
import { HostError } from '../host-error.js';
import type { RegisteredFunction } from '../worker/worker-app.js';
import { compareRoutes, compileRoute, type RouteTemplate } from './route-template.js';

export type AuthLevel = 'anonymous' | 'function' | 'admin';

/** One HTTP-triggered function as the router sees it. */
export interface HttpRoute {
  readonly fn: RegisteredFunction;
  readonly route: RouteTemplate;
  /** Upper-case methods; undefined means any method. */
  readonly methods: string[] | undefined;
  readonly authLevel: AuthLevel;
}

/** Builds the route table of the app's HTTP functions, most specific first. */
export function buildHttpRoutes(functions: RegisteredFunction[], env: NodeJS.ProcessEnv = process.env): HttpRoute[] {
  const routes = functions.map((fn): HttpRoute => {
    const trigger = fn.trigger;
    const rawRoute = typeof trigger.route === 'string' && trigger.route.trim() !== '' ? trigger.route : fn.name;
    let route: RouteTemplate;
    try {
      route = compileRoute(resolveAppSettings(rawRoute, `function "${fn.name}" route`, env));
    } catch (err) {
      throw new HostError('BAD_ROUTE', `function "${fn.name}": ${(err as Error).message}`, { cause: err });
    }
    const methods = Array.isArray(trigger.methods) && trigger.methods.length > 0
      ? trigger.methods.map((m) => String(m).toUpperCase())
      : undefined;
    const authLevel = trigger.authLevel ?? 'anonymous';
    const level = typeof authLevel === 'string' ? authLevel.toLowerCase() : JSON.stringify(authLevel);
    if (level !== 'anonymous' && level !== 'function' && level !== 'admin') {
      throw new HostError('BAD_AUTH_LEVEL', `function "${fn.name}": authLevel "${String(trigger.authLevel)}" is not one of anonymous, function, admin`);
    }
    return { fn, route, methods, authLevel: level };
  });
  return routes.sort((a, b) => compareRoutes(a.route, b.route));
}

/** The app's HTTP function for a path and method (routes most specific first), or the 404/405 answer. */
export function findRoute(
  routes: HttpRoute[],
  prefix: string,
  path: string,
  method: string,
): { route: HttpRoute; params: Record<string, string> } | { status: number; allow?: string } {
  let rest: string | undefined;
  if (prefix === '') rest = path.slice(1);
  else if (path.toLowerCase() === `/${prefix.toLowerCase()}`) rest = '';
  else if (path.toLowerCase().startsWith(`/${prefix.toLowerCase()}/`)) rest = path.slice(prefix.length + 2);
  if (rest === undefined) return { status: 404 };
  const pathMatched: HttpRoute[] = [];
  for (const route of routes) {
    const params = route.route.match(rest);
    if (!params) continue;
    pathMatched.push(route);
    if (!route.methods || route.methods.includes(method)) return { route, params };
  }
  if (pathMatched.length === 0) return { status: 404 };
  return { status: 405, allow: [...new Set(pathMatched.flatMap((r) => r.methods ?? []))].join(', ') };
}
