import { isDeepStrictEqual } from 'node:util';
import type { Transaction } from 'kysely';
import { z } from 'zod';
import {
  openInstanceSecrets,
  parseInstanceConfig,
  sealInstanceConfig,
  secretsAad,
} from '../../connectors/framework/instance-config.js';
import { toJsonSchema } from '../../connectors/framework/connector-registry.js';
import type { ConnectorDefinition } from '../../connectors/framework/define-connector.js';
import { ConnectorError } from '../../connectors/action-executor.js';
import type { Actor } from '../../domain/shared/actor.js';
import { invalid, notFound, RiposteError } from '../../domain/shared/errors.js';
import { resealUnderPrimary, type Keyring } from '../../governance/secrets/secret-box.js';
import { appendAudit } from '../../store/audit/audit.repository.js';
import {
  deleteConnectorInstance,
  findConnectorInstance,
  listConnectorInstances,
  saveConnectorInstance,
  updateSealedSecrets,
  type StoredConnectorInstance,
} from '../../store/connectors/connector-instance.repository.js';
import type { Database } from '../../store/schema.js';
import type { AppContext } from '../context.js';
import type { ConnectorDeps } from './connector-runtime.js';

export const InstanceName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _, at most 63 characters');

/** An instance as the API and CLI show it: settings, and only which secrets are set (never their values). */
export interface ConnectorInstanceView {
  name: string;
  connector: string;
  isDefault: boolean;
  config: Record<string, unknown>;
  secrets: Record<string, 'set'>;
  createdAt: number;
  updatedAt: number;
}

const toView = (
  stored: StoredConnectorInstance,
  connector: ConnectorDefinition | undefined,
  keyring: Keyring,
): ConnectorInstanceView => {
  const set: Record<string, 'set'> = {};
  if (stored.sealedSecrets && connector) {
    for (const key of Object.keys(openInstanceSecrets(keyring, stored))) set[key] = 'set';
  }
  return {
    name: stored.name,
    connector: stored.connector,
    isDefault: stored.isDefault,
    config: stored.config,
    secrets: set,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
  };
};

function connectorOrFail(deps: ConnectorDeps, name: string): ConnectorDefinition {
  const connector = deps.registry.connector(name);
  if (!connector) {
    const known = deps.registry
      .connectors()
      .map((c) => c.name)
      .join(', ');
    throw invalid(`unknown connector ${name}: known connectors are ${known}`, [
      { path: 'connector', message: 'unknown connector' },
    ]);
  }
  return connector;
}

/** Turns a config validation failure into a 400 naming each setting (values are never echoed). */
function validateConfig(connector: ConnectorDefinition, name: string, config: Record<string, unknown>): void {
  try {
    parseInstanceConfig(connector, name, config);
  } catch (err) {
    if (err instanceof ConnectorError) {
      const parsed = connector.config.safeParse(config);
      const details = parsed.success
        ? []
        : parsed.error.issues.map((i) => ({ path: `config.${i.path.join('.')}`, message: i.message }));
      throw invalid(`configuration of ${connector.name} instance ${name} is invalid`, details);
    }
    throw err;
  }
}

export interface SaveInstanceInput {
  name: string;
  connector: string;
  config: Record<string, unknown>;
  isDefault?: boolean;
}

/** Creates an instance; its credentials are sealed before they reach the store. */
export async function createConnectorInstance(
  ctx: AppContext,
  deps: ConnectorDeps,
  actor: Actor,
  input: SaveInstanceInput,
): Promise<ConnectorInstanceView> {
  const name = InstanceName.safeParse(input.name);
  if (!name.success)
    throw invalid(`instance name ${input.name} is invalid`, [
      { path: 'name', message: name.error.issues[0]?.message ?? 'invalid' },
    ]);
  const connector = connectorOrFail(deps, input.connector);
  validateConfig(connector, input.name, input.config);
  const keyring = deps.keyring();
  const { plain, sealed } = sealInstanceConfig(keyring, connector, input.name, input.config);
  const now = ctx.clock.now();
  const stored: StoredConnectorInstance = {
    name: input.name,
    connector: connector.name,
    config: plain,
    sealedSecrets: sealed,
    isDefault: input.isDefault ?? false,
    createdAt: now,
    updatedAt: now,
  };
  await ctx.store.db.transaction().execute(async (trx) => {
    if (!(await saveConnectorInstance(trx, stored, { onlyIfNew: true }))) {
      throw new RiposteError('RIPOSTE_CONFLICT', `a connector instance named ${input.name} already exists`);
    }
    await appendAudit(
      trx,
      { dialect: ctx.store.dialect },
      {
        actor,
        action: 'connector.created',
        target: { type: 'connector_instance', id: input.name },
        details: {
          connector: connector.name,
          settings: Object.keys(plain),
          secrets: connector.secretKeys.filter((k) => k in input.config),
        },
      },
      now,
    );
  });
  return toView(stored, connector, keyring);
}

/**
 * Changes settings: given keys replace, `null` removes, absent keys stay, so a secret need not be sent again
 * to change a timeout.
 */
export async function updateConnectorInstance(
  ctx: AppContext,
  deps: ConnectorDeps,
  actor: Actor,
  name: string,
  patch: { config?: Record<string, unknown>; isDefault?: boolean },
): Promise<ConnectorInstanceView> {
  const keyring = deps.keyring();
  return ctx.store.db.transaction().execute(async (trx) => {
    const existing = await findConnectorInstance(trx, name);
    if (!existing) throw notFound('connector instance', name);
    const connector = connectorOrFail(deps, existing.connector);
    const current: Record<string, unknown> = {
      ...existing.config,
      ...openInstanceSecrets(keyring, existing),
    };
    const merged: Record<string, unknown> = { ...current };
    for (const [key, value] of Object.entries(patch.config ?? {})) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    validateConfig(connector, name, merged);
    const { plain, sealed } = sealInstanceConfig(keyring, connector, name, merged);
    const now = ctx.clock.now();
    const stored = {
      ...existing,
      config: plain,
      sealedSecrets: sealed,
      isDefault: patch.isDefault ?? existing.isDefault,
      updatedAt: now,
    };
    await saveConnectorInstance(trx, stored);
    // The settings whose value changed (by name only: some are secrets), and `isDefault` if it changed. A
    // patch that changed neither is not recorded as a change.
    const changed = Object.keys(patch.config ?? {}).filter((k) => !isDeepStrictEqual(current[k], merged[k]));
    const defaultChanged = stored.isDefault !== existing.isDefault;
    if (changed.length > 0 || defaultChanged) {
      await appendAudit(
        trx,
        { dialect: ctx.store.dialect },
        {
          actor,
          action: 'connector.updated',
          target: { type: 'connector_instance', id: name },
          details: {
            ...(changed.length > 0 && { changed }),
            ...(defaultChanged && { isDefault: stored.isDefault }),
          },
        },
        now,
      );
    }
    return toView(stored, connector, keyring);
  });
}

export async function removeConnectorInstance(ctx: AppContext, actor: Actor, name: string): Promise<void> {
  await ctx.store.db.transaction().execute(async (trx) => {
    if (!(await deleteConnectorInstance(trx, name))) throw notFound('connector instance', name);
    await appendAudit(
      trx,
      { dialect: ctx.store.dialect },
      { actor, action: 'connector.deleted', target: { type: 'connector_instance', id: name } },
      ctx.clock.now(),
    );
  });
}

export async function getConnectorInstance(
  ctx: AppContext,
  deps: ConnectorDeps,
  name: string,
): Promise<ConnectorInstanceView> {
  const stored = await findConnectorInstance(ctx.store.db, name);
  if (!stored) throw notFound('connector instance', name);
  return toView(stored, deps.registry.connector(stored.connector), deps.keyring());
}

export async function listConnectorInstanceViews(
  ctx: AppContext,
  deps: ConnectorDeps,
  connector?: string,
): Promise<ConnectorInstanceView[]> {
  const keyring = deps.keyring();
  return (await listConnectorInstances(ctx.store.db, connector)).map((s) =>
    toView(s, deps.registry.connector(s.connector), keyring),
  );
}

/** The catalogue entry of a connector: config and action schemas for the UI and docs. */
export function describeConnector(connector: ConnectorDefinition) {
  return {
    name: connector.name,
    title: connector.title,
    description: connector.description,
    configSchema: toJsonSchema(connector.config, 'input'),
    secretKeys: [...connector.secretKeys],
    actions: connector.actions.map((a) => ({
      name: a.name,
      description: a.description,
      risk: a.risk,
      idempotency: a.idempotency,
      undo: a.undo?.action ?? null,
      openc2: a.openc2 ? `openc2.${a.openc2.action}.${a.openc2.target}` : null,
      inputSchema: toJsonSchema(a.input, 'input'),
      outputSchema: toJsonSchema(a.output, 'output'),
      example: a.example,
    })),
  };
}

/**
 * Re-seals every instance's secrets under the ring's primary key, inside the caller's transaction (a key
 * rotation, which re-seals every kind of secret at once). Returns how many envelopes were re-sealed.
 */
export async function resealConnectorSecrets(
  trx: Transaction<Database>,
  keyring: Keyring,
  now: number,
  options: { lockRows: boolean },
): Promise<number> {
  let count = 0;
  for (const instance of await listConnectorInstances(trx, undefined, options)) {
    if (!instance.sealedSecrets) continue;
    const aad = secretsAad(instance.name);
    const resealed = resealUnderPrimary(
      keyring,
      instance.sealedSecrets,
      aad,
      `the secrets of instance ${instance.name}`,
    );
    if (resealed === undefined) continue;
    await updateSealedSecrets(trx, instance.name, resealed, now);
    count++;
  }
  return count;
}
