import { startFakeServer, type FakeReply, type FakeServer } from './fake-server.js';

export interface PagerDutyAlert {
  dedupKey: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  summary: string;
  /** Trigger events received for this key: a repeat with the same dedup key joins the same alert. */
  triggers: number;
}

export interface PagerDutyFake extends FakeServer {
  alerts: Map<string, PagerDutyAlert>;
  throttleNext(times: number): void;
}

/** PagerDuty's documented 400 body. */
const invalid = (errors: string[]): FakeReply => ({
  status: 400,
  body: { status: 'invalid event', message: 'Event object is invalid', errors },
});

/** The Events API v2 enqueue endpoint, checking the documented event shape and the routing key. */
export async function startPagerDutyFake(routingKey: string): Promise<PagerDutyFake> {
  const alerts = new Map<string, PagerDutyAlert>();
  let throttled = 0;
  const server = await startFakeServer((req) => {
    if (req.path !== '/v2/enqueue' || req.method !== 'POST')
      return { status: 404, body: { status: 'not found', message: 'Not Found' } };
    if (throttled > 0) {
      throttled--;
      return {
        status: 429,
        headers: { 'retry-after': '1' },
        body: { status: 'throttle exceeded', message: 'Requests for this service are arriving too quickly.' },
      };
    }
    if (!String(req.headers['content-type']).startsWith('application/json'))
      return invalid(['Content-Type must be application/json']);
    const event = req.json as Record<string, unknown> | undefined;
    if (!event) return invalid(['Event object is not valid JSON']);
    if (typeof event.routing_key !== 'string' || event.routing_key.length !== 32) {
      return invalid(["Length of 'routing_key' is incorrect (should be 32 characters)"]);
    }
    if (event.routing_key !== routingKey) return invalid(['Invalid routing key']);
    const action = event.event_action;
    const dedupKey = typeof event.dedup_key === 'string' ? event.dedup_key : undefined;
    if (action === 'trigger') {
      const payload = event.payload as Record<string, unknown> | undefined;
      const errors: string[] = [];
      if (typeof payload?.summary !== 'string') errors.push("'payload.summary' is missing or blank");
      if (typeof payload?.source !== 'string') errors.push("'payload.source' is missing or blank");
      if (!['critical', 'error', 'warning', 'info'].includes(String(payload?.severity)))
        errors.push("'payload.severity' is invalid");
      if (errors.length) return invalid(errors);
      const key = dedupKey ?? `generated-${alerts.size + 1}`;
      const existing = alerts.get(key);
      if (existing) existing.triggers++;
      else
        alerts.set(key, {
          dedupKey: key,
          status: 'triggered',
          summary: String(payload?.summary),
          triggers: 1,
        });
      return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: key } };
    }
    if (action === 'acknowledge' || action === 'resolve') {
      if (!dedupKey) return invalid(["'dedup_key' is required for acknowledge and resolve"]);
      const alert = alerts.get(dedupKey);
      if (alert) alert.status = action === 'resolve' ? 'resolved' : 'acknowledged';
      return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } };
    }
    return invalid(["'event_action' is invalid (must be trigger, acknowledge or resolve)"]);
  });
  return {
    ...server,
    alerts,
    throttleNext(times) {
      throttled = times;
    },
  };
}
