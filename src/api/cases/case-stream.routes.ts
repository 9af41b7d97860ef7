import type { ServerResponse } from 'node:http';
import { notFound } from '../../domain/shared/errors.js';
import type { CaseEvent } from '../../domain/cases/case.js';
import { listTimeline } from '../../store/cases/case-query.repository.js';
import { findCaseById } from '../../store/cases/case.repository.js';
import type { ApiContext, ApiInstance } from '../route-plugin.js';
import { CaseParams } from './case.schemas.js';

export interface StreamOptions {
  /** How often to read new events when no notification came (other processes on SQLite, lost NOTIFYs). */
  pollMs: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: number;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = { pollMs: 1_000, heartbeatMs: 15_000 };

const PAGE = 500;

/** One event in text/event-stream form; the event id is the timeline id, so `Last-Event-ID` resumes exactly. */
const frame = (event: CaseEvent): string =>
  `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

/**
 * SSE of a case's timeline: replays what came after `Last-Event-ID` (or everything), then follows. New events
 * are read from the same event log the timeline serves, woken by the store's notifier (`case:<id>`) and by
 * polling as a fallback, so a missed wake-up costs at most one poll interval.
 */
export async function registerStreamRoutes(
  app: ApiInstance,
  ctx: ApiContext,
  options: StreamOptions = DEFAULT_STREAM_OPTIONS,
): Promise<void> {
  // Open streams never end on their own; closing the server ends them so shutdown does not wait on them.
  const open = new Set<() => void>();
  app.addHook('onClose', async () => {
    for (const stop of open) stop();
  });
  app.get(
    '/cases/:id/events',
    {
      config: { access: 'cases:read' },
      schema: {
        tags: ['cases'],
        description: 'Server-sent events of the case timeline. Reconnect with Last-Event-ID to resume.',
        params: CaseParams,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await findCaseById(ctx.store.db, id))) throw notFound('case', id);
      const header = request.headers['last-event-id'];
      let after = typeof header === 'string' && header.length <= 64 ? header : undefined;
      reply.hijack();
      const raw: ServerResponse = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-content-type-options': 'nosniff',
        'x-accel-buffering': 'no',
      });
      raw.write('retry: 2000\n\n');

      let closed = false;
      let wake: (() => void) | undefined;
      let pending = false;
      const signal = () => {
        if (wake) {
          const w = wake;
          wake = undefined;
          w();
        } else pending = true;
      };
      const unlisten = await ctx.store.notifier.listen(`case:${id}`, signal).catch(() => undefined);
      const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), options.heartbeatMs);
      const stop = () => {
        closed = true;
        signal();
      };
      open.add(stop);
      // The response's close is the client going away (the request's fires once its body has been read).
      raw.on('close', stop);
      try {
        while (!closed && !ctx.lifecycle.draining) {
          const events = await listTimeline(ctx.store.db, id, { afterId: after, limit: PAGE });
          for (const event of events) raw.write(frame(event));
          after = events.at(-1)?.id ?? after;
          if (events.length === PAGE) continue;
          if (pending) {
            pending = false;
            continue;
          }
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              wake = undefined;
              resolve();
            }, options.pollMs);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      } catch (err) {
        request.log.warn({ err, caseId: id }, 'case event stream stopped');
      } finally {
        clearInterval(heartbeat);
        open.delete(stop);
        await unlisten?.().catch(() => undefined);
        raw.end();
      }
    },
  );
}
