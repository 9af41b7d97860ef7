import { ConnectorError, type ActionExecutor } from '../../connectors/action-executor.js';
import { ConnectorErrorCode } from '../../connectors/framework/connector-errors.js';
import type { Logger } from '../../observability/logger.js';

/**
 * In demo mode an action of a connector nobody configured answers with its declared example output instead
 * of failing, so the library's playbooks run end to end on a fresh machine. Configured instances are called
 * for real; every simulated answer is logged, so a demo is never mistaken for a containment that happened.
 */
export function createDemoExecutor(real: ActionExecutor, log: Logger): ActionExecutor {
  return {
    describe: (action) => real.describe(action),
    async execute(request, signal) {
      try {
        return await real.execute(request, signal);
      } catch (err) {
        const descriptor = real.describe(request.action);
        if (!(err instanceof ConnectorError) || err.code !== ConnectorErrorCode.notConfigured || !descriptor)
          throw err;
        log.info(
          { action: request.action, runId: request.context.runId, step: request.context.stepId },
          'demo: no instance configured, answered with the example output',
        );
        return { output: descriptor.exampleOutput };
      }
    },
  };
}
