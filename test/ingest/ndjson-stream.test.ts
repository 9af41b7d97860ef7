import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ingestAlerts } from '../../src/app/ingest/ingest-alerts.js';
import { ingestLineStream, StreamInterrupted } from '../../src/app/ingest/ingest-stream.js';
import { toProblem } from '../../src/api/errors.js';
import { RiposteError } from '../../src/domain/shared/errors.js';
import { IngestSettings } from '../../src/app/ingest/ingest-settings.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { findAlertById } from '../../src/store/alerts/alert.repository.js';
import type { LineRecord } from '../../src/ingest/formats/ndjson-lines.js';
import { createTestContext, ManualClock } from '../support/api.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

// Spacing, key order, a number JSON.stringify would write differently and one it would round.
const LINE =
  '{ "event_type": "alert", "src_ip": "203.0.113.7", "dest_ip": "10.0.0.5", "score": 1.50, ' +
  '"flow_id": 12345678901234567890, "alert": {"signature_id": 2000001, "signature": "ET TEST raw", "severity": 2} }';
const ARRAY_LINE =
  '[{"event_type": "alert", "src_ip": "203.0.113.8", "alert": {"signature_id": 2000002, "signature": "ET TEST two", "severity": 2}}]';

async function* lines(texts: string[]): AsyncIterable<LineRecord> {
  for (const [i, text] of texts.entries()) yield { line: i + 1, text };
}

describe.each(DIALECTS)('NDJSON line streams on %s', (dialect) => {
  let handle: TestStoreHandle;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
  });
  afterEach(async () => handle.cleanup());

  it('stores a line that is one JSON value, and each element of an array line, as the text received', async () => {
    const ctx = createTestContext(handle.store, { clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    const caseIds = new Set<string>();
    const summary = await ingestLineStream(
      ctx,
      { source: 'suricata', lines: lines([LINE, ARRAY_LINE]), format: 'auto', caseIds },
      SYSTEM_ACTOR,
    );
    expect(summary).toMatchObject({ accepted: 2, rejected: 0 });
    const rows = await handle.store.db
      .selectFrom('alerts')
      .select(['id', 'raw', 'rule_id'])
      .orderBy('rule_id')
      .execute();
    expect(rows.map((r) => r.raw)).toEqual([LINE, ARRAY_LINE.trim().slice(1, -1).trim()]);
    // Read back, the raw event is the parsed value either way.
    const alert = await findAlertById(handle.store.db, rows[0]?.id as string);
    expect(alert?.raw).toEqual(JSON.parse(LINE));
  });

  it('rejects a line holding an empty array, so every line is accounted for', async () => {
    const ctx = createTestContext(handle.store, { clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    const summary = await ingestLineStream(
      ctx,
      { source: 'suricata', lines: lines([LINE, '[]', ARRAY_LINE]), format: 'auto' },
      SYSTEM_ACTOR,
    );
    expect(summary).toMatchObject({
      accepted: 2,
      rejected: 1,
      rejections: [{ line: 2, reason: 'an empty array holds no alert' }],
    });
  });

  it('says what its committed steps stored, through which line, when the stream breaks after them', async () => {
    const ctx = createTestContext(handle.store, { clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    const texts = Array.from({ length: 5 }, (_, i) => LINE.replace('203.0.113.7', `203.0.113.${20 + i}`));
    // The body passes its limit after line 5: steps of 2 committed lines 1-4, line 5 waits in the next one.
    async function* breaking(): AsyncIterable<LineRecord> {
      yield* lines(texts);
      throw new RiposteError('RIPOSTE_PAYLOAD_TOO_LARGE', 'the body is over its limit');
    }
    const broke = await ingestLineStream(
      ctx,
      { source: 'suricata', lines: breaking(), format: 'auto' },
      SYSTEM_ACTOR,
      IngestSettings.parse({ batchSize: 2 }),
    ).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(broke).toBeInstanceOf(StreamInterrupted);
    const interrupted = broke as StreamInterrupted;
    expect(interrupted.throughLine).toBe(4);
    expect(interrupted.committed).toMatchObject({ accepted: 4, duplicates: 0, rejected: 0 });
    expect(await handle.store.db.selectFrom('alerts').select('id').execute()).toHaveLength(4);
    // Over HTTP: the status of what broke it, and what was committed, so the sender resumes at line 5.
    const { status, body } = toProblem(broke);
    expect(status).toBe(413);
    expect(body).toMatchObject({
      code: 'RIPOSTE_PAYLOAD_TOO_LARGE',
      committed: { accepted: 4, duplicates: 0, rejected: 0, throughLine: 4 },
    });
    expect(body.message).toMatch(/^lines 1-4 were committed \(4 accepted/);
    // Broken before any step committed: the error as it was.
    async function* brokenAtOnce(): AsyncIterable<LineRecord> {
      yield* lines(texts.slice(0, 1));
      throw new RiposteError('RIPOSTE_PAYLOAD_TOO_LARGE', 'the body is over its limit');
    }
    await expect(
      ingestLineStream(
        ctx,
        { source: 'suricata', lines: brokenAtOnce(), format: 'auto' },
        SYSTEM_ACTOR,
        IngestSettings.parse({ batchSize: 2 }),
      ),
    ).rejects.toBeInstanceOf(RiposteError);
  });

  it('gives the event loop back between committed steps, so other requests are served during a long stream', async () => {
    const ctx = createTestContext(handle.store, { clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    let servedOther = false;
    setImmediate(() => {
      servedOther = true;
    });
    const seenAtStep: boolean[] = [];
    const texts = [
      LINE,
      LINE.replace('203.0.113.7', '203.0.113.9'),
      LINE.replace('203.0.113.7', '203.0.113.10'),
    ];
    const summary = await ingestLineStream(
      ctx,
      { source: 'suricata', lines: lines(texts), format: 'json' },
      SYSTEM_ACTOR,
      IngestSettings.parse({ batchSize: 1 }),
      () => seenAtStep.push(servedOther),
    );
    expect(summary.accepted + summary.duplicates).toBe(3);
    expect(seenAtStep).toHaveLength(3);
    // Waiting work ran after the first step at the latest, not only once the stream was done.
    expect(seenAtStep[seenAtStep.length - 1]).toBe(true);
  });

  /** Eight alerts of their own (no repeats), from the line's source address on. */
  const eight = Array.from({ length: 8 }, (_, i) => LINE.replace('203.0.113.7', `203.0.113.${20 + i}`));

  it('reads no line past a full step until that step is stored, so memory stays bounded', async () => {
    const ctx = createTestContext(handle.store, { clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    let yielded = 0;
    async function* counted(): AsyncIterable<LineRecord> {
      for await (const rec of lines(eight)) {
        yielded += 1;
        yield rec;
      }
    }
    const aheadAtStep: number[] = [];
    const summary = await ingestLineStream(
      ctx,
      { source: 'suricata', lines: counted(), format: 'json' },
      SYSTEM_ACTOR,
      IngestSettings.parse({ batchSize: 2 }),
      (s) => aheadAtStep.push(yielded - s.accepted - s.duplicates),
    );
    expect(summary.accepted).toBe(8);
    // Lines read but not yet stored when each step was.
    expect(aheadAtStep).toEqual([0, 0, 0, 0]);
  });

  it('lets the store prepare for each bulk step, holding no lock meanwhile, and never for a small step', async () => {
    // Alerts stored when the store was asked to prepare; a write inside the hook would wait forever for a
    // lock the stream held.
    const preparedAt: number[] = [];
    // What the store was told, in order: a bulk step is about to start, one has committed.
    const told: string[] = [];
    let stored = 0;
    const store = {
      ...handle.store,
      dialect: {
        ...handle.store.dialect,
        beforeBulkWrite: async () => {
          preparedAt.push(stored);
          told.push('before');
          await handle.store.db.transaction().execute(async (trx) => {
            await sql`select 1`.execute(trx);
          });
        },
        afterBulkWrite: () => told.push('after'),
      },
    };
    const ctx = createTestContext(store, { clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    const texts = Array.from({ length: 250 }, (_, i) => LINE.replace('203.0.113.7', `198.51.100.${i}`));
    const summary = await ingestLineStream(
      ctx,
      { source: 'suricata', lines: lines(texts), format: 'json' },
      SYSTEM_ACTOR,
      IngestSettings.parse({ batchSize: 100 }),
      (s) => {
        stored = s.accepted + s.duplicates;
      },
    );
    expect(summary.accepted + summary.duplicates).toBe(250);
    // Before the two steps of 100; the last step, of 50, is small.
    expect(preparedAt).toEqual([0, 100]);
    expect(told).toEqual(['before', 'after', 'before', 'after']);
    await ingestAlerts(
      ctx,
      { source: 'suricata', items: [{ kind: 'json', value: JSON.parse(LINE) }] },
      SYSTEM_ACTOR,
    );
    expect(preparedAt).toHaveLength(2);
    expect(told).toHaveLength(4);
  });

  it('stops at a step that fails: the steps before it stay stored, none after it is, and the caller hears why', async () => {
    let transactions = 0;
    const db = new Proxy(handle.store.db, {
      get(target, key, receiver) {
        if (key !== 'transaction') return Reflect.get(target, key, receiver) as unknown;
        return () => {
          transactions += 1;
          if (transactions === 2) throw new Error('disk full');
          return target.transaction();
        };
      },
    });
    const ctx = createTestContext({ ...handle.store, db }, { clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    await expect(
      ingestLineStream(
        ctx,
        { source: 'suricata', lines: lines(eight), format: 'json' },
        SYSTEM_ACTOR,
        IngestSettings.parse({ batchSize: 2 }),
      ),
    ).rejects.toThrow('disk full');
    const rows = await handle.store.db.selectFrom('alerts').select('id').execute();
    expect(rows).toHaveLength(2);
    expect(transactions).toBe(2);
  });
});
