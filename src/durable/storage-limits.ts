/**
 * The limits of Azure Table Storage that the task hub lives within, and the payload limits derived from them. The
 * engine sizes its commits by the first group; the HTTP edge refuses larger payloads by the second, before anything
 * is stored, so that no accepted request can produce a step that does not fit.
 */

/** One entity: 1 MiB, counted as the service counts it (strings at 2 bytes a UTF-16 unit). Headroom kept. */
export const MAX_ENTITY_BYTES = 960_000;
/** One entity-group transaction: 4 MiB of request body on the wire (UTF-8 JSON). Headroom kept. */
export const MAX_TRANSACTION_BYTES = 3_800_000;
/** Operations in one entity-group transaction. */
export const MAX_TRANSACTION_OPS = 100;
/** History JSON per row (UTF-16 units), so that a history row stays under the entity limit. */
export const HISTORY_ROW_UNITS = 400_000;
/**
 * What an operation adds to a transaction's body besides its entity's JSON: the multipart boundary, the request line
 * with the entity's URL and the headers of the change set (generous, so the estimate never falls short).
 */
export const TRANSACTION_OP_OVERHEAD_BYTES = 1_024;

/**
 * Largest JSON text (UTF-16 units) of one start input, one raised event's data or one reason that a client may send
 * (16 Mi: a 10 MB payload round-trips). Payloads past 60,000 bytes are stored gzip-compressed in the hub's blob container
 * (store/payloads/payload-marker.ts), so the table limits above no longer bound them; this one keeps a single
 * request's memory (the text, its JSON value, its compressed copy) bounded. The HTTP edge refuses more with 413.
 */
export const MAX_PAYLOAD_UNITS = 16 * 1024 * 1024;
/** Largest event name / reason text (UTF-16 units) accepted from a client. */
export const MAX_NAME_UNITS = 1024;
