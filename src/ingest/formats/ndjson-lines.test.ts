import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseJsonText, readLines, type LineRecord } from './ndjson-lines.js';

const collect = async (chunks: Buffer[], maxLineBytes = 100): Promise<LineRecord[]> => {
  const out: LineRecord[] = [];
  for await (const r of readLines(Readable.from(chunks), { maxLineBytes })) out.push(r);
  return out;
};

describe('readLines', () => {
  it('splits across chunks, counts blank lines, handles CRLF and a missing final newline', async () => {
    const body = Buffer.from('{"a":1}\r\n\n{"b":"é"}\n{"c":3}');
    for (let cut = 1; cut < body.length; cut += 3) {
      expect(await collect([body.subarray(0, cut), body.subarray(cut)])).toEqual([
        { line: 1, text: '{"a":1}' },
        { line: 3, text: '{"b":"é"}' },
        { line: 4, text: '{"c":3}' },
      ]);
    }
  });

  it('reports invalid UTF-8 and overlong lines for that line only', async () => {
    const bad = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    const long = Buffer.from(`${'x'.repeat(150)}\n`);
    const recs = await collect([bad, long.subarray(0, 70), long.subarray(70), Buffer.from('ok\n')]);
    expect(recs).toEqual([
      { line: 1, error: 'not valid UTF-8' },
      { line: 2, error: 'line is longer than 100 bytes' },
      { line: 3, text: 'ok' },
    ]);
  });
});

describe('readLines line limit', () => {
  it('counts a line without its terminator: exactly the limit passes with LF, CR LF or none, one more fails', async () => {
    const exact = 'x'.repeat(10);
    const over = 'y'.repeat(11);
    const body = Buffer.from(`${exact}\n${exact}\r\n${over}\r\n${over}\n${exact}`);
    // Every split, so the answer does not depend on where the chunks fall.
    for (let cut = 0; cut <= body.length; cut += 1) {
      const recs = await collect([body.subarray(0, cut), body.subarray(cut)], 10);
      expect(recs, `cut at ${cut}`).toEqual([
        { line: 1, text: exact },
        { line: 2, text: exact },
        { line: 3, error: 'line is longer than 10 bytes' },
        { line: 4, error: 'line is longer than 10 bytes' },
        { line: 5, text: exact },
      ]);
    }
    expect(await collect([Buffer.from(over)], 10)).toEqual([
      { line: 1, error: 'line is longer than 10 bytes' },
    ]);
    expect(await collect([Buffer.from(`${exact}\r`)], 10)).toEqual([{ line: 1, text: exact }]);
  });
});

describe('parseJsonText', () => {
  it('says where JSON breaks', () => {
    const r = parseJsonText('{\n  "a": 1,\n  "b": }');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^malformed JSON at line 3, column 8/);
  });
});

describe('parseJsonText on truncated input', () => {
  it('says the input ended', () => {
    const r = parseJsonText('{"a": [1, 2');
    expect(!r.ok && r.error).toBe('malformed JSON at line 1, column 12: unexpected end of input');
    const ok = parseJsonText('{"a": [1, 2]}');
    expect(ok).toEqual({ ok: true, value: { a: [1, 2] } });
  });
});
