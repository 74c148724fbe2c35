/**
 * The schedules dashboard: `GET /api/dashboard` serves one page, `GET /api/dashboard/{file}` its stylesheet and
 * its script modules (compiled from src/functions/dashboard/ next to this file, so they are found the same way
 * under `func`, in the image and under the embedded host). Anonymous, like /api/healthz: the page holds no data;
 * every data call it makes goes to the management API with the user's key. Strict types, nosniff, and a
 * Content-Security-Policy that allows nothing but this origin (no inline script or style, no framing).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { DASHBOARD_CSS, FAVICON_SVG, dashboardHtml } from './shared/dashboard-page.js';

/** Where the page's compiled script modules are: the folder next to this compiled file. */
const SCRIPT_DIR = path.join(__dirname, 'dashboard');

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const COMMON_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-cache',
};

const SCRIPT_NAME = /^[a-z][a-z-]*\.js$/;

/** The page's script modules by file name, read once (they change only with a new build, i.e. a new process). */
let scripts: Map<string, string> | undefined;

function loadScripts(): Map<string, string> {
  if (scripts) return scripts;
  const found = new Map<string, string>();
  for (const name of readdirSync(SCRIPT_DIR)) {
    // The source-map comment is dropped: the maps are not served, and a browser would ask for them in vain.
    if (SCRIPT_NAME.test(name)) found.set(name, readFileSync(path.join(SCRIPT_DIR, name), 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n'));
  }
  scripts = found;
  return found;
}

function answer(body: string, contentType: string): HttpResponseInit {
  return { status: 200, body, headers: { ...COMMON_HEADERS, 'content-type': contentType } };
}

function notFound(): HttpResponseInit {
  return { status: 404, body: 'not found\n', headers: { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8' } };
}

/** The page's own path without a trailing slash (`/api/dashboard`); the script and stylesheet URLs hang off it. */
function pageBase(url: string): string {
  const pathname = new URL(url).pathname.replace(/\/+$/, '');
  // Only a plain path goes into the page; anything else (it cannot come from the route, but still) falls back.
  return /^[A-Za-z0-9/_.-]+$/.test(pathname) ? pathname : '/api/dashboard';
}

app.http('dashboard', {
  route: 'dashboard',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (request: HttpRequest): Promise<HttpResponseInit> => answer(dashboardHtml(pageBase(request.url)), 'text/html; charset=utf-8'),
});

app.http('dashboardFile', {
  route: 'dashboard/{file}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async (request: HttpRequest): Promise<HttpResponseInit> => {
    const file = request.params.file ?? '';
    if (file === 'dashboard.css') return answer(DASHBOARD_CSS, 'text/css; charset=utf-8');
    if (file === 'favicon.svg') return answer(FAVICON_SVG, 'image/svg+xml');
    const script = SCRIPT_NAME.test(file) ? loadScripts().get(file) : undefined;
    return script === undefined ? notFound() : answer(script, 'text/javascript; charset=utf-8');
  },
});
