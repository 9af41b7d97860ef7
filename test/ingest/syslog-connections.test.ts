import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSyslogListeners } from '../../src/app/ingest/start-syslog-listeners.js';
import { listenSyslog } from '../../src/ingest/listeners/syslog-listeners.js';
import { createTestContext } from '../support/api.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';

const pending = (ms: number) => new Promise<string>((r) => setTimeout(() => r(`open after ${ms} ms`), ms));

async function connect(port: number): Promise<{ socket: net.Socket; closed: Promise<string> }> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const closed = new Promise<string>((r) => socket.once('close', () => r('closed')));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return { socket, closed };
}

describe('syslog TCP connections', () => {
  const sockets: net.Socket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
  });

  it('closes a connection idle for idleTimeoutMs, reporting its unfinished frame', async () => {
    const errors: string[] = [];
    const l = await listenSyslog(async () => undefined, {
      host: '127.0.0.1',
      tcpPort: 0,
      batchSize: 10,
      idleTimeoutMs: 200,
      onFrameError: (reason) => errors.push(reason),
    });
    try {
      const peer = await connect(l.ports.tcp ?? 0);
      sockets.push(peer.socket);
      peer.socket.write('65536 <13>1 2026-01-01T00:00:00Z h app - - - the start of a frame');
      expect(await Promise.race([peer.closed, pending(3_000)])).toBe('closed');
      expect(errors).toEqual(['the listener closed the idle connection 65 bytes into an unfinished frame']);
    } finally {
      await l.close();
    }
  });

  it('takes at most maxConnections at once, and reports those refused', async () => {
    const refused: string[] = [];
    const l = await listenSyslog(async () => undefined, {
      host: '127.0.0.1',
      tcpPort: 0,
      batchSize: 10,
      maxConnections: 3,
      onNetworkError: (err, transport) => refused.push(`${transport}: ${err.message}`),
    });
    try {
      const peers = [];
      for (let i = 0; i < 5; i += 1) {
        const peer = await connect(l.ports.tcp ?? 0);
        sockets.push(peer.socket);
        peers.push(peer);
      }
      const outcomes = await Promise.all(peers.map((p) => Promise.race([p.closed, pending(500)])));
      expect(outcomes).toEqual([
        'open after 500 ms',
        'open after 500 ms',
        'open after 500 ms',
        'closed',
        'closed',
      ]);
      expect(refused).toEqual(Array(2).fill('tcp: connection refused: 3 connections open'));
    } finally {
      await l.close();
    }
  });
});

describe('syslog connection errors', () => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    handle = await openTestStore('sqlite');
  });
  afterEach(async () => handle.cleanup());

  it('report the frame a reset connection cut short, and log the reset', async () => {
    const ctx = createTestContext(handle.store);
    const l = await startSyslogListeners(ctx, { host: '127.0.0.1', tcpPort: 0 });
    const peer = await connect(l.ports.tcp ?? 0);
    await new Promise<void>((r) =>
      peer.socket.write('<13>Jan  1 00:00:00 h app: one\n<13>Jan  1 00:00:00 h app: cut', () => r()),
    );
    await new Promise((r) => setTimeout(r, 100));
    peer.socket.resetAndDestroy();
    for (let i = 0; i < 300 && l.stats.frameErrors < 1; i += 1) await new Promise((r) => setTimeout(r, 10));
    await l.close();
    expect(l.stats).toMatchObject({ received: 1, frameErrors: 1 });
    const logged = ctx.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({ msg: 'syslog connection error', transport: 'tcp', code: 'ECONNRESET' }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({
        msg: 'syslog frames could not be cut',
        count: 1,
        reason: 'the connection failed (ECONNRESET) 30 bytes into an unfinished frame',
      }),
    );
  });
});
