import { fork } from 'node:child_process';
import net from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { alertsRoutes } from '../src/api/alerts/alerts.routes.js';
import { ingestLineStream } from '../src/app/ingest/ingest-stream.js';
import { createMapWorkerPool, type MapWorkerPool } from '../src/app/ingest/map-worker-pool.js';
import { startSyslogListeners } from '../src/app/ingest/start-syslog-listeners.js';
import { loadConfig } from '../src/config/config.js';
import { SYSTEM_ACTOR } from '../src/domain/shared/actor.js';
import type { Store } from '../src/store/store.js';
import { asRole, buildTestApi, createTestContext } from '../test/support/api.js';
import { ingestSteps } from './ingest-steps.js';
import { singleAlertPoster } from './single-alert-poster.js';
import { suricataAlertLine, suricataLines } from './suricata-lines.js';
import {
  closedLoop,
  perSecond,
  percentiles,
  threadCpuUs,
  timed,
  type Benchmark,
  type Figure,
} from './harness.js';

/**
 * CPU time (user + system) this process spent in `fn`, in ms: a figure the other tenants of a shared machine
 * barely move. And the page faults it took: memory handed back to the kernel and touched again costs one
 * each (malloc's trim threshold, see src/cli/main.ts); the kernel paging cold memory out on its own adds
 * some (see the README).
 */
async function cpuTimed<T>(
  fn: () => Promise<T>,
): Promise<{ ms: number; cpuMs: number; pageFaults: number; result: T }> {
  const before = process.cpuUsage();
  const faultsBefore = process.resourceUsage().minorPageFault;
  const { ms, result } = await timed(fn);
  const cpu = process.cpuUsage(before);
  const pageFaults = process.resourceUsage().minorPageFault - faultsBefore;
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, pageFaults, result };
}

const NDJSON_WARM_REQUESTS = 10;

/**
 * Lines of one NDJSON measurement: family `f` sends rules from 2,000,000·f, sources in 45.(33+2f)/16 and
 * destinations in 10.(2f)/16, and warms up with rules and destinations of its own next to them, so a
 * measurement's alerts repeat none stored before it (a retry or repeat is a cheap duplicate) and, sharing no
 * rule or address with an open case, open their own cases.
 */
const ndjsonLines = (run: string, family: number) => {
  const sourceNet = 33 + 2 * family;
  return {
    measured: { run, ruleOffset: 2_000_000 * family, destinationNet: 2 * family, sourceNet },
    warm: {
      run: `${run}-warm`,
      ruleOffset: 2_000_000 * family + 1_000_000,
      destinationNet: 2 * family + 1,
      sourceNet,
    },
  };
};

/**
 * NDJSON through the HTTP route, warm, in requests of `perRequest` lines; each request's answer is its ack.
 * `into` names the store's state in the figures' names when it is not the bench's nearly empty one.
 */
async function ndjson(
  store: Store,
  count: number,
  lines: ReturnType<typeof ndjsonLines>,
  mapWorkers: MapWorkerPool | undefined,
  into = '',
): Promise<Figure[]> {
  const api = await buildTestApi(store, [{ name: 'alerts', plugin: alertsRoutes }], {
    ...(mapWorkers ? { mapWorkers } : {}),
  });
  const headers = { ...asRole('ingest'), 'content-type': 'application/x-ndjson' };
  const perRequest = Math.min(1_000, Math.ceil(count / 10));
  const bodies: string[] = [];
  for (let start = 0; start < count; start += perRequest) {
    const end = Math.min(count, start + perRequest);
    bodies.push(
      Array.from({ length: end - start }, (_, k) => suricataAlertLine(start + k, lines.measured)).join('\n'),
    );
  }
  // A running server is warm: compiled code, prepared statements, planner statistics. Requests of another
  // rule family and other addresses first (`lines.warm`, from line 40,000 on), so the measured alerts share
  // nothing with them and still open their own cases. Ten of them: V8 was still optimising the
  // ingest code through the first ~10,000 alerts, and after only two the measured requests paid for it (V8's
  // helper threads took 29 µs of CPU per alert instead of 13, and alerts/s were 6–8% lower, 3 pairs).
  for (let w = 0; w < NDJSON_WARM_REQUESTS; w += 1) {
    const payload = Array.from({ length: perRequest }, (_, k) =>
      suricataAlertLine(40_000 + w * perRequest + k, lines.warm),
    ).join('\n');
    await api.app.inject({ method: 'POST', url: '/api/v1/alerts/ndjson?source=bench', payload, headers });
  }
  const latencies: number[] = [];
  let stored = 0;
  let cases = 0;
  const { ms, cpuMs, pageFaults } = await cpuTimed(async () => {
    for (const payload of bodies) {
      const { ms: one, result } = await timed(() =>
        api.app.inject({ method: 'POST', url: '/api/v1/alerts/ndjson?source=bench', payload, headers }),
      );
      const answer = result.json() as { accepted: number; duplicates: number; casesCreated: number };
      stored += answer.accepted + answer.duplicates;
      cases += answer.casesCreated;
      latencies.push(one);
    }
  });
  await api.app.close();
  const p = percentiles(latencies);
  const where = into ? ` ${into}` : '';
  return [
    {
      name: `ndjson alerts/s${where} (dedup + correlation on)`,
      value: perSecond(stored, ms),
      unit: 'alerts/s',
    },
    {
      name: `ndjson alerts per CPU-second of this process${where}`,
      value: perSecond(stored, cpuMs),
      unit: 'alerts/s',
    },
    {
      name: `ndjson page faults per alert${where}`,
      value: round2(pageFaults / Math.max(1, stored)),
      unit: 'faults',
    },
    { name: `ndjson ack p50${where} (${perRequest} lines a request)`, value: round2(p.p50), unit: 'ms' },
    { name: `ndjson ack p99${where} (${perRequest} lines a request)`, value: round2(p.p99), unit: 'ms' },
    { name: `ndjson cases opened${where}`, value: cases, unit: 'cases' },
  ];
}

/** Alerts the store holds when the bench measures NDJSON again, as a store some weeks old does. */
const STORED_AT_SCALE = 200_000;

/**
 * NDJSON into a store already holding STORED_AT_SCALE alerts. Every ingest step inserts into indexes keyed
 * by hashes and observables (the fingerprint's, the observable links'), and the larger they are, the more of
 * their pages a step's alerts land on: at 200,000 alerts a 1,000-alert step wrote 3.2 WAL pages per alert
 * against 1.7 at 20,000, and cost 30–40% more CPU per alert. The first NDJSON figure is the nearly empty
 * store's.
 */
async function ndjsonAtScale(
  store: Store,
  count: number,
  run: string,
  mapWorkers: MapWorkerPool | undefined,
): Promise<Figure[]> {
  const ctx = createTestContext(store, { ...(mapWorkers ? { mapWorkers } : {}) });
  const { stored } = await store.db
    .selectFrom('alerts')
    .select((eb) => eb.fn.countAll<number>().as('stored'))
    .executeTakeFirstOrThrow();
  const missing = STORED_AT_SCALE - Number(stored);
  // Filled through the same ingest path, in the default steps, with a line family of its own (2), so the
  // measured alerts (family 1) still open their own cases, as on the nearly empty store.
  if (missing > 0)
    await ingestLineStream(
      ctx,
      {
        source: 'bench-fill',
        lines: suricataLines(0, missing, ndjsonLines(`${run}-fill`, 2).measured),
        format: 'json',
      },
      SYSTEM_ACTOR,
    );
  // A server that has been running has refreshed its statistics since (every 5 s).
  await store.refreshStatistics();
  return ndjson(
    store,
    count,
    ndjsonLines(`${run}-scale`, 1),
    mapWorkers,
    `into ${STORED_AT_SCALE.toLocaleString('en')} stored alerts`,
  );
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

const alertsPerStep = (name: string, alerts: number, steps: number): Figure => ({
  name,
  value: round2(alerts / Math.max(1, steps)),
  unit: 'alerts',
});

/**
 * Single POSTs through Fastify's inject, in this process. Their tail is partly the in-process client's: inject's
 * request and response objects outlive young-generation collections (13.6 KB a request survived one, most of
 * it light-my-request's and Node's response objects, against 2.2 KB over sockets), and its scavenges took
 * 7–9 ms on average, against 1.4–5 ms for the same server over sockets in the same hour. The HTTP figures are
 * the server's.
 */
async function singlePosts(store: Store, count: number, run: string): Promise<Figure[]> {
  const api = await buildTestApi(store, [{ name: 'alerts', plugin: alertsRoutes }]);
  const { post, warm } = singleAlertPoster(api.app, { run });
  // A running server is warm. Cold, the first rounds of 16 took 30–35 ms while the route's code was compiled,
  // and with 16 requests a round, two such rounds were the whole p99 of 2,000 requests.
  await warm(2_000_000, 1_000);
  const stepsBefore = await ingestSteps(store, 'posts');
  const {
    ms,
    cpuMs,
    result: latencies,
  } = await cpuTimed(() => closedLoop(count, 16, (i) => post(1_000_000 + i)));
  const steps = (await ingestSteps(store, 'posts')) - stepsBefore;
  await api.app.close();
  const p = percentiles(latencies);
  return [
    { name: 'single POST alerts/s (16 clients)', value: perSecond(count, ms), unit: 'alerts/s' },
    {
      name: 'single POST alerts per CPU-second of this process',
      value: perSecond(count, cpuMs),
      unit: 'alerts/s',
    },
    { name: 'single POST ack p50', value: round2(p.p50), unit: 'ms' },
    { name: 'single POST ack p99', value: round2(p.p99), unit: 'ms' },
    alertsPerStep('single POST alerts per transaction', count, steps),
  ];
}

/** What the client process measured, and the server's own part of each answer. */
interface ClientRun {
  answer: { ms: number; p50: number; p99: number };
  /** Request read to response written, in the server (ms). */
  serverSide: { p50: number; p99: number };
  /** The server process's CPU per request (µs). */
  serverCpuUs: number;
  /** Its main thread's alone (µs; 0 off Linux): the thread every request's work waits for. */
  serverMainCpuUs: number;
}

/**
 * Drives `app` (listening on loopback here) with single POSTs from a client process of its own
 * (bench/http-post-client.ts): real sockets and HTTP parsing, which `inject` skips, and the client's work off
 * this process (here it takes the other core).
 */
async function postFromClientProcess(
  app: FastifyInstance,
  count: number,
  run: string,
  /** A count read before and after the measured posts (transactions, say): `counted` is the difference. */
  counter: () => Promise<number> = async () => 0,
): Promise<ClientRun & { counted: number }> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as net.AddressInfo;
  // The server's own part of each ack (request read to response written), apart from the client's: on
  // two cores shared with the client process, the client-side tail was 4–5 ms longer than this one.
  const serverSide: number[] = [];
  let measuring = false;
  app.server.prependListener('request', (_request, response) => {
    if (!measuring) return;
    const started = performance.now();
    response.once('finish', () => serverSide.push(performance.now() - started));
  });
  const client = fork(
    new URL('./http-post-client.ts', import.meta.url),
    [String(port), String(count), '16', `${run}-http`, asRole('ingest').authorization],
    { execArgv: ['--import', 'tsx'] },
  );
  const next = (): Promise<unknown> =>
    new Promise((resolve, reject) => {
      client.once('message', resolve);
      client.once('exit', (code) => reject(new Error(`the HTTP client exited (${code})`)));
    });
  if ((await next()) !== 'warm') throw new Error('the HTTP client did not warm up');
  const before = await counter();
  const cpu = process.cpuUsage();
  const mainBefore = threadCpuUs().get('main');
  measuring = true;
  client.send('go');
  const answer = (await next()) as ClientRun['answer'] | { error: string };
  measuring = false;
  const used = process.cpuUsage(cpu);
  const mainAfter = threadCpuUs().get('main');
  if ('error' in answer) throw new Error(`the HTTP client failed: ${answer.error}`);
  return {
    answer,
    serverSide: percentiles(serverSide),
    serverCpuUs: Math.round((used.user + used.system) / count),
    serverMainCpuUs:
      mainBefore && mainAfter
        ? Math.round((mainAfter.user + mainAfter.system - mainBefore.user - mainBefore.system) / count)
        : 0,
    counted: (await counter()) - before,
  };
}

/** Figures of one HTTP load, and the server's main-thread CPU per request it took (µs; 0 off Linux). */
interface HttpRun {
  figures: Figure[];
  mainCpuUs: number;
}

/** Single POSTs over loopback HTTP into the alerts route. The CPU figure is the server's alone. */
async function httpPosts(store: Store, count: number, run: string): Promise<HttpRun> {
  const api = await buildTestApi(store, [{ name: 'alerts', plugin: alertsRoutes }]);
  try {
    const {
      answer,
      serverSide,
      serverCpuUs,
      serverMainCpuUs,
      counted: steps,
    } = await postFromClientProcess(api.app, count, run, () => ingestSteps(store, 'http-posts'));
    return {
      mainCpuUs: serverMainCpuUs,
      figures: [
        {
          name: 'HTTP single POST alerts/s (16 connections, client process)',
          value: perSecond(count, answer.ms),
          unit: 'alerts/s',
        },
        { name: 'HTTP single POST server CPU per alert', value: serverCpuUs, unit: 'µs' },
        { name: 'HTTP single POST server main-thread CPU per alert', value: serverMainCpuUs, unit: 'µs' },
        { name: 'HTTP single POST ack p50', value: round2(answer.p50), unit: 'ms' },
        { name: 'HTTP single POST ack p99', value: round2(answer.p99), unit: 'ms' },
        { name: 'HTTP single POST server-side p50', value: round2(serverSide.p50), unit: 'ms' },
        { name: 'HTTP single POST server-side p99', value: round2(serverSide.p99), unit: 'ms' },
        alertsPerStep('HTTP single POST alerts per transaction', count, steps),
      ],
    };
  } finally {
    await api.app.close();
  }
}

/**
 * The same load against a route that does nothing but answer (Fastify, no store, no auth): the floor this
 * machine and client put under the figures above, measured right after them on each store because it moves
 * from minute to minute: on the 2-core VM the p99 of doing nothing was 4–21 ms over 16 runs (with both cores
 * busy, a loop that only reads the clock loses its core for 2–5 ms several times a second), so the part of an
 * ack p99 above this one is the server's work.
 *
 * With `spinUs`, the route first keeps the main thread busy that long (wall time, no allocation, no I/O): run
 * with the main-thread CPU the store's route took per request over the empty route's, it shows what ack p99
 * a server that needs that much of its main thread per request gets from this machine and client alone, no
 * garbage collection, commit or lock among it. The store's figure above it is what its own work adds.
 */
async function httpFloor(count: number, run: string, spinUs = 0): Promise<HttpRun> {
  const app = Fastify({ logger: false });
  const answer = { accepted: 1, duplicates: 0, rejected: 0, casesCreated: 0, cases: 1, items: [] };
  app.post('/api/v1/alerts', async () => {
    const until = performance.now() + spinUs / 1000;
    while (performance.now() < until);
    return answer;
  });
  const what = spinUs > 0 ? 'same-CPU floor' : 'empty-route floor';
  try {
    const floor = await postFromClientProcess(app, count, `${run}-floor${spinUs}`);
    return {
      mainCpuUs: floor.serverMainCpuUs,
      figures: [
        {
          name: `HTTP ${what} alerts/s (same client)`,
          value: perSecond(count, floor.answer.ms),
          unit: 'alerts/s',
        },
        { name: `HTTP ${what} ack p50`, value: round2(floor.answer.p50), unit: 'ms' },
        { name: `HTTP ${what} ack p99`, value: round2(floor.answer.p99), unit: 'ms' },
        ...(spinUs > 0 ? [{ name: `HTTP ${what}: route busy per request`, value: spinUs, unit: 'µs' }] : []),
      ],
    };
  } finally {
    await app.close();
  }
}

/**
 * The HTTP single-POST load, then the two floors under it: the empty route, and a route that keeps the main
 * thread as busy per request as the store's route did beyond the empty one's (needs Linux's per-thread CPU
 * figures; elsewhere only the empty floor).
 */
async function httpPostsAndFloors(store: Store, count: number, run: string): Promise<Figure[]> {
  const posts = await httpPosts(store, count, run);
  const empty = await httpFloor(count, run);
  const spinUs = posts.mainCpuUs - empty.mainCpuUs;
  const sameCpu = posts.mainCpuUs > 0 && spinUs > 0 ? await httpFloor(count, run, spinUs) : undefined;
  return [...posts.figures, ...empty.figures, ...(sameCpu?.figures ?? [])];
}

async function syslogTcp(
  store: Store,
  count: number,
  mapWorkers: MapWorkerPool | undefined,
): Promise<Figure[]> {
  const ctx = createTestContext(store, { ...(mapWorkers ? { mapWorkers } : {}) });
  const l = await startSyslogListeners(ctx, { host: '127.0.0.1', tcpPort: 0 });
  const frames = Array.from({ length: count }, (_, i) => {
    const msg = `<134>1 2026-01-01T00:00:00Z fw${i % 50} asa - - - CEF:0|Cisco|ASA|9|${106000 + (i % 100)}|Deny tcp|7|src=45.33.${(i >> 8) & 255}.${i & 255} dst=10.0.0.${i % 200}`;
    return `${Buffer.byteLength(msg)} ${msg}`;
  }).join('');
  const { ms, cpuMs } = await cpuTimed(async () => {
    const socket = net.connect(l.ports.tcp ?? 0, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    await new Promise<void>((r) => socket.end(frames, () => r()));
    await l.close();
  });
  return [
    {
      name: 'syslog TCP alerts/s (sent to stored)',
      value: perSecond(l.stats.received, ms),
      unit: 'alerts/s',
    },
    {
      name: 'syslog TCP alerts per CPU-second of this process',
      value: perSecond(l.stats.received, cpuMs),
      unit: 'alerts/s',
    },
  ];
}

/** Alerts per second through the whole pipeline on the given store, with ack latency and RSS. */
export async function benchIngest(
  store: Store,
  options: { quick?: boolean } = {},
): Promise<Record<string, number>> {
  const n = options.quick ? 2_000 : 20_000;
  const run = String(process.hrtime.bigint());
  // Streams are mapped on as many threads as a server would start (RIPOSTE_INGEST_MAP_THREADS, else the default).
  const chosen = process.env.RIPOSTE_INGEST_MAP_THREADS;
  const threads = loadConfig({
    env: chosen === undefined ? {} : { RIPOSTE_INGEST_MAP_THREADS: chosen },
  }).ingestMapThreads;
  const mapWorkers = threads > 0 ? createMapWorkerPool({ size: threads }) : undefined;
  // A server starts its threads on its first stream and keeps them: the figures are for that steady state,
  // not for starting a thread (from TypeScript sources here, ~0.3 s) inside the first timed request.
  await mapWorkers?.prepare({ texts: [] }, { source: 'warm-up', fingerprintKeys: ['title'], now: 0 });
  const figures: Figure[] = [{ name: 'ingest map threads', value: threads, unit: 'threads' }];
  try {
    figures.push(
      ...(await ndjson(store, n, ndjsonLines(run, 0), mapWorkers)),
      // 5,000 requests (of 20,000): a p99 over 50 answers, about three rounds of 16, not one.
      ...(await singlePosts(store, n / 4, run)),
      ...(await httpPostsAndFloors(store, n / 4, run)),
      ...(await syslogTcp(store, n / 2, mapWorkers)),
      ...(options.quick ? [] : await ndjsonAtScale(store, n, run, mapWorkers)),
    );
  } finally {
    await mapWorkers?.close();
  }
  figures.push({
    name: 'RSS after ingest',
    value: Math.round(process.memoryUsage().rss / 1_048_576),
    unit: 'MiB',
  });
  return Object.fromEntries(figures.map((f) => [`${f.name} (${f.unit})`, f.value]));
}

export const ingestBenchmark: Benchmark = {
  name: 'ingest',
  description:
    'alert ingestion: NDJSON batches (into a nearly empty store, and into 200,000 stored alerts), single POSTs at 16 clients (in process and over HTTP, with the floors the machine puts under them), syslog over TCP',
  async run(store, { quick }) {
    const figures = await benchIngest(store, { quick });
    return Object.entries(figures).map(([key, value]) => {
      const m = /^(.*) \((.*)\)$/.exec(key);
      return { name: m?.[1] ?? key, value, unit: m?.[2] ?? '' };
    });
  },
};
