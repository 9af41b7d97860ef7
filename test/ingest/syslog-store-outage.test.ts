import dgram from 'node:dgram';
import net from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startSyslogListeners } from '../../src/app/ingest/start-syslog-listeners.js';
import { listenSyslog, type SyslogTransport } from '../../src/ingest/listeners/syslog-listeners.js';
import { createTestContext } from '../support/api.js';
import { openPgBlocker } from '../support/pg-blocker.js';
import { openTestStore, TEST_PG_URL } from '../support/stores.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(() => r(`still pending after ${ms} ms`), ms));

const until = async (check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> => {
  for (const end = Date.now() + ms; !(await check()) && Date.now() < end;)
    await new Promise((r) => setTimeout(r, 10));
};

const frame = (i: number, pad = 0): string =>
  `<13>Jan  1 00:00:00 h app: message ${String(i).padStart(5, '0')}${'x'.repeat(pad)}`;

async function sendTcp(port: number, text: string): Promise<void> {
  const peer = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => peer.once('connect', () => r()));
  await new Promise<void>((r) => peer.end(text, () => r()));
}

describe('syslog listener while the store fails', () => {
  it('keeps a TCP batch the store failed and tries it again, pausing the peer meanwhile: nothing is lost', async () => {
    let failing = true;
    let attempts = 0;
    const stored: string[] = [];
    const l = await listenSyslog(
      async (messages) => {
        attempts += 1;
        if (failing) throw new Error('the store is unavailable');
        stored.push(...messages);
      },
      { host: '127.0.0.1', tcpPort: 0, batchSize: 50, maxQueued: 200, retryMaxMs: 50 },
    );
    const frames = Array.from({ length: 1_000 }, (_, i) => frame(i, 1_000));
    const sending = sendTcp(l.ports.tcp ?? 0, frames.map((f) => `${f}\n`).join(''));
    await until(() => attempts >= 5);
    await new Promise((r) => setTimeout(r, 200));
    // The peer was paused at maxQueued: the rest of its megabyte waits in the OS, not in the listener.
    expect(l.stats.received).toBeLessThan(200 + 100 + 50);
    failing = false;
    await sending;
    await until(() => stored.length >= 1_000);
    await l.close();
    expect(stored).toEqual(frames);
    expect(l.stats.lost).toBe(0);
  });

  it('gives a failing batch up when close() has waited its grace, and counts what is lost', async () => {
    const lost: Array<[number, SyslogTransport, boolean]> = [];
    const l = await listenSyslog(
      async () => {
        throw new Error('the store is unavailable');
      },
      {
        host: '127.0.0.1',
        tcpPort: 0,
        batchSize: 10,
        closeGraceMs: 300,
        retryMaxMs: 5_000,
        onLost: (n, transport, atClose) => lost.push([n, transport, atClose]),
      },
    );
    await sendTcp(l.ports.tcp ?? 0, Array.from({ length: 25 }, (_, i) => `${frame(i)}\n`).join(''));
    await until(() => l.stats.received >= 25);
    // Long enough for the backoff to have grown past the grace.
    await new Promise((r) => setTimeout(r, 1_000));
    const started = Date.now();
    await l.close();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(l.stats.lost).toBe(25);
    expect(lost.reduce((n, [count]) => n + count, 0)).toBe(25);
    expect(lost.every(([, transport, atClose]) => transport === 'tcp' && atClose)).toBe(true);
  });

  it('gives up a store that never answers once close() has waited its grace and closeStoreWaitMs more', async () => {
    const lost: Array<[number, SyslogTransport, boolean]> = [];
    const abandoned: number[] = [];
    let calls = 0;
    const l = await listenSyslog(
      () => {
        calls += 1;
        return new Promise<void>(() => undefined);
      },
      {
        host: '127.0.0.1',
        tcpPort: 0,
        batchSize: 10,
        closeGraceMs: 100,
        closeStoreWaitMs: 200,
        onLost: (n, transport, atClose) => lost.push([n, transport, atClose]),
        onStoreAbandoned: (n) => abandoned.push(n),
      },
    );
    await sendTcp(l.ports.tcp ?? 0, Array.from({ length: 25 }, (_, i) => `${frame(i)}\n`).join(''));
    await until(() => l.stats.received >= 25 && calls >= 1);
    const closed = await Promise.race([
      l.close().then(() => 'closed'),
      new Promise((r) => setTimeout(() => r('close() still pending'), 5_000)),
    ]);
    expect(closed).toBe('closed');
    // The batch in the store, and those cut or queued behind it.
    expect(l.stats.lost).toBe(25);
    expect(abandoned).toEqual([25]);
    expect(lost).toEqual([[25, 'tcp', true]]);
  });

  it('counts a UDP batch the store failed as lost at once (its senders cannot be paused)', async () => {
    let attempts = 0;
    const lost: Array<[number, SyslogTransport, boolean]> = [];
    const l = await listenSyslog(
      async () => {
        attempts += 1;
        throw new Error('the store is unavailable');
      },
      {
        host: '127.0.0.1',
        udpPort: 0,
        batchSize: 100,
        onLost: (n, transport, atClose) => lost.push([n, transport, atClose]),
      },
    );
    const udp = dgram.createSocket('udp4');
    for (let i = 0; i < 5; i += 1)
      await new Promise<void>((r) => udp.send(frame(i), l.ports.udp, '127.0.0.1', () => r()));
    udp.close();
    await until(() => l.stats.lost >= 5);
    expect(lost.reduce((n, [count]) => n + count, 0)).toBe(5);
    expect(lost.every(([, transport, atClose]) => transport === 'udp' && !atClose)).toBe(true);
    // Not tried again: one attempt per batch cut.
    const tried = attempts;
    await new Promise((r) => setTimeout(r, 300));
    expect(attempts).toBe(tried);
    await l.close();
  });

  it('closes, and says so, while PostgreSQL keeps the batch waiting behind a lock', async () => {
    const handle = await openTestStore('postgres');
    const blocker = await openPgBlocker(handle.options.databaseSchema ?? 'public');
    try {
      const ctx = createTestContext(handle.store);
      const l = await startSyslogListeners(ctx, {
        host: '127.0.0.1',
        tcpPort: 0,
        closeGraceMs: 100,
        closeStoreWaitMs: 200,
      });
      await blocker.hold('lock table alerts in access exclusive mode');
      await sendTcp(l.ports.tcp ?? 0, Array.from({ length: 30 }, (_, i) => `${frame(i)}\n`).join(''));
      await until(async () => (await blocker.waiting()) > 0);
      expect(await Promise.race([l.close().then(() => 'closed'), sleep(5_000)])).toBe('closed');
      expect(l.stats).toMatchObject({ received: 30, lost: 30 });
      const line = ctx.logs.find((text) => text.includes('store had not answered'));
      expect(line && JSON.parse(line)).toMatchObject({ level: 50, lost: 30, storeUnanswered: 30 });
      expect(ctx.counters.read().find((c) => c.name === 'riposte_syslog_dropped_total')?.samples).toEqual([
        { labels: { transport: 'tcp', reason: 'store_failed' }, value: 30 },
      ]);
    } finally {
      await blocker.release();
      await blocker.close();
      await handle.cleanup();
    }
  });

  it('moves a batch counted lost at close from lost to stored when the store commits it after all, and says so', async () => {
    const handle = await openTestStore('postgres');
    const blocker = await openPgBlocker(handle.options.databaseSchema ?? 'public');
    try {
      const ctx = createTestContext(handle.store);
      const l = await startSyslogListeners(ctx, {
        host: '127.0.0.1',
        tcpPort: 0,
        closeGraceMs: 100,
        closeStoreWaitMs: 200,
      });
      await blocker.hold('lock table alerts in access exclusive mode');
      await sendTcp(l.ports.tcp ?? 0, Array.from({ length: 30 }, (_, i) => `${frame(i)}\n`).join(''));
      await until(async () => (await blocker.waiting()) > 0);
      expect(await Promise.race([l.close().then(() => 'closed'), sleep(5_000)])).toBe('closed');
      expect(l.stats).toMatchObject({ received: 30, lost: 30, stored: 0 });
      // The store answers after all: the batch it held commits.
      await blocker.release();
      await until(() => l.stats.stored === 30);
      expect(l.stats).toMatchObject({ received: 30, lost: 0, stored: 30 });
      const count = await handle.store.db
        .selectFrom('alerts')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(30);
      const closeLine = ctx.logs.findIndex((text) => text.includes('store had not answered'));
      const afterAll = ctx.logs.findIndex((text) => text.includes('stored after all'));
      expect(closeLine).toBeGreaterThanOrEqual(0);
      expect(afterAll).toBeGreaterThan(closeLine);
      expect(JSON.parse(ctx.logs[afterAll] ?? '{}')).toMatchObject({
        level: 40,
        stored: 30,
        lost: 0,
        storeUnanswered: 0,
      });
    } finally {
      await blocker.close();
      await handle.cleanup();
    }
  });

  it('keeps a batch counted lost at close lost when the store then fails it', async () => {
    const handle = await openTestStore('postgres');
    const blocker = await openPgBlocker(handle.options.databaseSchema ?? 'public');
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      const ctx = createTestContext(handle.store);
      const l = await startSyslogListeners(ctx, {
        host: '127.0.0.1',
        tcpPort: 0,
        closeGraceMs: 100,
        closeStoreWaitMs: 200,
      });
      await blocker.hold('lock table alerts in access exclusive mode');
      await sendTcp(l.ports.tcp ?? 0, Array.from({ length: 30 }, (_, i) => `${frame(i)}\n`).join(''));
      await until(async () => (await blocker.waiting()) > 0);
      expect(await Promise.race([l.close().then(() => 'closed'), sleep(5_000)])).toBe('closed');
      // The store fails the batch it held: its statement is cancelled.
      await admin.query(
        'select pg_cancel_backend(pid) from pg_stat_activity where cardinality(pg_blocking_pids(pid)) > 0',
      );
      await until(async () => (await blocker.waiting()) === 0);
      await blocker.release();
      await new Promise((r) => setTimeout(r, 300));
      expect(l.stats).toMatchObject({ received: 30, lost: 30, stored: 0 });
      expect(ctx.logs.some((text) => text.includes('stored after all'))).toBe(false);
      const count = await handle.store.db
        .selectFrom('alerts')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(0);
    } finally {
      await admin.end();
      await blocker.close();
      await handle.cleanup();
    }
  });

  it('stores every frame sent while PostgreSQL had no alerts table for a while', async () => {
    const handle = await openTestStore('postgres');
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    const table = `"${handle.options.databaseSchema}".alerts`;
    try {
      const ctx = createTestContext(handle.store);
      const l = await startSyslogListeners(ctx, { host: '127.0.0.1', tcpPort: 0, retryMaxMs: 100 });
      await admin.query(`ALTER TABLE ${table} RENAME TO alerts_away`);
      await sendTcp(l.ports.tcp ?? 0, Array.from({ length: 300 }, (_, i) => `${frame(i)}\n`).join(''));
      await until(() => ctx.logs.some((line) => line.includes('trying again')));
      await admin.query(`ALTER TABLE "${handle.options.databaseSchema}".alerts_away RENAME TO alerts`);
      const count = async (): Promise<number> =>
        Number(
          (
            await handle.store.db
              .selectFrom('alerts')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      await until(async () => (await count()) >= 300);
      await l.close();
      expect(await count()).toBe(300);
      expect(l.stats).toMatchObject({ received: 300, lost: 0 });
    } finally {
      await admin.end();
      await handle.cleanup();
    }
  });
});
