/**
 * The orchestration trigger payload as the JSON text the worker receives, built from texts kept between episodes:
 * an execution's events are sent again, played, in each of its episodes (a schedule's: two per tick, and one to
 * end it), and its input is the same text every time. The result is byte for byte JSON.stringify of the payload object runEpisode describes.
 */
import type { InstanceRecord } from '../instance-state.js';
import { PayloadText, type HistoryEventJson } from '../wire-types.js';

/** Each played event's text, per event object (the engine never changes an event once stamped). */
const playedTexts = new WeakMap<HistoryEventJson, string>();

/** Each input's text as JSON.stringify gives it back, by stored text: the same input serves a whole execution. */
const inputTexts = new Map<string, string>();
const INPUT_TEXTS_MAX = 4_096;

function playedText(event: HistoryEventJson): string {
  let text = playedTexts.get(event);
  if (text === undefined) {
    text = JSON.stringify({ ...event, IsPlayed: true });
    playedTexts.set(event, text);
  }
  return text;
}

/** As JSON.stringify(JSON.parse(stored)): throws where that throws, so a bad stored input fails the step as before. */
function inputText(stored: string): string {
  let text = inputTexts.get(stored);
  if (text === undefined) {
    text = JSON.stringify(JSON.parse(stored) as unknown);
    if (inputTexts.size >= INPUT_TEXTS_MAX) inputTexts.clear();
    inputTexts.set(stored, text);
  }
  return text;
}

/**
 * `{ instanceId, history: [...history played, ...appended], input, isReplaying, parentInstanceId?, ...defaults }`
 * as text; `defaults` are plain JSON fields.
 */
export function payloadText(rec: InstanceRecord, history: HistoryEventJson[], appended: HistoryEventJson[], defaults: Record<string, unknown>): PayloadText {
  const events = [...history.map(playedText), ...appended.map((e) => JSON.stringify(e))];
  const fields = [`"instanceId":${JSON.stringify(rec.instanceId)}`, `"history":[${events.join(',')}]`];
  if (rec.input !== undefined) fields.push(`"input":${inputText(rec.input)}`);
  fields.push(`"isReplaying":${history.length > 0}`);
  if (rec.parent) fields.push(`"parentInstanceId":${JSON.stringify(rec.parent.instanceId)}`);
  const rest = JSON.stringify(defaults).slice(1, -1);
  if (rest !== '') fields.push(rest);
  return new PayloadText(rec.instanceId, events.length, `{${fields.join(',')}}`);
}
