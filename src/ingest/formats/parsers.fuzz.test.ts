import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseCef } from './cef.js';
import { FormatError } from './format-error.js';
import { parseLeef } from './leef.js';
import { readLines, type LineRecord } from './ndjson-lines.js';
import { parseSyslog } from './syslog.js';
import { SyslogFrameDecoder } from './syslog-framing.js';
import { readSyslogJson } from './syslog-json.js';

/** A seeded generator, so a failure reproduces: the seed is in the test name. */
const rng = (seed: number) => () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const SEEDS = [1, 7, 42, 1337];
const PIECES = [
  '<',
  '>',
  '1',
  ' ',
  '-',
  '[',
  ']',
  '"',
  '=',
  '\\',
  '|',
  'CEF:0',
  'LEEF:2.0',
  'x5E',
  '^',
  '\t',
  'é',
  '\n',
  'Jan',
  '12:00:00',
  'a',
  '13',
  '\ufeff',
  '\u0000',
  '{',
  '}',
  ':',
  ',',
  '@cee:',
];

const mutate = (base: string, r: () => number): string => {
  let s = base;
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i += 1) {
    const at = Math.floor(r() * (s.length + 1));
    const op = r();
    if (op < 0.4) s = s.slice(0, at) + (PIECES[Math.floor(r() * PIECES.length)] ?? '') + s.slice(at);
    else if (op < 0.8) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 5));
    else s = s.slice(0, at);
  }
  return s;
};

const SEEDS_LINES = [
  '<165>1 2003-10-11T22:14:15.003Z host app 12 ID47 [a@1 k="v \\" x"][b@2 z="1"] msg',
  '<13>Feb  5 17:32:18 10.0.0.99 sshd[42]: Accepted password for bob',
  'CEF:0|Vend\\|or|Prod|1|100|Name|5|src=10.0.0.1 msg=a\\=b c request=http://x/?a=b',
  'LEEF:2.0|V|P|1|id|^|src=1.2.3.4^msg=x\\^y',
  'LEEF:1.0|V|P|1|id|src=1.2.3.4\tdst=5.6.7.8',
  '<14>1 2026-01-01T00:00:00Z sensor suricata 42 - - {"event_type":"alert","alert":{"signature_id":1}}',
  '<132>Jan  1 00:00:00 manager ossec: @cee: {"rule":{"level":10,"id":"5712"},"agent":{"id":"000"}}',
];

describe.each(SEEDS)('parsers under random mutation (seed %i)', (seed) => {
  it('either parse or throw a FormatError with a column, and never anything else', () => {
    const r = rng(seed);
    for (let i = 0; i < 2000; i += 1) {
      const input = mutate(SEEDS_LINES[i % SEEDS_LINES.length] ?? '', r);
      for (const parse of [(s: string) => parseSyslog(s, 0), parseCef, parseLeef]) {
        try {
          parse(input);
        } catch (err) {
          if (!(err instanceof FormatError))
            throw new Error(`non-FormatError on ${JSON.stringify(input)}: ${String(err)}`);
          expect(err.column).toBeGreaterThanOrEqual(1);
        }
      }
    }
  });

  it('readSyslogJson never throws, and gives JSON only when the message is a JSON object', () => {
    const r = rng(seed);
    for (let i = 0; i < 2000; i += 1) {
      const input = mutate(SEEDS_LINES[i % SEEDS_LINES.length] ?? '', r);
      const reading = readSyslogJson(input, 0);
      if (reading?.json === undefined) continue;
      expect(reading.json).toBeTypeOf('object');
      expect(Array.isArray(reading.json)).toBe(false);
      // Its MSG (after any `@cee:`) is the object's text: the header parsed as the line's.
      expect(reading.syslog).toEqual(parseSyslog(input, 0));
    }
  });

  it('the frame decoder never throws and never emits more bytes than it was given', () => {
    const r = rng(seed);
    for (let i = 0; i < 300; i += 1) {
      const input = Array.from({ length: 5 }, () =>
        mutate(SEEDS_LINES[Math.floor(r() * SEEDS_LINES.length)] ?? '', r),
      )
        .map((s) => (r() < 0.5 ? `${Buffer.byteLength(s)} ${s}` : `${s}\n`))
        .join('');
      let emitted = 0;
      const d = new SyslogFrameDecoder(
        (f) => (emitted += Buffer.byteLength(f)),
        () => undefined,
        256,
      );
      const buf = Buffer.from(input);
      for (let at = 0; at < buf.length;) {
        const n = 1 + Math.floor(r() * 40);
        d.push(buf.subarray(at, at + n));
        at += n;
      }
      d.end();
      expect(emitted).toBeLessThanOrEqual(buf.length);
    }
  });

  it('the frame decoder gives the same frames and as many errors however the stream is split', () => {
    const r = rng(seed);
    const decode = (chunks: Buffer[]): { frames: string[]; errors: number } => {
      const frames: string[] = [];
      let errors = 0;
      const d = new SyslogFrameDecoder(
        (f) => frames.push(f),
        () => (errors += 1),
        64,
      );
      for (const c of chunks) d.push(c);
      d.end();
      return { frames, errors };
    };
    for (let i = 0; i < 300; i += 1) {
      const input = Array.from({ length: 5 }, () =>
        mutate(SEEDS_LINES[Math.floor(r() * SEEDS_LINES.length)] ?? '', r),
      )
        .map((s) => (r() < 0.5 ? `${Buffer.byteLength(s)} ${s}` : `${s}\n`))
        .join('');
      const buf = Buffer.from(input);
      const chunks: Buffer[] = [];
      for (let at = 0; at < buf.length;) {
        const n = 1 + Math.floor(r() * 40);
        chunks.push(buf.subarray(at, at + n));
        at += n;
      }
      expect(decode(chunks), JSON.stringify(input)).toEqual(decode([buf]));
    }
  });
});

const BYTE_PIECES: Buffer[] = [
  Buffer.from('{"a":1}'),
  Buffer.from('\n'),
  Buffer.from('\r\n'),
  Buffer.from('é'),
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from([0xff]),
  Buffer.from([0xc3]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from(' '),
  Buffer.from('x'.repeat(40)),
];

const collect = async (chunks: Buffer[], maxLineBytes: number): Promise<LineRecord[]> => {
  const out: LineRecord[] = [];
  for await (const rec of readLines(Readable.from(chunks), { maxLineBytes })) out.push(rec);
  return out;
};

describe.each(SEEDS)('NDJSON line reader under random bytes and chunking (seed %i)', (seed) => {
  it('gives the same lines however the bytes are split, and every record is text or a named error', async () => {
    const r = rng(seed);
    for (let i = 0; i < 200; i += 1) {
      const body = Buffer.concat(
        Array.from(
          { length: Math.floor(r() * 30) },
          () => BYTE_PIECES[Math.floor(r() * BYTE_PIECES.length)] ?? Buffer.alloc(0),
        ),
      );
      const maxLineBytes = 16 + Math.floor(r() * 100);
      const whole = await collect([body], maxLineBytes);
      const chunks: Buffer[] = [];
      for (let at = 0; at < body.length;) {
        const n = 1 + Math.floor(r() * 7);
        chunks.push(body.subarray(at, at + n));
        at += n;
      }
      expect(await collect(chunks, maxLineBytes)).toEqual(whole);
      let last = 0;
      for (const rec of whole) {
        expect(rec.line).toBeGreaterThan(last);
        last = rec.line;
        if ('error' in rec) expect(rec.error).toMatch(/^(not valid UTF-8|line is longer than \d+ bytes)$/);
        else {
          expect(rec.text).not.toMatch(/[\n]/);
          expect(Buffer.byteLength(rec.text)).toBeLessThanOrEqual(maxLineBytes);
        }
      }
      expect(last).toBeLessThanOrEqual(body.filter((b) => b === 0x0a).length + 1);
    }
  });
});
