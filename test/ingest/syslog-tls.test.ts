import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listenSyslog,
  type SyslogListenerOptions,
  type SyslogSink,
} from '../../src/ingest/listeners/syslog-listeners.js';
import {
  makeClientCertificate,
  makeTestCa,
  makeTestCertificate,
  type TestKeyPair,
} from '../support/test-certificate.js';

const sleep = (ms: number) =>
  new Promise<string>((r) => setTimeout(() => r(`still pending after ${ms} ms`), ms));

const frame = (i: number): string => `<13>Jan  1 00:00:00 h app: message ${i}`;

/** A peer that connects to the TLS port and never sends its ClientHello. */
async function silentPeer(port: number): Promise<{ socket: net.Socket; closed: Promise<string> }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return { socket, closed: new Promise((r) => socket.once('close', () => r('closed'))) };
}

/** The code of each network error reported, with its transport. */
const networkErrors = (into: string[]): SyslogListenerOptions['onNetworkError'] => {
  return (err, transport) => into.push(`${transport} ${(err as NodeJS.ErrnoException).code ?? err.message}`);
};

describe('syslog over TLS', () => {
  let pair: TestKeyPair;
  const open: net.Socket[] = [];
  beforeAll(() => {
    pair = makeTestCertificate();
  });
  afterAll(() => {
    for (const s of open) s.destroy();
  });

  /** A TLS listener on 127.0.0.1 serving `pair`, storing into `sink` (nowhere by default). */
  const listenTls = (
    options: Partial<SyslogListenerOptions> = {},
    sink: SyslogSink = async () => undefined,
  ) =>
    listenSyslog(sink, {
      host: '127.0.0.1',
      tlsPort: 0,
      tlsCert: pair.cert,
      tlsKey: pair.key,
      batchSize: 10,
      ...options,
    });

  /** A TLS connection to `port` trusting `pair`, once its handshake is done (as the client sees it). */
  const connectTls = async (port: number, options: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> => {
    const socket = tls.connect({
      port,
      host: '127.0.0.1',
      ca: pair.cert,
      servername: 'localhost',
      ...options,
    });
    open.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve());
      socket.once('error', reject);
    });
    return socket;
  };

  describe('peers that do not finish their handshake', () => {
    it('close() resolves while a peer sits in its handshake, and cuts that peer off', async () => {
      const l = await listenTls({ closeGraceMs: 200 });
      const peer = await silentPeer(l.ports.tls ?? 0);
      open.push(peer.socket);
      expect(await Promise.race([l.close().then(() => 'closed'), sleep(3_000)])).toBe('closed');
      expect(await Promise.race([peer.closed, sleep(1_000)])).toBe('closed');
    });

    it('cuts off a peer whose handshake takes longer than handshakeTimeoutMs, and reports it', async () => {
      const errors: string[] = [];
      const l = await listenTls({ handshakeTimeoutMs: 200, onNetworkError: networkErrors(errors) });
      try {
        const peer = await silentPeer(l.ports.tls ?? 0);
        open.push(peer.socket);
        expect(await Promise.race([peer.closed, sleep(3_000)])).toBe('closed');
        expect(errors).toEqual(['tls ERR_TLS_HANDSHAKE_TIMEOUT']);
        // A peer that speaks plain syslog to the TLS port fails its handshake: cut off and reported too.
        const plain = await silentPeer(l.ports.tls ?? 0);
        open.push(plain.socket);
        plain.socket.write('<13>Jan  1 00:00:00 h app: plain text on the TLS port\n');
        expect(await Promise.race([plain.closed, sleep(3_000)])).toBe('closed');
        expect(errors).toHaveLength(2);
      } finally {
        await l.close();
      }
    });
  });

  it('lets a peer past its handshake finish on close: its frames written before close() are all stored', async () => {
    const stored: string[] = [];
    const l = await listenTls({ batchSize: 100 }, async (messages) => {
      stored.push(...messages);
    });
    const peer = await connectTls(l.ports.tls ?? 0);
    const frames = Array.from({ length: 2_000 }, (_, i) => frame(i));
    await new Promise<void>((r) => peer.end(frames.map((f) => `${f}\n`).join(''), () => r()));
    await l.close();
    expect(stored).toEqual(frames);
  });

  it('takes TLS 1.2 and refuses TLS 1.1 (RFC 5425)', async () => {
    const l = await listenTls();
    const attempt = (version: tls.SecureVersion) =>
      connectTls(l.ports.tls ?? 0, {
        minVersion: version,
        maxVersion: version,
        ciphers: 'DEFAULT:@SECLEVEL=0',
      }).then(
        (s) => {
          s.end();
          return String(s.getProtocol());
        },
        () => 'refused',
      );
    try {
      expect(await attempt('TLSv1.2')).toBe('TLSv1.2');
      expect(await attempt('TLSv1.1')).toBe('refused');
    } finally {
      await l.close();
    }
  });

  describe('with a CA for client certificates (mutual TLS)', () => {
    let ca: TestKeyPair;
    let client: TestKeyPair;
    let stranger: TestKeyPair;
    beforeAll(() => {
      ca = makeTestCa();
      client = makeClientCertificate(ca);
      stranger = makeClientCertificate(makeTestCa('another CA'));
    });

    /**
     * Sends a frame as a peer with `identity` (a key and certificate, or none) and waits for the listener to
     * cut it off: for peers it refuses.
     */
    const sendAs = async (port: number, identity: Partial<TestKeyPair>, maxVersion: tls.SecureVersion) => {
      const socket = tls.connect({
        port,
        host: '127.0.0.1',
        ca: pair.cert,
        servername: 'localhost',
        maxVersion,
        ...identity,
      });
      open.push(socket);
      // Under TLS 1.3 a client ends its handshake before the server has read its certificate: it may write
      // before it learns it is refused.
      socket.once('secureConnect', () => socket.write(`${frame(maxVersion === 'TLSv1.3' ? 13 : 12)}\n`));
      socket.on('error', () => undefined);
      await new Promise((r) => socket.once('close', r));
    };

    it('stores the frames of a peer whose certificate the CA signed, and refuses and reports the others', async () => {
      const stored: string[] = [];
      const errors: string[] = [];
      const l = await listenTls({ tlsCa: ca.cert, onNetworkError: networkErrors(errors) }, async (m) => {
        stored.push(...m);
      });
      const port = l.ports.tls ?? 0;
      try {
        for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
          await sendAs(port, {}, version);
          await sendAs(port, stranger, version);
        }
        expect(stored).toEqual([]);
        expect(errors).toEqual([
          'tls ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
          'tls UNABLE_TO_VERIFY_LEAF_SIGNATURE',
          'tls ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
          'tls UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        ]);
        const peer = await connectTls(port, client);
        await new Promise<void>((r) => peer.end(`${frame(1)}\n`, () => r()));
      } finally {
        await l.close();
      }
      expect(stored).toEqual([frame(1)]);
      expect(errors).toHaveLength(4);
    });
  });

  describe('new credentials while listening', () => {
    const fingerprint = (socket: tls.TLSSocket): string =>
      socket.getPeerX509Certificate()?.fingerprint256 ?? '';

    it('serves new connections with them, while a connection made before goes on with its own', async () => {
      const stored: string[] = [];
      const l = await listenTls({}, async (m) => {
        stored.push(...m);
      });
      const next = makeTestCertificate();
      const port = l.ports.tls ?? 0;
      try {
        const before = await connectTls(port);
        l.setTlsCredentials({ cert: next.cert, key: next.key });
        const after = await connectTls(port, { ca: next.cert });
        expect(fingerprint(before)).toBe(new X509Certificate(pair.cert).fingerprint256);
        expect(fingerprint(after)).toBe(new X509Certificate(next.cert).fingerprint256);
        await new Promise<void>((r) => before.end(`${frame(1)}\n`, () => r()));
        await new Promise<void>((r) => after.end(`${frame(2)}\n`, () => r()));
      } finally {
        await l.close();
      }
      expect([...stored].sort()).toEqual([frame(1), frame(2)]);
    });

    it('refuses bad ones and keeps those in force', async () => {
      const l = await listenTls();
      try {
        const other = makeTestCertificate();
        expect(() => l.setTlsCredentials({ cert: pair.cert, key: other.key })).toThrow(/key values mismatch/);
        expect(() => l.setTlsCredentials({ cert: 'not a path', key: pair.key })).toThrow(/ENOENT/);
        const peer = await connectTls(l.ports.tls ?? 0);
        expect(fingerprint(peer)).toBe(new X509Certificate(pair.cert).fingerprint256);
        peer.end();
      } finally {
        await l.close();
      }
    });
  });
});
