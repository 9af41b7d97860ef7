import { arrayElementTexts } from '../../ingest/formats/json-element-texts.js';
import { parseJsonText, type LineRecord } from '../../ingest/formats/ndjson-lines.js';
import type { IngestItem } from './map-item.js';

/** How lines are read: JSON per line, text (syslog/CEF/LEEF) per line, or decided per line by its first character. */
export type LineFormat = 'json' | 'text' | 'auto';

/**
 * Whether an `auto` line is read as JSON: an object, or an array of them (or none). A line that opens with a
 * bracket and goes on otherwise is text, as logs write it ("[Thu Jan 01 …] [error] …", "[2026-01-01 …]"):
 * rejected, it is told what text grammars it missed, not that it is broken JSON.
 */
function looksLikeJson(text: string): boolean {
  if (text.startsWith('{')) return true;
  if (!text.startsWith('[')) return false;
  const next = /\S/.exec(text.slice(1, 64));
  return next === null || next[0] === '{' || next[0] === ']';
}

/** One line of a stream as the items it holds: one, or one per element of a JSON array, all with its line number. */
export function lineToItems(rec: LineRecord, format: LineFormat): IngestItem[] {
  if ('error' in rec) return [{ kind: 'invalid', reason: rec.error, line: rec.line }];
  const text = rec.text.trim();
  const asJson = format === 'json' || (format === 'auto' && looksLikeJson(text));
  if (!asJson) return [{ kind: 'text', value: rec.text, line: rec.line }];
  const parsed = parseJsonText(text);
  if (!parsed.ok) return [{ kind: 'invalid', reason: parsed.error, line: rec.line }];
  if (!Array.isArray(parsed.value)) return [{ kind: 'json', value: parsed.value, line: rec.line, text }];
  // Counted as rejected, not dropped: every line of a stream is accounted for in its answer.
  if (parsed.value.length === 0)
    return [{ kind: 'invalid', reason: 'an empty array holds no alert', line: rec.line }];
  // Each element keeps its own text as its raw event, as a line of one alert does.
  const texts = arrayElementTexts(text);
  return parsed.value.map((value, k) => ({
    kind: 'json' as const,
    value,
    line: rec.line,
    text: texts[k] as string,
  }));
}
