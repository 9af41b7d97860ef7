import { X509Certificate } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { deliveryAddress } from '../../domain/shared/delivery-address.js';
import { SyslogFrameDecoder } from '../formats/syslog-framing.js';

export type SyslogTransport = 'udp' | 'tcp' | 'tls';

/**
 * Where syslog messages go: a batch at a time, resolved once the batch is stored. `senders[i]` is the address
 * message `i` came from (the UDP datagram's or the connection's peer, normalised once per connection by
 * `deliveryAddress`; undefined when the OS gave none).
 */
export type SyslogSink = (messages: string[], senders: ReadonlyArray<string | undefined>) => Promise<void>;

/**
 * A sink in two stages: `prepare` starts on each batch as soon as it is cut, while earlier batches are still
 * being stored (mapping it on a worker thread, say); `store` takes the batches one at a time, in order. A
 * batch whose `store` fails may be stored again with the same prepared value; `discard` is called on a
 * batch given up instead.
 */
export interface StagedSyslogSink<P> {
  prepare(messages: string[]): P;
  store(prepared: P, messages: string[], senders: ReadonlyArray<string | undefined>): Promise<void>;
  discard?(prepared: P): void;
}

/** Frame errors gathered between two batches: how many, and the first one's reason. */
export interface SyslogFrameErrors {
  transport: SyslogTransport;
  count: number;
  reason: string;
}

export interface SyslogListenerOptions {
  host?: string;
  udpPort?: number;
  tcpPort?: number;
  tlsPort?: number;
  /** PEM text, or a path to a PEM file. */
  tlsCert?: string;
  tlsKey?: string;
  /** For an encrypted `tlsKey`. */
  tlsKeyPassphrase?: string;
  /**
   * CA certificates (PEM text or path): when given, a TLS peer must present a certificate they signed, or
   * its handshake fails (mutual TLS).
   */
  tlsCa?: string;
  /** Messages per sink call: the caller's ingest step size, so a batch is stored as one step. */
  batchSize: number;
  /** How long a partial batch waits for company before it is flushed. */
  flushMs?: number;
  /** The longest frame (TCP, TLS) or datagram (UDP) taken; longer ones are frame errors. */
  maxFrameBytes?: number;
  /**
   * Above this many messages received and not yet stored, TCP peers are paused and UDP datagrams dropped
   * (and counted).
   */
  maxQueued?: number;
  /**
   * On close, how long TCP and TLS peers get to finish sending after the listener's FIN (default 1,000 ms);
   * one still connected then is cut off. A batch the store keeps failing is given up after as long.
   */
  closeGraceMs?: number;
  /**
   * After the grace, how long close() still waits for a batch the store has not answered (default 5,000 ms):
   * a store that hangs must not hold close() for ever. What it held is then counted lost at close.
   */
  closeStoreWaitMs?: number;
  /** A TLS peer that has not finished its handshake after this long is cut off (default 10 s). */
  handshakeTimeoutMs?: number;
  /** A TCP or TLS connection that sends nothing for this long is closed (default 10 minutes). */
  idleTimeoutMs?: number;
  /** Connections at once per TCP or TLS port (default 1,000); more are refused. */
  maxConnections?: number;
  /** The UDP socket's receive buffer asked of the OS (default 8 MiB), which may grant less. */
  udpReceiveBufferBytes?: number;
  /** The longest wait between two attempts at storing a batch that failed (default 5,000 ms). */
  retryMaxMs?: number;
  /** Each frame error, as it happens. */
  onFrameError?: (reason: string, transport: SyslogTransport) => void;
  /** The frame errors since the last batch, once per batch: for a log line that does not flood. */
  onFrameErrors?: (errors: SyslogFrameErrors[]) => void;
  /** A batch could not be stored: tried again in `retryInMs`, or (undefined) given up. */
  onSinkError?: (err: unknown, retryInMs: number | undefined) => void;
  /** Messages received and never stored: the store failed (UDP batches) or did not recover before close. */
  onLost?: (count: number, transport: SyslogTransport, atClose: boolean) => void;
  /** close() stopped waiting for a store that did not answer: `count` messages it held are lost. */
  onStoreAbandoned?: (count: number) => void;
  /** A datagram dropped because `maxQueued` messages were waiting. */
  onDropped?: (transport: 'udp') => void;
  /** A connection or socket error: reset peers, failed handshakes, refused connections, socket errors. */
  onNetworkError?: (err: Error, transport: SyslogTransport) => void;
}

export interface SyslogListeners {
  ports: { udp?: number; tcp?: number; tls?: number };
  /** The UDP receive buffer the OS granted (Linux reports twice what it holds for data). */
  udpReceiveBufferBytes?: number;
  /** `lost`: received and never stored (see `onLost`). */
  stats: { received: number; frameErrors: number; dropped: number; lost: number };
  /**
   * Stops listening, lets TCP and TLS peers finish (`closeGraceMs`), flushes what is queued, and resolves
   * when it is stored or given up. A peer still connected after the grace is cut off: its complete frames are
   * stored, an unfinished one is a frame error. A store that does not answer is waited for `closeStoreWaitMs`
   * more at most.
   */
  close(): Promise<void>;
  /**
   * Uses these credentials for TLS connections from now on; open ones keep theirs. Throws, leaving the old
   * ones in force, when they are not valid (see `syslogTlsPems`), or when there is no TLS listener.
   */
  setTlsCredentials(credentials: SyslogTlsCredentials): void;
}

/** A port could not be bound; `transport` says which, so the caller can name the setting. */
export class SyslogBindError extends Error {
  constructor(
    readonly transport: SyslogTransport,
    readonly port: number,
    readonly code: string | undefined,
    cause: unknown,
  ) {
    super(`syslog ${transport} port ${port}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'SyslogBindError';
  }
}

const pem = (value: string): string => (value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8'));

/** RFC 5425 §4.2 asks for TLS 1.2 at least; said here rather than left to Node's default of the day. */
const TLS_MIN_VERSION = 'TLSv1.2';

/** What the TLS listener serves with, as PEM text. */
export interface SyslogTlsCredentials {
  cert: string;
  key: string;
  passphrase?: string;
  /** CA certificates that sign the peers' certificates (mutual TLS); none asked for when absent. */
  ca?: string;
}

/**
 * The CA certificates of a PEM text, each parsed: tls.createSecureContext takes text that holds none, or
 * garbage between its markers, without a word, and would then refuse every peer.
 */
export function checkCaCertificates(ca: string): void {
  const blocks = ca.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate in it');
  for (const block of blocks) new X509Certificate(block);
}

/**
 * The credentials as PEM text (each given as text or a path), checked as tls.Server will use them. Throws
 * (unreadable file, not PEM, a key that is not the certificate's or that the passphrase does not open) so a
 * bad setting fails before any bind.
 */
export function syslogTlsPems(given: SyslogTlsCredentials): SyslogTlsCredentials {
  const pems: SyslogTlsCredentials = { cert: pem(given.cert), key: pem(given.key) };
  if (given.passphrase !== undefined) pems.passphrase = given.passphrase;
  if (given.ca !== undefined) {
    pems.ca = pem(given.ca);
    checkCaCertificates(pems.ca);
  }
  tls.createSecureContext({ ...pems, minVersion: TLS_MIN_VERSION });
  return pems;
}

/** Applied when the OS allows it: Linux caps a request at net.core.rmem_max instead of failing it. */
const UDP_RECEIVE_BUFFER = 8 * 1024 * 1024;
const RETRY_FIRST_MS = 100;

/**
 * Listens for syslog on UDP (one message per datagram, RFC 5426), TCP and TLS (RFC 6587 octet counting or
 * LF framing), batching messages into the sink. Bad frames are counted and reported, never thrown.
 */
export async function listenSyslog<P>(
  sink: SyslogSink | StagedSyslogSink<P>,
  options: SyslogListenerOptions,
): Promise<SyslogListeners> {
  const staged: StagedSyslogSink<P | undefined> =
    typeof sink === 'function'
      ? { prepare: () => undefined, store: (_prepared, messages, senders) => sink(messages, senders) }
      : sink;
  const host = options.host ?? '0.0.0.0';
  const { batchSize } = options;
  const maxQueued = options.maxQueued ?? 20_000;
  const graceMs = options.closeGraceMs ?? 1_000;
  const storeWaitMs = options.closeStoreWaitMs ?? 5_000;
  const idleMs = options.idleTimeoutMs ?? 600_000;
  const stats = { received: 0, frameErrors: 0, dropped: 0, lost: 0 };
  // Before anything is bound: a certificate that cannot be read must not leave the other ports open.
  let pems: SyslogTlsCredentials | undefined;
  if (options.tlsPort !== undefined) {
    if (!options.tlsCert || !options.tlsKey) throw new Error('syslog over TLS needs tlsCert and tlsKey');
    pems = syslogTlsPems({
      cert: options.tlsCert,
      key: options.tlsKey,
      passphrase: options.tlsKeyPassphrase,
      ca: options.tlsCa,
    });
  }

  const queue: string[] = [];
  /** The transport of each queued message, to count what is lost by transport. */
  const origins: SyslogTransport[] = [];
  /** The address each queued message came from. */
  const senders: Array<string | undefined> = [];
  /** Messages cut into batches and not yet stored (or given up): they count against `maxQueued` too. */
  let storing = 0;
  /** The transports of each batch cut and not yet stored or given up, for close() to count if it abandons them. */
  const inFlight = new Set<SyslogTransport[]>();
  /** Set by close() when the store did not answer in time: what it held was counted lost then. */
  let storeAbandoned = false;
  const held = (): number => queue.length + storing;
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  /** Open TCP and TLS connections, each with the decoder holding its unframed bytes. */
  const sockets = new Map<net.Socket, SyslogFrameDecoder>();
  const paused = new Set<net.Socket>();
  /**
   * The TCP sockets under TLS connections, those still in their handshake included: until it ends, Node
   * gives the listener no TLS socket to close, and server.close() would wait for them.
   */
  const tlsRaw = new Set<net.Socket>();
  const frameErrors = new Map<SyslogTransport, SyslogFrameErrors>();
  /** Set by close(): a batch failing after this is given up instead of tried again. */
  let giveUpAt: number | undefined;
  /** Ends the wait before the next attempt at a failed batch (close() calls it). */
  let wake: (() => void) | undefined;

  const reportFrameErrors = (): void => {
    if (frameErrors.size === 0) return;
    const errors = [...frameErrors.values()];
    frameErrors.clear();
    options.onFrameErrors?.(errors);
  };
  const lose = (transports: SyslogTransport[], atClose: boolean): void => {
    const counts = new Map<SyslogTransport, number>();
    for (const t of transports) counts.set(t, (counts.get(t) ?? 0) + 1);
    stats.lost += transports.length;
    for (const [t, n] of counts) options.onLost?.(n, t, atClose);
  };
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        wake = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      wake = done;
    });
  /**
   * Stores a batch, trying again with backoff while it fails: the batch stays held, so `maxQueued` pauses
   * the TCP and TLS peers and their unread frames wait in the OS instead of being lost. A UDP-only batch is
   * not held up (its senders cannot be paused, and a datagram waiting is one dropped behind it); it is lost.
   */
  const storeBatch = async (
    prepared: P | undefined,
    batch: string[],
    from: SyslogTransport[],
    peers: ReadonlyArray<string | undefined>,
  ) => {
    const streamed = from.some((t) => t !== 'udp');
    for (let attempt = 0; ; attempt += 1) {
      try {
        await staged.store(prepared, batch, peers);
        return;
      } catch (err) {
        const closing = giveUpAt !== undefined;
        const left = giveUpAt === undefined ? Infinity : giveUpAt - Date.now();
        if (!streamed || left <= 0) {
          options.onSinkError?.(err, undefined);
          staged.discard?.(prepared);
          if (!storeAbandoned) lose(from, closing);
          return;
        }
        const wait = Math.min(RETRY_FIRST_MS * 2 ** attempt, options.retryMaxMs ?? 5_000, left);
        options.onSinkError?.(err, wait);
        await pause(wait);
      }
    }
  };
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    reportFrameErrors();
    if (queue.length === 0) return;
    const batch = queue.splice(0, batchSize);
    const from = origins.splice(0, batchSize);
    const peers = senders.splice(0, batchSize);
    storing += batch.length;
    inFlight.add(from);
    let prepared: P | undefined;
    try {
      prepared = staged.prepare(batch);
    } catch (err) {
      options.onSinkError?.(err, undefined);
      storing -= batch.length;
      inFlight.delete(from);
      lose(from, giveUpAt !== undefined);
      return;
    }
    flushing = flushing
      .then(() => storeBatch(prepared, batch, from, peers))
      .then(() => {
        storing -= batch.length;
        inFlight.delete(from);
        // Paused peers stay paused (and listed) until the backlog is down to half.
        if (held() < maxQueued / 2) {
          for (const s of paused) s.resume();
          paused.clear();
        }
        if (queue.length >= batchSize) flush();
        else if (queue.length > 0 || frameErrors.size > 0) schedule();
      });
  };
  const schedule = (): void => {
    timer ??= setTimeout(flush, options.flushMs ?? 20);
  };
  const accept = (message: string, transport: SyslogTransport, sender: string | undefined): boolean => {
    stats.received += 1;
    queue.push(message);
    origins.push(transport);
    senders.push(sender);
    if (queue.length >= batchSize) flush();
    else schedule();
    return held() < maxQueued;
  };
  const frameError = (reason: string, transport: SyslogTransport): void => {
    stats.frameErrors += 1;
    options.onFrameError?.(reason, transport);
    const gathered = frameErrors.get(transport);
    if (gathered) gathered.count += 1;
    else frameErrors.set(transport, { transport, count: 1, reason });
    schedule();
  };
  let closing: Promise<void> | undefined;
  // Once closing, the errors are those of sockets the listener destroyed itself.
  const networkError = (err: Error, transport: SyslogTransport): void => {
    if (!closing) options.onNetworkError?.(err, transport);
  };

  const onConnection = (transport: 'tcp' | 'tls') => (socket: net.Socket) => {
    // Read now: a socket the peer has reset no longer knows it, and its last frames are still to come.
    const peer = deliveryAddress(socket.remoteAddress);
    const decoder = new SyslogFrameDecoder(
      (frame) => {
        if (!accept(frame, transport, peer) && !paused.has(socket)) {
          paused.add(socket);
          socket.pause();
        }
      },
      (reason) => frameError(reason, transport),
      options.maxFrameBytes,
    );
    sockets.set(socket, decoder);
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('end', () => decoder.end());
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset (RST) or a keepalive timeout ends the stream without an end: a frame begun is cut short.
      decoder.abandon(`the connection failed (${err.code ?? err.message})`);
      networkError(err, transport);
      socket.destroy();
    });
    // Without it, a peer that went quiet holds its socket and partial frame for ever.
    socket.setTimeout(idleMs, () => {
      // A peer paused by back-pressure is quiet because of us.
      if (paused.has(socket)) {
        socket.setTimeout(idleMs);
        return;
      }
      decoder.abandon('the listener closed the idle connection');
      socket.destroy();
    });
    socket.on('close', () => {
      sockets.delete(socket);
      paused.delete(socket);
    });
  };

  const ports: SyslogListeners['ports'] = {};
  let udp: dgram.Socket | undefined;
  let udpReceiveBufferBytes: number | undefined;
  const servers: net.Server[] = [];
  let tlsServer: tls.Server | undefined;
  const closeBound = async (): Promise<void> => {
    try {
      udp?.close();
    } catch {
      // Never bound: nothing to close.
    }
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  };
  const maxFrameBytes = options.maxFrameBytes ?? 64 * 1024;
  try {
    if (options.udpPort !== undefined) {
      const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
      udp = socket;
      socket.on('message', (msg, sender) => {
        if (held() >= maxQueued) {
          stats.dropped += 1;
          options.onDropped?.('udp');
          return;
        }
        if (msg.length > maxFrameBytes) {
          frameError(`datagram of ${msg.length} bytes exceeds the ${maxFrameBytes}-byte limit`, 'udp');
          return;
        }
        const text = msg.toString('utf8').replace(/\r?\n$/, '');
        if (text.trim() !== '') accept(text, 'udp', deliveryAddress(sender.address));
      });
      await bind('udp', options.udpPort, (settle) => {
        socket.once('error', settle);
        socket.bind(options.udpPort, host, () => {
          socket.off('error', settle);
          socket.on('error', (err) => networkError(err, 'udp'));
          // A burst larger than the default buffer (~200 KiB) is dropped by the kernel, uncounted by us.
          try {
            socket.setRecvBufferSize(options.udpReceiveBufferBytes ?? UDP_RECEIVE_BUFFER);
          } catch {
            // Refused: the default buffer stays, which still works.
          }
          settle(undefined);
        });
      });
      ports.udp = socket.address().port;
      udpReceiveBufferBytes = socket.getRecvBufferSize();
    }
    const listen = async (server: net.Server, transport: 'tcp' | 'tls', port: number): Promise<number> => {
      server.maxConnections = options.maxConnections ?? 1_000;
      server.on('connection', (raw: net.Socket) => {
        raw.setKeepAlive(true, 60_000);
        if (transport === 'tls') {
          tlsRaw.add(raw);
          raw.once('close', () => tlsRaw.delete(raw));
        }
      });
      server.on('drop', () =>
        networkError(new Error(`connection refused: ${server.maxConnections} connections open`), transport),
      );
      servers.push(server);
      await bind(transport, port, (settle) => {
        server.once('error', settle);
        server.listen(port, host, () => {
          server.off('error', settle);
          server.on('error', (err) => networkError(err, transport));
          settle(undefined);
        });
      });
      return (server.address() as net.AddressInfo).port;
    };
    if (options.tcpPort !== undefined)
      ports.tcp = await listen(net.createServer(onConnection('tcp')), 'tcp', options.tcpPort);
    if (options.tlsPort !== undefined) {
      const server = tls.createServer(
        {
          ...pems,
          minVersion: TLS_MIN_VERSION,
          handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
          // With a CA, a peer without a certificate it signed fails its handshake (tlsClientError below).
          requestCert: pems?.ca !== undefined,
          rejectUnauthorized: pems?.ca !== undefined,
        },
        onConnection('tls'),
      );
      tlsServer = server;
      // Node reports a failed or timed-out handshake here and leaves the socket open: it is ours to end.
      server.on('tlsClientError', (err, socket) => {
        // A certificate the CA did not sign: Node ends the handshake itself and reports a bare hang-up, the
        // reason left on the socket.
        const refused = socket.authorizationError;
        if (refused) {
          const reason = refused instanceof Error ? refused.message : refused;
          networkError(
            Object.assign(new Error(`client certificate refused: ${reason}`), { code: reason }),
            'tls',
          );
        } else networkError(err, 'tls');
        socket.destroy();
      });
      ports.tls = await listen(server, 'tls', options.tlsPort);
    }
  } catch (err) {
    await closeBound();
    throw err;
  }

  return {
    ports,
    udpReceiveBufferBytes,
    stats,
    setTlsCredentials(credentials) {
      if (!tlsServer) throw new Error('no TLS listener');
      // Checked first: setSecureContext keeps the parts it is given, so a bad set must not reach it.
      const checked = syslogTlsPems(credentials);
      // Whether peers must present a certificate is the server's, fixed at start: a CA added later is
      // only trusted, not asked for, and one taken away would leave every peer refused.
      if ((checked.ca === undefined) !== (pems?.ca === undefined))
        throw new Error('mutual TLS cannot be turned on or off without a restart');
      tlsServer.setSecureContext({ ...checked, minVersion: TLS_MIN_VERSION });
    },
    close() {
      closing ??= (async () => {
        udp?.close();
        // server.close() stops accepting; its callback waits for every connection to end.
        const serversClosed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
        // Peers are asked to finish (our FIN) and read to their end meanwhile, the flushes going on as
        // usual: a sender that wrote its frames and closed loses none, even those not read yet.
        for (const socket of sockets.keys()) socket.end();
        giveUpAt = Date.now() + graceMs;
        const storeDeadline = giveUpAt + storeWaitMs;
        wake?.();
        let grace: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all(serversClosed),
          new Promise<void>((resolve) => (grace = setTimeout(resolve, graceMs))),
        ]);
        clearTimeout(grace);
        // A half-open or idle peer never ends its side, and server.close() would wait for it for ever: cut
        // off before the last flush, so nothing arrives after it that would be queued and never stored.
        for (const [socket, decoder] of sockets) {
          socket.destroy();
          decoder.abandon();
        }
        sockets.clear();
        // Still in their handshake after the grace (a peer that never sent its ClientHello): no frames.
        for (const raw of tlsRaw) raw.destroy();
        tlsRaw.clear();
        paused.clear();
        const drained = (async () => {
          while (queue.length > 0 && !storeAbandoned) {
            flush();
            await flushing;
          }
          await flushing;
        })();
        let storeWait: NodeJS.Timeout | undefined;
        const answered = await Promise.race([
          drained.then(() => true),
          new Promise<false>((resolve) => {
            storeWait = setTimeout(() => resolve(false), storeDeadline - Date.now());
          }),
        ]);
        clearTimeout(storeWait);
        if (!answered) {
          // The store neither stored nor failed: what it holds, and what waits behind it, is given up here.
          storeAbandoned = true;
          const held = [...[...inFlight].flat(), ...origins.splice(0)];
          queue.length = 0;
          senders.length = 0;
          inFlight.clear();
          lose(held, true);
          options.onStoreAbandoned?.(held.length);
        }
        reportFrameErrors();
        await Promise.all(serversClosed);
      })();
      return closing;
    },
  };
}

/** Runs `start`, which settles with an error or undefined, turning a failure into a `SyslogBindError`. */
async function bind(
  transport: SyslogTransport,
  port: number,
  start: (settle: (err: unknown) => void) => void,
): Promise<void> {
  const err = await new Promise<unknown>((resolve) => start(resolve));
  if (err !== undefined) throw new SyslogBindError(transport, port, (err as NodeJS.ErrnoException).code, err);
}
