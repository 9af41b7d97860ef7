import {
  ConnectorError,
  type ActionDescriptor,
  type ActionExecutor,
  type ActionRequest,
  type ActionResult,
} from '../../connectors/action-executor.js';

/** A fixture: the output an action returns in simulation, or the error it fails with. */
export type ActionFixture =
  | { output: unknown }
  | { error: { code: string; message?: string; retryable?: boolean } }
  | ((request: ActionRequest) => unknown);

/**
 * An executor that never calls a vendor: each action answers with its fixture (by action name), else its
 * declared example output. Unknown actions fail as a real executor would. Records every request, so dry runs
 * can print them and playbook tests can assert them.
 */
export function createSimulatedExecutor(
  descriptors: readonly ActionDescriptor[],
  fixtures: Record<string, ActionFixture | ActionFixture[]> = {},
): ActionExecutor & { requests: ActionRequest[] } {
  const byName = new Map(descriptors.map((d) => [d.name, d]));
  const calls = new Map<string, number>();
  const requests: ActionRequest[] = [];
  return {
    requests,
    describe: (action) =>
      byName.get(action) ?? (action in fixtures ? syntheticDescriptor(action) : undefined),
    async execute(request): Promise<ActionResult> {
      requests.push(request);
      const n = calls.get(request.action) ?? 0;
      calls.set(request.action, n + 1);
      const entry = fixtures[request.action];
      // A list of fixtures answers successive calls in order; the last one repeats.
      const fixture = Array.isArray(entry) ? entry[Math.min(n, entry.length - 1)] : entry;
      if (typeof fixture === 'function') return { output: fixture(request) };
      if (fixture && 'error' in fixture)
        throw new ConnectorError(fixture.error.code, fixture.error.message ?? fixture.error.code, {
          retryable: fixture.error.retryable ?? false,
        });
      if (fixture) return { output: fixture.output };
      const d = byName.get(request.action);
      if (!d)
        throw new ConnectorError('CONNECTOR_UNKNOWN_ACTION', `no connector provides ${request.action}`, {
          retryable: false,
        });
      return { output: d.exampleOutput };
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
