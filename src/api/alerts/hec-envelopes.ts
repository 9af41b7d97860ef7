import { parseJsonText } from '../../ingest/formats/ndjson-lines.js';

/**
 * The body of Splunk HEC's event endpoint: JSON envelopes one after another, not an array, with or without
 * whitespace between them (`{"event":…}{"event":…}` as Vector and Fluent Bit send, or one a line):
 * `{"time": 1426279439.123 | "1426279439.123", "host", "source", "sourcetype", "index", "fields", "event"}`.
 */
export interface HecEnvelope {
  /** The envelope's number in the body, from 0 (HEC's `invalid-event-number` counts the same way). */
  index: number;
  /** The envelope exactly as sent: an alert's raw event. */
  text: string;
  value: Record<string, unknown>;
  /** `event`: an object for the source's mapper, a string for a text line (syslog, CEF, LEEF or JSON). */
  event: unknown;
  /** `time` (epoch seconds, with a fraction) in milliseconds, when the envelope gives one. */
  timeMs?: number;
}

/**
 * Why reading stopped at an envelope, as HEC says it: 6 "Invalid data format" (not a JSON object, a time
 * that is not epoch seconds), 12 "Event field is required", 13 "Event field cannot be blank".
 */
export interface HecEnvelopeProblem {
  index: number;
  code: 6 | 12 | 13;
  reason: string;
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Where the JSON object opening at `start` ends (the index after its `}`), or -1 when the body ends first.
 * Only brackets outside strings count; strings are skipped to their closing quote.
 */
function objectEnd(body: string, start: number): number {
  let depth = 0;
  for (let at = start; at < body.length; at += 1) {
    const c = body.charCodeAt(at);
    if (c === 0x22) {
      // To the next quote not escaped: one preceded by an even number of backslashes.
      for (;;) {
        at = body.indexOf('"', at + 1);
        if (at < 0) return -1;
        let slashes = 0;
        while (body.charCodeAt(at - 1 - slashes) === 0x5c) slashes += 1;
        if (slashes % 2 === 0) break;
      }
    } else if (c === 0x7b || c === 0x5b) depth += 1;
    else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
      if (depth === 0) return at + 1;
    }
  }
  return -1;
}

/** `time` as HEC takes it: epoch seconds, a number or a string of digits, with an optional fraction. */
function timeOf(time: unknown): number | undefined | 'invalid' {
  if (time === undefined || time === null) return undefined;
  const seconds =
    typeof time === 'number'
      ? time
      : typeof time === 'string' && /^\d{1,12}(?:\.\d{1,9})?$/.test(time.trim())
        ? Number(time)
        : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : 'invalid';
}

/**
 * Reads a HEC event body's envelopes in order, stopping at the first that is not one (yielded as a
 * problem): Splunk indexes the events before an invalid one and refuses it and the rest, and so does the
 * caller. A leading byte order mark is skipped.
 */
export function* readHecEnvelopes(body: string): Generator<HecEnvelope | HecEnvelopeProblem, void> {
  let at = body.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (let index = 0; ; index += 1) {
    while (at < body.length && isSpace(body.charCodeAt(at))) at += 1;
    if (at >= body.length) return;
    if (body.charCodeAt(at) !== 0x7b) {
      yield { index, code: 6, reason: 'an event must be a JSON object ({"event": …})' };
      return;
    }
    const end = objectEnd(body, at);
    if (end < 0) {
      yield { index, code: 6, reason: 'the JSON object is not closed before the body ends' };
      return;
    }
    const text = body.slice(at, end);
    at = end;
    const parsed = parseJsonText(text);
    if (!parsed.ok) {
      yield { index, code: 6, reason: parsed.error };
      return;
    }
    const value = parsed.value as Record<string, unknown>;
    if (!Object.hasOwn(value, 'event')) {
      yield { index, code: 12, reason: 'the envelope has no "event"' };
      return;
    }
    const event = value.event;
    if (event === null || (typeof event === 'string' && event.trim() === '')) {
      yield { index, code: 13, reason: '"event" is empty' };
      return;
    }
    const timeMs = timeOf(value.time);
    if (timeMs === 'invalid') {
      yield { index, code: 6, reason: '"time" must be epoch seconds (a number, or a string of digits)' };
      return;
    }
    yield { index, text, value, event, ...(timeMs === undefined ? {} : { timeMs }) };
  }
}
