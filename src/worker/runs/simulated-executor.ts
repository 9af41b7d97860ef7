import {
  ConnectorError,
  type ActionDescriptor,
  type ActionExecutor,
  type ActionRequest,
  type ActionResult,
} from '../../connectors/action-executor.js';
import { describeAction } from '../../connectors/framework/connector-registry.js';
import {
  checkActionInput,
  checkFixtureOutput,
  type ActionContracts,
} from '../../connectors/framework/action-contract.js';

/** A fixture: the output an action returns in simulation, or the error it fails with. */
export type ActionFixture =
  | { output: unknown }
  | { error: { code: string; message?: string; retryable?: boolean } }
  | ((request: ActionRequest) => unknown);

/**
 * An executor that never calls a vendor: each action answers with its fixture (by action name), else its
 * declared example output. Unknown actions fail as a real executor would. Records every request, so dry runs
 * can print them and playbook tests can assert them.
 *
 * Given the connector registry (`contracts`), an action it knows is held to its real declaration: the input
 * must fit the action's input schema (else the step fails with CONNECTOR_INVALID_INPUT, as it would for
 * real) and a fixture's output must fit the output schema. Without it (engine unit tests with made-up
 * actions) nothing is checked.
 */
export function createSimulatedExecutor(
  descriptors: readonly ActionDescriptor[],
  fixtures: Record<string, ActionFixture | ActionFixture[]> = {},
  contracts?: ActionContracts,
): ActionExecutor & { requests: ActionRequest[] } {
  const byName = new Map(descriptors.map((d) => [d.name, d]));
  const calls = new Map<string, number>();
  const requests: ActionRequest[] = [];
  return {
    requests,
    describe: (action) => {
      const known = byName.get(action);
      if (known) return known;
      const contract = contracts?.action(action);
      if (contract) return describeAction(contract);
      return action in fixtures ? syntheticDescriptor(action) : undefined;
    },
    async execute(request): Promise<ActionResult> {
      requests.push(request);
      const n = calls.get(request.action) ?? 0;
      calls.set(request.action, n + 1);
      const contract = contracts?.action(request.action);
      const invalidInput = contract && checkActionInput(contract, request.input);
      if (invalidInput) throw invalidInput;
      const checked = (output: unknown): unknown => {
        if (!contract) return output;
        const fits = checkFixtureOutput(contract, output);
        if (!fits.ok) throw fits.error;
        return fits.output;
      };
      const entry = fixtures[request.action];
      // A list of fixtures answers successive calls in order; the last one repeats.
      const fixture = Array.isArray(entry) ? entry[Math.min(n, entry.length - 1)] : entry;
      if (typeof fixture === 'function') return { output: checked(fixture(request)) };
      if (fixture && 'error' in fixture)
        throw new ConnectorError(fixture.error.code, fixture.error.message ?? fixture.error.code, {
          retryable: fixture.error.retryable ?? false,
        });
      if (fixture) return { output: checked(fixture.output) };
      const d = byName.get(request.action);
      if (d) return { output: d.exampleOutput };
      if (contract) return { output: contract.action.example };
      throw new ConnectorError('CONNECTOR_UNKNOWN_ACTION', `no connector provides ${request.action}`, {
        retryable: false,
      });
    },
  };
}

const syntheticDescriptor = (name: string): ActionDescriptor => ({
  name,
  risk: 'read',
  inputSchema: {},
  outputSchema: {},
  exampleOutput: {},
});
