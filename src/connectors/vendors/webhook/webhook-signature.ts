import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signs `<timestamp>.<body>` with HMAC-SHA256, as `sha256=<hex>`. The timestamp in the signed text lets the
 * receiver refuse replays (compare it with its clock); the receiver verifies with `verifyWebhookSignature`.
 * Riposte's own webhook receiver (`verifyWebhook`) takes the same format, over the body's exact bytes.
 */
export function signWebhook(secret: string, timestamp: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

export function verifyWebhookSignature(
  secret: string,
  timestamp: string,
  body: string | Uint8Array,
  signature: string,
): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
