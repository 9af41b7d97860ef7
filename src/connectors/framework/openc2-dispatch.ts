import type { Kysely } from 'kysely';
import { listConnectorInstances } from '../../store/connectors/connector-instance.repository.js';
import type { Database } from '../../store/schema.js';
import type { ActionDescriptor, ActionRequest } from '../action-executor.js';
import { OPENC2_TARGETS, parseOpenC2Action } from '../openc2/openc2-vocabulary.js';
import { ConnectorErrorCode, permanentError } from './connector-errors.js';
import { toJsonSchema, type ConnectorRegistry } from './connector-registry.js';

/** The descriptor of an OpenC2 intent: its target schema, and the first mapped action's example output. */
export function describeOpenC2(registry: ConnectorRegistry, name: string): ActionDescriptor | undefined {
  const intent = parseOpenC2Action(name);
  if (!intent) return undefined;
  const [first] = registry.actuatorsFor(intent.action, intent.target);
  return {
    name,
    risk: intent.risk,
    undo: intent.undo,
    inputSchema: toJsonSchema(OPENC2_TARGETS[intent.target], 'input'),
    outputSchema: first ? toJsonSchema(first.action.output, 'output') : {},
    exampleOutput: first?.action.example ?? {},
  };
}

/**
 * Routes an OpenC2 intent to a vendor action: the named instance when the step gives one, otherwise the
 * first (by name) instance marked `openc2Actuator` whose connector maps this intent. A dry run without
 * any actuator configured uses the first connector that maps it, so playbooks can be tried before setup.
 */
export async function resolveOpenC2(
  db: Kysely<Database>,
  registry: ConnectorRegistry,
  request: ActionRequest,
): Promise<{ action: string; input: unknown; instance: string | undefined }> {
  const intent = parseOpenC2Action(request.action);
  if (!intent) {
    throw permanentError(
      ConnectorErrorCode.unknownAction,
      `${request.action} is not an OpenC2 intent Riposte speaks (e.g. openc2.deny.ipv4_net)`,
    );
  }
  const target = OPENC2_TARGETS[intent.target].safeParse(request.input);
  if (!target.success) {
    const problems = target.error.issues
      .map((i) => `${i.path.join('.') || '(target)'}: ${i.message}`)
      .join('; ');
    throw permanentError(
      ConnectorErrorCode.invalidInput,
      `target of ${request.action} is invalid: ${problems}`,
    );
  }
  const candidates = registry.actuatorsFor(intent.action, intent.target);
  const byConnector = new Map(candidates.map((c) => [c.connector.name, c]));
  const instances = await listConnectorInstances(db);
  const chosen = request.instance
    ? instances.find((i) => i.name === request.instance)
    : instances.find((i) => i.config.openc2Actuator === true && byConnector.has(i.connector));
  const mapped = chosen ? byConnector.get(chosen.connector) : request.dryRun ? candidates[0] : undefined;
  if (!mapped) {
    throw permanentError(
      ConnectorErrorCode.notConfigured,
      request.instance
        ? `instance ${request.instance} cannot carry out ${request.action}`
        : `no actuator is configured for ${request.action}: mark an instance of ${[...byConnector.keys()].join(' or ') || 'a supporting connector'} with openc2Actuator: true`,
    );
  }
  const openc2 = mapped.action.openc2;
  return {
    action: mapped.action.name,
    input: openc2 ? openc2.input(target.data as Record<string, unknown>) : target.data,
    instance: chosen?.name,
  };
}
