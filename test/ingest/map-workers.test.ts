import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alertsRoutes } from '../../src/api/alerts/alerts.routes.js';
import {
  ingestLineStream,
  StreamInterrupted,
  type StreamSummary,
} from '../../src/app/ingest/ingest-stream.js';
import { DEFAULT_INGEST_BATCH_SIZE, IngestSettings } from '../../src/app/ingest/ingest-settings.js';
import {
  createMapWorkerPool,
  MapWorkerError,
  type MapWorkerPool,
} from '../../src/app/ingest/map-worker-pool.js';
import { startSyslogListeners } from '../../src/app/ingest/start-syslog-listeners.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import type { LineRecord } from '../../src/ingest/formats/ndjson-lines.js';
import { saveIngestSettingsJson } from '../../src/store/alerts/ingest-settings.repository.js';
import { readAuditEntries } from '../../src/store/audit/audit.repository.js';
import type { Store } from '../../src/store/store.js';
import { asRole, buildTestApi, createTestContext, ManualClock } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const T0 = Date.UTC(2026, 0, 1);

const suricata = (i: number, sig = 2_000_000 + (i % 3)): string =>
  JSON.stringify({
    timestamp: new Date(T0 + i).toISOString(),
    flow_id: i,
    event_type: 'alert',
    src_ip: `45.33.0.${i % 7}`,
    dest_ip: `10.0.0.${i % 5}`,
    alert: { gid: 1, signature_id: sig, signature: `ET TEST ${sig}`, severity: 2 },
  });

/**
 * A stream with every kind of outcome, across batch boundaries (batch size 4): new alerts, a retry of a
 * stored event (a duplicate), malformed JSON, a line that was not UTF-8, an array line with a bad element,
 * an unmappable payload, a too-deep one, a CEF text line, an alert without a time (given the clock's), and
 * alerts that join or open cases.
 */
const MIXED: LineRecord[] = [
  suricata(1),
  suricata(2),
  '{"not": "closed"',
  suricata(1),
  `[${suricata(3)}, 42, ${suricata(4)}]`,
  '{"something": "no mapper knows"}',
  suricata(5, 2_100_000),
  `${'['.repeat(70)}${']'.repeat(70)}`,
  'CEF:0|Cisco|ASA|9|106023|Deny tcp|7|src=45.33.32.156 dst=10.0.0.5',
  suricata(6),
  suricata(7, 2_100_000),
  suricata(8),
  suricata(9),
  JSON.stringify({ ...JSON.parse(suricata(10)), timestamp: undefined }),
].map((text, i) => ({ line: i + 1, text }));
MIXED.splice(6, 0, { line: 100, error: 'not valid UTF-8' });
for (const [i, rec] of MIXED.entries()) rec.line = i + 1;

/** The pool, counting the batches it was given: a test that means to use the thread checks it did. */
function counting(pool: MapWorkerPool): MapWorkerPool & { batches: number } {
  const counted = {
    maxAverageLineChars: pool.maxAverageLineChars,
    maxBatchChars: pool.maxBatchChars,
    batches: 0,
    prepare: (...args: Parameters<MapWorkerPool['prepare']>) => {
      counted.batches += 1;
      return pool.prepare(...args);
    },
    close: () => pool.close(),
  };
  return counted;
}

async function* linesOf(records: LineRecord[]): AsyncIterable<LineRecord> {
  for (const rec of records) yield rec;
}

/** What a stream left in the store, without its random ids: each alert in order, cases by first sight. */
async function storedOutcome(store: Store): Promise<unknown[]> {
  const rows = await store.db
    .selectFrom('alerts')
    .select([
      'id',
      'fingerprint',
      'source_event_id',
      'rule_id',
      'count',
      'case_id',
      'correlation',
      'normalized',
      'raw',
      'time',
    ])
    .orderBy('id')
    .execute();
  const caseNo = new Map<string | null, number>();
  return rows.map(({ id: _id, case_id, correlation, ...rest }) => {
    if (!caseNo.has(case_id)) caseNo.set(case_id, caseNo.size);
    const decision = JSON.parse(correlation ?? 'null') as { caseId?: string } | null;
    // The case the decision named, by first sight too.
    if (decision?.caseId) decision.caseId = `case ${caseNo.get(decision.caseId)}`;
    return { ...rest, case: caseNo.get(case_id), correlation: decision };
  });
}

describe.each(DIALECTS)('NDJSON streams mapped on a worker thread, on %s', (dialect) => {
  let pool: MapWorkerPool;
  const handles: TestStoreHandle[] = [];
  beforeAll(() => {
    pool = createMapWorkerPool({ size: 1 });
  });
  afterAll(async () => pool.close());
  afterEach(async () => {
    for (const h of handles.splice(0)) await h.cleanup();
  });
  const open = async (): Promise<TestStoreHandle> => {
    const h = await openTestStore(dialect);
    handles.push(h);
    return h;
  };

  it('gives the same outcomes as mapping on the main thread: counts, rejects with line numbers, cases, rows', async () => {
    const settings = IngestSettings.parse({ batchSize: 4 });
    const threads = counting(pool);
    const run = async (withPool: boolean): Promise<{ summary: StreamSummary; stored: unknown[] }> => {
      const h = await open();
      const ctx = createTestContext(h.store, {
        clock: new ManualClock(T0 + 60_000),
        ...(withPool ? { mapWorkers: threads } : {}),
      });
      const first = await ingestLineStream(
        ctx,
        { source: 'ids', lines: linesOf(MIXED), format: 'auto' },
        SYSTEM_ACTOR,
        settings,
      );
      // Again: every event is now a retry of a stored one.
      const again = await ingestLineStream(
        ctx,
        { source: 'ids', lines: linesOf(MIXED.slice(0, 5)), format: 'auto' },
        SYSTEM_ACTOR,
        settings,
      );
      expect(again.duplicates).toBeGreaterThan(0);
      return { summary: first, stored: await storedOutcome(h.store) };
    };
    const inline = await run(false);
    const threaded = await run(true);
    // Four batches of the first stream, two of the second; each stream's first is mapped here.
    expect(threads.batches).toBe(4);
    expect(threaded.summary).toEqual(inline.summary);
    expect(threaded.stored).toEqual(inline.stored);
    // The stream had every kind of outcome, so the comparison covered them.
    expect(inline.summary).toMatchObject({ accepted: 11, duplicates: 1, rejected: 5, casesCreated: 5 });
    expect(inline.summary.rejections.map((r) => r.line)).toEqual([3, 5, 6, 7, 9]);
  });

  it('applies rules another process stores mid-stream from the next step, also to batches mapped under the old ones', async () => {
    // Six sightings of one detection, told apart by their flow id only: one fingerprint under the default keys.
    const sighting = (flow: number): string => JSON.stringify({ ...JSON.parse(suricata(1)), flow_id: flow });
    const run = async (withPool: boolean): Promise<{ statuses: string[]; stepSizes: unknown[] }> => {
      const threads = counting(pool);
      const h = await open();
      const ctx = createTestContext(h.store, {
        clock: new ManualClock(T0 + 60_000),
        ...(withPool ? { mapWorkers: threads } : {}),
      });
      await saveIngestSettingsJson(
        h.store.db,
        { settings: JSON.stringify(IngestSettings.parse({ batchSize: 2 })), updatedBy: 'admin' },
        T0,
      );
      async function* lines(): AsyncIterable<LineRecord> {
        for (let i = 1; i <= 6; i += 1) {
          // Written around this process once the first two lines (and, on a thread, the next two) are out:
          // the flow id now tells sightings apart, and steps hold one alert.
          if (i === 5)
            await saveIngestSettingsJson(
              h.store.db,
              {
                settings: JSON.stringify(
                  IngestSettings.parse({ batchSize: 1, fingerprintKeys: ['raw.flow_id'] }),
                ),
                updatedBy: 'other process',
              },
              T0 + 1,
            );
          yield { line: i, text: sighting(i) };
        }
      }
      const statuses: string[] = [];
      await ingestLineStream(
        ctx,
        { source: 'ids', lines: lines(), format: 'auto' },
        SYSTEM_ACTOR,
        undefined,
        (s) => statuses.push(`${s.accepted}/${s.duplicates}`),
      );
      if (withPool) expect(threads.batches).toBe(2);
      const audit = await readAuditEntries(h.store.db, 0, 10);
      return {
        statuses,
        stepSizes: audit.filter((a) => a.action === 'alerts.ingested').map((a) => a.details.items),
      };
    };
    // Read here, lines 3 and 4 are stored before the change; 5 and 6, gathered as one batch before the change
    // was found, are stored in two steps under the new rules.
    expect(await run(false)).toEqual({ statuses: ['1/1', '1/3', '3/3'], stepSizes: [2, 2, 1, 1] });
    // On a thread, lines 3 and 4 were fingerprinted under the old keys before the change, and are stored
    // after it: their fingerprints are computed again under the new keys (which read the raw event).
    expect(await run(true)).toEqual({ statuses: ['1/1', '3/1', '4/1', '5/1'], stepSizes: [2, 1, 1, 1, 1] });
  });

  it('takes the generic mapper and its field paths to the thread', async () => {
    const h = await open();
    const threads = counting(pool);
    const ctx = createTestContext(h.store, { clock: new ManualClock(T0), mapWorkers: threads });
    const summary = await ingestLineStream(
      ctx,
      {
        source: 'custom',
        mapper: 'generic',
        mapperConfig: {
          title: 'what',
          severity: 'how_bad',
          observables: [{ path: 'who', type: 'ipv4', role: 'source' }],
        },
        // One line a batch: the first is mapped on the main thread, the others on the thread.
        lines: linesOf([
          { line: 1, text: '{"what": "first thing", "how_bad": "low", "who": "45.33.32.155"}' },
          { line: 2, text: '{"what": "thing seen", "how_bad": "high", "who": "45.33.32.156"}' },
          { line: 3, text: '{"title": "no what field"}' },
        ]),
        format: 'json',
      },
      SYSTEM_ACTOR,
      IngestSettings.parse({ batchSize: 1 }),
    );
    expect(summary).toMatchObject({ accepted: 2, rejected: 1 });
    expect(threads.batches).toBe(2);
    expect(summary.rejections).toEqual([
      { line: 3, reason: 'the configured title field is missing', path: 'what' },
    ]);
    const row = await h.store.db
      .selectFrom('alerts')
      .select(['title', 'severity', 'normalized'])
      .where('title', '=', 'thing seen')
      .executeTakeFirstOrThrow();
    expect(row.severity).toBe('high');
    expect(row.normalized).toContain('45.33.32.156');
  });

  it('streams the HTTP NDJSON route through the thread', async () => {
    const h = await open();
    const threads = counting(pool);
    const api = await buildTestApi(h.store, [{ name: 'alerts', plugin: alertsRoutes }], {
      mapWorkers: threads,
    });
    try {
      // Three batches of the default size: the second and third are mapped on the thread.
      const size = DEFAULT_INGEST_BATCH_SIZE;
      const lines = Array.from({ length: size * 2 + size / 2 }, (_, i) =>
        i === size * 2 + 49 ? 'nope' : suricata(i + 1),
      );
      const res = await api.app.inject({
        method: 'POST',
        url: '/api/v1/alerts/ndjson?source=ids',
        payload: lines.join('\n'),
        headers: { ...asRole('ingest'), 'content-type': 'application/x-ndjson' },
      });
      expect(res.statusCode).toBe(200);
      const answer = res.json<{ accepted: number; duplicates: number }>();
      expect(answer).toMatchObject({ rejected: 1, rejections: [{ line: size * 2 + 50 }] });
      expect(answer.accepted + answer.duplicates).toBe(lines.length - 1);
      expect(threads.batches).toBe(2);
    } finally {
      await api.app.close();
    }
  });
  /** A stream's summary and rows, with the pool or without. */
  const outcome = async (
    records: LineRecord[],
    settings: IngestSettings,
    threads: MapWorkerPool | undefined,
  ): Promise<{ summary: StreamSummary; stored: unknown[] }> => {
    const h = await open();
    const ctx = createTestContext(h.store, {
      clock: new ManualClock(T0 + 60_000),
      ...(threads ? { mapWorkers: threads } : {}),
    });
    const summary = await ingestLineStream(
      ctx,
      { source: 'ids', lines: linesOf(records), format: 'auto' },
      SYSTEM_ACTOR,
      settings,
    );
    return { summary, stored: await storedOutcome(h.store) };
  };

  it('stores the batches already read when the input breaks, as mapping on the main thread does', async () => {
    const settings = IngestSettings.parse({ batchSize: 4 });
    const run = async (threads: MapWorkerPool | undefined): Promise<unknown> => {
      const h = await open();
      const ctx = createTestContext(h.store, {
        clock: new ManualClock(T0),
        ...(threads ? { mapWorkers: threads } : {}),
      });
      // Ten lines, then the sender goes away: two whole batches were read, and half of a third.
      async function* breaking(): AsyncIterable<LineRecord> {
        for (let i = 1; i <= 10; i += 1) yield { line: i, text: suricata(i) };
        throw new Error('the sender went away');
      }
      const broke = await ingestLineStream(
        ctx,
        { source: 'ids', lines: breaking(), format: 'json' },
        SYSTEM_ACTOR,
        settings,
      ).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(broke).toBeInstanceOf(StreamInterrupted);
      const { throughLine, committed, cause } = broke as StreamInterrupted;
      const rows = await h.store.db
        .selectFrom('alerts')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return { throughLine, accepted: committed.accepted, cause: String(cause), rows: Number(rows.n) };
    };
    const threads = counting(pool);
    const threaded = await run(threads);
    // The second batch was at the thread when the input broke: it is stored, not dropped.
    expect(threads.batches).toBe(1);
    expect(threaded).toEqual(await run(undefined));
    expect(threaded).toEqual({
      throughLine: 8,
      accepted: 8,
      cause: 'Error: the sender went away',
      rows: 8,
    });
  });

  it('maps batches of long lines on the main thread, where handing them over costs more than it saves', async () => {
    const long = (i: number): LineRecord => ({
      line: i,
      text: JSON.stringify({ ...(JSON.parse(suricata(i)) as object), payload: 'p'.repeat(5_000) }),
    });
    const shortLines = createMapWorkerPool({ size: 1, maxAverageLineChars: 3_000 });
    const smallBatches = createMapWorkerPool({ size: 1, maxBatchChars: 5_500 });
    try {
      const records = [1, 2, 3, 4, 5, 6].map(long);
      const twoToABatch = IngestSettings.parse({ batchSize: 2 });
      const threads = counting(shortLines);
      const threaded = await outcome(records, twoToABatch, threads);
      // Every batch's lines average past 3,000 characters: none was sent.
      expect(threads.batches).toBe(0);
      expect(threaded).toEqual(await outcome(records, twoToABatch, undefined));
      // Three lines to a batch, one of them long: its batch averages 2,000 characters a line but is past
      // 5,500 in all, so it alone is mapped here (with the first, which has nothing to overlap with).
      const mixed = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) =>
        i === 5 ? long(i) : { line: i, text: suricata(i) },
      );
      const counted = counting(smallBatches);
      const threeToABatch = IngestSettings.parse({ batchSize: 3 });
      expect(await outcome(mixed, threeToABatch, counted)).toEqual(
        await outcome(mixed, threeToABatch, undefined),
      );
      expect(counted.batches).toBe(1);
    } finally {
      await shortLines.close();
      await smallBatches.close();
    }
  });

  it('hands lines to the thread byte for byte: multi-byte text, a lone surrogate, spaces around a line', async () => {
    const settings = IngestSettings.parse({ batchSize: 3 });
    const event = (i: number, extra: object): string =>
      JSON.stringify({ ...(JSON.parse(suricata(i)) as object), ...extra });
    const records: LineRecord[] = [
      event(1, {}),
      event(2, {}),
      event(3, {}),
      // From the second batch on, at the thread.
      event(4, { note: 'café 中文 😀' }),
      // A lone surrogate, escaped in JSON (plain ASCII), then as a character, which UTF-8 cannot carry: in
      // an array's element, whose raw text the thread cuts from the line it got.
      suricata(5).replace('ET TEST', 'ET \\ud800 TEST'),
      `[${suricata(6).replace('ET TEST', `ET ${String.fromCharCode(0xd800)} TEST`)}]`,
      // Spaces around it: the raw text is the line trimmed, not the line.
      `   ${event(7, {})}   `,
      `[${event(8, { note: 'é' })}, ${event(9, {})}]`,
      'CEF:0|Cisco|ASA|9|106023|Deny tcp ü|7|src=45.33.32.156 dst=10.0.0.5',
    ].map((text, i) => ({ line: i + 1, text }));
    records.push({ line: records.length + 1, error: 'not valid UTF-8' }, { line: 11, text: event(10, {}) });
    const threads = counting(pool);
    const threaded = await outcome(records, settings, threads);
    expect(threads.batches).toBe(3);
    expect(threaded).toEqual(await outcome(records, settings, undefined));
    expect(threaded.summary.accepted).toBeGreaterThan(6);
  });
});

describe('a mapping thread that dies', () => {
  let handle: TestStoreHandle;
  let pool: MapWorkerPool;
  beforeEach(async () => {
    handle = await openTestStore('sqlite');
    pool = createMapWorkerPool({
      size: 1,
      entry: new URL('./fixtures/faulty-map-worker.ts', import.meta.url),
    });
  });
  afterEach(async () => {
    await pool.close();
    await handle.cleanup();
  });

  it.each(['EXIT_THREAD', 'THROW_IN_THREAD'])(
    'fails the stream at the batch it held (%s), keeps what was stored before it, and the next stream gets a new thread',
    async (cue) => {
      const ctx = createTestContext(handle.store, { clock: new ManualClock(T0), mapWorkers: pool });
      const settings = IngestSettings.parse({ batchSize: 2 });
      const records = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({
        line: i,
        text: i === 5 ? `{"title": "${cue}"}` : suricata(i),
      }));
      const stored: number[] = [];
      const failed = ingestLineStream(
        ctx,
        { source: 'ids', lines: linesOf(records), format: 'json' },
        SYSTEM_ACTOR,
        settings,
        (s) => stored.push(s.accepted + s.duplicates),
      );
      // Broken after committed steps: what they stored, through line 4, and the thread's error as the cause.
      const broke = await failed.then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(broke).toBeInstanceOf(StreamInterrupted);
      expect(broke).toMatchObject({ throughLine: 4, committed: { accepted: 4 } });
      expect((broke as StreamInterrupted).cause).toBeInstanceOf(MapWorkerError);
      expect(String((broke as StreamInterrupted).cause)).toMatch(
        /the ingest mapping thread stopped while mapping a batch/,
      );
      // Lines 1-4 (two batches) were stored and are kept; nothing of line 5's batch or after was.
      expect(stored).toEqual([2, 4]);
      const count = await handle.store.db
        .selectFrom('alerts')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(4);

      const next = await ingestLineStream(
        ctx,
        { source: 'ids', lines: linesOf(records.filter((r) => r.line !== 5)), format: 'json' },
        SYSTEM_ACTOR,
        settings,
      );
      expect(next).toMatchObject({ accepted: 3, duplicates: 4, rejected: 0 });
    },
  );

  it('rejects what is asked after the pool is closed', async () => {
    await pool.close();
    await expect(
      pool.prepare({ texts: ['x'] }, { source: 's', fingerprintKeys: ['title'], now: T0 }),
    ).rejects.toThrow(/stopped/);
  });
});

describe('syslog listeners with a mapping thread', () => {
  const cef = (i: number): string =>
    `<134>1 2026-01-01T00:00:00Z fw1 asa - - - CEF:0|Cisco|ASA|9|${106000 + (i % 50)}|Deny tcp ${i % 50}|7|src=45.33.32.${i % 200} dst=10.0.0.5`;
  // Batches of 500 cut while the first is stored: the later ones are mapped on the thread.
  const frames = Array.from({ length: 1_200 }, (_, i) =>
    i === 1_100 ? 'garbage that is not syslog' : cef(i),
  );

  const run = async (
    pool: MapWorkerPool | undefined,
    transport: 'tcp' | 'udp' = 'tcp',
    sent: string[] = frames,
  ): Promise<{ stats: unknown; stored: unknown[] }> => {
    // On PostgreSQL a batch's store waits on the network, so frames keep arriving and batches are cut
    // while it waits (SQLite stores a batch before the next frames are read: nothing to overlap there).
    const handle = await openTestStore('postgres');
    try {
      const ctx = createTestContext(handle.store, {
        clock: new ManualClock(T0),
        ...(pool ? { mapWorkers: pool } : {}),
      });
      const l = await startSyslogListeners(ctx, { host: '127.0.0.1', [`${transport}Port`]: 0 });
      if (transport === 'udp') {
        const udp = dgram.createSocket('udp4');
        for (const frame of sent)
          await new Promise<void>((r) => udp.send(frame, l.ports.udp ?? 0, '127.0.0.1', () => r()));
        udp.close();
      } else {
        const socket = net.connect(l.ports.tcp ?? 0, '127.0.0.1');
        await new Promise<void>((r) => socket.once('connect', () => r()));
        await new Promise<void>((r) => socket.end(`${sent.join('\n')}\n`, () => r()));
      }
      for (let i = 0; i < 1_000 && l.stats.received < sent.length; i += 1)
        await new Promise((r) => setTimeout(r, 10));
      await l.close();
      return { stats: l.stats, stored: await storedOutcome(handle.store) };
    } finally {
      await handle.cleanup();
    }
  };

  it('maps frames on the thread and stores them as the main thread would', async () => {
    const pool = counting(createMapWorkerPool({ size: 1 }));
    try {
      const threaded = await run(pool);
      const inline = await run(undefined);
      expect(pool.batches).toBeGreaterThan(0);
      expect(threaded.stats).toMatchObject({ received: 1_200, rejected: 1 });
      expect(threaded).toEqual(inline);
    } finally {
      await pool.close();
    }
  });

  it('maps a batch whose thread died on the main thread at once: a UDP batch, which is never retried, is kept', async () => {
    // Every batch given to the thread ends it.
    const sent = frames.map((f) => f.replace('Deny tcp', 'EXIT_THREAD'));
    const pool = counting(
      createMapWorkerPool({ size: 1, entry: new URL('./fixtures/faulty-map-worker.ts', import.meta.url) }),
    );
    try {
      const threaded = await run(pool, 'udp', sent);
      const inline = await run(undefined, 'udp', sent);
      expect(pool.batches).toBeGreaterThan(0);
      expect(threaded.stats).toMatchObject({ received: 1_200, rejected: 1, dropped: 0 });
      expect(threaded).toEqual(inline);
    } finally {
      await pool.close();
    }
  });
});
