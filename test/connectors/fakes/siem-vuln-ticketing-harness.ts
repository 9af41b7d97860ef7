import type { IncomingMessage } from 'node:http';
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
import { newTestId, openTestStore, type TestStoreHandle } from '../../support/stores.js';
import { startFakeServer as startSharedFakeServer } from './fake-server.js';

/** One request as the fake vendor saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type FakeHandler = (req: RecordedRequest) => FakeReply | Promise<FakeReply>;

/** A vendor stand-in on 127.0.0.1: records every request and answers with its handler's reply. */
export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const parseJson = (text: string): unknown => {
  try {
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
};

/**
 * A vendor stand-in on 127.0.0.1 built on the framework's shared fake server (fake-server.ts), adding the
 * parsed JSON body to each recorded request and turning a handler bug into a 500 instead of a hang.
 */
export async function startFakeServer(handler: FakeHandler): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const shared = await startSharedFakeServer(async (req) => {
    const recorded: RecordedRequest = { ...req, json: parseJson(req.body) };
    requests.push(recorded);
    try {
      return await handler(recorded);
    } catch (err) {
      return { status: 500, body: `fake server bug: ${String(err)}` };
    }
  });
  return { url: shared.url, requests, close: () => shared.close() };
}

/** Basic credentials as the `Authorization` header carries them. */
export const basicAuth = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export interface Testbed {
  runtime: ConnectorRuntime;
  clock: ManualClock;
  handle: TestStoreHandle;
  /** Executes an action on the default instance; a fresh idempotency key unless one is given. */
  run(
    action: string,
    input: Record<string, unknown>,
    options?: Partial<ActionRequest>,
  ): Promise<ActionResult>;
  close(): Promise<void>;
}

/**
 * The framework's executor over a fresh SQLite store holding one instance per given config (secrets sealed
 * as in production), with a sleep that does not wait, so retries after Retry-After are instant.
 */
export async function createTestbed(
  connectors: readonly ConnectorDefinition[],
  instances: ReadonlyArray<{ connector: string; name?: string; config: Record<string, unknown> }>,
): Promise<Testbed & { sleeps: number[] }> {
  const handle = await openTestStore('sqlite');
  const clock = new ManualClock(1_764_000_000_000);
  const keyring: Keyring = { primary: generateMasterKey(), previous: [] };
  const registry = createConnectorRegistry(connectors);
  await handle.store.db.transaction().execute(async (trx) => {
    const seen = new Set<string>();
    for (const instance of instances) {
      const connector = registry.connector(instance.connector);
      if (!connector) throw new Error(`unknown connector ${instance.connector}`);
      const name = instance.name ?? `${instance.connector}-test`;
      const { plain, sealed } = sealInstanceConfig(keyring, connector, name, instance.config);
      await saveConnectorInstance(trx, {
        name,
        connector: connector.name,
        config: plain,
        sealedSecrets: sealed,
        // The first instance of each connector is its default; the others are named in the request.
        isDefault: !seen.has(connector.name),
        createdAt: clock.now(),
        updatedAt: clock.now(),
      });
      seen.add(connector.name);
    }
  });
  const sleeps: number[] = [];
  const runtime = createActionExecutor({
    store: handle.store,
    clock,
    log: pino({ level: 'silent' }),
    newId: newTestId,
    keyring,
    registry,
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
          dryRun: options.dryRun ?? false,
          context: { runId: 'run-1', stepId: 'step-1', playbookId: 'pb-1' },
          ...options,
        },
        AbortSignal.timeout(20_000),
      ),
    async close() {
      await runtime.close();
      await handle.cleanup();
    },
  };
}
