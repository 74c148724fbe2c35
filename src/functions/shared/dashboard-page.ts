/**
 * The dashboard's page and stylesheet, kept as TypeScript strings so that they reach dist/ with the rest of the
 * build (under `func`, in the image, under the embedded host) without a copy step. They hold no data: the page's
 * script (src/functions/dashboard/, compiled next to the function) reads everything from the management API.
 */

/** The page; `base` is the page's own path (`/api/dashboard`), which the script and stylesheet URLs hang off. */
export function dashboardHtml(base: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Schedules · durable-event-source</title>
<link rel="icon" href="${base}/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${base}/dashboard.css">
<script type="module" src="${base}/app.js"></script>
</head>
<body>
<header>
  <h1>Schedules</h1>
  <span id="updated" role="status">loading…</span>
  <button type="button" id="forget-key" hidden>Forget key</button>
</header>
<form id="key-form" hidden>
  <p id="key-message"></p>
  <label>Functions key <input id="key" name="key" type="password" autocomplete="off" spellcheck="false"></label>
  <button type="submit">Use key</button>
</form>
<div id="message" role="alert"></div>
<table id="schedules">
  <thead>
    <tr><th scope="col">schedule</th><th scope="col">state</th><th scope="col">spec</th><th scope="col">next fire time (UTC)</th><th scope="col">last delivery</th><th scope="col">counters</th><th scope="col"></th></tr>
  </thead>
  <tbody id="rows"></tbody>
</table>
<p id="empty" hidden>No schedules.</p>
<nav id="pages" hidden>
  <button type="button" id="previous-page">Previous</button>
  <button type="button" id="next-page">Next</button>
</nav>
<footer>
  <span class="legend"><span class="swatch tick-onTime"></span>delivered</span>
  <span class="legend"><span class="swatch tick-late"></span>late (over 1 s)</span>
  <span class="legend"><span class="swatch tick-failed"></span>failed (kept, retried)</span>
  <span class="legend"><span class="swatch tick-rejected"></span>rejected</span>
  <span class="legend"><span class="swatch tick-deadLettered"></span>dead-lettered</span>
  <span class="legend"><span class="swatch tick-skipped"></span>skipped</span>
  <span class="legend">● scheduled tick ◆ manual or backfill</span>
  <span class="legend">read from the management API every 5 s</span>
</footer>
</body>
</html>
`;
}

/** A small clock face, so that the browser's request for an icon is answered too. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#2e9d57"/><path d="M8 3v5l3 2" stroke="#fff" stroke-width="1.6" fill="none" stroke-linecap="round"/></svg>
`;

export const DASHBOARD_CSS = `
:root { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2433; background: #f6f7f9; }
body { margin: 0 auto; padding: 16px 24px; max-width: 1280px; }
[hidden] { display: none !important; }
header { display: flex; align-items: baseline; gap: 16px; }
h1 { font-size: 20px; margin: 0 0 12px; }
#updated { color: #5c667a; }
#message { min-height: 20px; margin: 4px 0; }
#message.error { color: #b3261e; font-weight: 600; }
#key-form { background: #fff7e0; border: 1px solid #e6c35c; padding: 8px 12px; margin-bottom: 12px; }
#key-form input { width: 320px; font: inherit; }
table#schedules { width: 100%; border-collapse: collapse; background: #fff; box-shadow: 0 1px 2px #0002; }
#schedules > thead th { text-align: left; font-weight: 600; color: #5c667a; border-bottom: 1px solid #dde1e8; padding: 6px 8px; }
tr.schedule > th, tr.schedule > td { padding: 6px 8px; border-top: 1px solid #eceff3; vertical-align: top; text-align: left; }
tr.schedule > th { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: 600; }
tr.detail-row > td { padding: 4px 8px 12px 24px; background: #fbfcfd; }
.sub, .note { color: #5c667a; font-size: 12px; }
.state { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.state-running { background: #d3f3df; color: #17663a; }
.state-paused { background: #fff0c2; color: #7a5600; }
.state-failed { background: #fde0dc; color: #9c1d12; }
.state-completed { background: #e3e8f0; color: #3c4558; }
.outcome-delivered { color: #17663a; }
.outcome-failed { color: #b3400b; }
.outcome-rejected { color: #a3174d; }
.outcome-deadLettered { color: #5431b5; }
.counters { font-size: 12px; }
.counter { display: inline-block; margin-right: 8px; white-space: nowrap; }
.counter-failed, .counter-rejected, .counter-deadLettered, .counter-skipped { font-weight: 600; }
.actions { white-space: nowrap; }
.actions button { font: inherit; font-size: 12px; margin-right: 4px; }
.facts { color: #5c667a; font-size: 12px; margin-bottom: 4px; }
.panes { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.charts { display: flex; flex-direction: column; gap: 6px; }
figure { margin: 0; }
figcaption { font-size: 12px; color: #5c667a; }
svg.timeline, svg.lateness { width: 560px; max-width: 100%; background: #fff; border: 1px solid #eceff3; }
svg .lane { stroke: #dde1e8; }
svg .now { stroke: #8892a6; stroke-dasharray: 2 3; }
svg .next { fill: none; stroke: #1d2433; stroke-dasharray: 2 2; }
svg .lane-label, svg .axis { font-size: 10px; fill: #5c667a; }
svg .grid { stroke: #eceff3; }
svg .scheduled { fill: #fff; stroke: #5c667a; }
.tick-onTime { --c: #2e9d57; }
.tick-late { --c: #e0a000; }
.tick-failed { --c: #e8590c; }
.tick-rejected { --c: #c2255c; }
.tick-deadLettered { --c: #6741d9; }
.tick-skipped { --c: #868e96; }
svg .tick .link { stroke: var(--c); stroke-width: 1.5; opacity: 0.7; }
svg .tick > circle:not(.scheduled), svg .tick > rect { fill: var(--c); }
svg path.tick-skipped { stroke: var(--c); stroke-width: 2; }
svg .bar { fill: var(--c); }
table.recent { border-collapse: collapse; font-size: 12px; }
table.recent th, table.recent td { padding: 2px 10px 2px 0; text-align: left; }
table.recent th { color: #5c667a; font-weight: 600; }
tr.recent td:last-child { color: var(--c); font-weight: 600; }
footer { margin-top: 16px; color: #5c667a; font-size: 12px; display: flex; flex-wrap: wrap; gap: 14px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; background: var(--c); }
`;
