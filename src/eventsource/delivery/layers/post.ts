/** The innermost step: the POST of the attempt's event, with its headers, through the sink's delivery. */
import type { Delivery } from '../deliver.js';
import type { Send } from './attempt.js';

export function postTo(delivery: Delivery): Send {
  return (attempt) => delivery.deliver(attempt.event, { headers: { ...attempt.headers } });
}
