import { createBuiltinRegistry } from '../../connectors/index.js';
import type { ConnectorRegistry } from '../../connectors/framework/connector-registry.js';
import type { Config } from '../../config/config.js';
import type { ValidationOptions } from '../../domain/playbooks/playbook-validation.js';
import { secretEnvVar } from '../../governance/secrets/playbook-secrets.js';

// The built-in registry is immutable data; one per process is enough for every validation.
let builtins: ConnectorRegistry | undefined;
export const builtinRegistry = (): ConnectorRegistry => (builtins ??= createBuiltinRegistry());

/**
 * Validation against the connectors this build has: an action no connector declares is a problem, and static
 * input keys are checked against the action's input schema. OpenC2 intents (`openc2.deny.ipv4_net`) are
 * resolved at run time by the configured actuators, so they are not checked here.
 */
export function connectorValidation(registry: ConnectorRegistry = builtinRegistry()): ValidationOptions {
  return {
    actionExists: (action) => action.startsWith('openc2.') || registry.describe(action) !== undefined,
    describeAction: (action) => registry.describe(action),
  };
}

/**
 * What validating and publishing check against this deployment: the connectors, and that every secret a
 * playbook declares is set in this process's environment (see governance/secrets/playbook-secrets.ts for
 * why that is what the workers will see). Dry runs and playbook tests do not ask: they never reveal secrets.
 */
export function deploymentValidation(
  config: Pick<Config, 'secretVars'>,
  registry: ConnectorRegistry = builtinRegistry(),
): ValidationOptions {
  const configured = new Set(config.secretVars);
  return {
    ...connectorValidation(registry),
    secretExists: (name) => configured.has(secretEnvVar(name)),
    secretHint: (name) =>
      `set ${secretEnvVar(name)} in the environment of the API and worker processes, then publish again`,
  };
}
