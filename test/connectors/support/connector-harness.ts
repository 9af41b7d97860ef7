import { randomBytes, randomUUID } from 'node:crypto';
import type { ConnectorRegistry } from '../../../src/connectors/framework/connector-registry.js';
import {
  createActionExecutor,
  type ConnectorRuntime,
} from '../../../src/connectors/framework/create-action-executor.js';
import type { ConnectorDefinition } from '../../../src/connectors/framework/define-connector.js';
import { sealInstanceConfig } from '../../../src/connectors/framework/instance-config.js';
import { createBuiltinRegistry } from '../../../src/connectors/index.js';
import {
  DEFAULT_SAFETY_POLICY,
  type SafetyPolicy,
} from '../../../src/connectors/safety/containment-guard.js';
import { ManualClock } from '../../../src/domain/shared/clock.js';
import { masterKeyFrom, type Keyring } from '../../../src/governance/secrets/secret-box.js';
import { createLogger } from '../../../src/observability/logger.js';
import { saveConnectorInstance } from '../../../src/store/connectors/connector-instance.repository.js';
import type { Store } from '../../../src/store/store.js';
import type { ActionRequest, ActionResult } from '../../../src/connectors/action-executor.js';
import { createConnectorRegistry } from '../../../src/connectors/framework/connector-registry.js';
import {
  insertProtectedAsset,
  type ProtectedAssetKind,
} from '../../../src/store/connectors/safety.repository.js';
import { newTestId, openTestStore, type TestStoreHandle } from '../../support/stores.js';
import { pino } from 'pino';
import { Writable } from 'node:stream';

// The fake vendors are part of the harness: one import gives a test everything it drives a connector with.
export * from '../fakes/fake-server.js';

export interface Harness {
  runtime: ConnectorRuntime;
  registry: ConnectorRegistry;
  keyring: Keyring;
  clock: ManualClock;
  logs: string[];
  addInstance(
    name: string,
    connector: string,
    config: Record<string, unknown>,
    isDefault?: boolean,
  ): Promise<void>;
  run(
    action: string,
    input: Record<string, unknown>,
    extra?: Partial<ActionRequest>,
  ): ReturnType<ConnectorRuntime['execute']>;
  close(): Promise<void>;
}

export const testKeyring = (): Keyring => ({ primary: masterKeyFrom(randomBytes(32)), previous: [] });

/** A connector runtime over a test store: manual clock, no real sleeping, logs captured. */
export function createHarness(
  store: Store,
  options: { extra?: ConnectorDefinition[]; safety?: Partial<SafetyPolicy>; start?: number } = {},
): Harness {
  const clock = new ManualClock(options.start ?? 1_700_000_000_000);
  const keyring = testKeyring();
  const registry = createBuiltinRegistry(options.extra);
  const logs: string[] = [];
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _e, done) {
        logs.push(chunk.toString());
        done();
      },
    }),
  });
  const runtime = createActionExecutor({
    store,
    clock,
    log,
    newId: randomUUID,
    keyring,
    registry,
    safety: { ...DEFAULT_SAFETY_POLICY, ...options.safety },
    // Tests edit instances between calls on a clock that stands still: always read the row.
    instanceTtlMs: 0,
    // Waiting moves the manual clock: retries and rate limits run without wall-clock time.
    http: {
      sleep: async (ms) => {
        clock.advance(ms);
      },
      random: () => 0.5,
    },
  });
  return {
    runtime,
    registry,
    keyring,
    clock,
    logs,
    async addInstance(name, connector, config, isDefault = false) {
      const def = registry.connector(connector);
      if (!def) throw new Error(`no connector ${connector}`);
      const { plain, sealed } = sealInstanceConfig(keyring, def, name, config);
      await store.db.transaction().execute((trx) =>
        saveConnectorInstance(trx, {
          name,
          connector,
          config: plain,
          sealedSecrets: sealed,
          isDefault,
          createdAt: clock.now(),
          updatedAt: clock.now(),
        }),
      );
    },
    run(action, input, extra = {}) {
      return runtime.execute(
        {
          action,
          input,
          idempotencyKey: extra.idempotencyKey ?? randomUUID(),
          dryRun: false,
          context: { runId: 'run-1', stepId: 'step-1', playbookId: 'pb-1' },
          ...extra,
        },
        new AbortController().signal,
      );
    },
    close: () => runtime.close(),
  };
}

/** Resolves to the error a promise rejects with (fails the test when it resolves). */
export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; retryable?: boolean }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

/** Settles a promise into its error, failing when it resolves. */
export const failureOf = (promise: Promise<unknown>): Promise<Error & Record<string, unknown>> =>
  rejection(promise) as Promise<Error & Record<string, unknown>>;

/** A connector runtime over its own fresh SQLite store: what each vendor test drives. */
export interface Bench {
  runtime: ConnectorRuntime;
  clock: ManualClock;
  handle: TestStoreHandle;
  /** Every wait the HTTP client or `ctx.sleep` asked for (Retry-After, backoff, polls); none waits. */
  sleeps: number[];
  /** Executes an action on the connector's default instance; a fresh idempotency key unless one is given. */
  run(
    action: string,
    input: Record<string, unknown>,
    options?: Partial<ActionRequest>,
  ): Promise<ActionResult>;
  protect(kind: ProtectedAssetKind, value: string): Promise<void>;
  close(): Promise<void>;
}
/** The name the SIEM, vulnerability and ticketing tests use for the same bench. */
export type Testbed = Bench;

/**
 * The executor over a fresh SQLite store holding the given instances, secrets sealed as in production (the
 * first instance of each connector is its default), with a sleep that records and does not wait.
 */
export async function createTestbed(
  connectors: readonly ConnectorDefinition[],
  instances: ReadonlyArray<{ connector: string; name?: string; config: Record<string, unknown> }>,
): Promise<Bench> {
  const handle = await openTestStore('sqlite');
  const clock = new ManualClock(1_764_000_000_000);
  const keyring = testKeyring();
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

/** A bench holding one default instance of `connector` with `config`. */
export const createBench = (
  connector: ConnectorDefinition,
  config: Record<string, unknown>,
): Promise<Bench> => createTestbed([connector], [{ connector: connector.name, config }]);
