// Connector framework overhead: actions/s through the executor vs a bare undici call against a local fake
// server, the p50 overhead per call, and the verdict cache's hit path, on each store.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { createActionExecutor } from '../src/connectors/framework/create-action-executor.js';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  type ActionContext,
} from '../src/connectors/framework/define-connector.js';
import { sealInstanceConfig } from '../src/connectors/framework/instance-config.js';
import { writeCachedVerdict } from '../src/store/connectors/verdict-cache.repository.js';
import { createBuiltinRegistry } from '../src/connectors/index.js';
import { systemClock } from '../src/domain/shared/clock.js';
import { masterKeyFrom, type Keyring } from '../src/governance/secrets/secret-box.js';
import { createLogger } from '../src/observability/logger.js';
import { saveConnectorInstance } from '../src/store/connectors/connector-instance.repository.js';
import type { Store } from '../src/store/store.js';
import { percentiles, perSecond, timed, type Benchmark } from './harness.js';

const PingConfig = connectorConfig({});
const ping = defineConnector({
  name: 'benchping',
  title: 'bench',
  description: 'GET /ping',
  config: PingConfig,
  actions: [
    defineAction({
      name: 'benchping.ping',
      description: 'ping',
      risk: 'read',
      input: z.object({}),
      output: z.object({ pong: z.boolean() }),
      example: { pong: true },
      idempotency: 'natural',
      run: async (ctx: ActionContext<unknown>) =>
        (await ctx.http.json({ path: '/ping' }, ctx.signal)) as { pong: boolean },
    }),
  ],
  test: async () => ({ ok: true, message: 'ok' }),
});

async function latencies(n: number, call: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await call();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples;
}

/** Figures keyed by name: actions/s, calls/s, p50 milliseconds. */
export async function benchConnectors(
  store: Store,
  options: { quick?: boolean } = {},
): Promise<Record<string, number>> {
  const n = options.quick ? 500 : 3000;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"pong":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const keyring: Keyring = { primary: masterKeyFrom(randomBytes(32)), previous: [] };
  const registry = createBuiltinRegistry([ping]);
  const executor = createActionExecutor({
    store,
    clock: systemClock,
    log: createLogger({ level: 'silent' }),
    newId: randomUUID,
    keyring,
    registry,
  });
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  try {
    const def = registry.connector('benchping');
    if (!def) throw new Error('bench connector missing');
    const { plain, sealed } = sealInstanceConfig(keyring, def, 'ping', { baseUrl: base });
    await store.db.transaction().execute((trx) =>
      saveConnectorInstance(trx, {
        name: 'ping',
        connector: 'benchping',
        config: plain,
        sealedSecrets: sealed,
        isDefault: true,
        createdAt: 0,
        updatedAt: 0,
      }),
    );
    const signal = new AbortController().signal;
    const context = { runId: 'r', stepId: 's', playbookId: 'p' };
    const bare = async () => {
      const res = await request(`${base}/ping`, { dispatcher: agent });
      return res.body.json();
    };
    const framed = () =>
      executor.execute(
        { action: 'benchping.ping', input: {}, idempotencyKey: 'k', dryRun: false, context },
        signal,
      );
    // Warm both paths (connections, JIT) before measuring.
    await latencies(200, bare);
    await latencies(200, framed);
    const bareSamples = await latencies(n, bare);
    const framedSamples = await latencies(n, framed);
    const bareP50 = percentiles(bareSamples).p50;
    const framedP50 = percentiles(framedSamples).p50;
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

    await writeCachedVerdict(
      store.db,
      {
        action: 'virustotal.lookup_ip',
        key: '203.0.113.7',
        output: {
          indicator: '203.0.113.7',
          verdict: 'malicious',
          score: 10,
          source: 'virustotal',
          summary: {},
          reference: null,
        },
        ttlMs: 3_600_000,
      },
      Date.now(),
    );
    await saveVt(store, keyring, registry);
    const cached = () =>
      executor.execute(
        {
          action: 'virustotal.lookup_ip',
          input: { value: '203.0.113.7' },
          idempotencyKey: 'k',
          dryRun: false,
          context,
        },
        signal,
      );
    await latencies(200, cached);
    const { ms: cacheMs, result: cacheSamples } = await timed(() => latencies(n, cached));
    return {
      bare_undici_calls_per_s: perSecond(n, sum(bareSamples)),
      framework_actions_per_s: perSecond(n, sum(framedSamples)),
      bare_p50_ms: Number(bareP50.toFixed(4)),
      framework_p50_ms: Number(framedP50.toFixed(4)),
      framework_overhead_p50_ms: Number((framedP50 - bareP50).toFixed(4)),
      verdict_cache_hits_per_s: perSecond(n, cacheMs),
      verdict_cache_hit_p50_ms: Number(percentiles(cacheSamples).p50.toFixed(4)),
    };
  } finally {
    await executor.close();
    await agent.close();
    server.close();
  }
}

async function saveVt(
  store: Store,
  keyring: Keyring,
  registry: ReturnType<typeof createBuiltinRegistry>,
): Promise<void> {
  const def = registry.connector('virustotal');
  if (!def) throw new Error('virustotal missing');
  const { plain, sealed } = sealInstanceConfig(keyring, def, 'vt', { apiKey: 'bench-key-0000000' });
  await store.db.transaction().execute((trx) =>
    saveConnectorInstance(trx, {
      name: 'vt',
      connector: 'virustotal',
      config: plain,
      sealedSecrets: sealed,
      isDefault: true,
      createdAt: 0,
      updatedAt: 0,
    }),
  );
}

export const connectorsBenchmark: Benchmark = {
  name: 'connectors',
  description: 'actions/s through the connector framework vs a bare undici call; verdict cache hits',
  async run(store, { quick }) {
    const r = await benchConnectors(store, { quick });
    return Object.entries(r).map(([name, value]) => ({
      name,
      value,
      unit: name.endsWith('_ms') ? 'ms' : name.endsWith('_per_s') ? '/s' : '',
    }));
  },
};
