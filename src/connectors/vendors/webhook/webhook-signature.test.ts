import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from './webhook-signature.js';

describe('webhook signature', () => {
  it('is HMAC-SHA256 over "<timestamp>.<body>" and verifies only the exact body', () => {
    const sig = signWebhook('s3cret-s3cret-s3cret', '1700000000', '{"a":1}');
    expect(sig).toBe(
      `sha256=${createHmac('sha256', 's3cret-s3cret-s3cret').update('1700000000.{"a":1}').digest('hex')}`,
    );
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', '1700000000', '{"a":1}', sig)).toBe(true);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', '1700000001', '{"a":1}', sig)).toBe(false);
    expect(verifyWebhookSignature('s3cret-s3cret-s3cret', '1700000000', '{"a":2}', sig)).toBe(false);
    // A receiver holding the raw bytes (which may not be valid UTF-8) gets the same signature.
    expect(signWebhook('s3cret-s3cret-s3cret', '1700000000', Buffer.from('{"a":1}'))).toBe(sig);
  });
});
