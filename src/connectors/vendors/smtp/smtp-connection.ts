import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, rootCertificates, type TLSSocket } from 'node:tls';

/** One SMTP reply: its code and its text lines (multi-line replies joined). */
export interface SmtpReply {
  code: number;
  lines: string[];
}

export class SmtpProtocolError extends Error {
  constructor(
    message: string,
    readonly reply?: SmtpReply,
  ) {
    super(message);
    this.name = 'SmtpProtocolError';
  }
}

export interface SmtpEndpoint {
  host: string;
  port: number;
  /** `tls`: TLS from the first byte (port 465); otherwise plain, maybe upgraded with STARTTLS. */
  implicitTls: boolean;
  caCertPem?: string;
  timeoutMs: number;
}

/**
 * A line-oriented SMTP connection (RFC 5321): sends commands, reads (multi-line) replies, upgrades to TLS
 * in place. TLS certificates are always verified; an extra CA is added to the system roots, never instead.
 */
export class SmtpConnection {
  private buffer = '';
  private pending: SmtpReply[] = [];
  private waiter: { resolve: (r: SmtpReply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private current: SmtpReply = { code: 0, lines: [] };

  private constructor(
    private socket: Socket | TLSSocket,
    private readonly endpoint: SmtpEndpoint,
    private readonly signal: AbortSignal,
  ) {
    this.attach(socket);
  }

  static async open(endpoint: SmtpEndpoint, signal: AbortSignal): Promise<SmtpConnection> {
    const socket = endpoint.implicitTls
      ? tlsConnect({ host: endpoint.host, port: endpoint.port, ...tlsOptions(endpoint) })
      : netConnect({ host: endpoint.host, port: endpoint.port });
    socket.setTimeout(endpoint.timeoutMs);
    await new Promise<void>((resolve, reject) => {
      socket.once(endpoint.implicitTls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
      socket.once('timeout', () =>
        reject(new SmtpProtocolError(`no connection to ${endpoint.host}:${endpoint.port} in time`)),
      );
    });
    return new SmtpConnection(socket, endpoint, signal);
  }

  get secure(): boolean {
    return 'encrypted' in this.socket && this.socket.encrypted === true;
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('timeout', () =>
      this.fail(new SmtpProtocolError(`${this.endpoint.host} did not answer in time`)),
    );
    socket.on('close', () => this.fail(new SmtpProtocolError(`${this.endpoint.host} closed the connection`)));
    this.signal.addEventListener('abort', () => this.fail(new SmtpProtocolError('cancelled')), {
      once: true,
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    // A server flooding us without line ends is broken or hostile.
    if (this.buffer.length > 64 * 1024) return this.fail(new SmtpProtocolError('reply line too long'));
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) !== -1) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      const m = /^(\d{3})([ -])(.*)$/.exec(line);
      if (!m) return this.fail(new SmtpProtocolError(`malformed reply line: ${line.slice(0, 100)}`));
      this.current.code = Number(m[1]);
      this.current.lines.push(m[3] ?? '');
      if (m[2] === ' ') {
        const reply = this.current;
        this.current = { code: 0, lines: [] };
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = undefined;
          w.resolve(reply);
        } else this.pending.push(reply);
      }
    }
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.waiter?.reject(err);
    this.waiter = undefined;
  }

  /** The next reply from the server. */
  read(): Promise<SmtpReply> {
    const next = this.pending.shift();
    if (next) return Promise.resolve(next);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Sends a command line and reads its reply; fails unless the code is one of `expect`. */
  async command(line: string, expect: readonly number[], shownAs = line): Promise<SmtpReply> {
    if (/[\r\n]/.test(line)) throw new SmtpProtocolError('a command may not contain line breaks');
    this.socket.write(`${line}\r\n`);
    return this.expect(expect, shownAs);
  }

  async expect(codes: readonly number[], what: string): Promise<SmtpReply> {
    const reply = await this.read();
    if (!codes.includes(reply.code))
      throw new SmtpProtocolError(`${what} → ${reply.code} ${reply.lines.join(' ')}`, reply);
    return reply;
  }

  /** Sends raw data (the message body after DATA). */
  write(data: string): void {
    this.socket.write(data);
  }

  /** Upgrades the connection after `220` to STARTTLS (RFC 3207). */
  async upgrade(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('timeout');
    plain.removeAllListeners('close');
    const secured = tlsConnect({ socket: plain, ...tlsOptions(this.endpoint) });
    await new Promise<void>((resolve, reject) => {
      secured.once('secureConnect', () => resolve());
      secured.once('error', reject);
    });
    secured.setTimeout(this.endpoint.timeoutMs);
    this.socket = secured;
    this.buffer = '';
    this.attach(secured);
  }

  close(): void {
    this.socket.destroy();
  }
}

function tlsOptions(endpoint: SmtpEndpoint) {
  return {
    rejectUnauthorized: true,
    // SNI takes names only; an address is verified against the certificate's IP SAN instead.
    ...(isIP(endpoint.host) ? {} : { servername: endpoint.host }),
    ...(endpoint.caCertPem ? { ca: [...rootCertificates, endpoint.caCertPem] } : {}),
  };
}
