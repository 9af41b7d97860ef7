import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { ManualClock } from '../../../src/domain/shared/clock.js';
import { generateMasterKey, type Keyring } from '../../../src/governance/secrets/secret-box.js';
import type { ActionRequest, ActionResult } from '../../../src/connectors/action-executor.js';
import { createConnectorRegistry } from '../../../src/connectors/framework/connector-registry.js';
import {
  createActionExecutor,
  type ConnectorRuntime,
} from '../../../src/connectors/framework/create-action-executor.js';
import type { ConnectorDefinition } from '../../../src/connectors/framework/define-connector.js';
import { sealInstanceConfig } from '../../../src/connectors/framework/instance-config.js';
import { saveConnectorInstance } from '../../../src/store/connectors/connector-instance.repository.js';
import {
  insertProtectedAsset,
  type ProtectedAssetKind,
} from '../../../src/store/connectors/safety.repository.js';
import { newTestId, openTestStore, type TestStoreHandle } from '../../support/stores.js';

/**
 * Test bench for the network, EDR and identity connectors: a fake vendor on 127.0.0.1 with a route table,
 * and the framework's real executor over a fresh SQLite store (sealed secrets, safety checks, containment
 * records), so each vendor test goes through exactly what a playbook step goes through.
 */

/** One request as the fake vendor saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
  /** The body parsed as a form; empty when it is not one. */
  form: URLSearchParams;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface FakeRoute {
  method: string;
  /** Exact path, or a pattern whose groups are passed to the handler. */
  path: string | RegExp;
  handle(req: SeenRequest, params: string[]): FakeReply | Promise<FakeReply>;
}

export interface FakeVendor {
  routes: FakeRoute[];
  /** Checked before routing: a reply refuses the request (wrong or missing credentials). */
  authorize?(req: SeenRequest): FakeReply | undefined;
  /** The vendor's answer to a path or method it does not have. */
  notFound(req: SeenRequest): FakeReply;
}

export interface FakeServer {
  url: string;
  requests: SeenRequest[];
  /** Requests other than reads: what a query-first action must not repeat. */
  mutations(): SeenRequest[];
  /**
   * The next request (or the next one `when` matches) is answered with this reply instead (a 429, a 503…),
   * before auth and routing.
   */
  failNext(reply: FakeReply, when?: (req: SeenRequest) => boolean): void;
  close(): Promise<void>;
}

const parseJson = (text: string): unknown => {
  try {
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
};

async function answer(vendor: FakeVendor, req: SeenRequest): Promise<FakeReply> {
  const refused = vendor.authorize?.(req);
  if (refused) return refused;
  for (const route of vendor.routes) {
    if (route.method !== req.method) continue;
    if (typeof route.path === 'string') {
      if (route.path === req.path) return route.handle(req, []);
      continue;
    }
    const match = route.path.exec(req.path);
    if (match) return route.handle(req, match.slice(1).map(decodeURIComponent));
  }
  return vendor.notFound(req);
}

export async function startFakeVendor(vendor: FakeVendor): Promise<FakeServer> {
  const requests: SeenRequest[] = [];
  const overrides: Array<{ reply: FakeReply; when: (req: SeenRequest) => boolean }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const body = Buffer.concat(chunks).toString('utf8');
      const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      const seen: SeenRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        json: parseJson(body),
        form: new URLSearchParams(isForm ? body : ''),
      };
      requests.push(seen);
      const at = overrides.findIndex((o) => o.when(seen));
      const override = at >= 0 ? overrides.splice(at, 1)[0]?.reply : undefined;
      void (override ? Promise.resolve(override) : answer(vendor, seen)).then(
        (reply) => {
          const isText = typeof reply.body === 'string';
          const payload =
            reply.body === undefined ? '' : isText ? (reply.body as string) : JSON.stringify(reply.body);
          res.writeHead(reply.status, {
            'content-type': isText ? 'text/plain' : 'application/json',
            ...reply.headers,
          });
          res.end(payload);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`fake vendor bug: ${String(err)}`);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    mutations: () => requests.filter((r) => r.method !== 'GET' && !r.path.includes('token')),
    failNext: (reply, when = () => true) => overrides.push({ reply, when }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Bench {
  runtime: ConnectorRuntime;
  clock: ManualClock;
  handle: TestStoreHandle;
  /** Every wait the HTTP client asked for (Retry-After, backoff); none actually waits. */
  sleeps: number[];
  /** Executes an action on the default instance; a fresh idempotency key unless one is given. */
  run(
    action: string,
    input: Record<string, unknown>,
    options?: Partial<ActionRequest>,
  ): Promise<ActionResult>;
  protect(kind: ProtectedAssetKind, value: string): Promise<void>;
  close(): Promise<void>;
}

/** The executor over a fresh SQLite store holding one default instance of `connector` with `config`. */
export async function createBench(
  connector: ConnectorDefinition,
  config: Record<string, unknown>,
): Promise<Bench> {
  const handle = await openTestStore('sqlite');
  const clock = new ManualClock(1_764_000_000_000);
  const keyring: Keyring = { primary: generateMasterKey(), previous: [] };
  const name = `${connector.name}-test`;
  const { plain, sealed } = sealInstanceConfig(keyring, connector, name, config);
  await handle.store.db.transaction().execute(async (trx) => {
    await saveConnectorInstance(trx, {
      name,
      connector: connector.name,
      config: plain,
      sealedSecrets: sealed,
      isDefault: true,
      createdAt: clock.now(),
      updatedAt: clock.now(),
    });
  });
  const sleeps: number[] = [];
  const runtime = createActionExecutor({
    store: handle.store,
    clock,
    log: pino({ level: 'silent' }),
    newId: newTestId,
    keyring,
    registry: createConnectorRegistry([connector]),
    http: {
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      random: () => 0.5,
    },
  });
  return {
    runtime,
    clock,
    handle,
    sleeps,
    run: (action, input, options = {}) =>
      runtime.execute(
        {
          action,
          input,
          idempotencyKey: options.idempotencyKey ?? newTestId(),
          dryRun: false,
          context: { runId: 'run-1', stepId: 'step-1', playbookId: 'pb-1' },
          ...options,
        },
        AbortSignal.timeout(20_000),
      ),
    protect: (kind, value) =>
      insertProtectedAsset(handle.store.db, {
        id: newTestId(),
        kind,
        value,
        reason: 'test',
        createdAt: clock.now(),
      }),
    async close() {
      await runtime.close();
      await handle.cleanup();
    },
  };
}

/** Settles a promise into its error, failing when it resolves. */
export async function failureOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected the action to fail, it succeeded');
}
