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
      if (lf < 0) {
        if (this.buffer.length > this.maxFrameBytes) {
          this.onError(`line exceeds the ${this.maxFrameBytes}-byte limit`);
          this.buffer = Buffer.alloc(0);
          this.dropUntilNewline = true;
        }
        return;
      }
      const line = this.buffer.subarray(0, lf).toString('utf8').replace(/\r$/, '');
      this.buffer = this.buffer.subarray(lf + 1);
      if (line.trim() !== '') this.onFrame(line);
    }
  }

  /** The peer closed: a last unterminated line is still a message. */
  end(): void {
    const rest = this.buffer.toString('utf8').trim();
    this.buffer = Buffer.alloc(0);
    if (rest !== '' && !this.dropUntilNewline && this.skipping === 0) this.onFrame(rest);
  }

  private resync(reason: string): void {
    this.onError(reason);
    const lf = this.buffer.indexOf(0x0a);
    this.buffer = lf < 0 ? Buffer.alloc(0) : this.buffer.subarray(lf + 1);
  }
}
