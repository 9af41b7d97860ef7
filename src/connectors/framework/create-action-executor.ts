import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Clock } from '../../domain/shared/clock.js';
import { SYSTEM_ACTOR } from '../../domain/shared/actor.js';
import type { Keyring } from '../../governance/secrets/secret-box.js';
import { appendCaseEvent } from '../../store/cases/case.repository.js';
import { findConnectorInstance } from '../../store/connectors/connector-instance.repository.js';
import { createIndicatorPort } from '../../store/connectors/indicator.repository.js';
import { readCachedVerdict, writeCachedVerdict } from '../../store/connectors/verdict-cache.repository.js';
import type { Store } from '../../store/store.js';
import {
  ConnectorError,
  type ActionDescriptor,
  type ActionExecutor,
  type ActionRequest,
  type ActionResult,
} from '../action-executor.js';
import {
  checkContainmentAllowed,
  DEFAULT_SAFETY_POLICY,
  type SafetyPolicy,
} from '../safety/containment-guard.js';
import { parseActionInput } from './action-contract.js';
import { ConnectorErrorCode, permanentError, redactSecrets } from './connector-errors.js';
import type { RegisteredAction, ConnectorRegistry } from './connector-registry.js';
import { recordContainment } from './containment-recorder.js';
import type { AssetRef } from '../safety/asset-ref.js';
import type { ActionContext, ConnectorTestResult } from './define-connector.js';
import { createInstanceClients, type HttpOverrides } from './instance-clients.js';
import { resolveInstance, type InstanceCache, type ResolvedInstance } from './instance-config.js';
import { describeOpenC2, resolveOpenC2 } from './openc2-dispatch.js';
import { sleep } from '../http/retry-policy.js';

export interface ActionExecutorDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  newId: () => string;
  keyring: Keyring;
  registry: ConnectorRegistry;
  safety?: SafetyPolicy;
  /**
   * How long an opened instance is reused without reading its row again (default 1 s): the hot path then
   * touches no table. An edit reaches every worker within this time.
   */
  instanceTtlMs?: number;
  /** Test and bench hooks for the HTTP clients (a mock dispatcher, a fake sleep). */
  http?: HttpOverrides;
}

/** The executor plus what the API and CLI need from the same machinery. */
export interface ConnectorRuntime extends ActionExecutor {
  /** Runs the connector's harmless check against the instance's real endpoint. */
  testInstance(
    instanceName: string,
    signal: AbortSignal,
  ): Promise<ConnectorTestResult & { connector: string }>;
  close(): Promise<void>;
}

function validationError(code: string, what: string, error: z.ZodError): ConnectorError {
  const problems = error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  return new ConnectorError(code, `${what}: ${problems}`, { retryable: false });
}

/** Scrubs secret values from an output before it is stored with the run. */
function scrubOutput(output: unknown, secrets: readonly string[]): unknown {
  if (secrets.length === 0) return output;
  const text = JSON.stringify(output);
  const clean = redactSecrets(text, secrets);
  return clean === text ? output : (JSON.parse(clean) as unknown);
}

/**
 * The ActionExecutor over configured instances: validates input, simulates dry runs with the declared
 * example, checks protected assets and containment limits, answers from the verdict cache, calls the
 * vendor through the one HTTP client, validates output, and records containments with their undo.
 */
export function createActionExecutor(deps: ActionExecutorDeps): ConnectorRuntime {
  const now = () => deps.clock.now();
  const safety = deps.safety ?? DEFAULT_SAFETY_POLICY;
  const pause = deps.http?.sleep ?? sleep;
  const clients = createInstanceClients({ store: deps.store, log: deps.log, now, http: deps.http });
  const indicators = createIndicatorPort(deps.store.db, now);
  const instances: InstanceCache = new Map();
  const instanceTtlMs = deps.instanceTtlMs ?? 1_000;
  const recent = new Map<string, { at: number; instance: ResolvedInstance }>();

  async function instanceFor(
    connector: RegisteredAction['connector'],
    name: string | undefined,
  ): Promise<ResolvedInstance> {
    const key = `${connector.name}\u0000${name ?? ''}`;
    const held = recent.get(key);
    if (held && now() - held.at < instanceTtlMs) return held.instance;
    const instance = await resolveInstance(deps.store.db, deps.keyring, connector, name, instances);
    if (instanceTtlMs > 0) recent.set(key, { at: now(), instance });
    return instance;
  }

  function contextFor(
    instance: ResolvedInstance,
    log: Logger,
    signal: AbortSignal,
    idempotencyKey: string,
    flags: { alreadyApplied: boolean },
  ): ActionContext<unknown> {
    return {
      // Built on first use: connectors that make no HTTP calls need no base URL.
      get http() {
        return clients.get(instance);
      },
      signal,
      log,
      secrets: instance.secrets,
      config: instance.config,
      instance: instance.name,
      idempotencyKey,
      indicators,
      now,
      sleep: (ms) => pause(ms, signal),
      get tokens() {
        return clients.tokens(instance);
      },
      markAlreadyApplied: () => {
        flags.alreadyApplied = true;
      },
    };
  }

  /** A refused containment goes on the case's timeline, so the analyst sees why nothing was contained. */
  async function noteRefusalOnCase(
    request: ActionRequest,
    action: string,
    refusal: ConnectorError,
    targets: readonly AssetRef[],
  ): Promise<void> {
    try {
      await appendCaseEvent(
        deps.store.db,
        { newId: deps.newId },
        {
          caseId: request.context.caseId as string,
          type: 'containment.refused',
          actor: SYSTEM_ACTOR,
          data: {
            action,
            code: refusal.code,
            reason: refusal.message,
            targets,
            runId: request.context.runId,
            stepId: request.context.stepId,
            playbookId: request.context.playbookId,
          },
        },
        now(),
      );
    } catch (err) {
      // The step still fails with the refusal; a timeline write that failed must not hide it.
      deps.log.warn(
        { err, caseId: request.context.caseId, action },
        'could not note a containment refusal on the case',
      );
    }
  }

  async function runAction(
    found: RegisteredAction,
    request: ActionRequest,
    input: unknown,
    signal: AbortSignal,
  ): Promise<ActionResult> {
    const { connector, action } = found;
    const undoOf = (output: unknown) =>
      action.undo ? { action: action.undo.action, input: action.undo.input(input, output) } : undefined;
    if (request.dryRun) return { output: action.example, undo: undoOf(action.example) };

    const instance = await instanceFor(connector, request.instance);
    const containing = action.risk !== 'read' && !action.reverses;
    const targets = action.targets?.(input) ?? [];
    if (containing) {
      try {
        await checkContainmentAllowed(
          deps.store.db,
          safety,
          { action: action.name, connector: connector.name, playbookId: request.context.playbookId, targets },
          now(),
        );
      } catch (err) {
        if (err instanceof ConnectorError && request.context.caseId) {
          await noteRefusalOnCase(request, action.name, err, targets);
        }
        throw err;
      }
    }
    const cacheKey = action.cache?.key(input);
    if (cacheKey !== undefined) {
      const hit = await readCachedVerdict(deps.store.db, action.name, cacheKey, now());
      if (hit !== undefined) return { output: hit, cached: true };
    }
    const log = deps.log.child({
      connector: connector.name,
      instance: instance.name,
      action: action.name,
      runId: request.context.runId,
      stepId: request.context.stepId,
    });
    const flags = { alreadyApplied: false };
    let raw: unknown;
    try {
      raw = await action.run(contextFor(instance, log, signal, request.idempotencyKey, flags), input);
    } catch (err) {
      if (err instanceof ConnectorError) throw err;
      const secrets = Object.values(instance.secrets);
      // A bug or an unexpected vendor shape: the step fails with a message, never the worker.
      throw permanentError(
        ConnectorErrorCode.internal,
        `${action.name} failed: ${redactSecrets(err instanceof Error ? err.message : String(err), secrets)}`,
      );
    }
    const parsed = action.output.safeParse(raw);
    if (!parsed.success) {
      throw validationError(
        ConnectorErrorCode.invalidOutput,
        `${action.name} got an answer of unexpected shape`,
        parsed.error,
      );
    }
    const output = scrubOutput(parsed.data, Object.values(instance.secrets));
    if (cacheKey !== undefined && action.cache) {
      await writeCachedVerdict(
        deps.store.db,
        { action: action.name, key: cacheKey, output, ttlMs: action.cache.ttlMs(output) },
        now(),
      );
    }
    const undo = undoOf(output);
    const result: ActionResult = { output, undo, alreadyApplied: flags.alreadyApplied || undefined };
    if (containing) {
      const recorded = await recordContainment(
        deps.store,
        deps,
        {
          id: deps.newId(),
          idempotencyKey: request.idempotencyKey,
          action: action.name,
          connector: connector.name,
          instance: instance.name,
          input: input as Record<string, unknown>,
          output,
          targets,
          undo: undo ?? null,
          runId: request.context.runId,
          stepId: request.context.stepId,
          playbookId: request.context.playbookId,
          caseId: request.context.caseId ?? null,
          createdAt: now(),
          expiresAt: request.expiresAt ?? null,
        },
        now(),
      );
      result.containmentId = recorded.id;
    }
    return result;
  }

  const runtime: ConnectorRuntime = {
    describe(name: string): ActionDescriptor | undefined {
      return name.startsWith('openc2.') ? describeOpenC2(deps.registry, name) : deps.registry.describe(name);
    },

    async execute(request, signal) {
      let actionName = request.action;
      let rawInput: unknown = request.input;
      let instanceName = request.instance;
      if (actionName.startsWith('openc2.')) {
        const routed = await resolveOpenC2(deps.store.db, deps.registry, request);
        actionName = routed.action;
        rawInput = routed.input;
        instanceName = routed.instance;
      }
      const found = deps.registry.action(actionName);
      if (!found) {
        throw permanentError(ConnectorErrorCode.unknownAction, `no connector action named ${actionName}`);
      }
      // Strict: a key the action does not declare fails the step rather than being dropped unseen.
      const input = parseActionInput(found, rawInput);
      if (!input.ok) throw input.error;
      return runAction(found, { ...request, action: actionName, instance: instanceName }, input.data, signal);
    },

    async testInstance(instanceName, signal) {
      const stored = await findConnectorInstance(deps.store.db, instanceName);
      const connector = stored && deps.registry.connector(stored.connector);
      if (!stored || !connector) {
        throw permanentError(ConnectorErrorCode.notConfigured, `no connector instance named ${instanceName}`);
      }
      const instance = await resolveInstance(deps.store.db, deps.keyring, connector, instanceName);
      const log = deps.log.child({ connector: connector.name, instance: instance.name, test: true });
      try {
        const outcome = await connector.test(
          contextFor(instance, log, signal, `test:${instanceName}`, { alreadyApplied: false }),
        );
        return { ...outcome, connector: connector.name };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return {
          ok: false,
          message: redactSecrets(message, Object.values(instance.secrets)),
          connector: connector.name,
        };
      }
    },

    close: () => clients.closeAll(),
  };
  return runtime;
}
