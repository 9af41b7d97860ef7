import { createBuiltinRegistry } from '../../connectors/index.js';
import type { ConnectorRegistry } from '../../connectors/framework/connector-registry.js';
import {
  createActionExecutor,
  type ConnectorRuntime,
} from '../../connectors/framework/create-action-executor.js';
import type { HttpOverrides } from '../../connectors/framework/instance-clients.js';
import type { SafetyPolicy } from '../../connectors/safety/containment-guard.js';
import { keyringLoader } from '../../governance/secrets/master-key-file.js';
import type { Keyring } from '../../governance/secrets/secret-box.js';
import type { AppContext } from '../context.js';

/** What connector services need besides the app context: the known connectors and the secrets keyring. */
export interface ConnectorDeps {
  registry: ConnectorRegistry;
  /** Loaded on first use, so a process that never touches secrets never creates a key file. */
  keyring(): Keyring;
}

export function createConnectorDeps(
  ctx: AppContext,
  registry: ConnectorRegistry = createBuiltinRegistry(),
): ConnectorDeps {
  return { registry, keyring: keyringLoader(ctx.config) };
}

/**
 * The connector runtime for this process (the engine's ActionExecutor, `connector test`, containment undo).
 * Built once in the composition root, closed on shutdown.
 */
export function createConnectorRuntime(
  ctx: AppContext,
  options: { deps?: ConnectorDeps; safety?: SafetyPolicy; http?: HttpOverrides } = {},
): ConnectorRuntime {
  const deps = options.deps ?? createConnectorDeps(ctx);
  let runtime: ConnectorRuntime | undefined;
  const get = () =>
    (runtime ??= createActionExecutor({
      store: ctx.store,
      clock: ctx.clock,
      log: ctx.log,
      newId: ctx.newId,
      keyring: deps.keyring(),
      registry: deps.registry,
      safety: options.safety,
      http: options.http,
    }));
  return {
    describe: (name) => get().describe(name),
    execute: (request, signal) => get().execute(request, signal),
    testInstance: (name, signal) => get().testInstance(name, signal),
    close: async () => {
      await runtime?.close();
    },
  };
}
