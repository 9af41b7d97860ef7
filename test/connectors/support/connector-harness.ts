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
import type { ActionRequest } from '../../../src/connectors/action-executor.js';
import { Writable } from 'node:stream';

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
