import { z } from 'zod';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';

/**
 * PagerDuty Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/overview/): one endpoint,
 * `POST /v2/enqueue`, authorised by the integration's routing key in the body (no auth header).
 */
export const PagerDutyConfig = connectorConfig({
  baseUrl: z.url().default('https://events.pagerduty.com'),
  /** The 32-character integration key of an Events API v2 integration on a service. */
  routingKey: secret(z.string().length(32, 'a PagerDuty routing key is 32 characters')),
});
export type PagerDutyConfig = z.infer<typeof PagerDutyConfig>;

const EnqueueResponse = z.object({ status: z.string(), message: z.string(), dedup_key: z.string() });
const EventOutput = z.object({ dedupKey: z.string(), status: z.string(), message: z.string() });
type EventOutput = z.infer<typeof EventOutput>;

const Severity = z.enum(['critical', 'error', 'warning', 'info']);
const DedupKey = z.string().min(1).max(255);

async function enqueue(
  ctx: ActionContext<PagerDutyConfig>,
  body: Record<string, unknown>,
): Promise<EventOutput> {
  const res = EnqueueResponse.parse(
    await ctx.http.json(
      // The dedup key makes a repeated event the same event: safe to retry although it is a POST.
      {
        method: 'POST',
        path: '/v2/enqueue',
        json: { routing_key: ctx.config.routingKey, ...body },
        idempotent: true,
      },
      ctx.signal,
    ),
  );
  return { dedupKey: res.dedup_key, status: res.status, message: res.message };
}

const example: EventOutput = {
  dedupKey: 'riposte-run-1-step-3',
  status: 'success',
  message: 'Event processed',
};

const changeState = (action: 'acknowledge' | 'resolve', description: string) =>
  defineAction({
    name: `pagerduty.${action}`,
    description,
    risk: 'read',
    input: z.object({ dedupKey: DedupKey }),
    output: EventOutput,
    example,
    idempotency: 'natural',
    run: (ctx: ActionContext<PagerDutyConfig>, input) =>
      enqueue(ctx, { event_action: action, dedup_key: input.dedupKey }),
  });

export const pagerDutyConnector = defineConnector({
  name: 'pagerduty',
  title: 'PagerDuty',
  description: 'Page on-call responders: trigger, acknowledge and resolve alerts through the Events API v2.',
  config: PagerDutyConfig,
  actions: [
    defineAction({
      name: 'pagerduty.trigger',
      description: 'Trigger an alert; the step idempotency key is the dedup key unless one is given',
      risk: 'read',
      input: z.object({
        summary: z.string().min(1).max(1024),
        source: z.string().min(1),
        severity: Severity.default('error'),
        dedupKey: DedupKey.optional(),
        component: z.string().optional(),
        group: z.string().optional(),
        class: z.string().optional(),
        customDetails: z.record(z.string(), z.unknown()).optional(),
        links: z.array(z.object({ href: z.url(), text: z.string().optional() })).default([]),
      }),
      output: EventOutput,
      example,
      idempotency: 'vendor-key',
      undo: { action: 'pagerduty.resolve', input: (_input, output) => ({ dedupKey: output.dedupKey }) },
      run: (ctx: ActionContext<PagerDutyConfig>, input) =>
        enqueue(ctx, {
          event_action: 'trigger',
          dedup_key: input.dedupKey ?? ctx.idempotencyKey.slice(0, 255),
          payload: {
            summary: input.summary,
            source: input.source,
            severity: input.severity,
            timestamp: new Date(ctx.now()).toISOString(),
            component: input.component,
            group: input.group,
            class: input.class,
            custom_details: input.customDetails,
          },
          links: input.links.length ? input.links : undefined,
          client: 'Riposte',
        }),
    }),
    changeState('acknowledge', 'Acknowledge the alert with this dedup key'),
    changeState('resolve', 'Resolve the alert with this dedup key'),
  ],
  async test(ctx) {
    // The Events API has no read endpoint; resolving a dedup key that was never triggered is accepted and
    // changes nothing, so it proves the routing key without paging anyone.
    await enqueue(ctx as ActionContext<PagerDutyConfig>, {
      event_action: 'resolve',
      dedup_key: 'riposte-connection-test',
    });
    return { ok: true, message: 'PagerDuty accepted the routing key' };
  },
});
