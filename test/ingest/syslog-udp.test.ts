import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { metricsRoutes } from '../../src/api/metrics/metrics.routes.js';
import { startSyslogListeners } from '../../src/app/ingest/start-syslog-listeners.js';
import { listenSyslog } from '../../src/ingest/listeners/syslog-listeners.js';
import { asRole, buildTestApi, type TestApi } from '../support/api.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';

const until = async (check: () => boolean, ms = 5_000): Promise<void> => {
  for (const end = Date.now() + ms; !check() && Date.now() < end;)
    await new Promise((r) => setTimeout(r, 10));
};

async function send(port: number, datagrams: string[]): Promise<void> {
  const udp = dgram.createSocket('udp4');
  for (const d of datagrams) await new Promise<void>((r) => udp.send(d, port, '127.0.0.1', () => r()));
  udp.close();
}

describe('syslog over UDP', () => {
  let handle: TestStoreHandle;
  let api: TestApi;
  beforeEach(async () => {
    handle = await openTestStore('sqlite');
    api = await buildTestApi(handle.store, [{ name: 'metrics', plugin: metricsRoutes }]);
  });
  afterEach(async () => {
    await api.app.close();
    await handle.cleanup();
  });

  const scrape = async (): Promise<string> =>
    (await api.app.inject({ url: '/api/v1/metrics/prometheus', headers: asRole('viewer') })).body;

  it('counts datagrams dropped over maxQueued on the Prometheus scrape, and logs them rate-limited', async () => {
    // Nothing is cut for 2 s: the first 5 datagrams fill the listener, the other 45 are dropped.
    const l = await startSyslogListeners(api.ctx, {
      host: '127.0.0.1',
      udpPort: 0,
      maxQueued: 5,
      flushMs: 2_000,
    });
    await send(
      l.ports.udp ?? 0,
      Array.from({ length: 50 }, (_, i) => `<13>Jan  1 00:00:00 h app: datagram ${i}`),
    );
    await until(() => l.stats.received + l.stats.dropped >= 50);
    await l.close();
    expect(l.stats).toMatchObject({ received: 5, dropped: 45 });
    expect(await scrape()).toMatch(
      /^riposte_syslog_dropped_total\{transport="udp",reason="queue_full"\} 45$/m,
    );
    const warnings = api.logs.filter((line) => line.includes('syslog datagrams dropped'));
    // One at once, one with the count of those held back (written on close).
    expect(warnings).toHaveLength(2);
    expect(JSON.parse(warnings[1] ?? '{}')).toMatchObject({ suppressed: 43, total: 45 });
  });

  it('takes datagrams up to maxFrameBytes; a longer one is a frame error', async () => {
    const l = await startSyslogListeners(api.ctx, { host: '127.0.0.1', udpPort: 0, maxFrameBytes: 100 });
    await send(l.ports.udp ?? 0, [
      `<13>Jan  1 00:00:00 h app: ${'x'.repeat(200)}`,
      '<13>Jan  1 00:00:00 h app: ok',
    ]);
    await until(() => l.stats.received + l.stats.frameErrors >= 2);
    await l.close();
    expect(l.stats).toMatchObject({ received: 1, frameErrors: 1 });
    expect(await scrape()).toMatch(/^riposte_syslog_frames_rejected_total\{transport="udp"\} 1$/m);
  });
});

describe('the UDP receive buffer', () => {
  it('is raised from the OS default toward 8 MiB, as far as the OS allows', async () => {
    const sysctl = (name: string): number => Number(readFileSync(`/proc/sys/net/core/${name}`, 'utf8'));
    const l = await listenSyslog(async () => undefined, { host: '127.0.0.1', udpPort: 0, batchSize: 10 });
    await l.close();
    if (process.platform !== 'linux' || sysctl('rmem_max') <= sysctl('rmem_default')) return;
    // Linux reports twice the bytes it grants (the other half is its bookkeeping).
    expect(l.udpReceiveBufferBytes).toBe(2 * Math.min(8 * 1024 * 1024, sysctl('rmem_max')));
  });
});
