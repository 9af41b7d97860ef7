import { z } from 'zod';
import {
  connectorConfig,
  defineAction,
  defineConnector,
  secret,
  type ActionContext,
} from '../../framework/define-connector.js';
import { signWebhook } from './webhook-signature.js';

/** An outbound webhook: POSTs JSON to the base URL, signed with HMAC-SHA256 and carrying an idempotency key. */
export const WebhookConfig = connectorConfig({
  hmacSecret: secret(z.string().min(16)),
  signatureHeader: z.string().default('X-Riposte-Signature'),
  /** Appended to the base URL; empty posts to the base URL exactly. */
  path: z.string().default(''),
});
export type WebhookConfig = z.infer<typeof WebhookConfig>;

const SendOutput = z.object({ status: z.number(), response: z.unknown() });

async function send(ctx: ActionContext<WebhookConfig>, event: string, data: unknown) {
  const timestamp = String(Math.floor(ctx.now() / 1000));
  const body = JSON.stringify({
    event,
    data,
    idempotencyKey: ctx.idempotencyKey,
    sentAt: new Date(ctx.now()).toISOString(),
  });
  const res = await ctx.http.request(
    {
      method: 'POST',
      path: ctx.config.path,
      body,
      headers: {
        'content-type': 'application/json',
        'X-Riposte-Timestamp': timestamp,
        [ctx.config.signatureHeader]: signWebhook(ctx.config.hmacSecret, timestamp, body),
        'Idempotency-Key': ctx.idempotencyKey,
      },
      // The receiver dedupes on the key, so a retry is safe.
      idempotent: true,
    },
    ctx.signal,
  );
  let response: unknown = null;
  try {
    response = res.text ? (JSON.parse(res.text) as unknown) : null;
  } catch {
    response = res.text.slice(0, 500);
  }
  return { status: res.status, response };
}

export const webhookConnector = defineConnector({
  name: 'webhook',
  title: 'Outbound webhook (HMAC-signed)',
  description: 'Sends a signed JSON event to any HTTP endpoint.',
  config: WebhookConfig,
  actions: [
    defineAction({
      name: 'webhook.send',
      description:
        'POSTs `{ event, data, idempotencyKey, sentAt }` with X-Riposte-Timestamp and an HMAC signature',
      risk: 'read',
      input: z.object({ event: z.string().min(1).max(200), data: z.unknown() }),
      output: SendOutput,
      example: { status: 200, response: { received: true } },
      idempotency: 'vendor-key',
      run: (ctx: ActionContext<WebhookConfig>, input) => send(ctx, input.event, input.data),
    }),
  ],
  async test(ctx) {
    const res = await send(ctx as ActionContext<WebhookConfig>, 'riposte.test', {
      message: 'connection test',
    });
    return { ok: true, message: `endpoint answered HTTP ${res.status}` };
  },
});
