/**
 * A schedule's row in the table and its detail (charts and recent ticks). Rows are built once and their cells
 * refilled on every refresh, so a refresh keeps the user's place (scroll, focus, which details are open).
 */
import { latenessChart, timelineChart } from './charts.js';
import { h, type DomButton, type DomElement } from './dom.js';
import {
  CLASS_LABELS,
  classifyTick,
  clockTime,
  formatDuration,
  lateByMs,
  relativeTime,
  specText,
  type Counters,
  type Outcome,
  type ScheduleDetail,
  type ScheduleSummary,
  type Tick,
} from './ticks.js';

export interface Row {
  name: string;
  row: DomElement;
  detailRow: DomElement;
  cells: Record<'state' | 'spec' | 'next' | 'last' | 'counters', DomElement>;
  buttons: Record<'pause' | 'resume' | 'trigger' | 'toggle', DomButton>;
  detail: DomElement;
}

const COLUMNS = 7;

const OUTCOME_LABELS: Record<Outcome, string> = { delivered: 'delivered', failed: 'failed', rejected: 'rejected', deadLettered: 'dead-lettered' };

function button(action: string, label: string, name: string): DomButton {
  return h('button', { type: 'button', 'data-action': action, 'data-name': name }, label) as DomButton;
}

/** A new row (and its hidden detail row) for `name`; its cells are filled by fillRow. */
export function newRow(name: string): Row {
  const cells = {
    state: h('td', { 'data-field': 'state' }),
    spec: h('td', { 'data-field': 'spec' }),
    next: h('td', { 'data-field': 'next' }),
    last: h('td', { 'data-field': 'last' }),
    counters: h('td', { 'data-field': 'counters', class: 'counters' }),
  };
  const buttons = {
    pause: button('pause', 'Pause', name),
    resume: button('resume', 'Resume', name),
    trigger: button('trigger', 'Trigger', name),
    toggle: button('toggle', 'Details', name),
  };
  const row = h(
    'tr',
    { class: 'schedule', 'data-name': name },
    h('th', { scope: 'row', 'data-field': 'name' }, name),
    cells.state,
    cells.spec,
    cells.next,
    cells.last,
    cells.counters,
    h('td', { class: 'actions' }, buttons.pause, buttons.resume, buttons.trigger, buttons.toggle),
  );
  const detail = h('div', { class: 'detail' });
  const detailRow = h('tr', { class: 'detail-row', 'data-detail-of': name }, h('td', { colspan: COLUMNS }, detail));
  detailRow.hidden = true;
  return { name, row, detailRow, cells, buttons, detail };
}

function countersText(counters: Counters | undefined): DomElement[] {
  if (counters === undefined) return [];
  const shown: Array<[keyof Counters, string]> = [
    ['delivered', 'delivered'],
    ['failed', 'failed'],
    ['rejected', 'rejected'],
    ['deadLettered', 'dead-lettered'],
    ['skipped', 'skipped'],
    ['triggered', 'triggered'],
    ['backfilled', 'backfilled'],
  ];
  return shown
    .filter(([key]) => key === 'delivered' || counters[key] > 0)
    .map(([key, label]) => h('span', { class: `counter counter-${key}`, 'data-counter': key }, `${label} ${counters[key]}`));
}

/** Refills a row's cells from the list's summary of its schedule. */
export function fillRow(r: Row, view: ScheduleSummary, nowMs: number, busy: boolean): void {
  const state = view.status;
  r.cells.state.replaceChildren(h('span', { class: `state state-${state}` }, state));
  if (view.paused !== undefined) r.cells.state.append(h('div', { class: 'note' }, view.paused.note));
  r.cells.spec.replaceChildren(specText(view));
  r.cells.next.replaceChildren(
    ...(view.nextFireTime === undefined ? ['—'] : [clockTime(view.nextFireTime, nowMs), h('div', { class: 'sub' }, relativeTime(view.nextFireTime, nowMs))]),
  );
  const last = view.lastDelivery;
  r.cells.last.replaceChildren(
    ...(last === undefined
      ? ['—']
      : [
          h('span', { class: `outcome outcome-${last.outcome}` }, `#${last.sequence} ${OUTCOME_LABELS[last.outcome]}`),
          h('div', { class: 'sub' }, `${clockTime(last.scheduledTime, nowMs)}${last.status ? ` · HTTP ${last.status}` : ''}`),
        ]),
  );
  r.cells.counters.replaceChildren(...countersText(view.counters));
  const live = state === 'running' || state === 'paused';
  r.buttons.pause.disabled = busy || state !== 'running';
  r.buttons.resume.disabled = busy || state !== 'paused';
  r.buttons.trigger.disabled = busy || !live;
}

/** The last delivery's attempts and reason (when it says more than its HTTP status: a timeout, a network error, ...). */
function lastFacts(view: ScheduleDetail): string[] {
  const last = view.lastDelivery;
  if (last === undefined) return [];
  const reason = last.reason && last.reason !== `HTTP ${last.status}` ? ` (${last.reason})` : '';
  return [`last #${last.sequence}: ${last.attempts} attempt${last.attempts === 1 ? '' : 's'}${reason}`];
}

/** Fills a schedule's detail from its describe view: a summary line, the two charts, the recent ticks. */
export function fillDetail(r: Row, view: ScheduleDetail, nowMs: number): void {
  const recent = view.recent ?? [];
  const facts = [
    `next ${view.nextSequence ?? '—'}`,
    ...(view.upcoming && view.upcoming.length > 1 ? [`then ${view.upcoming.slice(1, 4).map((t) => clockTime(t, nowMs)).join(', ')}`] : []),
    ...(view.origin ? [`origin ${view.origin}`] : []),
    ...(view.queued ? [`${view.queued} queued`] : []),
    ...lastFacts(view),
  ];
  r.detail.replaceChildren(
    h('div', { class: 'facts' }, facts.join(' · ')),
    h(
      'div',
      { class: 'panes' },
      h(
        'div',
        { class: 'charts' },
        h('figure', {}, h('figcaption', {}, 'recent ticks: scheduled → sent'), timelineChart(view, nowMs)),
        h('figure', {}, h('figcaption', {}, 'lateness (sent − scheduled)'), latenessChart(view)),
      ),
      recent.length === 0 ? h('p', { class: 'sub' }, 'no tick sent yet') : recentTable(view, nowMs),
    ),
  );
}

/** The lateness column: a backfilled or triggered event shows none (see lateByMs). */
function lateCell(tick: Tick): string {
  const late = lateByMs(tick);
  return late === undefined ? `— (${tick.trigger ?? ''})` : formatDuration(late);
}

function recentTable(view: ScheduleDetail, nowMs: number): DomElement {
  const head = h('tr', {}, ...['tick', 'scheduled', 'sent', 'lateness', 'attempts', 'HTTP', 'outcome'].map((t) => h('th', { scope: 'col' }, t)));
  const rows = (view.recent ?? []).map((tick) => {
    const cls = classifyTick(tick);
    return h(
      'tr',
      { class: `recent tick-${cls}`, 'data-outcome': tick.outcome, 'data-trigger': tick.trigger ?? 'schedule' },
      h('td', {}, tick.trigger ?? `#${tick.sequence}`),
      h('td', {}, clockTime(tick.scheduledTime, nowMs)),
      h('td', {}, clockTime(tick.sentTime, nowMs)),
      h('td', {}, lateCell(tick)),
      h('td', {}, String(tick.attempts)),
      h('td', {}, tick.status === undefined ? '—' : String(tick.status)),
      h('td', {}, CLASS_LABELS[cls]),
    );
  });
  return h('table', { class: 'recent' }, h('thead', {}, head), h('tbody', {}, ...rows));
}
