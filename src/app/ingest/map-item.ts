import type { NormalizedAlert } from '../../domain/alerts/alert.js';
import type { FingerprintKeys } from '../../domain/alerts/fingerprint.js';
import { FormatError } from '../../ingest/formats/format-error.js';
import { NUL, nulPath } from '../../domain/shared/nul.js';
import { MappingError } from '../../ingest/mappers/mapper.js';
import { mapPayload } from '../../ingest/mappers/mapper-registry.js';
import { mapTextRecord } from '../../ingest/mappers/text.mapper.js';

/** One thing to ingest: a parsed JSON value, a text line (syslog, CEF, LEEF), or a line that failed to parse. */
export type IngestItem =
  /** `text`: the JSON text `value` was parsed from (a line, a body, an array's element): the raw event. */
  | { kind: 'json'; value: unknown; line?: number; text?: string }
  | { kind: 'text'; value: string; line?: number }
  | { kind: 'invalid'; reason: string; line?: number; path?: string };

export type MappedItem =
  | {
      ok: true;
      alert: NormalizedAlert;
      mapper: string;
      rawText?: string;
      /**
       * Computed off the main thread by a mapping worker (see prepare-items.ts), with the keys it used: the batch
       * that stores the alert takes it if its rules have the same keys, and computes it again otherwise.
       */
      fingerprint?: Fingerprint;
    }
  | { ok: false; reason: string; path?: string };

export interface Fingerprint {
  value: string;
  keys: FingerprintKeys;
}

/** Deeper than this is refused: no real alert nests so far, and deep values cost stack on every walk. */
export const MAX_JSON_DEPTH = 64;

export function jsonDepthExceeds(value: unknown, max: number): boolean {
  return value !== null && typeof value === 'object' && nestsDeeper(value, 1, max);
}

/**
 * Whether `v`, at `depth`, holds an object deeper than `max`. The recursion stops past `max`, so the stack
 * stays shallow whatever the input, and nothing is allocated per object visited.
 */
function nestsDeeper(v: object, depth: number, max: number): boolean {
  if (depth > max) return true;
  if (Array.isArray(v)) {
    for (const child of v as unknown[])
      if (child !== null && typeof child === 'object' && nestsDeeper(child, depth + 1, max)) return true;
    return false;
  }
  for (const key in v) {
    if (!Object.hasOwn(v, key)) continue;
    const child = (v as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object' && nestsDeeper(child, depth + 1, max)) return true;
  }
  return false;
}

const REPLACEMENT = '\ufffd';

function replaceNul<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll(NUL, REPLACEMENT) as T;
  if (Array.isArray(value)) return value.map(replaceNul) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceNul(v)])) as T;
  return value;
}

/**
 * The alert with U+0000 in its normalised fields replaced by U+FFFD. JSON and syslog may carry a NUL, but
 * PostgreSQL's text columns cannot hold one: the insert failed, and with it every alert of the transaction
 * (other senders' too, under group commit). The raw event keeps it: it is stored as JSON text, where a NUL
 * is the escape `\u0000`. Both stores store the same thing.
 */
function withoutNul(alert: NormalizedAlert, sourceText?: string): NormalizedAlert {
  // The text it came from has no NUL (for JSON text, no `\u0000` escape either): nothing to look for. A
  // scan of one string, where walking every field cost 3% of mapping a stream.
  if (sourceText !== undefined && !sourceText.includes(NUL) && !sourceText.includes('\\u0000')) return alert;
  const { raw, ...fields } = alert;
  if (nulPath(fields) === undefined) return alert;
  return { ...replaceNul(fields), raw };
}

/** Maps one item, turning every failure into a reason (never a throw): bad input must not stop a batch. */
export function mapItem(
  item: IngestItem,
  options: { mapper?: string; mapperConfig?: unknown; now: number },
): MappedItem {
  try {
    if (item.kind === 'invalid') return { ok: false, reason: item.reason, path: item.path };
    if (item.kind === 'text') {
      if (item.value.trim() === '') return { ok: false, reason: 'empty line' };
      return {
        ok: true,
        alert: withoutNul(mapTextRecord(item.value, options.now), item.value),
        mapper: 'syslog',
      };
    }
    if (jsonDepthExceeds(item.value, MAX_JSON_DEPTH)) {
      return { ok: false, reason: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    }
    if (typeof item.value === 'string' && options.mapper === 'syslog') {
      return {
        ok: true,
        alert: withoutNul(mapTextRecord(item.value, options.now), item.value),
        mapper: 'syslog',
      };
    }
    const mapped = mapPayload(item.value, options);
    const { mapper } = mapped;
    const alert = withoutNul(mapped.alert, item.text);
    // The text it was parsed from is the raw event as received, when the mapper kept the whole payload as raw.
    const rawText = item.text !== undefined && alert.raw === item.value ? item.text : undefined;
    return rawText === undefined ? { ok: true, alert, mapper } : { ok: true, alert, mapper, rawText };
  } catch (err) {
    if (err instanceof MappingError) return { ok: false, reason: err.message, path: err.path || undefined };
    if (err instanceof FormatError) return { ok: false, reason: err.describe() };
    // A mapper bug on odd input is this item's problem, not the batch's.
    return { ok: false, reason: `could not map: ${err instanceof Error ? err.message : String(err)}` };
  }
}
