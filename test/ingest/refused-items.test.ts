import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toProblem } from '../../src/api/errors.js';
import { IngestInterrupted, ingestAlerts, type IngestItem } from '../../src/app/ingest/ingest-alerts.js';
import { IngestSettings } from '../../src/app/ingest/ingest-settings.js';
import { patchIngestSettings } from '../../src/app/ingest/configure-ingest.js';
import { ingestLineStream, StreamInterrupted } from '../../src/app/ingest/ingest-stream.js';
import { ingestDocument } from '../../src/cli/commands/ingest-document.js';
import { readDocument } from '../../src/cli/commands/ingest-input.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { createTestContext, ManualClock } from '../support/api.js';
import { failAlertInserts } from '../support/failing-inserts.js';
import { DIALECTS, openTestStore, type TestStoreHandle } from '../support/stores.js';

const T0 = Date.UTC(2026, 0, 1);

const alert = (n: number, extra: Record<string, unknown> = {}): IngestItem => ({
  kind: 'json',
  line: n,
  value: { title: `Alert ${n}`, severity: 'high', src_ip: `45.33.1.${n}`, rule_id: `R-${n}`, ...extra },
});

describe.each(DIALECTS)('an item the store cannot hold, on %s', (dialect) => {
  let handle: TestStoreHandle;
  let ctx: ReturnType<typeof createTestContext>;
  beforeEach(async () => {
    handle = await openTestStore(dialect);
    ctx = createTestContext(handle.store, { clock: new ManualClock(T0) });
  });
  afterEach(async () => {
    await handle.cleanup();
  });

  const storedTitles = async () =>
    (await handle.store.db.selectFrom('alerts').select('title').orderBy('title').execute()).map(
      (r) => r.title,
    );

  it('stores alerts whose rule id or observables are longer than an index row can hold', async () => {
    // PostgreSQL refuses an index row over ~2,700 bytes: before, each of these failed the whole batch (500).
    const res = await ingestAlerts(
      ctx,
      {
        source: 'edr',
        items: [
          alert(1),
          alert(2, { rule_id: 'R'.repeat(3_000) }),
          alert(3, { user: '漢'.repeat(2_000) }),
          alert(4, { url: `https://example.com/${'é'.repeat(1_500)}` }),
        ],
      },
      SYSTEM_ACTOR,
    );
    expect(res).toMatchObject({ accepted: 4, rejected: 0 });
    expect(await storedTitles()).toEqual(['Alert 1', 'Alert 2', 'Alert 3', 'Alert 4']);
    const rules = await handle.store.db.selectFrom('alerts').select('rule_id').execute();
    for (const r of rules) expect((r.rule_id ?? '').length).toBeLessThanOrEqual(256);
    // The 6 KB user name is no observable; the addresses are.
    const values = await handle.store.db.selectFrom('observables').select('value').execute();
    expect(values.some((v) => v.value.startsWith('漢'))).toBe(false);
    expect(values.filter((v) => v.value.startsWith('45.33.1.'))).toHaveLength(4);
  });

  it('stores alerts whose ids and observables differ only by unpaired surrogates, as one value each', async () => {
    // The PostgreSQL driver writes U+FFFD for an unpaired surrogate: these met in the store as one event
    // id (a unique violation) and one user (ON CONFLICT ... a second time), failing the step on every retry.
    const odd = (n: number, tail: string) => alert(n, { id: `ev${tail}`, user: `bob${tail}` });
    for (const items of [
      [odd(1, '\ud800'), odd(2, '\udc00')],
      [odd(3, '\udbff')],
      [alert(4, { id: 'ev\ud83d\ude00' })],
    ]) {
      const res = await ingestAlerts(ctx, { source: 'edr', items }, SYSTEM_ACTOR);
      expect(res.rejected).toBe(0);
    }
    const rows = await handle.store.db
      .selectFrom('alerts')
      .select(['title', 'source_event_id', 'count'])
      .orderBy('title')
      .execute();
    // The three odd ids are one id, ev\ufffd: the later two are retries of the first. A real pair is kept.
    expect(rows).toEqual([
      { title: 'Alert 1', source_event_id: 'ev\ufffd', count: 1 },
      { title: 'Alert 4', source_event_id: 'ev\ud83d\ude00', count: 1 },
    ]);
    const users = await handle.store.db
      .selectFrom('observables')
      .select('value')
      .where('type', '=', 'user')
      .execute();
    expect(users.map((u) => u.value)).toEqual(['bob\ufffd']);
  });

  it.runIf(dialect === 'postgres')(
    'rejects only the item the store refuses, and stores the others of its step',
    async () => {
      // A refusal made for the test: PostgreSQL raises a data exception (22023) for this one alert, as it
      // does for text it cannot store.
      await failAlertInserts(handle.store, { refused: ['Alert 5'] });
      const items = Array.from({ length: 9 }, (_, i) => alert(i + 1));
      const res = await ingestAlerts(ctx, { source: 'edr', items }, SYSTEM_ACTOR);
      expect(res).toMatchObject({ accepted: 8, rejected: 1 });
      expect(res.items[4]).toMatchObject({ index: 4, line: 5, status: 'rejected' });
      expect(res.items[4]?.status === 'rejected' && res.items[4].reason).toMatch(/store refused it.*refused/);
      expect(res.items.filter((o) => o.status === 'accepted').map((o) => o.line)).toEqual([
        1, 2, 3, 4, 6, 7, 8, 9,
      ]);
      expect(await storedTitles()).toHaveLength(8);
    },
  );

  it('says which items were stored when a later step of the call fails', async () => {
    // One alert per step, and the store fails the second (not for its data: a broken trigger).
    await failAlertInserts(handle.store, { broken: ['Alert 2'] });
    const failed = await ingestAlerts(
      ctx,
      { source: 'edr', items: [alert(1), alert(2), alert(3)] },
      SYSTEM_ACTOR,
      IngestSettings.parse({ batchSize: 1 }),
    ).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed).toBeInstanceOf(IngestInterrupted);
    expect(failed).toMatchObject({ notStoredFrom: 1, stored: { accepted: 1 } });
    expect(await storedTitles()).toEqual(['Alert 1']);
    // Over HTTP: the status of what failed, and what was committed, so the sender resends from item 1.
    const { status, body } = toProblem(failed);
    expect(status).toBe(500);
    expect(body).toMatchObject({ committed: { accepted: 1, duplicates: 0, rejected: 0, throughIndex: 0 } });
    expect(body.message).toMatch(/^items 0-0 were committed \(1 accepted/);
  });

  const failing = (titles: { refused?: string[]; broken?: string[] }) =>
    failAlertInserts(handle.store, titles);
  const failure = (run: Promise<unknown>) =>
    run.then(
      () => undefined,
      (err: unknown) => err,
    );

  it.runIf(dialect === 'postgres')(
    'counts what the halves of a refused step stored when a later item of it breaks',
    async () => {
      // Steps of 4: the second step is halved around alert 7 (refused), and alert 8 then breaks.
      await failing({ refused: ['Alert 7'], broken: ['Alert 8'] });
      const items = Array.from({ length: 8 }, (_, i) => alert(i + 1));
      const err = await failure(
        ingestAlerts(ctx, { source: 'edr', items }, SYSTEM_ACTOR, IngestSettings.parse({ batchSize: 4 })),
      );
      expect(err).toBeInstanceOf(IngestInterrupted);
      // Alerts 1-6 stored, 7 refused: a sender resends from index 7, not 4.
      expect(err).toMatchObject({ notStoredFrom: 7, stored: { accepted: 6, rejected: 1 } });
      expect(await storedTitles()).toHaveLength(6);
    },
  );

  it.runIf(dialect === 'postgres')(
    'says through which line a JSON document was stored when a piece of its failing step had committed',
    async () => {
      // `riposte ingest` of a pretty-printed array, steps of 4: the second is halved around alert 7
      // (refused), then alert 8 breaks. Alerts 1-6 are stored and 7 rejected; the summary must say so,
      // through alert 7's last line.
      await failing({ refused: ['Alert 7'], broken: ['Alert 8'] });
      await patchIngestSettings(ctx, { batchSize: 4 }, SYSTEM_ACTOR);
      const values = Array.from({ length: 8 }, (_, i) => alert(i + 1)).map((a) =>
        a.kind === 'json' ? a.value : 0,
      );
      const text = JSON.stringify(values, null, 2);
      const lines = text.split('\n');
      const endOf = (n: number) =>
        lines.findIndex(
          (l, i) => i > lines.findIndex((x) => x.includes(`"Alert ${n}"`)) && l.startsWith('  }'),
        ) + 1;
      async function* chunks(): AsyncIterable<Buffer> {
        yield Buffer.from(text);
      }
      const progress: number[] = [];
      const err = await failure(
        ingestDocument(ctx, { source: 'edr', records: readDocument(chunks()) }, SYSTEM_ACTOR, (_s, line) =>
          progress.push(line),
        ),
      );
      expect(progress).toEqual([endOf(4)]);
      expect(err).toBeInstanceOf(StreamInterrupted);
      expect(err).toMatchObject({ throughLine: endOf(7), committed: { accepted: 6, rejected: 1 } });
      const { rejections } = (err as StreamInterrupted).committed;
      expect(rejections).toHaveLength(1);
      expect(rejections[0]?.reason).toMatch(/^item 6: the store refused it/);
      expect(await storedTitles()).toHaveLength(6);
    },
  );

  it.runIf(dialect === 'postgres')(
    'fails a step whose every item the store refuses alone, rather than answering each as refused',
    async () => {
      // A refusal no item causes (here: every alert) is the step's failure, not 4 bad alerts.
      await failing({ refused: ['Alert 1', 'Alert 2', 'Alert 3', 'Alert 4'] });
      const err = await failure(
        ingestAlerts(ctx, { source: 'edr', items: [1, 2, 3, 4].map((n) => alert(n)) }, SYSTEM_ACTOR),
      );
      expect(err).toMatchObject({ code: '22023' });
      expect(await storedTitles()).toEqual([]);
    },
  );

  it.runIf(dialect === 'postgres')(
    'leaves out of what it stored the items rejected past the break',
    async () => {
      await failing({ broken: ['Alert 2'] });
      const items = [alert(1), alert(2), { kind: 'invalid' as const, reason: 'bad', line: 3 }, alert(4)];
      const err = await failure(
        ingestAlerts(ctx, { source: 'edr', items }, SYSTEM_ACTOR, IngestSettings.parse({ batchSize: 1 })),
      );
      expect(err).toMatchObject({ notStoredFrom: 1, stored: { accepted: 1, rejected: 0 } });
      expect((err as IngestInterrupted).stored.items.map((i) => i.index)).toEqual([0]);
    },
  );

  it.runIf(dialect === 'postgres')(
    'never stores part of an array line, so a broken stream names only whole lines',
    async () => {
      await failing({ broken: ['Alert 5'] });
      const text = (n: number) =>
        JSON.stringify({ title: `Alert ${n}`, severity: 'high', rule_id: `R-${n}` });
      async function* lines(): AsyncIterable<{ line: number; text: string }> {
        yield { line: 1, text: text(1) };
        yield { line: 2, text: text(2) };
        yield { line: 3, text: `[${text(3)}, ${text(4)}, ${text(5)}]` };
      }
      const err = await failure(
        ingestLineStream(
          ctx,
          { source: 'edr', lines: lines(), format: 'auto' },
          SYSTEM_ACTOR,
          IngestSettings.parse({ batchSize: 2 }),
        ),
      );
      expect(err).toBeInstanceOf(StreamInterrupted);
      expect(err).toMatchObject({ throughLine: 2, committed: { accepted: 2 } });
      expect(await storedTitles()).toEqual(['Alert 1', 'Alert 2']);
    },
  );
});
