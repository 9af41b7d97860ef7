/**
 * Splits a TCP syslog stream into messages (RFC 6587): octet counting (`<len> <msg>`) when a frame starts
 * with a digit, newline-terminated otherwise. Frames over `maxFrameBytes` are reported and skipped, so a
 * sender cannot make the listener buffer without bound.
 */
export class SyslogFrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private skipping = 0;
  private dropUntilNewline = false;

  constructor(
    private readonly onFrame: (frame: string) => void,
    private readonly onError: (reason: string) => void,
    private readonly maxFrameBytes = 64 * 1024,
  ) {}

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
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
      if (this.buffer.length === 0) return;
      const first = this.buffer[0] ?? 0;
      if (first >= 0x30 && first <= 0x39) {
        const sp = this.buffer.indexOf(0x20);
        if (sp < 0) {
          if (this.buffer.length > 10) this.resync('octet count without a following space');
          else return;
          continue;
        }
        const len = Number(this.buffer.subarray(0, sp).toString('latin1'));
        if (!/^\d{1,9}$/.test(this.buffer.subarray(0, sp).toString('latin1')) || len === 0) {
          this.resync('malformed octet count');
          continue;
        }
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
      const lf = this.buffer.indexOf(0x0a);
      // The limit is on the bytes before the LF, checked whether or not the LF has arrived yet, so where the
      // TCP chunks split cannot decide if an overlong line is reported or passed on.
      if ((lf < 0 ? this.buffer.length : lf) > this.maxFrameBytes) {
        this.onError(`line exceeds the ${this.maxFrameBytes}-byte limit`);
        this.dropLine(lf);
        continue;
      }
      if (lf < 0) return;
      const line = this.buffer.subarray(0, lf).toString('utf8').replace(/\r$/, '');
      this.buffer = this.buffer.subarray(lf + 1);
      if (line.trim() !== '') this.onFrame(line);
    }
  }

  /**
   * The peer closed: a last unterminated line is still a message, but an octet-counted frame cut short is
   * not (RFC 6587 §3.4.1: the count is the frame's length), so it is reported like any other bad frame.
   */
  end(): void {
    const rest = this.takeUnfinished();
    if (!rest) return;
    const first = rest[0] ?? 0;
    if (first >= 0x30 && first <= 0x39) {
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
   * The listener is closing this connection: the bytes of a frame not yet complete are reported, not passed
   * on. Unlike a peer's close (`end`), a cut made here says nothing about where the sender's message ended.
   */
  abandon(): void {
    const rest = this.takeUnfinished();
    if (!rest) return;
    this.onError(`the listener closed the connection ${rest.length} bytes into an unfinished frame`);
  }

  /** Empties the buffer, answering the bytes of a frame begun there (none while a bad one is skipped). */
  private takeUnfinished(): Buffer | undefined {
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    if (this.dropUntilNewline || this.skipping > 0 || rest.toString('utf8').trim() === '') return undefined;
    return rest;
  }

  private resync(reason: string): void {
    this.onError(reason);
    this.dropLine(this.buffer.indexOf(0x0a));
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
