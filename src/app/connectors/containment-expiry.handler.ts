import { z } from 'zod';
import { SYSTEM_ACTOR } from '../../domain/shared/actor.js';
import { RiposteError } from '../../domain/shared/errors.js';
import type { ConnectorRuntime } from '../../connectors/framework/create-action-executor.js';
import type { JobHandler } from '../job-handlers.js';
import type { AppContext } from '../context.js';
import { createConnectorRuntime } from './connector-runtime.js';
import { undoContainment } from './containment.service.js';

const Payload = z.object({ containmentId: z.string().min(1) });

/** Undo attempts back off from a minute to an hour: the vendor may be down for a while. */
const retryDelayMs = (attempts: number): number =>
  Math.min(3_600_000, 60_000 * 2 ** Math.max(0, attempts - 1));

/**
 * Builds the handler of `timers` / `containment.expire` jobs over a given runtime factory (tests pass one
 * with a mock dispatcher). The job is due at the containment's expiry; it runs the recorded undo.
 */
export function createContainmentExpiryHandler(
  runtimeFor: (ctx: AppContext) => ConnectorRuntime,
): JobHandler {
  return async (job, ctx) => {
    const payload = Payload.safeParse(job.payload);
    if (!payload.success) return { type: 'failed', error: 'containment.expire job without a containmentId' };
    const runtime = runtimeFor(ctx);
    try {
      const outcome = await undoContainment(
        ctx,
        runtime,
        SYSTEM_ACTOR,
        payload.data.containmentId,
        ctx.signal,
        'expired',
      );
      ctx.log.info(
        { containmentId: payload.data.containmentId, status: outcome.status },
        'containment expired and rolled back',
      );
      return { type: 'done' };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // Not found or no undo: nothing to retry. The vendor being away: try again later.
      if (err instanceof RiposteError && err.code !== 'RIPOSTE_UNAVAILABLE')
        return { type: 'failed', error: message };
      if (job.attempts >= job.maxAttempts) return { type: 'failed', error: message };
      return { type: 'retry', at: ctx.clock.now() + retryDelayMs(job.attempts), error: message };
    } finally {
      await runtime.close();
    }
  };
}

/** The handler the worker binds to queue `timers`, kind `containment.expire`. */
export const containmentExpiryHandler: JobHandler = createContainmentExpiryHandler((ctx) =>
  createConnectorRuntime(ctx),
);
