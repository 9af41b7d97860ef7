import { z } from 'zod';
import type { ActionDescriptor } from '../action-executor.js';
import type { ActionDefinition, ConnectorDefinition } from './define-connector.js';

export interface RegisteredAction {
  connector: ConnectorDefinition;
  action: ActionDefinition<unknown, unknown, unknown>;
}

/** The connectors this process knows, indexed by connector and action name. */
export interface ConnectorRegistry {
  connectors(): readonly ConnectorDefinition[];
  connector(name: string): ConnectorDefinition | undefined;
  action(name: string): RegisteredAction | undefined;
  /** Actions that can carry out an OpenC2 intent (`deny` + `ipv4_net`). */
  actuatorsFor(openc2Action: string, target: string): RegisteredAction[];
  describe(name: string): ActionDescriptor | undefined;
}

/** JSON Schema (draft 2020-12) of a zod schema, for the UI, docs and playbook validation. */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  return z.toJSONSchema(schema, { io, unrepresentable: 'any' });
}

export function describeAction({ action }: RegisteredAction): ActionDescriptor {
  return {
    name: action.name,
    risk: action.risk,
    undo: action.undo?.action,
    inputSchema: toJsonSchema(action.input, 'input'),
    outputSchema: toJsonSchema(action.output, 'output'),
    exampleOutput: action.example,
    ...(action.approvalPrompt ? { approvalPrompt: action.approvalPrompt } : {}),
  };
}

export function createConnectorRegistry(definitions: readonly ConnectorDefinition[]): ConnectorRegistry {
  const byConnector = new Map<string, ConnectorDefinition>();
  const byAction = new Map<string, RegisteredAction>();
  for (const connector of definitions) {
    if (byConnector.has(connector.name)) throw new Error(`connector ${connector.name} is registered twice`);
    byConnector.set(connector.name, connector);
    for (const action of connector.actions) {
      const taken = byAction.get(action.name);
      if (taken)
        throw new Error(
          `action ${action.name} of ${connector.name} is already defined by ${taken.connector.name}`,
        );
      byAction.set(action.name, { connector, action });
    }
  }
  // Descriptors are asked for on every playbook validation: build each once.
  const descriptors = new Map<string, ActionDescriptor>();
  return {
    connectors: () => definitions,
    connector: (name) => byConnector.get(name),
    action: (name) => byAction.get(name),
    actuatorsFor: (openc2Action, target) =>
      [...byAction.values()].filter(
        ({ action }) => action.openc2?.action === openc2Action && action.openc2.target === target,
      ),
    describe(name) {
      const cached = descriptors.get(name);
      if (cached) return cached;
      const found = byAction.get(name);
      if (!found) return undefined;
      const descriptor = describeAction(found);
      descriptors.set(name, descriptor);
      return descriptor;
    },
  };
}
