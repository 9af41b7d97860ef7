const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;

/** Where a scan for the next octet-counted frame got to. */
type Found = { kind: 'count'; at: number } | { kind: 'wait'; at: number } | { kind: 'none' };

/**
 * Splits a TCP syslog stream into messages (RFC 6587): octet counting (`<len> <msg>`) when a frame starts
 * with a digit, newline-terminated otherwise. Frames over `maxFrameBytes` are reported and skipped, so a
 * sender cannot make the listener buffer without bound.
 *
 * Once a connection has sent a well-formed count, a frame that starts with anything else most likely means a
 * sender miscounted (characters for bytes, say): octet-counted streams carry no LF to fall back on, so the
 * decoder looks ahead for the next `<count> <` whose count ends where another frame starts, skips to it and
 * reports one frame error. An LF line (mixed framing) is still taken when its LF comes before such a count.
 * Every decision waits until the bytes that settle it have arrived, so the frames and errors do not depend on
 * where the stream was split.
 */
export class SyslogFrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private skipping = 0;
  private dropUntilNewline = false;
  /** A well-formed octet count was read on this connection. */
  private octetCounting = false;
  /**
   * Sync lost in an octet-counted stream: the bytes skipped so far, reported as one error once a frame start
   * is found. `anyLf`: an LF ends the loss (after a line over the limit); otherwise only one before a `<`.
   */
  private lost: { reason: string; skipped: number; anyLf: boolean } | undefined;
  /** The peer closed: bytes still to come cannot settle a look-ahead any more. */
  private final = false;

  constructor(
    private readonly onFrame: (frame: string) => void,
    private readonly onError: (reason: string) => void,
    private readonly maxFrameBytes = 64 * 1024,
  ) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    this.decode();
  }

  private decode(): void {
    for (;;) {
      if (this.skipping > 0) {
        const n = Math.min(this.skipping, this.buffer.length);
        this.skipping -= n;
        this.buffer = this.buffer.subarray(n);
        if (this.skipping > 0) return;
      }
      if (this.dropUntilNewline) {
        const lf = this.buffer.indexOf(0x0a);
        if (lf < 0) {
          this.buffer = Buffer.alloc(0);
          return;
        }
        this.buffer = this.buffer.subarray(lf + 1);
        this.dropUntilNewline = false;
        continue;
      }
      if (this.lost) {
        if (!this.recover()) return;
        continue;
      }
      if (this.buffer.length === 0) return;
      const first = this.buffer[0] ?? 0;
      if (isDigit(first)) {
        const sp = this.buffer.indexOf(0x20);
        if (sp < 0) {
          // Once the peer closed, a short line of digits (`12x` LF) is as bad as a long one.
          if (this.buffer.length > 10 || (this.final && this.buffer.includes(0x0a)))
            this.badCount('octet count without a following space');
          else return;
          continue;
        }
        const len = Number(this.buffer.subarray(0, sp).toString('latin1'));
        if (!/^\d{1,9}$/.test(this.buffer.subarray(0, sp).toString('latin1')) || len === 0) {
          this.badCount('malformed octet count');
          continue;
        }
        this.octetCounting = true;
        if (len > this.maxFrameBytes) {
          this.onError(`frame of ${len} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
          this.buffer = this.buffer.subarray(sp + 1);
          this.skipping = len;
          continue;
        }
        if (this.buffer.length < sp + 1 + len) return;
        this.onFrame(this.buffer.subarray(sp + 1, sp + 1 + len).toString('utf8'));
        this.buffer = this.buffer.subarray(sp + 1 + len);
        continue;
      }
      if (this.octetCounting) {
        if (!this.lineOrCount()) return;
        continue;
      }
      const lf = this.buffer.indexOf(0x0a);
      // The limit is on the bytes before the LF, checked whether or not the LF has arrived yet, so where the
      // TCP chunks split cannot decide if an overlong line is reported or passed on.
      if ((lf < 0 ? this.buffer.length : lf) > this.maxFrameBytes) {
        this.onError(`line exceeds the ${this.maxFrameBytes}-byte limit`);
        this.dropLine(lf);
        continue;
      }
      if (lf < 0) return;
      this.line(lf);
    }
  }

  /**
   * The peer closed: a last unterminated line is still a message, but an octet-counted frame cut short is
   * not (RFC 6587 §3.4.1: the count is the frame's length), so it is reported like any other bad frame.
   */
  end(): void {
    this.final = true;
    this.decode();
    if (this.reportLost('the connection closed')) return;
    const rest = this.takeUnfinished();
    if (!rest) return;
    const first = rest[0] ?? 0;
    if (isDigit(first)) {
      const sp = rest.indexOf(0x20);
      if (sp < 0) this.onError('connection closed inside an octet count');
      else {
        const count = rest.subarray(0, sp).toString('latin1');
        this.onError(`connection closed after ${rest.length - sp - 1} of the ${count} bytes of a frame`);
      }
      return;
    }
    this.onFrame(rest.toString('utf8').trim());
  }

  /**
   * This connection ends without the peer closing it (`why`: the listener closed it, or it was reset): the
   * bytes of a frame not yet complete are reported, not passed on. Unlike a peer's close (`end`), such a cut
   * says nothing about where the sender's message ended.
   */
  abandon(why = 'the listener closed the connection'): void {
    if (this.reportLost(why)) return;
    const rest = this.takeUnfinished();
    if (!rest) return;
    this.onError(`${why} ${rest.length} bytes into an unfinished frame`);
  }

  /** Empties the buffer, answering the bytes of a frame begun there (none while a bad one is skipped). */
  private takeUnfinished(): Buffer | undefined {
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    if (this.dropUntilNewline || this.skipping > 0 || rest.toString('utf8').trim() === '') return undefined;
    return rest;
  }

  /** Emits the line up to the LF at `lf` (without a CR before it); a blank line is no message. */
  private line(lf: number): void {
    const line = this.buffer.subarray(0, lf).toString('utf8').replace(/\r$/, '');
    this.buffer = this.buffer.subarray(lf + 1);
    if (line.trim() !== '') this.onFrame(line);
  }

  private badCount(reason: string): void {
    if (this.octetCounting) {
      this.lost = { reason, skipped: 0, anyLf: false };
      return;
    }
    this.onError(reason);
    this.dropLine(this.buffer.indexOf(0x0a));
  }

  /**
   * A frame of an octet-counting connection starts without a count: an LF line, unless a count that lines up
   * with the frame after it comes before the LF. Answers false while the bytes that decide have not arrived.
   */
  private lineOrCount(): boolean {
    const lf = this.buffer.indexOf(0x0a);
    const found = this.findCount(lf < 0 ? this.buffer.length : lf);
    if (found.kind === 'count') {
      const n = found.at;
      this.onError(`a frame did not start with an octet count: skipped ${n} byte${n === 1 ? '' : 's'}`);
      this.buffer = this.buffer.subarray(n);
      return true;
    }
    if (lf >= 0) {
      if (found.kind === 'wait') return false;
      if (lf > this.maxFrameBytes) {
        this.onError(`line exceeds the ${this.maxFrameBytes}-byte limit`);
        this.buffer = this.buffer.subarray(lf + 1);
      } else this.line(lf);
      return true;
    }
    // Past the limit with no LF, the bytes are no line worth keeping: skipped until an LF or a count, as
    // they would have been had the LF come with them.
    if (this.buffer.length > this.maxFrameBytes) {
      this.lost = { reason: `line exceeds the ${this.maxFrameBytes}-byte limit`, skipped: 0, anyLf: true };
      return true;
    }
    return false;
  }

  /** Skips bytes while sync is lost; answers true once the next frame starts the buffer. */
  private recover(): boolean {
    const lost = this.lost;
    if (!lost) return true;
    const b = this.buffer;
    // An LF-framed message starts with its PRI; inside an octet-counted one, an LF is rarely followed by `<`.
    let lf = b.indexOf(0x0a);
    let lfSettled = true;
    while (lf >= 0 && !lost.anyLf) {
      if (lf + 1 >= b.length) {
        lfSettled = this.final;
        break;
      }
      if (b[lf + 1] === 0x3c) break;
      lf = b.indexOf(0x0a, lf + 1);
    }
    const found = this.findCount(lf < 0 ? b.length : lf);
    if (found.kind === 'count') return this.recovered(found.at);
    if (found.kind === 'wait') {
      this.skip(found.at);
      return false;
    }
    if (lf >= 0 && lfSettled) return this.recovered(lf + 1);
    this.skip(lf >= 0 ? lf : b.length);
    return false;
  }

  private skip(n: number): void {
    if (this.lost) this.lost.skipped += n;
    this.buffer = this.buffer.subarray(n);
  }

  private recovered(at: number): boolean {
    this.skip(at);
    this.reportLost();
    return true;
  }

  /** Reports a loss of sync, with the bytes skipped (and those still buffered, cut by `why`). */
  private reportLost(why?: string): boolean {
    const lost = this.lost;
    if (!lost) return false;
    this.lost = undefined;
    let n = lost.skipped;
    if (why) {
      n += this.buffer.length;
      this.buffer = Buffer.alloc(0);
    }
    this.onError(`${lost.reason}: skipped ${n} byte${n === 1 ? '' : 's'}${why ? ` before ${why}` : ''}`);
    return true;
  }

  /**
   * The first `<count> <` starting before `limit` whose frame ends where another starts (a count, an LF or,
   * once the peer closed, the end). A run of digits may end a message (`… port 5514` then `49 <13>…`): its
   * shortest suffixes are tried first. `wait` gives where to keep bytes from while more are needed.
   */
  private findCount(limit: number): Found {
    const b = this.buffer;
    for (let i = 0; i < limit;) {
      if (!isDigit(b[i])) {
        i += 1;
        continue;
      }
      const start = i;
      while (i < b.length && isDigit(b[i])) i += 1;
      // A run at the end of the bytes may go on, or be followed by its space and PRI, in the next chunk.
      if (i >= b.length || (b[i] === 0x20 && i + 1 >= b.length)) {
        if (this.final) continue;
        return { kind: 'wait', at: start };
      }
      if (b[i] !== 0x20 || b[i + 1] !== 0x3c) continue;
      for (let q = i - 1; q >= Math.max(start, i - 9); q -= 1) {
        if (b[q] === 0x30) continue;
        const count = Number(b.subarray(q, i).toString('latin1'));
        if (count > this.maxFrameBytes) break;
        const next = this.frameStartsAt(i + 1 + count);
        if (next === true) return { kind: 'count', at: q };
        if (next === undefined) return { kind: 'wait', at: start };
      }
    }
    return { kind: 'none' };
  }

  /** Whether a frame starts at `at`: true, false, or undefined until more bytes arrive. */
  private frameStartsAt(at: number): boolean | undefined {
    const b = this.buffer;
    if (at >= b.length) return this.final ? at === b.length : undefined;
    const first = b[at] ?? 0;
    if (first === 0x0a) return true;
    if (first < 0x31 || first > 0x39) return false;
    let i = at + 1;
    while (i < b.length && isDigit(b[i])) {
      if (i - at >= 9) return false;
      i += 1;
    }
    // A count the close cut short still marks where the frame before it ended.
    if (i >= b.length) return this.final ? true : undefined;
    if (b[i] !== 0x20) return false;
    if (i + 1 >= b.length) return this.final ? true : undefined;
    return b[i + 1] === 0x3c;
  }

  /** Drops the current line up to `lf`; when its LF has not arrived yet, drops what comes until it does. */
  private dropLine(lf: number): void {
    if (lf >= 0) {
      this.buffer = this.buffer.subarray(lf + 1);
      return;
    }
    this.buffer = Buffer.alloc(0);
    this.dropUntilNewline = true;
  }
}
