import type { NormalizedAlert } from '../../domain/alerts/alert.js';
import type { FingerprintKeys } from '../../domain/alerts/fingerprint.js';
import { fingerprintOf } from './fingerprint-of.js';
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
    value: fingerprintOf(options.source, alert, options.fingerprintKeys),
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

/**
 * A prepared item as a mapping thread answers it. An alert's raw text is most often its whole line's text,
 * which the pool still holds: sending it back would copy every byte of the batch once more (most of the
 * hand-over with large alerts), so such an item names its line's index in the job instead (`rawOf`).
 */
export type AnsweredItem =
  | PreparedItem
  | (Omit<Extract<PreparedItem, { ok: true }>, 'rawText'> & { rawText?: undefined; rawOf: number });

/** A batch's prepared items, each raw text that is its line's whole text left out (see `AnsweredItem`). */
export function answerItems(input: PrepareInput, items: PreparedItem[]): AnsweredItem[] {
  if (!('lines' in input)) return items;
  const { lines } = input;
  // Items come in their lines' order, each with its line's number: one walk pairs them. Should two lines
  // share a number, an item is paired with the first and its text compared with that line's: still right.
  let k = 0;
  return items.map((item) => {
    while (k < lines.length - 1 && item.line !== lines[k]?.line) k += 1;
    const rec = lines[k];
    if (!item.ok || rec === undefined || !('text' in rec) || item.rawText !== rec.text) return item;
    const { rawText: _raw, ...rest } = item;
    return { ...rest, rawOf: k };
  });
}

/** A thread's answer with the raw texts it left out (see `AnsweredItem`) put back from the batch's lines. */
export function fromAnswer(input: PrepareInput, items: AnsweredItem[]): PreparedItem[] {
  if (!('lines' in input)) return items as PreparedItem[];
  const { lines } = input;
  return items.map((item): PreparedItem => {
    if (!item.ok || item.rawText !== undefined) return item;
    const { rawOf, ...rest } = item;
    const rec = lines[rawOf];
    return { ...rest, rawText: rec !== undefined && 'text' in rec ? rec.text : '' };
  });
}

/**
 * A batch's lines as they go to a mapping thread: their texts as one UTF-8 buffer, moved to the thread rather
 * than copied (`transfer`), with where each ends, and moved back with the answer to carry the next batch.
 * Structured-cloning the strings cost the main thread more; writing into fresh memory cost it most (the
 * page faults of a 32 MB batch took 4× the copy itself), hence the buffer's round trip.
 */
export interface LinesToSend {
  format: LineFormat;
  /** Longer than the texts when a buffer sent before is used again. */
  bytes: ArrayBuffer;
  /** Where each line's text ends in `bytes`; -1: the line is the next of `others`. */
  ends: Float64Array;
  numbers: Float64Array;
  /**
   * Lines kept whole: those read as errors, and texts with a lone surrogate, which UTF-8 cannot hold (it
   * would arrive as U+FFFD, and the thread map other text than this thread would).
   */
  others: LineRecord[];
}

/** A batch's lines to send, written into `spare` (a buffer an answer brought back) when large enough. */
export function linesToSend(lines: LineRecord[], format: LineFormat, spare?: ArrayBuffer): LinesToSend {
  const inBytes = lines.map((rec) => 'text' in rec && rec.text.isWellFormed());
  let size = 0;
  for (const [k, rec] of lines.entries())
    if (inBytes[k] && 'text' in rec) size += Buffer.byteLength(rec.text);
  // Not from Buffer's shared pool: the whole ArrayBuffer is the batch's, to move to the thread. A quarter
  // more than needed lets the next, slightly larger batch use it again (pages never written cost nothing).
  const buffer =
    spare && spare.byteLength >= size ? spare : Buffer.allocUnsafeSlow(Math.ceil(size * 1.25)).buffer;
  const bytes = Buffer.from(buffer);
  const ends = new Float64Array(lines.length);
  const numbers = new Float64Array(lines.length);
  const others: LineRecord[] = [];
  let at = 0;
  for (const [k, rec] of lines.entries()) {
    numbers[k] = rec.line;
    if (inBytes[k] && 'text' in rec) {
      at += bytes.write(rec.text, at);
      ends[k] = at;
    } else {
      ends[k] = -1;
      others.push(rec);
    }
  }
  return { format, bytes: buffer, ends, numbers, others };
}

export function linesReceived(sent: LinesToSend): { lines: LineRecord[]; format: LineFormat } {
  const bytes = Buffer.from(sent.bytes);
  const lines: LineRecord[] = [];
  let from = 0;
  let other = 0;
  for (const [k, end] of sent.ends.entries()) {
    if (end < 0) {
      lines.push(sent.others[other] as LineRecord);
      other += 1;
    } else {
      lines.push({ line: sent.numbers[k] as number, text: bytes.toString('utf8', from, end) });
      from = end;
    }
  }
  return { lines, format: sent.format };
}

/** A batch as it goes to a mapping thread: syslog messages as they are, lines as one buffer. */
export type SentInput = { texts: string[] } | LinesToSend;

export const inputToSend = (input: PrepareInput, spare?: ArrayBuffer): SentInput =>
  'texts' in input ? input : linesToSend(input.lines, input.format, spare);

export const inputReceived = (input: SentInput): PrepareInput =>
  'texts' in input ? input : linesReceived(input);
