import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIngestSource, CreateSourceInput } from '../../src/app/ingest/ingest-sources.js';
import { createMapWorkerPool, type MapWorkerPool } from '../../src/app/ingest/map-worker-pool.js';
import { prepareItems } from '../../src/app/ingest/prepare-items.js';
import { startSyslogListeners } from '../../src/app/ingest/start-syslog-listeners.js';
import { DEFAULT_FINGERPRINT_KEYS } from '../../src/domain/alerts/fingerprint.js';
import type { Alert } from '../../src/domain/alerts/alert.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { findAlertById } from '../../src/store/alerts/alert.repository.js';
import { createTestContext, ManualClock } from '../support/api.js';
import { openTestStore, type TestStoreHandle } from '../support/stores.js';
import { waitFor } from '../support/waiting.js';

// Real tools' output (see /work/shared/samples/README.md): Suricata EVE alert lines, a Wazuh rule 5712 alert.
const SAMPLES = '/work/shared/samples';
const EVE = readFileSync(`${SAMPLES}/suricata/oisf_suricata_pr13999_logs_eve_alert_lines.ndjson`, 'utf8')
  .split('\n')
  .filter(Boolean);
const WAZUH =
  readFileSync(`${SAMPLES}/wazuh/wazuh_alerts_extracted_from_wazuh-qa.ndjson`, 'utf8').split('\n')[0] ?? '';
const eve = (i: number): Record<string, unknown> => JSON.parse(EVE[i] ?? '{}') as Record<string, unknown>;

/** After the samples' times, so that year-less RFC 3164 stamps fall in 2025. */
const NOW = Date.UTC(2025, 9, 10);

/** Frames as the tools send them: Suricata `filetype: syslog` relayed as RFC 5424 and as RFC 3164, Wazuh csyslogd. */
const FRAMES = {
  rfc5424: `<14>1 2025-10-09T11:15:06.000Z sensor-1 suricata 4242 - - ${EVE[0]}`,
  rfc3164: `<14>Oct  9 11:22:40 sensor-2 suricata[4242]: ${EVE[2]}`,
  wazuh: `<132>May 11 12:29:20 localhost ossec: ${WAZUH}`,
  cee: `<13>1 2025-10-09T11:24:26Z 10.9.8.7 suricata - - - @cee: ${EVE[4]}`,
  // No time of its own: the header's is the alert's.
  untimed: `<14>1 2025-10-09T11:17:00.000Z - suricata - - - ${JSON.stringify({ ...eve(1), timestamp: undefined, src_ip: '45.33.32.158' })}`,
  malformed: `<13>Oct  9 11:18:00 sensor-4 app: {"event_type": "alert", "src_ip": "45.33.32.156"`,
};

async function sendTcp(port: number, frames: string[]): Promise<void> {
  const peer = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => peer.once('connect', () => r()));
  await new Promise<void>((r) => peer.end(frames.map((f) => `${f}\n`).join(''), () => r()));
}

describe('JSON documents carried by syslog, through the TCP listener into SQLite', () => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    handle = await openTestStore('sqlite');
  });
  afterEach(async () => handle.cleanup());

  /** Each stored alert, read back, by the raw text it was stored with. */
  const storedByRaw = async (): Promise<Map<string, Alert & { mapper: string; rawColumn: string }>> => {
    const rows = await handle.store.db.selectFrom('alerts').select(['id', 'mapper', 'raw']).execute();
    const out = new Map<string, Alert & { mapper: string; rawColumn: string }>();
    for (const row of rows) {
      const alert = (await findAlertById(handle.store.db, row.id)) as Alert;
      out.set(alert.raw as string, { ...alert, mapper: row.mapper, rawColumn: row.raw });
    }
    return out;
  };

  const listen = async (sent: string[]): Promise<Awaited<ReturnType<typeof startSyslogListeners>>> => {
    const ctx = createTestContext(handle.store, { clock: new ManualClock(NOW) });
    const l = await startSyslogListeners(ctx, { host: '127.0.0.1', tcpPort: 0, flushMs: 10 });
    await sendTcp(l.ports.tcp ?? 0, sent);
    await waitFor('the frames received', async () => l.stats.received >= sent.length);
    await l.close();
    return l;
  };

  it('maps Suricata and Wazuh JSON by their mappers, keeps the message as sent, and falls back to text for malformed JSON', async () => {
    const l = await listen(Object.values(FRAMES));
    expect(l.stats).toMatchObject({ received: 6, rejected: 0, lost: 0 });
    const alerts = await storedByRaw();
    expect(alerts.size).toBe(6);
    for (const frame of Object.values(FRAMES)) {
      const alert = alerts.get(frame);
      // The raw event is the whole message exactly as received, stored as the text it was.
      expect(alert?.raw).toBe(frame);
      expect(alert?.rawColumn).toBe(JSON.stringify(frame));
    }

    const r5424 = alerts.get(FRAMES.rfc5424);
    expect(r5424).toMatchObject({
      mapper: 'suricata',
      title: 'SURICATA HTTP invalid response chunk len',
      origin: { product: 'Suricata', vendor: 'OISF', ruleId: '1:2221004' },
      category: 'Generic Protocol Command Decode',
      // The payload's time, not the header's.
      time: Date.parse('2025-10-09T11:15:05.897792Z'),
    });
    expect(r5424?.observables).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'ipv4', value: '192.168.65.7', role: 'source' }),
        expect.objectContaining({ type: 'ipv4', value: '192.168.65.1', role: 'destination' }),
        expect.objectContaining({ type: 'domain', value: 'api.moby.localhost', role: 'destination' }),
      ]),
    );
    // The header's host is the sensor that sent it: every alert of the sensor would share it and group into
    // one case, so it is not an observable (the Suricata mapper leaves its host out for the same reason).
    expect(r5424?.observables.map((o) => o.value)).not.toContain('sensor-1');

    const r3164 = alerts.get(FRAMES.rfc3164);
    expect(r3164).toMatchObject({
      mapper: 'suricata',
      title: 'SURICATA HTTP Request excessive header repetition',
      origin: { ruleId: '1:2221035' },
      time: Date.parse('2025-10-09T11:22:38.555519Z'),
    });
    expect(r3164?.observables.map((o) => o.value)).not.toContain('sensor-2');

    const wazuh = alerts.get(FRAMES.wazuh);
    expect(wazuh).toMatchObject({
      mapper: 'wazuh',
      title: 'sshd: brute force trying to get access to the system. Non existent user.',
      origin: { product: 'Wazuh', ruleId: '5712' },
      severity: 'high',
      techniques: ['T1110'],
      time: Date.parse('2022-05-11T12:29:19.905Z'),
    });
    // The agent's host, which the Wazuh mapper gives (the header names the same one).
    expect(wazuh?.observables.filter((o) => o.value === 'localhost')).toEqual([
      { type: 'hostname', value: 'localhost', role: 'affected' },
    ]);
    expect(wazuh?.observables).toContainEqual(
      expect.objectContaining({ type: 'ipv4', value: '172.17.1.1', role: 'source' }),
    );

    const cee = alerts.get(FRAMES.cee);
    expect(cee).toMatchObject({ mapper: 'suricata', origin: { ruleId: '1:2221010' } });
    expect(cee?.observables.map((o) => o.value)).not.toContain('10.9.8.7');

    const untimed = alerts.get(FRAMES.untimed);
    expect(untimed).toMatchObject({ mapper: 'suricata', time: Date.parse('2025-10-09T11:17:00Z') });
    // HOSTNAME `-` names no host.
    expect(untimed?.observables.filter((o) => o.type === 'hostname')).toEqual([]);

    // Only looks like JSON: mapped as syslog text, as before, not rejected.
    expect(alerts.get(FRAMES.malformed)).toMatchObject({
      mapper: 'syslog',
      title: 'app: {"event_type": "alert", "src_ip": "45.33.32.156"',
      time: Date.parse('2025-10-09T11:18:00Z'),
    });
  });

  it('maps JSON payloads with the syslog source row’s mapper (a generic config), and text as syslog', async () => {
    await createIngestSource(
      createTestContext(handle.store),
      CreateSourceInput.parse({
        name: 'syslog',
        mapper: 'generic',
        mapperConfig: {
          title: 'event.summary',
          time: 'event.at',
          severity: 'level',
          severityScale: 'wazuh',
          ruleId: 'check',
          product: 'Acme Gateway',
          observables: [{ path: 'client', type: 'ipv4', role: 'source' }],
        },
      }),
      SYSTEM_ACTOR,
      () => {
        throw new Error('no secret is sealed for a token');
      },
    );
    const json = `<13>1 2025-10-09T12:00:00Z gw-1 acme - - - ${JSON.stringify({
      event: { summary: 'Blocked upload to a paste site', at: '2025-10-09T11:59:58Z' },
      level: 12,
      check: 'dlp-7',
      client: '45.33.32.156',
    })}`;
    const text = '<13>Oct  9 12:00:01 gw-1 sshd[7]: Accepted password for bob from 45.33.32.157';
    await listen([json, text]);
    const alerts = await storedByRaw();
    expect(alerts.get(json)).toMatchObject({
      mapper: 'generic',
      title: 'Blocked upload to a paste site',
      time: Date.parse('2025-10-09T11:59:58Z'),
      severity: 'high',
      origin: { product: 'Acme Gateway', ruleId: 'dlp-7' },
    });
    expect(alerts.get(json)?.observables).toEqual([
      { type: 'ipv4', value: '45.33.32.156', role: 'source', scope: 'public' },
    ]);
    expect(alerts.get(text)).toMatchObject({
      mapper: 'syslog',
      title: 'sshd: Accepted password for bob from 45.33.32.157',
    });
  });
});

describe('JSON documents carried by syslog, on a mapping thread', () => {
  it('maps them as the main thread does', async () => {
    const pool = createMapWorkerPool({ size: 1 });
    try {
      const texts = Object.values(FRAMES);
      const options = {
        source: 'syslog',
        mapper: 'syslog',
        fingerprintKeys: DEFAULT_FINGERPRINT_KEYS,
        now: NOW,
      };
      const threaded = await pool.prepare({ texts }, options);
      expect(threaded).toEqual(prepareItems({ texts }, options));
      expect(threaded.map((p) => (p.ok ? p.mapper : p.reason))).toEqual([
        'suricata',
        'suricata',
        'wazuh',
        'suricata',
        'suricata',
        'syslog',
      ]);
      // The raw text stored is the message as received.
      expect(threaded.map((p) => (p.ok ? JSON.parse(p.rawText) : undefined))).toEqual(texts);
    } finally {
      await pool.close();
    }
  });
});

describe('JSON documents carried by syslog, through the listener with a mapping thread, on PostgreSQL', () => {
  const GENERIC = {
    title: 'event.summary',
    time: 'event.at',
    observables: [{ path: 'client', type: 'ipv4', role: 'source' }],
  };
  // Batches cut while the first is stored (PostgreSQL answers over the network) are mapped on the thread.
  const frames = Array.from({ length: 1_200 }, (_, i) =>
    i % 3 === 2
      ? `<13>Oct  9 12:00:00 gw-1 sshd[7]: Accepted password for user${i}`
      : `<13>1 2025-10-09T12:00:00Z gw-1 acme - - - ${JSON.stringify({
          event: { summary: `Blocked upload ${i % 40}`, at: NOW - i },
          client: `45.33.${i % 7}.${i % 200}`,
        })}`,
  );

  const run = async (pool: MapWorkerPool | undefined): Promise<unknown[]> => {
    const handle = await openTestStore('postgres');
    try {
      const ctx = createTestContext(handle.store, {
        clock: new ManualClock(NOW),
        ...(pool ? { mapWorkers: pool } : {}),
      });
      await createIngestSource(
        ctx,
        CreateSourceInput.parse({ name: 'syslog', mapper: 'generic', mapperConfig: GENERIC }),
        SYSTEM_ACTOR,
        () => {
          throw new Error('no secret is sealed for a token');
        },
      );
      const l = await startSyslogListeners(ctx, { host: '127.0.0.1', tcpPort: 0 });
      await sendTcp(l.ports.tcp ?? 0, frames);
      await waitFor('the frames received', async () => l.stats.received >= frames.length);
      await l.close();
      expect(l.stats).toMatchObject({ received: 1_200, stored: 1_200, rejected: 0, lost: 0 });
      return await handle.store.db
        .selectFrom('alerts')
        .select(['mapper', 'title', 'rule_id', 'time', 'count', 'normalized', 'raw'])
        .orderBy('raw')
        .execute();
    } finally {
      await handle.cleanup();
    }
  };

  it('maps with the source row’s mapper on the thread as on the main thread', async () => {
    const real = createMapWorkerPool({ size: 1 });
    let batches = 0;
    const pool: MapWorkerPool = {
      maxAverageLineChars: real.maxAverageLineChars,
      maxBatchChars: real.maxBatchChars,
      prepare: (...args) => {
        batches += 1;
        return real.prepare(...args);
      },
      close: () => real.close(),
    };
    try {
      const threaded = await run(pool);
      const inline = await run(undefined);
      expect(batches).toBeGreaterThan(0);
      expect(threaded).toEqual(inline);
      const mappers = new Set(threaded.map((row) => (row as { mapper: string }).mapper));
      expect(mappers).toEqual(new Set(['generic', 'syslog']));
    } finally {
      await real.close();
    }
  });
});
