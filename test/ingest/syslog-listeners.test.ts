import dgram from 'node:dgram';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSyslogListeners } from '../../src/app/ingest/start-syslog-listeners.js';
import { listenSyslog } from '../../src/ingest/listeners/syslog-listeners.js';
import { createTestContext } from '../support/api.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';
import { makeClientCertificate, makeTestCa, makeTestCertificate } from '../support/test-certificate.js';

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !check(); i += 1) await new Promise((r) => setTimeout(r, 10));
};

const CEF =
  '<134>1 2026-01-01T00:00:00Z fw1 asa - - - CEF:0|Cisco|ASA|9|106023|Deny tcp|7|src=45.33.32.156 dst=10.0.0.5';
const BSD = '<38>Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; rhost=218.188.2.4';

describe('syslog listeners', () => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    handle = await openTestStore('sqlite');
  });
  afterEach(async () => handle.cleanup());

  const titles = async (): Promise<string[]> =>
    (await handle.store.db.selectFrom('alerts').select('title').orderBy('title').execute()).map(
      (r) => r.title,
    );

  it('takes UDP datagrams and TCP frames (octet counting and LF), and counts what matches no grammar', async () => {
    const ctx = createTestContext(handle.store);
    const l = await startSyslogListeners(ctx, { host: '127.0.0.1', udpPort: 0, tcpPort: 0 });
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.send(BSD, l.ports.udp, '127.0.0.1', () => r()));
    udp.close();
    const tcp = net.connect(l.ports.tcp ?? 0, '127.0.0.1');
    await new Promise<void>((r) => tcp.once('connect', () => r()));
    const octet = '<13>1 2026-01-01T00:00:01Z web1 nginx - - - bad request from 45.33.32.157';
    tcp.write(`${Buffer.byteLength(octet)} ${octet}${Buffer.byteLength(CEF)} ${CEF}`);
    tcp.write('garbage that is not syslog\n<13>Jan  1 00:00:00 h su: one\n');
    tcp.end();
    await until(() => l.stats.received >= 5);
    await l.close();
    expect(l.stats.received).toBe(5);
    expect(l.stats.rejected).toBe(1);
    expect(await titles()).toEqual([
      'Deny tcp',
      'nginx: bad request from 45.33.32.157',
      'sshd(pam_unix): authentication failure; rhost=218.188.2.4',
      'su: one',
    ]);
    expect(ctx.logs.join('')).toMatch(/syslog frames rejected/);
  });

  it('logs bad frames gathered a batch at a time, rate-limited, and counts every one', async () => {
    const ctx = createTestContext(handle.store);
    const l = await startSyslogListeners(ctx, { host: '127.0.0.1', tcpPort: 0 });
    const tcp = net.connect(l.ports.tcp ?? 0, '127.0.0.1');
    await new Promise<void>((r) => tcp.once('connect', () => r()));
    // Each line starts with a digit, so an octet count, and a malformed one.
    await new Promise<void>((r) => tcp.end('12x\n'.repeat(5_000), () => r()));
    await until(() => l.stats.frameErrors >= 5_000);
    await l.close();
    expect(l.stats.frameErrors).toBe(5_000);
    const counted = ctx.counters.read().find((c) => c.name === 'riposte_syslog_frames_rejected_total');
    expect(counted?.samples).toEqual([{ labels: { transport: 'tcp' }, value: 5_000 }]);
    const lines = ctx.logs
      .map(
        (line) => JSON.parse(line) as { msg: string; count?: number; suppressed?: number; reason?: string },
      )
      .filter((line) => line.msg === 'syslog frames could not be cut');
    // The first batch's line at once, then one for the batches held back (on close at the latest).
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines[0]?.reason).toMatch(/octet count/);
  });

  it('takes syslog over TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riposte-tls-'));
    try {
      const key = join(dir, 'key.pem');
      const cert = join(dir, 'cert.pem');
      const pair = makeTestCertificate();
      writeFileSync(key, pair.key);
      writeFileSync(cert, pair.cert);
      const l = await startSyslogListeners(createTestContext(handle.store), {
        host: '127.0.0.1',
        tlsPort: 0,
        tlsCert: cert,
        tlsKey: key,
      });
      const socket = tls.connect({
        port: l.ports.tls ?? 0,
        host: '127.0.0.1',
        ca: readFileSync(cert),
        servername: 'localhost',
      });
      await new Promise<void>((r) => socket.once('secureConnect', () => r()));
      socket.end(`${CEF}\n`);
      await until(() => l.stats.received >= 1);
      await l.close();
      expect(await titles()).toEqual(['Deny tcp']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes syslog over mutual TLS from a peer the CA vouches for, and logs the peers it refuses', async () => {
    const ca = makeTestCa();
    const pair = makeTestCertificate();
    const ctx = createTestContext(handle.store);
    const l = await startSyslogListeners(ctx, {
      host: '127.0.0.1',
      tlsPort: 0,
      tlsCert: pair.cert,
      tlsKey: pair.key,
      tlsCa: ca.cert,
    });
    const connect = (identity: { key?: string; cert?: string }) =>
      tls.connect({
        port: l.ports.tls ?? 0,
        host: '127.0.0.1',
        ca: pair.cert,
        servername: 'localhost',
        ...identity,
      });
    try {
      const refused = connect({});
      refused.on('error', () => undefined);
      await new Promise((r) => refused.once('close', r));
      const vouched = connect(makeClientCertificate(ca));
      await new Promise<void>((r) => vouched.once('secureConnect', () => r()));
      vouched.end(`${CEF}\n`);
      await until(() => l.stats.received >= 1);
    } finally {
      await l.close();
    }
    expect(await titles()).toEqual(['Deny tcp']);
    const logged = ctx.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        msg: 'syslog connection error',
        transport: 'tls',
        code: 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
      }),
    );
  });

  it('reloads its TLS files on request, keeping those in use when the new ones are bad', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riposte-tls-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const first = makeTestCertificate();
    const second = makeTestCertificate();
    writeFileSync(key, first.key);
    writeFileSync(cert, first.cert);
    const ctx = createTestContext(handle.store);
    const l = await startSyslogListeners(ctx, { host: '127.0.0.1', tlsPort: 0, tlsCert: cert, tlsKey: key });
    const served = async (): Promise<string | undefined> => {
      const socket = tls.connect({ port: l.ports.tls ?? 0, host: '127.0.0.1', rejectUnauthorized: false });
      await new Promise<void>((r) => socket.once('secureConnect', () => r()));
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256;
      socket.destroy();
      return fingerprint;
    };
    try {
      rmSync(key);
      expect(l.reloadTls()).toBe(false);
      expect(ctx.logs.map((line) => JSON.parse(line) as Record<string, unknown>)).toContainEqual(
        expect.objectContaining({
          level: 50,
          msg: `syslog TLS certificate not reloaded, the one in use stays: RIPOSTE_SYSLOG_TLS_KEY ${key} cannot be read (ENOENT): check the path`,
        }),
      );
      expect(await served()).toBe(new X509Certificate(first.cert).fingerprint256);
      writeFileSync(key, second.key);
      writeFileSync(cert, second.cert);
      expect(l.reloadTls()).toBe(true);
      expect(await served()).toBe(new X509Certificate(second.cert).fingerprint256);
    } finally {
      await l.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('syslog listener back-pressure', () => {
  it('counts batches waiting to be stored against maxQueued, pauses TCP peers, and resumes them to the end', async () => {
    let stored = 0;
    let mostHeld = 0;
    const l = await listenSyslog(
      async (messages) => {
        mostHeld = Math.max(mostHeld, l.stats.received - stored);
        await new Promise((r) => setTimeout(r, 5));
        stored += messages.length;
      },
      { host: '127.0.0.1', tcpPort: 0, batchSize: 10, maxQueued: 50 },
    );
    const frame = (i: number): string =>
      `<13>Jan  1 00:00:00 h app: ${String(i).padStart(6, '0')} ${'x'.repeat(1000)}`;
    const socket = net.connect(l.ports.tcp ?? 0, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    await new Promise<void>((r) =>
      socket.end(Array.from({ length: 400 }, (_, i) => `${frame(i)}\n`).join(''), () => r()),
    );
    await until(() => stored >= 400);
    await l.close();
    expect(stored).toBe(400);
    // At most the limit, plus what one read from the socket held, plus a batch: not the whole backlog.
    expect(mostHeld).toBeLessThan(50 + 70 + 10);
  });
});

describe('syslog listener close', () => {
  it('stores every frame a peer wrote and closed before the listener read them', async () => {
    const stored: string[] = [];
    const l = await listenSyslog(
      async (messages) => {
        await new Promise((r) => setTimeout(r, 5));
        stored.push(...messages);
      },
      { host: '127.0.0.1', tcpPort: 0, batchSize: 100 },
    );
    const frames = Array.from({ length: 3_000 }, (_, i) => {
      const msg = `<13>1 2026-01-01T00:00:00Z h a - - - message ${i}`;
      return `${Buffer.byteLength(msg)} ${msg}`;
    }).join('');
    const peer = net.connect({ port: l.ports.tcp ?? 0, host: '127.0.0.1' });
    await new Promise<void>((r) => peer.once('connect', () => r()));
    // Written and ended, then the listener closed at once, as a sender's last burst at shutdown.
    await new Promise<void>((r) => peer.end(frames, () => r()));
    await l.close();
    expect(stored).toHaveLength(3_000);
    expect(l.stats.frameErrors).toBe(0);
  });

  it('resolves while a peer keeps its connection open, storing its complete frames, and cuts the peer off', async () => {
    const stored: string[] = [];
    const l = await listenSyslog(
      async (messages) => {
        stored.push(...messages);
      },
      { host: '127.0.0.1', tcpPort: 0, batchSize: 10, closeGraceMs: 200 },
    );
    // allowHalfOpen: the peer keeps its side open after the listener's FIN, as a stuck sender would.
    const peer = net.connect({ port: l.ports.tcp ?? 0, host: '127.0.0.1', allowHalfOpen: true });
    try {
      await new Promise<void>((r) => peer.once('connect', () => r()));
      const peerCutOff = new Promise<void>((r) => peer.once('end', () => r()));
      peer.on('error', () => undefined);
      peer.write('<13>Jan  1 00:00:00 h a: one\n<13>Jan  1 00:00:00 h a: unterminated');
      await until(() => l.stats.received >= 1);
      await new Promise((r) => setTimeout(r, 50));
      const outcome = await Promise.race([
        l.close().then(() => 'closed'),
        new Promise((r) => setTimeout(() => r('still pending after 2 s'), 2000)),
      ]);
      expect(outcome).toBe('closed');
      // The line without its LF may be the start of a longer one: counted as a frame error, not stored.
      expect(stored).toEqual(['<13>Jan  1 00:00:00 h a: one']);
      expect(l.stats.frameErrors).toBe(1);
      await peerCutOff;
    } finally {
      peer.destroy();
    }
  });
});
