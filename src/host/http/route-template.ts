import { HostError } from '../host-error.js';

/** A compiled route template such as `items/{id:int}/{name?}` or `files/{*path}` (ASP.NET Core syntax subset). */
export interface RouteTemplate {
  readonly template: string;
  /** Precedence key: lower sorts first (literal < constrained < plain < optional < catch-all, per segment). */
  readonly rank: number[];
  /** Matches a path (without leading slash, still percent-encoded); returns the decoded parameters or undefined. */
  match(path: string): Record<string, string> | undefined;
}

type Constraint = (value: string) => boolean;

interface Parameter {
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue: string | undefined;
  constraints: Constraint[];
}

const INT32 = /^-?\d{1,10}$/;

function numberArg(args: string[], index: number, constraint: string): number {
  const value = Number(args[index]);
  if (args[index] === undefined || !Number.isFinite(value)) {
    throw new HostError('BAD_ROUTE', `route constraint "${constraint}" needs a numeric argument`);
  }
  return value;
}

function compileConstraint(spec: string): Constraint {
  const m = /^([a-zA-Z]+)(?:\((.*)\))?$/s.exec(spec);
  if (!m) throw new HostError('BAD_ROUTE', `route constraint "${spec}" is not valid`);
  const name = (m[1] as string).toLowerCase();
  const rawArgs = m[2];
  const args = rawArgs === undefined ? [] : name === 'regex' ? [rawArgs] : rawArgs.split(',').map((a) => a.trim());
  const isNumber = (v: string): boolean => v.trim() !== '' && Number.isFinite(Number(v));
  switch (name) {
    case 'int':
      return (v) => INT32.test(v) && Math.abs(Number(v)) <= 2_147_483_648 && Number(v) <= 2_147_483_647;
    case 'long':
      return (v) => /^-?\d{1,19}$/.test(v);
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'guid':
      return (v) => /^[{(]?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}[})]?$/i.test(v);
    case 'alpha':
      return (v) => /^[a-z]+$/i.test(v);
    case 'double':
    case 'float':
    case 'decimal':
      return isNumber;
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'minlength': {
      const n = numberArg(args, 0, spec);
      return (v) => v.length >= n;
    }
    case 'maxlength': {
      const n = numberArg(args, 0, spec);
      return (v) => v.length <= n;
    }
    case 'length': {
      const min = numberArg(args, 0, spec);
      const max = args.length > 1 ? numberArg(args, 1, spec) : min;
      return (v) => v.length >= min && v.length <= max;
    }
    case 'min': {
      const n = numberArg(args, 0, spec);
      return (v) => /^-?\d+$/.test(v) && Number(v) >= n;
    }
    case 'max': {
      const n = numberArg(args, 0, spec);
      return (v) => /^-?\d+$/.test(v) && Number(v) <= n;
    }
    case 'range': {
      const min = numberArg(args, 0, spec);
      const max = numberArg(args, 1, spec);
      return (v) => /^-?\d+$/.test(v) && Number(v) >= min && Number(v) <= max;
    }
    case 'regex': {
      const re = new RegExp(args[0] ?? '', 'i');
      return (v) => re.test(v);
    }
    default:
      throw new HostError('BAD_ROUTE', `route constraint "${name}" is not supported`);
  }
}

/** Splits on ':' outside parentheses (regex constraints may contain colons). */
function splitConstraints(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function parseParameter(body: string, template: string): Parameter {
  const [head = '', ...constraintSpecs] = splitConstraints(body);
  let name = head;
  let catchAll = false;
  if (name.startsWith('**')) [name, catchAll] = [name.slice(2), true];
  else if (name.startsWith('*')) [name, catchAll] = [name.slice(1), true];
  let optional = false;
  let defaultValue: string | undefined;
  // `{name?}` or `{name:int?}`: the marker sits at the very end of the parameter.
  const last = constraintSpecs.length ? constraintSpecs[constraintSpecs.length - 1] : undefined;
  if (last !== undefined && last.endsWith('?')) {
    constraintSpecs[constraintSpecs.length - 1] = last.slice(0, -1);
    optional = true;
  } else if (name.endsWith('?')) [name, optional] = [name.slice(0, -1), true];
  const eq = name.indexOf('=');
  if (eq >= 0) [name, defaultValue, optional] = [name.slice(0, eq), name.slice(eq + 1), true];
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new HostError('BAD_ROUTE', `route "${template}" has an invalid parameter name "${name}"`);
  }
  return { name, optional: optional || catchAll, catchAll, defaultValue, constraints: constraintSpecs.map(compileConstraint) };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiles a route template; throws HostError BAD_ROUTE naming the template when it is malformed. */
export function compileRoute(template: string): RouteTemplate {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const segments = trimmed === '' ? [] : trimmed.split('/');
  const params: Parameter[] = [];
  const rank: number[] = [];
  let pattern = '^';
  segments.forEach((segment, index) => {
    const parts = segment.split(/(\{[^}]*\})/).filter((p) => p !== '');
    if (parts.length === 0) throw new HostError('BAD_ROUTE', `route "${template}" has an empty segment`);
    const isLast = index === segments.length - 1;
    if (parts.length === 1 && parts[0]?.startsWith('{')) {
      const param = parseParameter(parts[0].slice(1, -1), template);
      if (param.catchAll && !isLast) throw new HostError('BAD_ROUTE', `route "${template}": a catch-all parameter must be last`);
      params.push(param);
      const group = `(?<${param.name}>${param.catchAll ? '.*' : '[^/]+'})`;
      const sep = index === 0 ? '' : '/';
      pattern += param.optional ? `(?:${sep}${group})?` : `${sep}${group}`;
      rank.push(param.catchAll ? 5 : param.optional ? 4 : param.constraints.length ? 2 : 3);
      return;
    }
    let segPattern = '';
    let hasParam = false;
    for (const part of parts) {
      if (part.startsWith('{')) {
        const param = parseParameter(part.slice(1, -1), template);
        if (param.catchAll || param.optional) {
          throw new HostError('BAD_ROUTE', `route "${template}": optional or catch-all parameters must fill a whole segment`);
        }
        params.push(param);
        segPattern += `(?<${param.name}>[^/]+?)`;
        hasParam = true;
      } else {
        segPattern += escapeRegex(part);
      }
    }
    pattern += (index === 0 ? '' : '/') + segPattern;
    rank.push(hasParam ? 2 : 1);
  });
  pattern += '/?$';
  const names = params.map((p) => p.name.toLowerCase());
  if (new Set(names).size !== names.length) {
    throw new HostError('BAD_ROUTE', `route "${template}" uses a parameter name twice`);
  }
  const regex = new RegExp(pattern, 'i');
  return {
    template: trimmed,
    rank,
    match(path: string): Record<string, string> | undefined {
      const m = regex.exec(path.replace(/^\/+/, ''));
      if (!m) return undefined;
      const values: Record<string, string> = {};
      for (const param of params) {
        const raw = m.groups?.[param.name];
        if (raw === undefined || raw === '') {
          if (param.defaultValue !== undefined) values[param.name] = param.defaultValue;
          continue;
        }
        let value: string;
        try {
          value = param.catchAll ? raw.split('/').map(decodeURIComponent).join('/') : decodeURIComponent(raw);
        } catch {
          return undefined;
        }
        if (!param.constraints.every((c) => c(value))) return undefined;
        values[param.name] = value;
      }
      return values;
    },
  };
}

/** Orders routes as ASP.NET Core does: more specific segments first, then longer templates. */
export function compareRoutes(a: RouteTemplate, b: RouteTemplate): number {
  const n = Math.max(a.rank.length, b.rank.length);
  for (let i = 0; i < n; i++) {
    const x = a.rank[i];
    const y = b.rank[i];
    // On a shared prefix the shorter template wins (`items` before `items/{id?}`).
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x !== y) return x - y;
  }
  return a.template.localeCompare(b.template);
}
