/**
 * The dashboard page: reads the page of schedules it shows (100 in name order, Next/Previous for more) from the
 * management API every few seconds and keeps the table in place; opens a schedule's detail (its describe view); pauses, resumes and triggers. Without a key it tries the
 * API as is (keyless local mode); on 401 it asks for the key once and keeps it for the tab's session.
 */
import { act, ApiError, describeSchedule, forgetKey, listSchedules, storeKey, storedKey, Unauthorized, type Action } from './api.js';
import { browser, byId, type DomButton, type DomInput } from './dom.js';
import { Pager } from './paging.js';
import { fillDetail, fillRow, newRow, type Row } from './rows.js';
import type { ScheduleSummary } from './ticks.js';

const REFRESH_MS = 5_000;
const OPEN_ITEM = 'durable-event-source.open-details';
/** With this many schedules or fewer, every detail is open until the user chooses. */
const OPEN_ALL_UP_TO = 6;

const rows = new Map<string, Row>();
const busy = new Set<string>();
let open: Set<string> | undefined = readOpen();
let timer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<void> | undefined;
let waitingForKey = false;
const pager = new Pager();

function readOpen(): Set<string> | undefined {
  const stored = browser.sessionStorage.getItem(OPEN_ITEM);
  if (stored === null) return undefined;
  try {
    const names: unknown = JSON.parse(stored);
    return new Set(Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : []);
  } catch {
    return undefined;
  }
}

function isOpen(name: string): boolean {
  return open === undefined ? rows.size <= OPEN_ALL_UP_TO : open.has(name);
}

function say(text: string, kind: 'info' | 'error' = 'info'): void {
  const message = byId('message');
  message.textContent = text;
  message.className = kind;
}

/** Puts the rows in name order and drops those of schedules that are gone; moves a row only when it must. */
function placeRows(views: ScheduleSummary[], nowMs: number): void {
  const body = byId('rows');
  const seen = new Set(views.map((v) => v.name));
  for (const [name, r] of rows) {
    if (!seen.has(name)) {
      r.row.remove();
      r.detailRow.remove();
      rows.delete(name);
    }
  }
  const ordered: Row[] = [];
  for (const view of views) {
    let r = rows.get(view.name);
    if (r === undefined) {
      r = newRow(view.name);
      rows.set(view.name, r);
    }
    fillRow(r, view, nowMs, busy.has(view.name));
    ordered.push(r);
  }
  const current = ordered.map((r) => r.name).join('\n');
  if (body.dataset.order !== current) {
    body.replaceChildren(...ordered.flatMap((r) => [r.row, r.detailRow]));
    body.dataset.order = current;
  }
  byId('empty').hidden = views.length > 0;
}

async function refreshDetails(nowMs: number): Promise<void> {
  const shown = [...rows.values()].filter((r) => isOpen(r.name));
  for (const r of rows.values()) {
    r.detailRow.hidden = !isOpen(r.name);
    r.buttons.toggle.textContent = isOpen(r.name) ? 'Hide' : 'Details';
  }
  await Promise.all(
    shown.map(async (r) => {
      try {
        fillDetail(r, await describeSchedule(r.name), nowMs);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return;
        throw error;
      }
    }),
  );
}

async function refresh(): Promise<void> {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  try {
    let page = await listSchedules(pager.current());
    // A page that emptied (its schedules deleted) shows the one before it instead.
    while (pager.shown(page)) page = await listSchedules(pager.current());
    const views = page.schedules;
    const nowMs = Date.now();
    placeRows(views, nowMs);
    await refreshDetails(nowMs);
    const count = `${views.length} schedule${views.length === 1 ? '' : 's'}`;
    const more = pager.hasNext() || pager.hasPrevious();
    byId('updated').textContent = `${more ? `page ${pager.number}: ` : ''}${count} · updated ${new Date(nowMs).toISOString().slice(11, 19)} UTC`;
    (byId('previous-page') as DomButton).disabled = !pager.hasPrevious();
    (byId('next-page') as DomButton).disabled = !pager.hasNext();
    byId('pages').hidden = !more;
    byId('forget-key').hidden = storedKey() === undefined;
    if (byId('message').className === 'error') say('');
  } catch (error) {
    if (error instanceof Unauthorized) return askForKey(error.message);
    say(error instanceof Error ? error.message : String(error), 'error');
  }
  timer = setTimeout(() => void refreshNow(), REFRESH_MS);
}

/** One refresh at a time: a click during one waits for it and then refreshes again. */
function refreshNow(): Promise<void> {
  const run = (refreshing ?? Promise.resolve()).then(refresh);
  refreshing = run.finally(() => {
    if (refreshing === run) refreshing = undefined;
  });
  return run;
}

function askForKey(why: string): void {
  waitingForKey = true;
  forgetKey();
  byId('key-form').hidden = false;
  byId('key-message').textContent = `${why}: enter a Functions key (host or function key). It is kept for this browser tab only.`;
  (byId('key') as DomInput).focus();
}

function onKeySubmit(): void {
  const input = byId('key') as DomInput;
  const key = input.value.trim();
  if (key === '') return;
  storeKey(key);
  input.value = '';
  byId('key-form').hidden = true;
  waitingForKey = false;
  void refreshNow();
}

async function onAction(name: string, action: Action | 'toggle'): Promise<void> {
  if (action === 'toggle') {
    open ??= new Set([...rows.keys()].filter((n) => isOpen(n)));
    if (open.has(name)) open.delete(name);
    else open.add(name);
    browser.sessionStorage.setItem(OPEN_ITEM, JSON.stringify([...open]));
    return refreshNow();
  }
  busy.add(name);
  const r = rows.get(name);
  // No second click while the first is on its way; the next refresh enables what the new state allows.
  if (r) for (const b of [r.buttons.pause, r.buttons.resume, r.buttons.trigger]) b.disabled = true;
  try {
    await act(name, action);
    say(`${action} of ${name} accepted`);
  } catch (error) {
    if (error instanceof Unauthorized) return askForKey(error.message);
    say(error instanceof Error ? error.message : String(error), 'error');
  } finally {
    busy.delete(name);
  }
  // The orchestration answers the event within moments: refresh now, and again shortly after.
  await refreshNow();
  setTimeout(() => void (waitingForKey ? undefined : refreshNow()), 700);
}

function start(): void {
  byId('rows').addEventListener('click', (event) => {
    const action = event.target?.dataset.action;
    const name = event.target?.dataset.name;
    if (action === undefined || name === undefined) return;
    if (action !== 'toggle' && action !== 'pause' && action !== 'resume' && action !== 'trigger') return;
    void onAction(name, action);
  });
  byId('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    onKeySubmit();
  });
  byId('next-page').addEventListener('click', () => {
    pager.next();
    void refreshNow();
  });
  byId('previous-page').addEventListener('click', () => {
    pager.previous();
    void refreshNow();
  });
  byId('forget-key').addEventListener('click', () => {
    forgetKey();
    void refreshNow();
  });
  void refreshNow();
}

start();
