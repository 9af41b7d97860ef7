import type { NormalizedAlert } from '../../domain/alerts/alert.js';
import type { FingerprintKeys } from '../../domain/alerts/fingerprint.js';
import { FormatError } from '../../ingest/formats/format-error.js';
import { readSyslogJson } from '../../ingest/formats/syslog-json.js';
import type { SyslogMessage } from '../../ingest/formats/syslog.js';
import { NUL } from '../../domain/shared/nul.js';
import { MappingError } from '../../ingest/mappers/mapper.js';
import { fallbackMapper } from '../../ingest/mappers/generic.mapper.js';
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

/**
 * Text no store holds as written: U+0000 (PostgreSQL's text refuses it), and a UTF-16 surrogate without its
 * pair (the PostgreSQL driver writes U+FFFD for it, so `ev\ud800` and `ev\udc00` met as one event id or
 * observable and failed the step: a unique violation, or "ON CONFLICT DO UPDATE ... a second time").
 */
const unstorable = (text: string): boolean => text.includes(NUL) || !text.isWellFormed();

function storable<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll(NUL, REPLACEMENT).toWellFormed() as T;
  if (Array.isArray(value)) return value.map(storable) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, storable(v)])) as T;
  return value;
}

function holdsUnstorable(value: unknown): boolean {
  if (typeof value === 'string') return unstorable(value);
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(holdsUnstorable);
  return Object.values(value).some(holdsUnstorable);
}

/** A JSON escape of U+0000 or of a surrogate: how JSON text writes what `unstorable` looks for. */
const UNSTORABLE_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;

/**
 * The alert with U+0000 and unpaired surrogates in its normalised fields replaced by U+FFFD, so both stores
 * store the same thing and no two values differ only where a store cannot tell them apart. The raw event
 * keeps them: it is stored as JSON text, where they are escapes (`\u0000`, `\ud800`).
 */
function withStorableText(alert: NormalizedAlert, sourceText?: string): NormalizedAlert {
  // Text with none of them, nor an escape of one, maps to fields with none: a scan of one string, where
  // walking every field cost 3% of mapping a stream.
  if (sourceText !== undefined && !unstorable(sourceText) && !UNSTORABLE_ESCAPE.test(sourceText))
    return alert;
  const { raw, ...fields } = alert;
  if (!holdsUnstorable(fields)) return alert;
  return { ...storable(fields), raw };
}

type MapItemOptions = { mapper?: string; mapperConfig?: unknown; now: number };

/**
 * Maps a text line: a syslog message whose MSG is a JSON object (see readSyslogJson) by the vendor mapper, as
 * that JSON would be (the source's mapper, or detected when it names none, `syslog` or `auto`); anything
 * else, and JSON no mapper takes, as syslog, CEF or LEEF text (`mapTextRecord`), as it always was. Throws a
 * FormatError when the line matches no grammar.
 */
function mapText(line: string, options: MapItemOptions): MappedItem {
  const reading = readSyslogJson(line, options.now);
  if (reading?.json !== undefined && !jsonDepthExceeds(reading.json, MAX_JSON_DEPTH)) {
    const carried = mapCarriedJson(reading.json, reading.syslog, line, options);
    if (carried) return carried;
  }
  return {
    ok: true,
    alert: withStorableText(mapTextRecord(line, options.now, reading?.syslog), line),
    mapper: 'syslog',
  };
}

/**
 * A syslog message's JSON payload mapped by the vendor mapper, or undefined when none takes it: as that JSON
 * sent over HTTP would be, but for its raw event, the whole message as received, and its time, the payload's
 * own else the header's. The header's host is not made an observable: it is the sender (a sensor, a manager),
 * which the vendor mappers leave out on purpose, since every alert of a sensor would share it and group into
 * one case. It stays in the raw event, and the sender's address in `receivedFrom`.
 */
function mapCarriedJson(
  payload: Record<string, unknown>,
  syslog: SyslogMessage,
  line: string,
  options: MapItemOptions,
): MappedItem | undefined {
  let mapped: ReturnType<typeof mapPayload>;
  try {
    mapped = mapPayload(payload, {
      mapper: options.mapper === 'syslog' ? undefined : options.mapper,
      mapperConfig: options.mapperConfig,
      now: syslog.timestamp ?? options.now,
    });
  } catch {
    // Not a payload the mapper takes: the line is still syslog, mapped as text rather than rejected.
    return undefined;
  }
  // An application's own JSON log (`{"message": …}`), which only the common-field fallback takes, reads
  // better as the syslog message it is: the header's severity, app and host say more than the fallback finds,
  // and without the host, the same message from two hosts was one alert. Named by the source, it applies.
  if (mapped.mapper === fallbackMapper.name && options.mapper !== fallbackMapper.name) return undefined;
  const alert: NormalizedAlert = { ...mapped.alert, raw: line };
  return { ok: true, alert: withStorableText(alert, line), mapper: mapped.mapper };
}

/** Maps one item, turning every failure into a reason (never a throw): bad input must not stop a batch. */
export function mapItem(item: IngestItem, options: MapItemOptions): MappedItem {
  try {
    if (item.kind === 'invalid') return { ok: false, reason: item.reason, path: item.path };
    if (item.kind === 'text') {
      if (item.value.trim() === '') return { ok: false, reason: 'empty line' };
      return mapText(item.value, options);
    }
    if (jsonDepthExceeds(item.value, MAX_JSON_DEPTH)) {
      return { ok: false, reason: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    }
    if (typeof item.value === 'string' && options.mapper === 'syslog') return mapText(item.value, options);
    const mapped = mapPayload(item.value, options);
    const { mapper } = mapped;
    const alert = withStorableText(mapped.alert, item.text);
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
