import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenSyslog } from '../../src/ingest/listeners/syslog-listeners.js';
import { makeTestCertificate } from '../support/test-certificate.js';

const sleep = (ms: number) =>
  new Promise<string>((r) => setTimeout(() => r(`still pending after ${ms} ms`), ms));

/** A peer that connects to the TLS port and never sends its ClientHello. */
async function silentPeer(port: number): Promise<{ socket: net.Socket; closed: Promise<string> }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return { socket, closed: new Promise((r) => socket.once('close', () => r('closed'))) };
}

describe('syslog over TLS: peers that do not finish their handshake', () => {
  let pair: { key: string; cert: string };
  const open: net.Socket[] = [];
  beforeAll(() => {
    pair = makeTestCertificate();
  });
  afterAll(() => {
    for (const s of open) s.destroy();
  });

  it('close() resolves while a peer sits in its handshake, and cuts that peer off', async () => {
    const l = await listenSyslog(async () => undefined, {
      host: '127.0.0.1',
      tlsPort: 0,
      tlsCert: pair.cert,
      tlsKey: pair.key,
      batchSize: 10,
      closeGraceMs: 200,
    });
    const peer = await silentPeer(l.ports.tls ?? 0);
    open.push(peer.socket);
    expect(await Promise.race([l.close().then(() => 'closed'), sleep(3_000)])).toBe('closed');
    expect(await Promise.race([peer.closed, sleep(1_000)])).toBe('closed');
  });

  it('cuts off a peer whose handshake takes longer than handshakeTimeoutMs, and reports it', async () => {
    const errors: string[] = [];
    const l = await listenSyslog(async () => undefined, {
      host: '127.0.0.1',
      tlsPort: 0,
      tlsCert: pair.cert,
      tlsKey: pair.key,
      batchSize: 10,
      handshakeTimeoutMs: 200,
      onNetworkError: (err, transport) =>
        errors.push(`${transport} ${(err as NodeJS.ErrnoException).code ?? err.message}`),
    });
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

  it('lets a peer past its handshake finish on close: its frames written before close() are all stored', async () => {
    const stored: string[] = [];
    const l = await listenSyslog(
      async (messages) => {
        stored.push(...messages);
      },
      { host: '127.0.0.1', tlsPort: 0, tlsCert: pair.cert, tlsKey: pair.key, batchSize: 100 },
    );
    const peer = tls.connect({
      port: l.ports.tls ?? 0,
      host: '127.0.0.1',
      ca: pair.cert,
      servername: 'localhost',
    });
    open.push(peer);
    await new Promise<void>((r) => peer.once('secureConnect', () => r()));
    const frames = Array.from({ length: 2_000 }, (_, i) => `<13>Jan  1 00:00:00 h app: message ${i}`);
    await new Promise<void>((r) => peer.end(frames.map((f) => `${f}\n`).join(''), () => r()));
    await l.close();
    expect(stored).toEqual(frames);
  });

  it('takes TLS 1.2 and refuses TLS 1.1 (RFC 5425)', async () => {
    const l = await listenSyslog(async () => undefined, {
      host: '127.0.0.1',
      tlsPort: 0,
      tlsCert: pair.cert,
      tlsKey: pair.key,
      batchSize: 10,
    });
    const attempt = (version: tls.SecureVersion) =>
      new Promise<string>((resolve) => {
        const s = tls.connect({
          port: l.ports.tls ?? 0,
          host: '127.0.0.1',
          ca: pair.cert,
          servername: 'localhost',
          minVersion: version,
          maxVersion: version,
          ciphers: 'DEFAULT:@SECLEVEL=0',
        });
        s.once('secureConnect', () => {
          resolve(String(s.getProtocol()));
          s.end();
        });
        s.once('error', () => resolve('refused'));
      });
    try {
      expect(await attempt('TLSv1.2')).toBe('TLSv1.2');
      expect(await attempt('TLSv1.1')).toBe('refused');
    } finally {
      await l.close();
    }
  });
});
