/**
 * One info line per change a caller makes (issue #16): through the management API (PUT, DELETE, pause, resume,
 * trigger, backfill) or the schedules file (an entry added, changed or removed). It names the schedule, the
 * operation, who asked and the caller's note; never the spec, whose sinks may carry credentials, and a URL in the
 * note is redacted like every URL the app logs.
 */
import { redactUrlsIn } from '../../eventsource/core/redact.js';
import type { Logger } from '../../eventsource/observability/logger.js';

export type ChangeOperation = 'create' | 'replace' | 'delete' | 'pause' | 'resume' | 'trigger' | 'backfill';

interface Change {
  schedule: string;
  operation: ChangeOperation;
  by: 'api' | 'file';
  note?: string;
  /** What else the operation decided (a trigger's event id, a backfill's range and ticks). */
  details?: Record<string, string | number | boolean>;
}

const THROUGH = { api: 'through the management API', file: 'by the schedules file' } as const;

export function logChange(logger: Logger, change: Change): void {
  const note = change.note === undefined ? {} : { note: redactUrlsIn(change.note) };
  logger.info(
    { schedule: change.schedule, operation: change.operation, by: change.by, ...note, ...change.details },
    `schedule ${change.schedule}: ${change.operation} ${THROUGH[change.by]}${change.note === undefined ? '' : ` (note: ${note.note})`}`,
  );
}
