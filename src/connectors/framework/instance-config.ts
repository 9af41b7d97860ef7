import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { openSecret, sealSecret, type Keyring } from '../../governance/secrets/secret-box.js';
import {
  findConnectorInstance,
  findDefaultInstance,
  type StoredConnectorInstance,
} from '../../store/connectors/connector-instance.repository.js';
import type { Database } from '../../store/schema.js';
import { ConnectorErrorCode, permanentError } from './connector-errors.js';
import type { BaseConnectorConfig, ConnectorDefinition } from './define-connector.js';

/** An instance ready to act: validated config with secrets opened, and the secret values for scrubbing. */
export interface ResolvedInstance {
  name: string;
  connector: ConnectorDefinition;
  config: BaseConnectorConfig & Record<string, unknown>;
  secrets: Record<string, string>;
  /** Changes when the instance is edited; clients are rebuilt on change. */
  version: number;
}

/** The associated data binding sealed secrets to their instance. */
export const secretsAad = (instanceName: string): string => `connector-instance:${instanceName}`;

/** Splits submitted settings into the plain part and the sealed credentials. */
export function sealInstanceConfig(
  keyring: Keyring,
  connector: ConnectorDefinition,
  instanceName: string,
  config: Record<string, unknown>,
): { plain: Record<string, unknown>; sealed: string | null } {
  const plain: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (connector.secretKeys.includes(key)) secrets[key] = value;
    else plain[key] = value;
  }
  const sealed = Object.keys(secrets).length ? sealSecret(keyring, secrets, secretsAad(instanceName)) : null;
  return { plain, sealed };
}

/** Opens an instance's sealed credentials (an object of strings). */
export function openInstanceSecrets(
  keyring: Keyring,
  stored: StoredConnectorInstance,
): Record<string, string> {
  if (!stored.sealedSecrets) return {};
  const opened = openSecret(keyring, stored.sealedSecrets, secretsAad(stored.name));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(opened as Record<string, unknown>)) out[k] = String(v);
  return out;
}

/** Validates a connector config; the error names each failing setting (and never echoes a value). */
export function parseInstanceConfig(
  connector: ConnectorDefinition,
  instanceName: string,
  config: Record<string, unknown>,
): BaseConnectorConfig & Record<string, unknown> {
  const parsed = (connector.config as z.ZodType).safeParse(config);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`)
      .join('; ');
    throw permanentError(
      ConnectorErrorCode.notConfigured,
      `instance ${instanceName} of ${connector.name} is misconfigured: ${problems}`,
    );
  }
  return parsed.data as BaseConnectorConfig & Record<string, unknown>;
}

/** Finds the named instance (or the connector's default one) and opens it. */
export async function resolveInstance(
  db: Kysely<Database>,
  keyring: Keyring,
  connector: ConnectorDefinition,
  instanceName: string | undefined,
  cache?: InstanceCache,
): Promise<ResolvedInstance> {
  const stored = instanceName
    ? await findConnectorInstance(db, instanceName)
    : await findDefaultInstance(db, connector.name);
  if (!stored && connector.instanceless && !instanceName) {
    return {
      name: connector.name,
      connector,
      config: parseInstanceConfig(connector, connector.name, {}),
      secrets: {},
      version: 0,
    };
  }
  if (!stored) {
    throw permanentError(
      ConnectorErrorCode.notConfigured,
      instanceName
        ? `no connector instance named ${instanceName}: create it with riposte connector add`
        : `${connector.name} has no default instance: configure one (riposte connector add ${connector.name} NAME) or name the instance in the step`,
    );
  }
  if (stored.connector !== connector.name) {
    throw permanentError(
      ConnectorErrorCode.notConfigured,
      `instance ${stored.name} is a ${stored.connector} instance, not ${connector.name}`,
    );
  }
  const memo = cache?.get(stored.name);
  if (
    memo &&
    memo.version === stored.updatedAt &&
    memo.sealed === stored.sealedSecrets &&
    memo.instance.connector === connector
  ) {
    return memo.instance;
  }
  const secrets = openInstanceSecrets(keyring, stored);
  const config = parseInstanceConfig(connector, stored.name, { ...stored.config, ...secrets });
  const instance = { name: stored.name, connector, config, secrets, version: stored.updatedAt };
  cache?.set(stored.name, { version: stored.updatedAt, sealed: stored.sealedSecrets, instance });
  return instance;
}

/**
 * Opened instances by name, reused while the stored row is unchanged (same `updated_at`, same envelope), so
 * the hot path reads one row and skips decryption and config validation.
 */
export type InstanceCache = Map<
  string,
  { version: number; sealed: string | null; instance: ResolvedInstance }
>;
