/**
 * Crash consistency of alert ingestion, end to end, on each store. A real `riposte serve` takes 16 clients'
 * single POSTs and an NDJSON stream at once, is killed with SIGKILL mid-load, and is started again on the same
 * store. The ingest promise is checked against what the store then holds: acknowledged only after commit (every
 * 2xx is stored, whole, with its observables and its case), nothing stored twice, a stream committed in whole
 * steps of whole lines. Then everything is sent again, as a sender that heard nothing back would, and the
 * README's retry rules are held to: a source event id already sent changes nothing and is answered as the
 * duplicate it is (also when its first delivery was counted as a repeat); an alert without one is a repeat of
 * the stored alert, counted once more.
 *
 * Last, a sender dies in the middle of a stream's array line: the steps committed before stay, whole lines,
 * nothing after them, and the sender resumes from the line after them without storing anything twice.
 *
 * The moment of the kill varies from run to run (how many single POSTs were answered, how far the stream got,
 * a few milliseconds more); what is asserted does not: every expectation is derived from what the senders
 * were told and what the store holds after the restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/app/identity/api-tokens.service.js';
import { localAdminPrincipal } from '../../src/app/identity/local-admin.js';
import { patchIngestSettings } from '../../src/app/ingest/configure-ingest.js';
import { createIngestSource, CreateSourceInput } from '../../src/app/ingest/ingest-sources.js';
import { SYSTEM_ACTOR } from '../../src/domain/shared/actor.js';
import { dropPostgresSchema } from '../../src/store/dialects/postgres.js';
import { openStore, type Store, type StoreOptions } from '../../src/store/store.js';
import { createTestContext } from '../support/api.js';
import { spawnCli } from '../support/processes.js';
import { DIALECTS, TEST_PG_URL, testSchemaName } from '../support/stores.js';

const SOURCE = 'crash';
const CLIENTS = 16;
/**
 * Ingest is rate limited per caller (RIPOSTE_INGEST_RATE_PER_SECOND): the clients share 4 tokens, so
 * that a token's requests still share transactions (group commit) and the load is not held to one token's rate.
 */
const TOKENS = 4;
/** The stream's steps: small, so that the kill lands between many commits of it. */
const BATCH_SIZE = 50;
const STREAM_LINES = 2_000;
/** Every 10th line of the stream is a JSON array of 3 alerts: a step stores it whole or not at all. */
const ARRAY_EVERY = 10;
const STREAM_CHUNK_LINES = 25;
/** A client's repeat of every 5th of its alerts: same fingerprint, its own event id. */
const REPEAT_EVERY = 5;
const MAX_UNITS_PER_CLIENT = 400;
/** At least this many single POSTs are answered before the kill, ... */
const MIN_ACKS = 100;
/** ... which comes once `killAfter` are, or this long into the load when fewer were (a busy machine). */
const LOAD_MS = 6_000;

/** One alert as a tool would send it, and what the fallback mapper makes of it. */
interface Unit {
  title: string;
  eventId: string | null;
  body: Record<string, unknown>;
  /** `type:value:role` of each observable the alert must be stored with. */
  observables: string[];
}

let unitNumber = 0;
/** A distinct alert (its own title, so its own fingerprint; its own addresses and host). */
function makeUnit(key: string, rule: string, withEventId: boolean): Unit {
  const n = (unitNumber += 1);
  const src = `198.18.${n >> 8}.${n & 255}`;
  const dst = `10.${n >> 8}.${n & 255}.7`;
  const host = `host-${key}`;
  const eventId = withEventId ? `ev-${key}` : null;
  return {
    title: `crash ${key}`,
    eventId,
    body: {
      title: `crash ${key}`,
      severity: 'high',
      rule_id: rule,
      src_ip: src,
      dest_ip: dst,
      host,
      ...(eventId ? { event_id: eventId } : {}),
    },
    observables: [`ipv4:${src}:source`, `ipv4:${dst}:destination`, `hostname:${host}:affected`].sort(),
  };
}

interface ItemAnswer {
  status: 'accepted' | 'duplicate' | 'rejected';
  alertId?: string;
  caseId?: string | null;
  reason?: string;
}
interface IngestAnswer {
  accepted: number;
  duplicates: number;
  rejected: number;
  items: ItemAnswer[];
}
interface StreamAnswer {
  accepted: number;
  duplicates: number;
  rejected: number;
}

/** One POST of one alert: the first delivery of a unit, or a repeat of it (same alert, its own event id). */
interface Delivery {
  unit: Unit;
  repeat: boolean;
  body: Record<string, unknown>;
  eventId: string | null;
  /** Set once sent (whatever became of it). */
  attempted?: boolean;
  /** The 2xx answer's only item, when the whole answer came back. */
  acked?: ItemAnswer;
  /** A status other than 2xx, with its body. */
  refused?: string;
}

type Posted = { status: number; text: string } | { error: string };

/** One alert POSTed; a 429 (refused before anything is read or stored) is sent again, as a sender would. */
async function postAlert(url: string, token: string, body: unknown): Promise<Posted> {
  for (;;) {
    try {
      const res = await fetch(`${url}/api/v1/alerts?source=${SOURCE}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await res.text();
      if (res.status !== 429) return { status: res.status, text };
    } catch (err) {
      return { error: String(err) };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Streams `lines` as one NDJSON request, `chunk` lines per write, each write waiting for `before(n)` (n: the
 * lines written so far). Resolves with the answer, or the error that ended the request.
 */
function streamNdjson(
  url: string,
  token: string,
  lines: readonly string[],
  chunk: number,
  before: (written: number) => Promise<void> = async () => undefined,
  onWritten: (written: number) => void = () => undefined,
): Promise<Posted> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: Posted): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const req = request(`${url}/api/v1/alerts/ndjson?source=${SOURCE}`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` },
    });
    req.on('error', (err) => settle({ error: String(err) }));
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => settle({ status: res.statusCode ?? 0, text }));
      res.on('error', (err) => settle({ error: String(err) }));
    });
    const closed = new Promise<void>((r) => req.once('close', r));
    void (async () => {
      for (let at = 0; at < lines.length && !settled; at += chunk) {
        await before(at);
        if (settled) return;
        const more = req.write(`${lines.slice(at, at + chunk).join('\n')}\n`);
        onWritten(Math.min(lines.length, at + chunk));
        if (!more) await Promise.race([new Promise((r) => req.once('drain', r)), closed]);
      }
      if (!settled) req.end();
    })();
  });
}

interface Server {
  url: string;
  child: ReturnType<typeof spawnCli>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

async function startServer(env: NodeJS.ProcessEnv): Promise<Server> {
  const child = spawnCli(['serve', '--port', '0'], { env: { RIPOSTE_LOG_LEVEL: 'warn', ...env } });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`riposte serve ended (${code ?? signal}) before listening: ${stderr}`)),
    );
  });
  return { url, child, exited, output: () => `${stdout}${stderr}` };
}

interface StoredAlert {
  id: string;
  title: string;
  eventId: string | null;
  count: number;
  caseId: string | null;
}

/** What the store holds of the source's alerts, and what each must come with. */
interface Snapshot {
  alerts: StoredAlert[];
  byTitle: Map<string, StoredAlert>;
  /** `alert_event_ids`: event ids of repeats, with the alert each was counted on. */
  repeatIds: Map<string, string>;
  /** Problems of alerts stored without what their transaction also wrote. */
  problems: string[];
}

async function snapshot(store: Store, units: ReadonlyMap<string, Unit>): Promise<Snapshot> {
  const rows = await store.db
    .selectFrom('alerts')
    .select(['id', 'title', 'source_event_id', 'count', 'case_id'])
    .where('source', '=', SOURCE)
    .execute();
  const alerts = rows.map((r) => ({
    id: r.id,
    title: r.title,
    eventId: r.source_event_id,
    count: Number(r.count),
    caseId: r.case_id,
  }));
  const problems: string[] = [];
  const byTitle = new Map<string, StoredAlert>();
  const byEventId = new Map<string, StoredAlert>();
  for (const a of alerts) {
    if (byTitle.has(a.title)) problems.push(`${a.title} is stored twice`);
    byTitle.set(a.title, a);
    if (a.eventId !== null) {
      if (byEventId.has(a.eventId)) problems.push(`event ${a.eventId} is stored twice`);
      byEventId.set(a.eventId, a);
    }
  }
  const links = await store.db
    .selectFrom('alert_observables')
    .innerJoin('observables', 'observables.id', 'alert_observables.observable_id')
    .select(['alert_observables.alert_id', 'observables.id', 'observables.type', 'observables.value', 'role'])
    .execute();
  const observablesOf = new Map<string, Array<{ id: string; text: string }>>();
  for (const l of links) {
    const list = observablesOf.get(l.alert_id) ?? [];
    list.push({ id: l.id, text: `${l.type}:${l.value}:${l.role}` });
    observablesOf.set(l.alert_id, list);
  }
  const cases = new Set((await store.db.selectFrom('cases').select('id').execute()).map((c) => c.id));
  const caseObservables = new Set(
    (await store.db.selectFrom('case_observables').select(['case_id', 'observable_id']).execute()).map(
      (r) => `${r.case_id}|${r.observable_id}`,
    ),
  );
  const onTimeline = new Set<string>();
  const events = await store.db
    .selectFrom('case_events')
    .select(['case_id', 'data'])
    .where('type', '=', 'alerts_added')
    .execute();
  for (const e of events) {
    const data = JSON.parse(e.data) as { alerts: Array<{ alertId: string }> };
    for (const a of data.alerts) onTimeline.add(`${e.case_id}|${a.alertId}`);
  }
  for (const a of alerts) {
    const unit = units.get(a.title);
    if (!unit) {
      problems.push(`${a.title} was never sent`);
      continue;
    }
    if (a.eventId !== unit.eventId) problems.push(`${a.title} has event id ${a.eventId}`);
    const observables = observablesOf.get(a.id) ?? [];
    const texts = observables.map((o) => o.text).sort();
    if (JSON.stringify(texts) !== JSON.stringify(unit.observables))
      problems.push(`${a.title} has observables ${JSON.stringify(texts)}`);
    if (a.caseId === null || !cases.has(a.caseId)) {
      problems.push(`${a.title} is in no stored case (${a.caseId})`);
      continue;
    }
    if (!onTimeline.has(`${a.caseId}|${a.id}`)) problems.push(`${a.title} is not on its case's timeline`);
    for (const o of observables)
      if (!caseObservables.has(`${a.caseId}|${o.id}`))
        problems.push(`${a.title}: ${o.text} is not on its case`);
  }
  const repeatIds = new Map(
    (
      await store.db
        .selectFrom('alert_event_ids')
        .select(['source_event_id', 'alert_id'])
        .where('source', '=', SOURCE)
        .execute()
    ).map((r) => [r.source_event_id, r.alert_id]),
  );
  return { alerts, byTitle, repeatIds, problems };
}

const sqliteIntegrity = (path: string): unknown => {
  const db = new Sqlite(path, { readonly: true });
  try {
    return db.pragma('integrity_check');
  } finally {
    db.close();
  }
};

/** An NDJSON stream of `count` lines of new alerts, every ARRAY_EVERY-th line an array of 3. */
interface Stream {
  lines: string[];
  /** Each line's alerts. */
  lineUnits: Unit[][];
  /** Where its steps end: after each line that brings a step to BATCH_SIZE alerts or more (and 0). */
  stepEnds: Set<number>;
  /** How many alerts lines 1 to `line` hold. */
  itemsThrough(line: number): number;
}

function makeStream(prefix: string, count: number): Stream {
  const lineUnits: Unit[][] = [];
  const lines: string[] = [];
  for (let line = 1; line <= count; line += 1) {
    const keys =
      line % ARRAY_EVERY === 0 ? ['a', 'b', 'c'].map((k) => `${prefix}${line}${k}`) : [`${prefix}${line}`];
    const list = keys.map((key, k) => makeUnit(key, `${prefix}-${line % 20}`, (line + k) % 3 !== 0));
    lineUnits.push(list);
    const bodies = list.map((u) => u.body);
    lines.push(JSON.stringify(bodies.length === 1 ? bodies[0] : bodies));
  }
  const stepEnds = new Set<number>([0, count]);
  for (let line = 1, items = 0; line <= count; line += 1) {
    items += lineUnits[line - 1]?.length ?? 0;
    if (items >= BATCH_SIZE) {
      stepEnds.add(line);
      items = 0;
    }
  }
  const itemsThrough = (line: number): number =>
    lineUnits.slice(0, line).reduce((n, list) => n + list.length, 0);
  return { lines, lineUnits, stepEnds, itemsThrough };
}

/** Lines 1 to what of the stream are stored, whole; undefined when what is stored is not such a prefix. */
function storedThrough(stream: Stream, stored: ReadonlyMap<string, unknown>): number | undefined {
  const counts = stream.lineUnits.map((list) => list.filter((u) => stored.has(u.title)).length);
  const through = counts.indexOf(0) < 0 ? counts.length : counts.indexOf(0);
  const whole = counts.slice(0, through).every((n, i) => n === stream.lineUnits[i]?.length);
  return whole && counts.slice(through).every((n) => n === 0) ? through : undefined;
}

const randomInt = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1));

describe.each(DIALECTS)('alert ingestion across a crash, on %s', (dialect) => {
  it(
    'keeps every acknowledged alert whole, stores none twice, and takes a resend as the README says',
    {
      // Two server starts and ~5,000 alerts: 10-25 s on a quiet 2-core machine, twice that on a busy one.
      timeout: 120_000,
    },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'riposte-crash-'));
      const schema = testSchemaName();
      const storeOptions: StoreOptions = {
        sqlitePath: join(dir, 'riposte.db'),
        ...(dialect === 'postgres' ? { databaseUrl: TEST_PG_URL, databaseSchema: schema } : {}),
        // This process only reads, while the server writes: no statistics refresh of its own.
        statisticsFirstRefreshMs: 3_600_000,
        statisticsRefreshMs: 3_600_000,
      };
      const env: NodeJS.ProcessEnv = {
        RIPOSTE_DATA_DIR: dir,
        ...(dialect === 'postgres' ? { DATABASE_URL: TEST_PG_URL, RIPOSTE_DATABASE_SCHEMA: schema } : {}),
      };
      let server: Server | undefined;
      let reader: Store | undefined;
      try {
        // An ingest token for the source, and steps of BATCH_SIZE alerts, set before the server starts.
        const setup = await openStore(storeOptions);
        const tokens: string[] = [];
        try {
          await setup.migrate();
          const ctx = createTestContext(setup);
          for (let t = 0; t < TOKENS; t += 1) {
            const created = await createApiToken(ctx, localAdminPrincipal(), {
              name: `crash-sender-${t}`,
              roles: ['ingest'],
              sources: [SOURCE],
            });
            tokens.push(created.token);
          }
          await patchIngestSettings(ctx, { batchSize: BATCH_SIZE }, SYSTEM_ACTOR);
          // A token bound to a source sends only for one that exists.
          await createIngestSource(ctx, CreateSourceInput.parse({ name: SOURCE }), SYSTEM_ACTOR, () => {
            throw new Error('no secret is sealed for a token');
          });
        } finally {
          await setup.close();
        }

        // What will be sent: each client's alerts (a third without an event id), and the stream's lines.
        const units = new Map<string, Unit>();
        const remember = (u: Unit): Unit => {
          units.set(u.title, u);
          return u;
        };
        const clientUnits = Array.from({ length: CLIENTS }, (_, c) =>
          Array.from({ length: MAX_UNITS_PER_CLIENT }, (_, i) =>
            remember(makeUnit(`s${c}-${i}`, `r-${c % 4}-${i % 6}`, i % 3 !== 0)),
          ),
        );
        const phaseOne = makeStream('n', STREAM_LINES);
        const { lines, lineUnits, stepEnds, itemsThrough } = phaseOne;
        const streamItems = itemsThrough(STREAM_LINES);
        for (const u of lineUnits.flat()) remember(u);
        // Phase 1: load, and a kill once `killAfter` single POSTs were answered (or, on a machine too busy for
        // that, once MIN_ACKS were and LOAD_MS passed), the stream paced to be part-way through by then.
        server = await startServer(env);
        const first = server;
        const killAfter = randomInt(150, 400);
        // The stream would end after `killAfter * finishRatio` answers: killed at 25-80% of it.
        const finishRatio = 1.25 + Math.random() * 2.75;
        // Half the runs kill at once on the answer that reached the count (what an answer sent before its
        // commit would not survive), the others a few milliseconds later (wherever the commits then are).
        const extraDelayMs = Math.random() < 0.5 ? 0 : randomInt(1, 15);
        const loadStarted = Date.now();
        const moment = `killed after ${killAfter} answers +${extraDelayMs} ms, stream paced to end at ${finishRatio.toFixed(2)}x`;
        let acks = 0;
        let killed = false;
        const ackWaiters: Array<{ at: number; go: () => void }> = [];
        const kill = (): void => {
          if (killed) return;
          killed = true;
          if (extraDelayMs === 0) first.child.kill('SIGKILL');
          else setTimeout(() => first.child.kill('SIGKILL'), extraDelayMs);
        };
        const acked = (): void => {
          acks += 1;
          for (const w of ackWaiters.splice(0)) {
            if (acks >= w.at) w.go();
            else ackWaiters.push(w);
          }
          if (acks >= killAfter || (acks >= MIN_ACKS && Date.now() - loadStarted >= LOAD_MS)) kill();
        };
        const watchdog = setTimeout(kill, 3 * LOAD_MS);
        void first.exited.then(() => {
          for (const w of ackWaiters.splice(0)) w.go();
        });

        const deliveries: Delivery[][] = clientUnits.map(() => []);
        const runClient = async (c: number): Promise<void> => {
          for (const [i, unit] of (clientUnits[c] ?? []).entries()) {
            const plan: Delivery[] = [{ unit, repeat: false, body: unit.body, eventId: unit.eventId }];
            if (i % REPEAT_EVERY === REPEAT_EVERY - 1) {
              const eventId = `ev-s${c}-${i}-again`;
              plan.push({ unit, repeat: true, body: { ...unit.body, event_id: eventId }, eventId });
            }
            for (const d of plan) {
              deliveries[c]?.push(d);
              d.attempted = true;
              const posted = await postAlert(first.url, tokens[c % TOKENS] ?? '', d.body);
              if ('error' in posted) return;
              if (posted.status < 200 || posted.status > 299) {
                d.refused = `${posted.status} ${posted.text}`;
                return;
              }
              const answer = JSON.parse(posted.text) as IngestAnswer;
              d.acked = answer.items[0];
              acked();
            }
          }
        };
        let streamWritten = 0;
        const perChunk = (killAfter * finishRatio * STREAM_CHUNK_LINES) / STREAM_LINES;
        const stream = streamNdjson(
          first.url,
          tokens[0] ?? '',
          lines,
          STREAM_CHUNK_LINES,
          (at) =>
            new Promise<void>((go) => {
              const need = Math.floor((at / STREAM_CHUNK_LINES) * perChunk);
              if (acks >= need || first.child.exitCode !== null) go();
              else ackWaiters.push({ at: need, go });
            }),
          (n) => (streamWritten = n),
        );
        const [streamOutcome] = await Promise.all([
          stream,
          ...Array.from({ length: CLIENTS }, (_, c) => runClient(c)),
        ]);
        clearTimeout(watchdog);
        kill();
        expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
        const sent = deliveries.flat();
        const attempted = sent.filter((d) => d.attempted);
        expect(sent.filter((d) => d.refused).map((d) => d.refused)).toEqual([]);
        const ackedCount = sent.filter((d) => d.acked).length;
        expect(ackedCount, `${moment}: too few answers before the kill`).toBeGreaterThanOrEqual(MIN_ACKS);
        // Killed mid-load: some POSTs were in flight, unanswered.
        expect(attempted.length, moment).toBeGreaterThan(ackedCount);
        const streamAnswered = 'status' in streamOutcome ? streamOutcome : undefined;
        if (streamAnswered) expect(streamAnswered.status, streamAnswered.text).toBe(200);
        // Phase 2: the same store, started again.
        server = await startServer(env);
        const second = server;
        expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
        if (dialect === 'sqlite')
          expect(sqliteIntegrity(storeOptions.sqlitePath)).toEqual([{ integrity_check: 'ok' }]);
        reader = await openStore(storeOptions);
        const after = await snapshot(reader, units);
        expect(after.problems, moment).toEqual([]);

        // Every acknowledged alert is stored, by id and by event id, in the case it was answered with; every
        // acknowledged repeat is counted on the alert it was answered with, its event id remembered.
        const lost: string[] = [];
        for (const d of attempted) {
          if (!d.acked) continue;
          const stored = after.byTitle.get(d.unit.title);
          if (!d.repeat) {
            expect(d.acked, d.unit.title).toMatchObject({ status: 'accepted' });
            if (
              !stored ||
              stored.id !== d.acked.alertId ||
              stored.eventId !== d.eventId ||
              stored.caseId !== d.acked.caseId
            )
              lost.push(`${d.unit.title} (answered ${JSON.stringify(d.acked)}): ${JSON.stringify(stored)}`);
          } else {
            expect(d.acked, d.unit.title).toMatchObject({ status: 'duplicate', reason: 'fingerprint' });
            if (
              !stored ||
              d.acked.alertId !== stored.id ||
              after.repeatIds.get(d.eventId ?? '') !== stored.id
            )
              lost.push(
                `repeat ${d.eventId} (answered ${JSON.stringify(d.acked)}) is not counted on its alert`,
              );
          }
        }
        expect(lost, moment).toEqual([]);
        // Every repeat stored was sent (after its alert was answered), and counted once on that alert.
        const repeatsSent = new Map(attempted.filter((d) => d.repeat).map((d) => [d.eventId ?? '', d]));
        for (const [eventId, alertId] of after.repeatIds) {
          const d = repeatsSent.get(eventId);
          expect(d, eventId).toBeDefined();
          expect(after.byTitle.get(d?.unit.title ?? '')?.id).toBe(alertId);
        }
        const repeatsOn = new Map<string, number>();
        for (const alertId of after.repeatIds.values())
          repeatsOn.set(alertId, (repeatsOn.get(alertId) ?? 0) + 1);
        const miscounted = after.alerts
          .filter((a) => a.count !== 1 + (repeatsOn.get(a.id) ?? 0))
          .map((a) => `${a.title}: ${a.count}`);
        expect(miscounted).toEqual([]);
        // Of the stream, whole steps of whole lines: lines 1 to `through`, at a step's end, and nothing after.
        const through = storedThrough(phaseOne, after.byTitle) ?? -1;
        expect(
          through,
          `${moment}: the stream's stored lines are not lines 1 to n, whole`,
        ).toBeGreaterThanOrEqual(0);
        expect(stepEnds.has(through), `${moment}: lines 1-${through} end no step`).toBe(true);
        expect(through).toBeLessThanOrEqual(streamWritten);
        if (streamAnswered) {
          // Answered 2xx before the kill: every line committed, as the answer said.
          expect(through).toBe(STREAM_LINES);
          expect(JSON.parse(streamAnswered.text)).toMatchObject({ accepted: streamItems, duplicates: 0 });
        }
        // Phase 3: everything sent again, as senders that heard nothing back would (each client its own in
        // order, the stream whole: without an answer the sender cannot know from which line to resume).
        const expected = new Map<Delivery, ItemAnswer>();
        for (const d of attempted) {
          const stored = after.byTitle.get(d.unit.title);
          if (d.repeat) {
            // Its alert is stored: the repeat was sent only once that alert was answered.
            const remembered = after.repeatIds.has(d.eventId ?? '');
            expect(stored).toBeDefined();
            expected.set(d, {
              status: 'duplicate',
              alertId: stored?.id ?? '',
              reason: remembered ? 'source_event_id' : 'fingerprint',
            });
          } else if (stored) {
            expected.set(d, {
              status: 'duplicate',
              alertId: stored.id,
              reason: d.eventId ? 'source_event_id' : 'fingerprint',
            });
          } else expected.set(d, { status: 'accepted' });
        }
        const resent = new Map<Delivery, ItemAnswer | string>();
        // Half the clients send again one alert a request, the other half all of theirs in one JSON array.
        const resendClient = async (c: number): Promise<void> => {
          const list = deliveries[c] ?? [];
          const token = tokens[c % TOKENS] ?? '';
          const bodies = c % 2 === 0 ? list.map((d) => [d]) : [list];
          for (const group of bodies) {
            if (group.length === 0) continue;
            const body = group.length === 1 ? group[0]?.body : group.map((d) => d.body);
            const posted = await postAlert(second.url, token, body);
            group.forEach((d, i) => {
              if ('error' in posted || posted.status !== 200)
                resent.set(d, 'error' in posted ? posted.error : `${posted.status} ${posted.text}`);
              else resent.set(d, (JSON.parse(posted.text) as IngestAnswer).items[i] ?? 'no item');
            });
          }
        };
        const [streamAgain] = await Promise.all([
          streamNdjson(second.url, tokens[0] ?? '', lines, 500),
          ...Array.from({ length: CLIENTS }, (_, c) => resendClient(c)),
        ]);
        const answeredOtherwise = attempted
          .filter((d) => {
            const got = resent.get(d);
            const want = expected.get(d);
            return (
              typeof got !== 'object' ||
              got.status !== want?.status ||
              (want.alertId !== undefined && got.alertId !== want.alertId) ||
              (want.reason !== undefined && got.reason !== want.reason)
            );
          })
          .map(
            (d) =>
              `${d.repeat ? 'repeat ' : ''}${d.unit.title} ${d.acked ? 'acked' : 'unanswered'}: ` +
              `expected ${JSON.stringify(expected.get(d))}, got ${JSON.stringify(resent.get(d))}`,
          );
        expect(answeredOtherwise, moment).toEqual([]);
        // The stream again: the lines committed before the kill are duplicates, the others accepted.
        expect('status' in streamAgain && streamAgain.status, JSON.stringify(streamAgain)).toBe(200);
        const committedItems = itemsThrough(through);
        expect(JSON.parse('text' in streamAgain ? streamAgain.text : '{}') as StreamAnswer).toMatchObject({
          accepted: streamItems - committedItems,
          duplicates: committedItems,
          rejected: 0,
        });
        // Each alert stored once, whole; a resent event id counted nothing, a resent alert without one was
        // counted once more on the alert it repeats.
        const final = await snapshot(reader, units);
        expect(final.problems, moment).toEqual([]);
        const firstUnits = new Set(attempted.filter((d) => !d.repeat).map((d) => d.unit));
        expect(final.alerts).toHaveLength(firstUnits.size + streamItems);
        const repeatsPerUnit = new Map<Unit, number>();
        for (const d of attempted)
          if (d.repeat) repeatsPerUnit.set(d.unit, (repeatsPerUnit.get(d.unit) ?? 0) + 1);
        const wrongCounts: string[] = [];
        const expectCount = (u: Unit, count: number, why: string): void => {
          const stored = final.byTitle.get(u.title);
          const before = after.byTitle.get(u.title);
          if (!stored) wrongCounts.push(`${u.title} is not stored (${why})`);
          else if (stored.count !== count)
            wrongCounts.push(`${u.title}: count ${stored.count}, not ${count} (${why})`);
          else if (before && before.id !== stored.id) wrongCounts.push(`${u.title} changed id`);
        };
        for (const u of firstUnits) {
          const storedBefore = after.byTitle.has(u.title);
          const againCounted = storedBefore && u.eventId === null ? 1 : 0;
          expectCount(
            u,
            1 + (repeatsPerUnit.get(u) ?? 0) + againCounted,
            `${u.eventId ? 'event id' : 'no event id'}, ${storedBefore ? 'stored' : 'not stored'} before the resend`,
          );
        }
        lineUnits.forEach((list, i) => {
          for (const u of list)
            expectCount(u, i < through && u.eventId === null ? 2 : 1, `stream line ${i + 1} of ${through}`);
        });
        expect(wrongCounts, moment).toEqual([]);
        for (const d of attempted)
          if (d.repeat)
            expect(final.repeatIds.get(d.eventId ?? '')).toBe(final.byTitle.get(d.unit.title)?.id);

        // Phase 4: a sender that dies mid-stream, in the middle of an array line, once the server committed
        // the steps before it. What those steps stored stays, whole lines; the rest of the stream's lines,
        // pending in the step being gathered, and the half line, are not stored. The sender resumes at the
        // line after the last committed step (what a `committed` report names) and all is stored once.
        const dying = makeStream('m', 400);
        for (const u of dying.lineUnits.flat()) remember(u);
        // Cut inside line `cutAt + 1`, an array line.
        const cutAt = ARRAY_EVERY * randomInt(12, 35) - 1;
        const committedBefore = Math.max(...[...dying.stepEnds].filter((end) => end <= cutAt));
        const readerDb = reader.db;
        const storedOf = async (): Promise<number> =>
          Number(
            (
              await readerDb
                .selectFrom('alerts')
                .select((eb) => eb.fn.countAll().as('n'))
                .where('source', '=', SOURCE)
                .where('title', 'like', 'crash m%')
                .executeTakeFirstOrThrow()
            ).n,
          );
        let heldBack = false;
        const died = await new Promise<string>((resolve) => {
          const req = request(`${second.url}/api/v1/alerts/ndjson?source=${SOURCE}`, {
            method: 'POST',
            agent: false,
            headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${tokens[1] ?? ''}` },
          });
          req.on('error', (err) => resolve(String(err)));
          req.on('response', (res) => resolve(`answered ${res.statusCode}`));
          const cutLine = dying.lines[cutAt] ?? '';
          req.write(`${dying.lines.slice(0, cutAt).join('\n')}\n${cutLine.slice(0, cutLine.length / 2)}`);
          void (async () => {
            const until = Date.now() + 20_000;
            while ((await storedOf()) < dying.itemsThrough(committedBefore))
              if (Date.now() < until) await new Promise((r) => setTimeout(r, 50));
              else {
                heldBack = true;
                break;
              }
            req.destroy();
          })();
        });
        expect(died).not.toMatch(/^answered/);
        // With the default `ingestMapThreads: 0`: each step commits once its lines are read.
        expect(heldBack, `lines 1-${committedBefore} were sent but not committed in 20 s`).toBe(false);
        // Settled: the count holds still.
        for (let last = -1, now = await storedOf(); now !== last; last = now, now = await storedOf())
          await new Promise((r) => setTimeout(r, 300));
        const afterDeath = await snapshot(reader, units);
        expect(afterDeath.problems).toEqual([]);
        expect(storedThrough(dying, afterDeath.byTitle), `cut in line ${cutAt + 1}`).toBe(committedBefore);
        const resumed = await streamNdjson(
          second.url,
          tokens[1] ?? '',
          dying.lines.slice(committedBefore),
          500,
        );
        expect('status' in resumed && resumed.status, JSON.stringify(resumed)).toBe(200);
        expect(JSON.parse('text' in resumed ? resumed.text : '{}') as StreamAnswer).toMatchObject({
          accepted: dying.itemsThrough(400) - dying.itemsThrough(committedBefore),
          duplicates: 0,
          rejected: 0,
        });
        const resumedAll = await snapshot(reader, units);
        expect(resumedAll.problems).toEqual([]);
        expect(storedThrough(dying, resumedAll.byTitle)).toBe(400);
        expect(dying.lineUnits.flat().filter((u) => resumedAll.byTitle.get(u.title)?.count !== 1)).toEqual(
          [],
        );
        await reader.close();
        reader = undefined;
        second.child.kill('SIGTERM');
        expect(await second.exited, second.output()).toMatchObject({ code: 0 });
        server = undefined;
        if (dialect === 'sqlite')
          expect(sqliteIntegrity(storeOptions.sqlitePath)).toEqual([{ integrity_check: 'ok' }]);
      } finally {
        await reader?.close();
        if (server && server.child.exitCode === null && server.child.signalCode === null) {
          server.child.kill('SIGKILL');
          await server.exited;
        }
        rmSync(dir, { recursive: true, force: true });
        if (dialect === 'postgres') await dropPostgresSchema(TEST_PG_URL, schema);
      }
    },
  );
});
