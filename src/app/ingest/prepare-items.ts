import type { NormalizedAlert } from '../../domain/alerts/alert.js';
import { computeFingerprint, type FingerprintKeys } from '../../domain/alerts/fingerprint.js';
import type { LineRecord } from '../../ingest/formats/ndjson-lines.js';
import { lineToItems, type LineFormat } from './line-items.js';
import { mapItem, type Fingerprint, type IngestItem, type MappedItem } from './map-item.js';

/** What a batch of input is mapped with: the stream's source, mapper (and generic config), and rules. */
export interface PrepareOptions {
  source: string;
  mapper?: string | undefined;
  mapperConfig?: unknown;
  fingerprintKeys: FingerprintKeys;
  /** The time alerts without one of their own are given (the main thread's clock). */
  now: number;
}

/** Lines of an NDJSON stream (with the stream's line format), or syslog messages (one text item each). */
export type PrepareInput = { lines: LineRecord[]; format: LineFormat } | { texts: string[] };

/**
 * One mapped item as it crosses between threads: strings only. Structured-cloning a mapped alert object cost
 * the receiving thread ~6 µs an alert, JSON.parse of its text ~3 µs, so the alert travels as JSON text
 * (without `raw`), with its fingerprint and raw text ready for the row. The row's `normalized` column holds
 * less than this text (only the fields without a column of their own) and is serialised when stored.
 */
export type PreparedItem =
  | { line?: number; ok: true; mapper: string; normalizedText: string; rawText: string; fingerprint: string }
  | { line?: number; ok: false; reason: string; path?: string };

/**
 * Parses and maps a batch as `ingestAlerts` would, in order (an array line gives one item per element, all
 * with that line's number), and computes what storing needs of each alert but the store: its fingerprint and
 * its raw text. Pure: this is what a mapping worker thread runs.
 */
export function prepareItems(input: PrepareInput, options: PrepareOptions): PreparedItem[] {
  const items: IngestItem[] =
    'texts' in input
      ? input.texts.map((value) => ({ kind: 'text', value }))
      : input.lines.flatMap((rec) => lineToItems(rec, input.format));
  return items.map((item) => {
    const m = mapForStoring(item, options);
    const line = item.line === undefined ? {} : { line: item.line };
    if (!m.ok) return { ...line, ok: false, reason: m.reason, ...(m.path ? { path: m.path } : {}) };
    const { raw: _raw, ...normalized } = m.alert;
    return {
      ...line,
      ok: true,
      mapper: m.mapper,
      normalizedText: JSON.stringify(normalized),
      rawText: m.rawText,
      fingerprint: m.fingerprint.value,
    };
  });
}

/** A mapped item as a stream's batch holds it until stored: with its raw text and fingerprint, without `raw`. */
export type MappedForStoring =
  | Extract<MappedItem, { ok: false }>
  | (Extract<MappedItem, { ok: true }> & { rawText: string; fingerprint: Fingerprint });

/**
 * Maps one item with what storing needs made now, on whichever thread maps it: its fingerprint (under
 * `options`' keys) and its raw text (the text as received, else the raw event serialised, as the row stores
 * it). The parsed raw event is let go (`raw: null`) rather than held by the batch until its commit; storing
 * parses the text again only should the fingerprint keys change meanwhile (see `fingerprintUnder`).
 */
export function mapForStoring(item: IngestItem, options: PrepareOptions): MappedForStoring {
  const m = mapItem(item, options);
  if (!m.ok) return m;
  const { alert } = m;
  const rawText = m.rawText ?? JSON.stringify(alert.raw ?? null);
  const fingerprint = {
    value: computeFingerprint(options.source, alert, options.fingerprintKeys),
    keys: options.fingerprintKeys,
  };
  // The mapper's alert is this call's own: emptied in place rather than copied.
  alert.raw = null;
  return { ok: true, alert, mapper: m.mapper, rawText, fingerprint };
}

/**
 * A prepared item back to what storing takes, given the fingerprint keys it was prepared with. The alert is
 * rebuilt from its JSON text without `raw`: its raw text and fingerprint are given, so storing reads `raw`
 * again only should the rules have changed meanwhile (see `fingerprintUnder`).
 */
export function fromPrepared(item: PreparedItem, keys: FingerprintKeys): MappedItem {
  if (!item.ok) return { ok: false, reason: item.reason, ...(item.path ? { path: item.path } : {}) };
  const alert = { ...(JSON.parse(item.normalizedText) as Omit<NormalizedAlert, 'raw'>), raw: null };
  return {
    ok: true,
    alert,
    mapper: item.mapper,
    rawText: item.rawText,
    fingerprint: { value: item.fingerprint, keys },
  };
}
