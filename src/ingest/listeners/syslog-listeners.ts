import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { SyslogFrameDecoder } from '../formats/syslog-framing.js';

/** Where syslog messages go: a batch at a time, resolved once the batch is stored. */
export type SyslogSink = (messages: string[]) => Promise<void>;

/**
 * A sink in two stages: `prepare` starts on each batch as soon as it is cut, while earlier batches are still
 * being stored (mapping it on a worker thread, say); `store` takes the batches one at a time, in order.
 */
export interface StagedSyslogSink<P> {
  prepare(messages: string[]): P;
  store(prepared: P, messages: string[]): Promise<void>;
}

export interface SyslogListenerOptions {
  host?: string;
  udpPort?: number;
  tcpPort?: number;
  tlsPort?: number;
  /** PEM text, or a path to a PEM file. */
  tlsCert?: string;
  tlsKey?: string;
  /** Messages per sink call: the caller's ingest step size, so a batch is stored as one step. */
  batchSize: number;
  /** How long a partial batch waits for company before it is flushed. */
  flushMs?: number;
  maxFrameBytes?: number;
  /**
   * Above this many messages received and not yet stored, TCP peers are paused and UDP datagrams dropped
   * (and counted).
   */
  maxQueued?: number;
  /**
   * On close, how long TCP and TLS peers get to finish sending after the listener's FIN (default 1,000 ms);
   * one still connected then is cut off.
   */
  closeGraceMs?: number;
  onFrameError?: (reason: string, transport: 'udp' | 'tcp' | 'tls') => void;
  onSinkError?: (err: unknown) => void;
}

export interface SyslogListeners {
  ports: { udp?: number; tcp?: number; tls?: number };
  stats: { received: number; frameErrors: number; dropped: number };
  /**
   * Stops listening, lets TCP and TLS peers finish (`closeGraceMs`), flushes what is queued, and resolves
   * when it is stored. A peer still connected after the grace is cut off: its complete frames are stored, an
   * unfinished one is a frame error.
   */
  close(): Promise<void>;
}

const pem = (value: string): string => (value.includes('-----BEGIN') ? value : readFileSync(value, 'utf8'));

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
      ? { prepare: () => undefined, store: (_prepared, messages) => sink(messages) }
      : sink;
  const host = options.host ?? '0.0.0.0';
  const { batchSize } = options;
  const maxQueued = options.maxQueued ?? 20_000;
  const stats = { received: 0, frameErrors: 0, dropped: 0 };
  const queue: string[] = [];
  /** Messages cut into batches and not yet stored: they count against `maxQueued` too. */
  let storing = 0;
  const held = (): number => queue.length + storing;
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  /** Open TCP and TLS connections, each with the decoder holding its unframed bytes. */
  const sockets = new Map<net.Socket, SyslogFrameDecoder>();
  const paused = new Set<net.Socket>();

  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (queue.length === 0) return;
    const batch = queue.splice(0, batchSize);
    storing += batch.length;
    let prepared: P | undefined;
    try {
      prepared = staged.prepare(batch);
    } catch (err) {
      options.onSinkError?.(err);
      storing -= batch.length;
      return;
    }
    flushing = flushing
      .then(() => staged.store(prepared, batch))
      .catch((err: unknown) => options.onSinkError?.(err))
      .then(() => {
        storing -= batch.length;
        // Paused peers stay paused (and listed) until the backlog is down to half.
        if (held() < maxQueued / 2) {
          for (const s of paused) s.resume();
          paused.clear();
        }
        if (queue.length >= batchSize) flush();
        else if (queue.length > 0) schedule();
      });
  };
  const schedule = (): void => {
    timer ??= setTimeout(flush, options.flushMs ?? 20);
  };
  const accept = (message: string): boolean => {
    stats.received += 1;
    queue.push(message);
    if (queue.length >= batchSize) flush();
    else schedule();
    return held() < maxQueued;
  };

  const ports: SyslogListeners['ports'] = {};
  let udp: dgram.Socket | undefined;
  if (options.udpPort !== undefined) {
    udp = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    udp.on('message', (msg) => {
      if (held() >= maxQueued) {
        stats.dropped += 1;
        return;
      }
      const text = msg.toString('utf8').replace(/\r?\n$/, '');
      if (text.trim() !== '') accept(text);
    });
    const socket = udp;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.udpPort, host, () => resolve());
    });
    ports.udp = udp.address().port;
  }

  const onConnection = (transport: 'tcp' | 'tls') => (socket: net.Socket) => {
    const decoder = new SyslogFrameDecoder(
      (frame) => {
        if (!accept(frame) && !paused.has(socket)) {
          paused.add(socket);
          socket.pause();
        }
      },
      (reason) => {
        stats.frameErrors += 1;
        options.onFrameError?.(reason, transport);
      },
      options.maxFrameBytes,
    );
    sockets.set(socket, decoder);
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('end', () => decoder.end());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      paused.delete(socket);
    });
  };
  const servers: net.Server[] = [];
  const listen = async (server: net.Server, port: number): Promise<number> => {
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  };
  if (options.tcpPort !== undefined)
    ports.tcp = await listen(net.createServer(onConnection('tcp')), options.tcpPort);
  if (options.tlsPort !== undefined) {
    if (!options.tlsCert || !options.tlsKey) throw new Error('syslog over TLS needs tlsCert and tlsKey');
    const server = tls.createServer(
      { cert: pem(options.tlsCert), key: pem(options.tlsKey) },
      onConnection('tls'),
    );
    ports.tls = await listen(server, options.tlsPort);
  }

  return {
    ports,
    stats,
    async close() {
      udp?.close();
      // server.close() stops accepting; its callback waits for every connection to end.
      const serversClosed = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      // Peers are asked to finish (our FIN) and read to their end meanwhile, the flushes going on as usual:
      // a sender that wrote its frames and closed loses none, even those not read yet.
      for (const socket of sockets.keys()) socket.end();
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(serversClosed),
        new Promise<void>((resolve) => (grace = setTimeout(resolve, options.closeGraceMs ?? 1_000))),
      ]);
      clearTimeout(grace);
      // A half-open or idle peer never ends its side, and server.close() would wait for it for ever: cut off
      // before the last flush, so nothing arrives after it that would be queued and never stored.
      for (const [socket, decoder] of sockets) {
        socket.destroy();
        decoder.abandon();
      }
      sockets.clear();
      paused.clear();
      while (queue.length > 0) {
        flush();
        await flushing;
      }
      await flushing;
      await Promise.all(serversClosed);
    },
  };
}
