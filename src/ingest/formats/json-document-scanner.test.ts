import { describe, expect, it } from 'vitest';
import { JsonDocumentScanner, type JsonScanEvent } from './json-document-scanner.js';

/** Scans `text` in chunks of `size` bytes; the events, items shown by their text. */
function scan(text: string | Buffer, size: number, maxItemBytes = 1024): Array<Record<string, unknown>> {
  const scanner = new JsonDocumentScanner(maxItemBytes);
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const events: JsonScanEvent[] = [];
  for (let at = 0; at < bytes.length; at += size)
    events.push(...scanner.write(bytes.subarray(at, at + size)));
  events.push(...scanner.end());
  return events.map(({ offset: _offset, ...event }) =>
    event.kind === 'item' ? { ...event, bytes: event.bytes?.toString() } : event,
  );
}

/** The same events whatever the chunks: every size from 1 byte to the whole text. */
function scanAnyhow(text: string, maxItemBytes?: number): Array<Record<string, unknown>> {
  const whole = scan(text, text.length + 1, maxItemBytes);
  for (const size of [1, 2, 3, 5, 7, 64]) expect(scan(text, size, maxItemBytes)).toEqual(whole);
  return whole;
}

const items = (events: Array<Record<string, unknown>>): unknown[] =>
  events.filter((e) => e.kind === 'item').map((e) => [e.index, e.line, e.endLine, e.bytes]);

describe('JsonDocumentScanner', () => {
  it('cuts a top-level array into its elements, each with the lines it spans', () => {
    const text = '[\n  {"a": "x,]}\\"y"},\n  42, "s", [1, {"b": [2]}],\n  {\n    "c": null\n  }\n]\n';
    const events = scanAnyhow(text);
    expect(items(events)).toEqual([
      [0, 2, 2, '{"a": "x,]}\\"y"}'],
      [1, 3, 3, '42'],
      [2, 3, 3, '"s"'],
      [3, 3, 3, '[1, {"b": [2]}]'],
      [4, 4, 6, '{\n    "c": null\n  }'],
    ]);
    expect(events.at(-1)).toEqual({ kind: 'end', line: 7 });
    expect(events.filter((e) => e.kind === 'error')).toEqual([]);
  });

  it('reads top-level values that follow one another, as jq prints them, and skips a byte-order mark', () => {
    const events = scanAnyhow('\ufeff{\n  "a": 1\n}\n{"b": 2} true\n[3]');
    expect(items(events)).toEqual([
      [0, 1, 3, '{\n  "a": 1\n}'],
      [1, 4, 4, '{"b": 2}'],
      [2, 4, 4, 'true'],
      [3, 5, 5, '3'],
    ]);
  });

  it('says where the text stops being JSON, and reads nothing after it', () => {
    const at = (text: string): unknown => scanAnyhow(text).find((e) => e.kind === 'error');
    expect(at('[\n  {"a": 1},\n  {"b": tru},\n  {"c": 3}\n]')).toEqual({
      kind: 'error',
      line: 3,
      column: 9,
      found: 'unexpected "tru"',
    });
    expect(at('[{"a": 1}\n {"b": 2}]')).toMatchObject({
      line: 2,
      column: 2,
      found: expect.stringMatching(/^expected ","/),
    });
    expect(at('{"a" 1}')).toMatchObject({ line: 1, column: 6 });
    expect(at('[1,]')).toMatchObject({ line: 1, column: 4 });
    expect(at('[error] text')).toMatchObject({ line: 1, column: 2 });
    // A line break inside a string: an NDJSON line cut short.
    expect(at('{"title": "cut\n{"title": "next"}')).toMatchObject({
      line: 1,
      found: 'unexpected "\\n" in a string',
    });
    expect(at('["\\x"]')).toMatchObject({ found: 'unexpected escape "\\\\x"' });
    // Cut short: reported after the last thing read, not on the blank lines after it.
    expect(at('[\n  {"a": 1},\n  {"b": 2\n\n\n')).toEqual({
      kind: 'error',
      line: 3,
      column: 10,
      found: 'unexpected end of input',
    });
    expect(at('[{"a": "cut')).toMatchObject({ line: 1, found: 'unexpected end of input' });
    const events = scanAnyhow('[1, 2, x, 3]');
    expect(items(events)).toEqual([
      [0, 1, 1, '1'],
      [1, 1, 1, '2'],
    ]);
  });

  it("marks the outer value's boundaries, for telling a document from lines", () => {
    const events = scanAnyhow('{"a": [1, 2],\n "b": {"c": 3}\n}');
    expect(events.filter((e) => e.kind === 'boundary')).toEqual([
      { kind: 'boundary', line: 1 },
      { kind: 'boundary', line: 3 },
    ]);
    expect(events[0]).toEqual({ kind: 'start', line: 1, byte: 0x7b });
  });

  it('gives an item longer than the limit without its bytes, and reads on', () => {
    const events = scanAnyhow(`[{"a": "${'x'.repeat(100)}"}, {"b": 1}]`, 50);
    expect(items(events)).toEqual([
      [0, 1, 1, undefined],
      [1, 1, 1, '{"b": 1}'],
    ]);
  });

  it('keeps multi-byte characters whole and counts columns in characters', () => {
    const events = scanAnyhow('["é€😀", x]');
    expect(items(events)).toEqual([[0, 1, 1, '"é€😀"']]);
    expect(events.find((e) => e.kind === 'error')).toMatchObject({ line: 1, column: 9 });
  });
});
