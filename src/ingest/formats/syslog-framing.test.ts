import { describe, expect, it } from 'vitest';
import { SyslogFrameDecoder } from './syslog-framing.js';

const decode = (chunks: string[], max?: number): { frames: string[]; errors: string[] } => {
  const frames: string[] = [];
  const errors: string[] = [];
  const d = new SyslogFrameDecoder(
    (f) => frames.push(f),
    (e) => errors.push(e),
    max,
  );
  for (const c of chunks) d.push(Buffer.from(c));
  d.end();
  return { frames, errors };
};

describe('SyslogFrameDecoder (RFC 6587)', () => {
  it('splits octet-counted frames across arbitrary chunk boundaries, counting bytes not characters', () => {
    const a = '<13>1 - h a - - - héllo';
    const b = '<13>1 - h a - - - second\nwith newline';
    const stream = `${Buffer.byteLength(a)} ${a}${Buffer.byteLength(b)} ${b}`;
    for (let cut = 1; cut < stream.length; cut += 7) {
      expect(decode([stream.slice(0, cut), stream.slice(cut)]).frames).toEqual([a, b]);
    }
  });

  it('splits newline-framed messages and keeps a last unterminated one', () => {
    expect(
      decode(['<13>Jan  1 00:00:00 h a: one\r\n<13>Jan  1 00:00:00 h', ' a: two\n\n<13>three']).frames,
    ).toEqual(['<13>Jan  1 00:00:00 h a: one', '<13>Jan  1 00:00:00 h a: two', '<13>three']);
  });

  it('skips frames over the limit and carries on with the next one', () => {
    const big = 'x'.repeat(100);
    const { frames, errors } = decode([`100 ${big}5 small`, `\n${'y'.repeat(80)}`, '\n<1>ok\n'], 50);
    expect(frames).toEqual(['small', '<1>ok']);
    expect(errors).toHaveLength(2);
  });

  it('reports an octet-counted frame cut short by the peer closing, and does not emit it', () => {
    const cut = '300 <13>Jan  1 00:00:00 fw CEF:0|Vendor|Prod|1|100|Blocked|8|src=10.0.0.1 msg=partial mess';
    expect(decode([`5 first${cut}`])).toEqual({
      frames: ['first'],
      errors: ['connection closed after 86 of the 300 bytes of a frame'],
    });
    expect(decode(['5 first12'])).toEqual({
      frames: ['first'],
      errors: ['connection closed inside an octet count'],
    });
  });

  it('reports and skips an LF line over the limit wherever the chunks split', () => {
    const stream = `<13>${'x'.repeat(100)}\n<1>ok\n<13>${'y'.repeat(60)}`;
    const whole = decode([stream], 50);
    expect(whole).toEqual({
      frames: ['<1>ok'],
      errors: ['line exceeds the 50-byte limit', 'line exceeds the 50-byte limit'],
    });
    for (let cut = 1; cut < stream.length; cut += 1) {
      expect(decode([stream.slice(0, cut), stream.slice(cut)], 50)).toEqual(whole);
    }
  });

  it('a line of exactly the limit is a message, one byte more is not', () => {
    const line = `<1>${'x'.repeat(47)}`;
    expect(decode([`${line}\n${line}x\n`], 50)).toEqual({
      frames: [line],
      errors: ['line exceeds the 50-byte limit'],
    });
  });
});

describe('SyslogFrameDecoder after a miscounted octet frame', () => {
  // rsyslog and syslog-ng send octet-counted frames back to back, with no LF to fall back on.
  const octet = (msg: string, count = Buffer.byteLength(msg)): string => `${count} ${msg}`;
  const msg = (i: number, tail = ''): string => `<13>1 2026-01-01T00:00:00Z h app - - - message ${i}${tail}`;
  const splits = (stream: string): string[][] => {
    const out = [[stream]];
    for (let cut = 1; cut < stream.length; cut += 37) out.push([stream.slice(0, cut), stream.slice(cut)]);
    const small: string[] = [];
    for (let at = 0; at < stream.length; at += 5) small.push(stream.slice(at, at + 5));
    out.push(small);
    return out;
  };

  it('finds the next frame after a count of characters, not bytes, reporting one error with the bytes skipped', () => {
    // The count of frame 3 is one short (é is two bytes): the byte left over is skipped, frame 4 goes on.
    const frames = Array.from({ length: 8 }, (_, i) => msg(i, i === 3 ? ' café' : ''));
    const stream = frames.map((m, i) => octet(m, i === 3 ? m.length : undefined)).join('');
    for (const chunks of splits(stream)) {
      const { frames: got, errors } = decode(chunks);
      expect(got).toHaveLength(8);
      expect(got.slice(4)).toEqual(frames.slice(4));
      expect(errors).toEqual(['a frame did not start with an octet count: skipped 1 byte']);
    }
  });

  it('takes a count that lines up with the next frame, though the message before it ends in digits', () => {
    // One byte over: the `4` of `49 <13>` is eaten, and the `9` reads as a count of 9 bytes. Frame 2's text
    // then ends `message 2` right before frame 3's `49 <13>`: the count is 49, not 249.
    const frames = Array.from({ length: 6 }, (_, i) => msg(i));
    const stream = frames.map((m, i) => octet(m, i === 1 ? Buffer.byteLength(m) + 1 : undefined)).join('');
    for (const chunks of splits(stream)) {
      const { frames: got, errors } = decode(chunks);
      expect(got.slice(-3)).toEqual(frames.slice(-3));
      expect(errors).toHaveLength(1);
      // Which of the two the bad count is depends on whether its space had arrived: either way, one error.
      expect(errors[0]).toMatch(
        /^(malformed octet count|octet count without a following space): skipped \d+ bytes$/,
      );
    }
  });

  it('still takes LF lines between octet frames, and reports a loss cut by the close once', () => {
    expect(decode([`${octet('<1>a')}<13>Jan  1 00:00:00 h su: one\n${octet('<1>b')}`])).toEqual({
      frames: ['<1>a', '<13>Jan  1 00:00:00 h su: one', '<1>b'],
      errors: [],
    });
    // Lost sync and no frame after it: one error when the peer closes.
    expect(decode([`${octet('<1>a')}12x <13> no frame follows`])).toEqual({
      frames: ['<1>a'],
      errors: ['malformed octet count: skipped 25 bytes before the connection closed'],
    });
  });
});
