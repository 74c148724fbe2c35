/**
 * The two charts of a schedule, as inline SVG built element by element (no library, nothing parsed as markup):
 * the timeline of its recent ticks and the lateness of each. Colours come from the stylesheet by class
 * (`tick-late`, `tick-failed`, ...), so the page and its legend agree.
 */
import { LATENESS_GRID_MS, latenessBars, latenessHeight, timelineLayout } from './chart-layout.js';
import { svg, type DomElement } from './dom.js';
import { CLASS_LABELS, clockTime, formatDuration, latenessMs, skippedTicks, type ScheduleDetail } from './ticks.js';

const WIDTH = 560;
const TIMELINE_HEIGHT = 74;
const LANE_SCHEDULED = 22;
const LANE_SENT = 54;

function title(text: string): DomElement {
  return svg('title', {}, text);
}

/** Scheduled (upper lane) vs sent (lower lane) for each recent tick, skipped fire times as crosses, now and next. */
export function timelineChart(view: ScheduleDetail, nowMs: number): DomElement {
  const recent = view.recent ?? [];
  const layout = timelineLayout(recent, skippedTicks(recent, view.spec), view.nextFireTime, nowMs, WIDTH);
  const root = svg('svg', { class: 'timeline', viewBox: `0 0 ${WIDTH} ${TIMELINE_HEIGHT}`, role: 'img', 'aria-label': `recent ticks of ${view.name}` });
  root.append(
    svg('text', { x: 2, y: 10, class: 'lane-label' }, 'scheduled'),
    svg('text', { x: 2, y: TIMELINE_HEIGHT - 2, class: 'lane-label' }, 'sent'),
    svg('line', { x1: 0, x2: WIDTH, y1: LANE_SCHEDULED, y2: LANE_SCHEDULED, class: 'lane' }),
    svg('line', { x1: 0, x2: WIDTH, y1: LANE_SENT, y2: LANE_SENT, class: 'lane' }),
    svg('line', { x1: layout.now, x2: layout.now, y1: 12, y2: TIMELINE_HEIGHT - 10, class: 'now' }, title('now')),
  );
  if (layout.next !== undefined) {
    root.append(svg('circle', { cx: layout.next, cy: LANE_SCHEDULED, r: 4, class: 'next' }, title(`next fire time ${view.nextFireTime ?? ''}`)));
  }
  for (const x of layout.skipped) {
    root.append(svg('path', { d: `M${x - 4} ${LANE_SCHEDULED - 4} l8 8 m0 -8 l-8 8`, class: 'tick-skipped', 'data-outcome': 'skipped' }, title('skipped')));
  }
  for (const mark of layout.marks) {
    const { tick } = mark;
    const label = `${tick.trigger ? `${tick.trigger} ` : `#${tick.sequence} `}${CLASS_LABELS[mark.cls]}: scheduled ${tick.scheduledTime}, sent ${tick.sentTime} (${formatDuration(latenessMs(tick))} after), ${tick.attempts} attempt(s)${tick.status ? `, HTTP ${tick.status}` : ''}`;
    const group = svg('g', { class: `tick tick-${mark.cls}`, 'data-outcome': tick.outcome, 'data-class': mark.cls, 'data-trigger': tick.trigger ?? 'schedule', 'data-sequence': tick.sequence });
    const sentShape = tick.trigger === undefined
      ? svg('circle', { cx: mark.xSent, cy: LANE_SENT, r: 5 })
      : svg('rect', { x: mark.xSent - 5, y: LANE_SENT - 5, width: 10, height: 10, transform: `rotate(45 ${mark.xSent} ${LANE_SENT})` });
    group.append(
      title(label),
      svg('line', { x1: mark.xScheduled, y1: LANE_SCHEDULED, x2: mark.xSent, y2: LANE_SENT, class: 'link' }),
      svg('circle', { cx: mark.xScheduled, cy: LANE_SCHEDULED, r: 3, class: 'scheduled' }),
      sentShape,
    );
    root.append(group);
  }
  root.append(
    svg('text', { x: WIDTH - 2, y: 10, class: 'axis', 'text-anchor': 'end' }, clockTime(new Date(layout.endMs).toISOString(), nowMs)),
    svg('text', { x: 60, y: 10, class: 'axis' }, clockTime(new Date(layout.startMs).toISOString(), nowMs)),
  );
  return root;
}

const LATE_HEIGHT = 90;
const LATE_LEFT = 44;
const LATE_TOP = 6;
const LATE_BOTTOM = 8;

/** One bar per recent tick, oldest left: sent − scheduled on a log scale from 1 ms to 60 s. */
export function latenessChart(view: ScheduleDetail): DomElement {
  const bars = latenessBars(view.recent ?? []);
  const plot = LATE_HEIGHT - LATE_TOP - LATE_BOTTOM;
  const y = (h: number): number => LATE_TOP + plot * (1 - h);
  const root = svg('svg', { class: 'lateness', viewBox: `0 0 ${WIDTH} ${LATE_HEIGHT}`, role: 'img', 'aria-label': `lateness of the recent ticks of ${view.name}` });
  for (const ms of LATENESS_GRID_MS) {
    const gy = y(latenessHeight(ms));
    root.append(
      svg('line', { x1: LATE_LEFT, x2: WIDTH, y1: gy, y2: gy, class: 'grid' }),
      svg('text', { x: LATE_LEFT - 4, y: gy + 3, class: 'axis', 'text-anchor': 'end' }, formatDuration(ms).replace('.00', '')),
    );
  }
  const slot = (WIDTH - LATE_LEFT) / Math.max(bars.length, 10);
  bars.forEach((bar, i) => {
    const top = y(bar.height);
    root.append(
      svg(
        'rect',
        { x: LATE_LEFT + i * slot + slot * 0.15, y: top, width: slot * 0.7, height: Math.max(y(0) - top, 1), class: `bar tick-${bar.cls}`, 'data-lateness-ms': bar.ms },
        title(`${bar.tick.trigger ?? `#${bar.tick.sequence}`}: ${formatDuration(bar.ms)} after its scheduled time (${CLASS_LABELS[bar.cls]})`),
      ),
    );
  });
  if (bars.length === 0) root.append(svg('text', { x: LATE_LEFT + 8, y: LATE_HEIGHT / 2, class: 'axis' }, 'no ticks sent yet'));
  return root;
}
