/**
 * The dead letter of a tick, as Knative's dispatcher makes it: the same event (same id, attributes, data), plus
 * - `knativeerrordest`: the sink it failed to reach, without credentials, query or fragment;
 * - `knativeerrorcode`: the last HTTP status (an integer), or 500 when no response came (Knative's choice too);
 * - `knativeerrordata`: base64 of the start of the last response body (Knative reads the body into 1,024 bytes and
 *   cuts the base64 at 1,024 characters; we keep 768 bytes, whose base64 is exactly 1,024 characters, so the value
 *   always decodes), or of `dispatch error: <reason>` when no response came, as Knative writes it.
 */
import { CloudEvent, type CloudEventV1 } from 'cloudevents';
import { ERROR_BODY_BYTES } from './deliver.js';

interface LastFailure {
  status?: number;
  reason: string;
  body?: Uint8Array;
}

export function deadLetterEvent<T>(event: CloudEventV1<T>, destination: string, failure: LastFailure): CloudEvent<T> {
  const data =
    failure.status !== undefined
      ? Buffer.from(failure.body ?? new Uint8Array()).subarray(0, ERROR_BODY_BYTES)
      : Buffer.from(`dispatch error: ${failure.reason}`, 'utf8').subarray(0, ERROR_BODY_BYTES);
  const extensions: Record<string, string | number> = {
    knativeerrordest: destination,
    knativeerrorcode: failure.status ?? 500,
  };
  // Knative sets it even when the body was empty (then it is empty).
  extensions['knativeerrordata'] = data.toString('base64');
  return CloudEvent.cloneWith(event, extensions, false) as CloudEvent<T>;
}
