/**
 * The schema of SCHEDULES_FILE for the starter: the document's entries (schedules-document.ts) checked against the
 * sink allow-list, each with the spec its orchestration carries (schedule-start.ts), and a name the environment's
 * schedule does not hold. Every problem is one line naming the entry and the field.
 */
import { checkSink } from '../delivery/sink-guard.js';
import type { NormalizedSpec } from '../core/normalized-spec.js';
import { parseSchedulesDocument } from '../core/schedules-document.js';
import type { Validate } from './file.js';
import { stateSpecOf } from '../core/schedule-start.js';
import type { ScheduleSpec } from '../core/schedule-state.js';

export interface FileSchedule {
  readonly name: string;
  readonly spec: NormalizedSpec;
  readonly stateSpec: ScheduleSpec;
}

interface FileRules {
  /** Origins a `sink` or `delivery.deadLetterSink` may have (SINK_ALLOWLIST). */
  readonly sinkAllowlist: readonly string[];
  /** The environment's schedule name when it runs: a file entry may not take it. */
  readonly envScheduleName?: string;
  /** MIN_INTERVAL (see CheckOptions). */
  readonly minIntervalMs: number;
}

export function fileScheduleValidator(rules: FileRules): Validate<FileSchedule> {
  return (value) => {
    const checkedDocument = parseSchedulesDocument(value, {
      checkSink: (url) => {
        const checked = checkSink(url, rules.sinkAllowlist);
        return checked.ok ? undefined : checked.problem;
      },
      minIntervalMs: rules.minIntervalMs,
    });
    if (!checkedDocument.ok) return { ok: false, problems: checkedDocument.problems };
    const problems: string[] = [];
    const entries: FileSchedule[] = [];
    checkedDocument.entries.forEach((entry, index) => {
      const label = `schedules[${index}] (${entry.name})`;
      if (entry.name === rules.envScheduleName) {
        problems.push(`${label}.name: is the environment's schedule (SCHEDULE_NAME); give the file's schedule another name`);
        return;
      }
      const state = stateSpecOf(entry.spec);
      if (!state.ok) {
        problems.push(`${label}.${state.field}: ${state.why}`);
        return;
      }
      entries.push({ name: entry.name, spec: entry.spec, stateSpec: state.spec });
    });
    return problems.length > 0 ? { ok: false, problems } : { ok: true, entries };
  };
}
